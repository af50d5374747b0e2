package io.gradflow.jobs.produce;

import io.gradflow.jobs.kafka.ExampleFields;
import io.gradflow.schema.Example;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.commons.csv.CSVException;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * CSV as RFC 4180 and real files write it (read by Apache Commons CSV): a header record, quoted
 * fields holding the delimiter, doubled quotes and line breaks (a record may span lines; messages
 * name the line a record starts on), CRLF or LF line ends. A column mapping gives the columns
 * their roles:
 * <ul>
 *   <li>label: a number as written or mapped ({@link LabelMapping}); a missing cell (see below)
 *       is an unlabeled example;
 *   <li>numeric columns: the dense features, in mapping order. A missing cell (empty, {@code NA},
 *       {@code N/A}, {@code NaN}, {@code null} or {@code ?}, any case) is imputed with the mean
 *       of that column's values over the earlier examples of the file (0 before any, as River's
 *       {@code StatImputer}), and the example gets the feature {@code (column, "missing")} of
 *       value 1, a missing indicator (as scikit-learn's {@code SimpleImputer(add_indicator=True)});
 *   <li>categorical columns: a feature named by the cell's text (as written) in a namespace named
 *       by the column; an empty cell is no feature ({@code NA} is the category {@code NA});
 *   <li>entities: a raw id (kept without collisions) of a type, from a column; an empty cell is
 *       a malformed line;
 *   <li>timestamp ({@link Timestamps}; without one, event times are {@code start + index *
 *       interval}, index 0 for the first example), example id (empty: {@code source:line}), model
 *       key (empty: the default) and importance weight.
 * </ul>
 * Stateful (the header, the imputer's running means); not thread-safe. Read with workers
 * ({@link FileFormat#open(java.io.InputStream, String, int)}), the reading thread only lexes,
 * the workers map columns and parse numbers, and the imputer and the event times by index run in
 * file order ({@link ParallelRecords.Staged}): the same examples and messages as one thread.
 * For {@code produce}, a record's fields ({@link ExampleFields}) are then validated and written
 * as Avro bytes on the workers ({@link ParallelRecords.Staged#fields}); the example
 * {@link ParallelRecords.Staged#complete} builds is made from the same fields.
 */
public final class CsvFormat implements FileFormat {

  /** Cells that mean "missing" in a numeric or label column (compared ignoring case). */
  public static final Set<String> MISSING = Set.of("", "na", "n/a", "nan", "null", "?");

  /**
   * The name of a numeric column's missing indicator: a missing cell gives the example the
   * feature {@code (column, "missing")}.
   */
  public static final String MISSING_INDICATOR = "missing";

  /**
   * Which columns mean what; null or empty for an unused role.
   *
   * @param entities entity type to column ({@code user -> userId}), in order
   */
  public record Columns(String label, List<String> numeric, List<String> categorical,
      Map<String, String> entities, String timestamp, String id, String modelKey, String weight,
      char delimiter) {
    public Columns {
      numeric = numeric == null ? List.of() : List.copyOf(numeric);
      categorical = categorical == null ? List.of() : List.copyOf(categorical);
      entities = entities == null ? Map.of()
          : Collections.unmodifiableMap(new LinkedHashMap<>(entities));
      if (numeric.isEmpty() && categorical.isEmpty() && entities.isEmpty()) {
        throw new IllegalArgumentException("a CSV mapping needs numeric, categorical or entity"
            + " columns (--csv-numeric, --csv-categorical, --csv-entity)");
      }
    }
  }

  private final Columns columns;
  private final LabelMapping labels;
  private final Timestamps timestamps;
  private final String defaultModelKey;
  private final long startMillis;
  private final long intervalMillis;
  /** Per entity type, in mapping order: how its ids are written ({@link #notes}). */
  private final Map<String, IdForms> idForms = new LinkedHashMap<>();

  public CsvFormat(Columns columns, LabelMapping labels, Timestamps timestamps,
      String defaultModelKey, long startMillis, long intervalMillis) {
    this.columns = columns;
    this.labels = labels;
    this.timestamps = timestamps;
    this.defaultModelKey = defaultModelKey;
    this.startMillis = startMillis;
    this.intervalMillis = intervalMillis;
  }

  /**
   * One line per entity column some of whose ids are written as integral floats ({@code 3.0}):
   * {@code 3.0} and {@code 3} are different ids, so such ids split one entity in two (pandas
   * writes an integer column holding a missing value as floats). The ids are kept as written;
   * the command prints these once, after reading. Empty when none is.
   */
  public List<String> notes() {
    List<String> notes = new ArrayList<>();
    synchronized (idForms) {
      idForms.forEach((type, f) -> {
        if (f.floats > 0) {
          String integral = f.first.substring(0, f.first.indexOf('.'));
          String also = f.integers == 0 ? "" : String.format(Locale.ROOT, ", and %,d as %s",
              f.integers, f.integers == 1 ? "an integer" : "integers");
          notes.add(String.format(Locale.ROOT, "note: %,d %s %s (column %s) %s written as"
              + " floats, the first '%s' on line %,d%s: '%s' and '%s' are different ids, so"
              + " different entities; write the ids as integers (pandas writes an integer column"
              + " with a missing value as floats: .astype('Int64') keeps them integers)",
              f.floats, type, f.floats == 1 ? "id" : "ids", f.column,
              f.floats == 1 ? "is" : "are", f.first, f.firstLine, also, f.first, integral));
        }
      });
    }
    return notes;
  }

  /**
   * Whether {@code id} is an integer written as a float: digits, a point and zeros only
   * ({@code 3.0}, {@code -12.00}).
   */
  static boolean integralFloat(String id) {
    int point = id.indexOf('.');
    if (point <= 0 || point == id.length() - 1 || !digits(id, id.charAt(0) == '-' ? 1 : 0, point)) {
      return false;
    }
    for (int i = point + 1; i < id.length(); i++) {
      if (id.charAt(i) != '0') {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code id} is an integer: digits after an optional minus sign. */
  static boolean integer(String id) {
    return digits(id, id.startsWith("-") ? 1 : 0, id.length());
  }

  /** Whether {@code id}'s chars from {@code from} to {@code to} are ASCII digits, at least one. */
  private static boolean digits(String id, int from, int to) {
    if (to <= from) {
      return false;
    }
    for (int i = from; i < to; i++) {
      char c = id.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  /** How one entity column's ids are written; guarded by {@link #idForms}. */
  private static final class IdForms {
    final String column;
    long floats;
    long integers;
    String first;
    long firstLine;

    IdForms(String column) {
      this.column = column;
    }
  }

  /** Whether {@code cell} (trimmed) means a missing value in a numeric or label column. */
  public static boolean missing(String cell) {
    return MISSING.contains(cell.toLowerCase(Locale.ROOT));
  }

  @Override
  public RecordReader open(Reader in, String source) throws MalformedLineException {
    CSVParser parser;
    try {
      parser = CSVFormat.RFC4180.builder().setDelimiter(columns.delimiter())
          .setIgnoreEmptyLines(false).get().parse(in);
    } catch (CharacterCodingException e) {
      throw MalformedLineException.notUtf8(1, source);
    } catch (IOException e) {
      throw new UncheckedIOException(source + ": cannot read", e);
    }
    Reading r = new Reading(parser, source);
    r.readHeader();
    return r;
  }

  /** One pass over one file. */
  private final class Reading implements ParallelRecords.Staged {
    private final CSVParser parser;
    private final Iterator<CSVRecord> records;
    private final String source;
    private int size;
    private int label = -1;
    private int[] numeric;
    private int[] categorical;
    private int[] entities;
    private String[] entityTypes;
    private IdForms[] entityForms;
    private int timestamp = -1;
    private int id = -1;
    private int modelKey = -1;
    private int weight = -1;
    private String[] numericNames;
    private String[] categoricalNames;
    private double[] sums;
    private long[] counts;
    /** The fields {@link #complete} builds an example from (calls follow each other). */
    private final ExampleFields serialFields = new ExampleFields();
    private long linesBefore;
    private long recordLine;
    private long index;

    Reading(CSVParser parser, String source) {
      this.parser = parser;
      this.records = parser.iterator();
      this.source = source;
    }

    void readHeader() throws MalformedLineException {
      List<String> header;
      do {
        CSVRecord r = read();
        if (r == null) {
          throw new IllegalArgumentException(source + " is empty: a CSV file needs a header line"
              + " naming its columns");
        }
        header = r.toList();
      } while (blank(header));
      Map<String, Integer> names = new LinkedHashMap<>();
      for (int i = 0; i < header.size(); i++) {
        Integer before = names.putIfAbsent(header.get(i).trim(), i);
        if (before != null && mapped(header.get(i).trim())) {
          throw new IllegalArgumentException("the CSV header (" + source + ", line " + recordLine
              + ") names column '" + header.get(i).trim() + "' twice (columns " + (before + 1)
              + " and " + (i + 1) + "); rename one");
        }
      }
      size = header.size();
      List<String> problems = new ArrayList<>();
      label = column(names, columns.label(), "--csv-label", problems);
      numeric = columns(names, columns.numeric(), "--csv-numeric", problems);
      categorical = columns(names, columns.categorical(), "--csv-categorical", problems);
      entityTypes = columns.entities().keySet().toArray(String[]::new);
      entities = columns(names, List.copyOf(columns.entities().values()), "--csv-entity",
          problems);
      timestamp = column(names, columns.timestamp(), "--csv-timestamp", problems);
      id = column(names, columns.id(), "--csv-id", problems);
      modelKey = column(names, columns.modelKey(), "--csv-model-key", problems);
      weight = column(names, columns.weight(), "--csv-weight", problems);
      if (!problems.isEmpty()) {
        // The mapping does not fit the file: no line can be read, so this is not skippable.
        throw new IllegalArgumentException("the CSV header (" + source + ", line " + recordLine
            + ") has no column " + String.join(", no column ", problems) + "; its columns are: "
            + String.join(", ", names.keySet()) + delimiterHint(names.keySet()));
      }
      entityForms = new IdForms[entityTypes.length];
      synchronized (idForms) {
        for (int k = 0; k < entityTypes.length; k++) {
          entityForms[k] = idForms.computeIfAbsent(entityTypes[k],
              t -> new IdForms(columns.entities().get(t)));
        }
      }
      numericNames = columns.numeric().toArray(String[]::new);
      categoricalNames = columns.categorical().toArray(String[]::new);
      sums = new double[numeric.length];
      counts = new long[numeric.length];
    }

    /**
     * When the header is a single column holding another common delimiter (a file separated by
     * ';' or tabs read with ','), the flag that reads it; else empty.
     */
    private String delimiterHint(java.util.Set<String> names) {
      if (names.size() != 1) {
        return "";
      }
      String only = names.iterator().next();
      for (char d : new char[] {';', '\t', '|', ','}) {
        if (d != columns.delimiter() && only.indexOf(d) >= 0) {
          String flag = d == '\t' ? "\\t" : String.valueOf(d);
          return " (one column: if the file is separated by '" + flag + "', give --csv-delimiter '"
              + flag + "')";
        }
      }
      return "";
    }

    private boolean mapped(String name) {
      return name.equals(columns.label()) || columns.numeric().contains(name)
          || columns.categorical().contains(name) || columns.entities().containsValue(name)
          || name.equals(columns.timestamp()) || name.equals(columns.id())
          || name.equals(columns.modelKey()) || name.equals(columns.weight());
    }

    private int[] columns(Map<String, Integer> names, List<String> wanted, String flag,
        List<String> problems) {
      int[] out = new int[wanted.size()];
      for (int j = 0; j < out.length; j++) {
        out[j] = column(names, wanted.get(j), flag, problems);
      }
      return out;
    }

    private int column(Map<String, Integer> names, String name, String flag,
        List<String> problems) {
      if (name == null || name.isEmpty()) {
        return -1;
      }
      Integer i = names.get(name);
      if (i == null) {
        problems.add("'" + name + "' (" + flag + ")");
        return -1;
      }
      return i;
    }

    /**
     * A hint for a row of the wrong width with a cell that starts with blanks then a quote
     * ({@code 1, "b, c"}): CSV quotes a cell only from its first character, so the delimiter
     * inside splits it. Empty when no cell does.
     */
    private static String quoteHint(String[] cells) {
      for (int i = 0; i < cells.length; i++) {
        String c = cells[i];
        int j = 0;
        while (j < c.length() && (c.charAt(j) == ' ' || c.charAt(j) == '\t')) {
          j++;
        }
        if (j > 0 && j < c.length() && c.charAt(j) == '"') {
          return "; cell " + (i + 1) + " starts with a space then a quote, and a quote after a"
              + " space is not a quoted cell in CSV (a delimiter inside it splits the cell):"
              + " remove the space before the quote";
        }
      }
      return "";
    }

    /** The next record, null at the end; tracks the line it starts on. */
    private CSVRecord read() throws MalformedLineException {
      long start = linesBefore + 1;
      try {
        if (!records.hasNext()) {
          return null;
        }
        recordLine = start;
        return records.next();
      } catch (UncheckedIOException e) {
        recordLine = start;
        if (e.getCause() instanceof CharacterCodingException) {
          throw MalformedLineException.notUtf8(start, source);
        }
        String why = e.getCause() instanceof CSVException c ? c.getMessage() : String.valueOf(
            e.getCause());
        if (why != null && why.contains("EOF reached before encapsulated token finished")) {
          why = "a quoted field starting on this line is never closed (unterminated quote)";
        } else {
          why = "not CSV: " + why;
        }
        throw new MalformedLineException(recordLine, why + "; nothing after it can be read as"
            + " CSV", true);
      } finally {
        linesBefore = parser.getCurrentLineNumber();
      }
    }

    @Override
    public Example next() throws MalformedLineException {
      Object raw = lex();
      return raw instanceof Cells c ? complete(map(c)) : (Example) raw;
    }

    /** The reading thread: Commons CSV's lexer only (a record's cells and its line). */
    @Override
    public Object lex() throws MalformedLineException {
      CSVRecord r = read();
      if (r == null) {
        return null;
      }
      String[] cells = r.values(); // the record's own array, not a copy
      return cells.length == 1 && cells[0].isBlank() ? NONE : new Cells(cells, recordLine);
    }

    /**
     * Any thread: a record's columns as the mapping says, validated, with its numeric cells
     * parsed; what needs the records before it (imputed cells, the event time by index) is left
     * to {@link #order}.
     */
    @Override
    public Row map(Object raw) throws MalformedLineException {
      Cells record = (Cells) raw;
      String[] cells = record.cells();
      long line = record.line();
      if (cells.length != size) {
        throw new MalformedLineException(line, "expected " + size
            + " columns as in the header, but found " + cells.length + quoteHint(cells));
      }
      float[] dense = numeric.length == 0 ? NO_DENSE : new float[numeric.length];
      boolean[] absent = null;
      for (int j = 0; j < numeric.length; j++) {
        String cell = cells[numeric[j]].trim();
        // A decimal the fast path reads is never a missing cell (none of MISSING is a decimal):
        // the common cell is read once, without the lookup in MISSING.
        float fast = Numbers.exactFloat(cell, 0, cell.length());
        if (!Float.isNaN(fast)) {
          dense[j] = fast;
        } else if (missing(cell)) {
          if (absent == null) {
            absent = new boolean[numeric.length];
          }
          absent[j] = true;
        } else {
          dense[j] = Numbers.parseSlowly(cell, "column ", columns.numeric().get(j), line);
        }
      }
      for (int k = 0; k < entities.length; k++) {
        if (cells[entities[k]].trim().isEmpty()) {
          throw new MalformedLineException(line, "entity " + entityTypes[k] + " (column "
              + columns.entities().get(entityTypes[k]) + ") is empty");
        }
      }
      boolean hasLabel = false;
      float y = 0f;
      if (label >= 0) {
        String cell = cells[label].trim();
        if (!missing(cell)) {
          y = labels.apply(cell, line, "text labels need --csv-positive VALUE[,VALUE...] (the"
              + " values that are the positive class, 1)");
          hasLabel = true;
        }
      }
      long time = 0; // without a timestamp column: by index, in file order (order)
      if (timestamp >= 0) {
        String cell = cells[timestamp].trim();
        if (cell.isEmpty()) {
          throw new MalformedLineException(line, "timestamp is empty");
        }
        try {
          time = timestamps.parse(cell);
        } catch (IllegalArgumentException e) {
          throw new MalformedLineException(line, e.getMessage());
        }
      }
      float w = 1f;
      if (weight >= 0) {
        String cell = cells[weight].trim();
        if (cell.isEmpty()) {
          throw new MalformedLineException(line, "weight is empty");
        }
        w = Numbers.parse(cell, "weight", line);
        if (w < 0) {
          throw new MalformedLineException(line, "weight " + cell + " is negative");
        }
      }
      // The line is well formed: order imputes, then lets its values into the running means.
      return new Row(cells, line, dense, absent, hasLabel, y, time, w);
    }

    /**
     * In file order, once per well-formed record: imputes its missing cells with the running
     * means of the records before it, lets its values into them, and gives it its event time by
     * index when there is no timestamp column.
     */
    @Override
    public void order(Object mapped) {
      Row r = (Row) mapped;
      for (int j = 0; j < numeric.length; j++) {
        if (r.absent != null && r.absent[j]) {
          r.dense[j] = counts[j] == 0 ? 0f : (float) (sums[j] / counts[j]);
        } else {
          sums[j] += r.dense[j];
          counts[j]++;
        }
      }
      if (timestamp < 0) {
        r.time = startMillis + index * intervalMillis;
      }
      index++;
      if (entities.length > 0) {
        tallyIds(r);
      }
    }

    /** In file order: how the record's entity ids are written, for {@link #notes}. */
    private void tallyIds(Row r) {
      synchronized (idForms) {
        for (int k = 0; k < entities.length; k++) {
          String id = r.cells[entities[k]].trim();
          IdForms f = entityForms[k];
          if (integralFloat(id)) {
            if (f.floats++ == 0) {
              f.first = id;
              f.firstLine = r.line;
            }
          } else if (integer(id)) {
            f.integers++;
          }
        }
      }
    }

    /**
     * Any thread: the fields of a record {@link #order} completed: entities, then the
     * categorical features and the missing indicators, then the dense values.
     */
    @Override
    public void fields(Object ordered, ExampleFields into) {
      Row r = (Row) ordered;
      String[] cells = r.cells;
      String exampleId = id >= 0 && !cells[id].isEmpty() ? cells[id] : source + ":" + r.line;
      String model = modelKey >= 0 && !cells[modelKey].isEmpty() ? cells[modelKey]
          : defaultModelKey;
      into.start(exampleId, r.time, model);
      for (int k = 0; k < entities.length; k++) {
        into.addEntity(entityTypes[k], cells[entities[k]].trim());
      }
      for (int k = 0; k < categorical.length; k++) {
        String v = cells[categorical[k]];
        if (!v.isEmpty()) {
          into.addNamed(categoricalNames[k], v, 1f);
        }
      }
      if (r.absent != null) {
        for (int j = 0; j < numeric.length; j++) {
          if (r.absent[j]) {
            into.addNamed(numericNames[j], MISSING_INDICATOR, 1f);
          }
        }
      }
      for (int j = 0; j < numeric.length; j++) {
        into.addDense(r.dense[j]);
      }
      if (r.hasLabel) {
        into.label(r.label);
      }
      into.weight(r.weight);
    }

    @Override
    public boolean hasFields() {
      return true;
    }

    /** In file order: {@link #order}, then the example of its {@link #fields}. */
    @Override
    public Example complete(Object mapped) {
      order(mapped);
      fields(mapped, serialFields);
      return serialFields.toExample();
    }

    @Override
    public long recordLine() {
      return recordLine;
    }

    @Override
    public long lines() {
      // The parser counts line breaks: a last line without one is counted by its record.
      return Math.max(parser.getCurrentLineNumber(), recordLine);
    }
  }

  private static boolean blank(List<String> cells) {
    return cells.size() == 1 && cells.get(0).isBlank();
  }

  /** A record as lexed: its cells (Commons CSV's array) and the line it starts on. */
  private record Cells(String[] cells, long line) {}

  private static final float[] NO_DENSE = new float[0];

  /**
   * A record mapped on a worker: its cells, its parsed numeric cells (an absent cell's 0 until
   * {@link Reading#order} imputes it) and which were missing (null for none), its label, event
   * time (without a timestamp column, 0 until {@link Reading#order}) and weight.
   */
  private static final class Row {
    final String[] cells;
    final long line;
    final float[] dense;
    final boolean[] absent;
    final boolean hasLabel;
    final float label;
    long time;
    final float weight;

    Row(String[] cells, long line, float[] dense, boolean[] absent, boolean hasLabel,
        float label, long time, float weight) {
      this.cells = cells;
      this.line = line;
      this.dense = dense;
      this.absent = absent;
      this.hasLabel = hasLabel;
      this.label = label;
      this.time = time;
      this.weight = weight;
    }
  }
}
