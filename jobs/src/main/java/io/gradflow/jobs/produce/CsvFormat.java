package io.gradflow.jobs.produce;

import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * CSV with a header line and a column mapping: a label column (an empty cell: no label),
 * numeric columns (the dense features, in mapping order), categorical columns (a feature named by
 * the cell's text in a namespace named by the column; an empty cell: no feature), and optional
 * timestamp (epoch milliseconds or ISO-8601), id, model key and weight columns. Quotes follow
 * RFC 4180 ({@code "a, b"}, {@code ""} for a quote). Stateful (the header); not thread-safe.
 */
public final class CsvFormat implements LineFormat {

  /** Which columns mean what; null or empty for an unused role. */
  public record Columns(String label, List<String> numeric, List<String> categorical,
      String timestamp, String id, String modelKey, String weight, char delimiter) {
    public Columns {
      numeric = numeric == null ? List.of() : List.copyOf(numeric);
      categorical = categorical == null ? List.of() : List.copyOf(categorical);
      if (numeric.isEmpty() && categorical.isEmpty()) {
        throw new IllegalArgumentException("a CSV mapping needs numeric or categorical columns"
            + " (--csv-numeric, --csv-categorical)");
      }
    }
  }

  private final Columns columns;
  private final String defaultModelKey;
  private final long startMillis;
  private final long intervalMillis;
  private Map<String, Integer> header;
  private int label = -1;
  private int[] numeric;
  private int[] categorical;
  private int timestamp = -1;
  private int id = -1;
  private int modelKey = -1;
  private int weight = -1;

  public CsvFormat(Columns columns, String defaultModelKey, long startMillis,
      long intervalMillis) {
    this.columns = columns;
    this.defaultModelKey = defaultModelKey;
    this.startMillis = startMillis;
    this.intervalMillis = intervalMillis;
  }

  @Override
  public Example parse(String line, long lineNumber, String source)
      throws MalformedLineException {
    if (line.isBlank()) {
      return null;
    }
    List<String> cells = split(line, columns.delimiter(), lineNumber);
    if (header == null) {
      readHeader(cells, lineNumber);
      return null;
    }
    if (cells.size() != header.size()) {
      throw new MalformedLineException(lineNumber, "expected " + header.size()
          + " columns as in the header, but found " + cells.size());
    }
    List<Float> dense = new ArrayList<>(numeric.length);
    for (int j = 0; j < numeric.length; j++) {
      dense.add(LibSvmFormat.number(cells.get(numeric[j]).trim(),
          "column " + columns.numeric().get(j), lineNumber));
    }
    List<Feature> features = new ArrayList<>(categorical.length);
    for (int k = 0; k < categorical.length; k++) {
      String v = cells.get(categorical[k]);
      if (!v.isEmpty()) {
        features.add(new Feature(columns.categorical().get(k), v, null, 1f));
      }
    }
    Float y = null;
    if (label >= 0 && !cells.get(label).isBlank()) {
      y = LibSvmFormat.number(cells.get(label).trim(), "label", lineNumber);
    }
    long time = startMillis + (lineNumber - 2) * intervalMillis;
    if (timestamp >= 0) {
      String ts = cells.get(timestamp).trim();
      try {
        time = ts.chars().allMatch(Character::isDigit) && !ts.isEmpty() ? Long.parseLong(ts)
            : Instant.parse(ts).toEpochMilli();
      } catch (NumberFormatException | DateTimeParseException e) {
        throw new MalformedLineException(lineNumber, "timestamp '" + ts
            + "' is neither epoch milliseconds nor an ISO-8601 instant");
      }
    }
    float w = 1f;
    if (weight >= 0) {
      w = LibSvmFormat.number(cells.get(weight).trim(), "weight", lineNumber);
    }
    String exampleId = id >= 0 && !cells.get(id).isEmpty() ? cells.get(id)
        : source + ":" + lineNumber;
    String model = modelKey >= 0 && !cells.get(modelKey).isEmpty() ? cells.get(modelKey)
        : defaultModelKey;
    return Example.newBuilder().setExampleId(exampleId).setEventTime(Instant.ofEpochMilli(time))
        .setModelKey(model).setFeatures(features).setDense(dense).setLabel(y).setWeight(w)
        .build();
  }

  private void readHeader(List<String> cells, long lineNumber) {
    Map<String, Integer> h = new HashMap<>();
    for (int i = 0; i < cells.size(); i++) {
      h.put(cells.get(i).trim(), i);
    }
    header = h;
    label = column(columns.label(), lineNumber);
    numeric = new int[columns.numeric().size()];
    for (int j = 0; j < numeric.length; j++) {
      numeric[j] = column(columns.numeric().get(j), lineNumber);
    }
    categorical = new int[columns.categorical().size()];
    for (int k = 0; k < categorical.length; k++) {
      categorical[k] = column(columns.categorical().get(k), lineNumber);
    }
    timestamp = column(columns.timestamp(), lineNumber);
    id = column(columns.id(), lineNumber);
    modelKey = column(columns.modelKey(), lineNumber);
    weight = column(columns.weight(), lineNumber);
  }

  private int column(String name, long lineNumber) {
    if (name == null || name.isEmpty()) {
      return -1;
    }
    Integer i = header.get(name);
    if (i == null) {
      // The mapping does not fit the file: no line can be read, so this is not skippable.
      throw new IllegalArgumentException("the CSV header (line " + lineNumber + ") has no column '"
          + name + "'; it has " + header.keySet());
    }
    return i;
  }

  /** Splits one CSV line (RFC 4180 quoting; no line breaks inside quotes). */
  static List<String> split(String line, char delimiter, long lineNumber)
      throws MalformedLineException {
    List<String> cells = new ArrayList<>();
    StringBuilder cell = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"') {
          if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
            cell.append('"');
            i++;
          } else {
            quoted = false;
          }
        } else {
          cell.append(c);
        }
      } else if (c == '"' && cell.length() == 0) {
        quoted = true;
      } else if (c == delimiter) {
        cells.add(cell.toString());
        cell.setLength(0);
      } else {
        cell.append(c);
      }
    }
    if (quoted) {
      throw new MalformedLineException(lineNumber, "unterminated quote");
    }
    cells.add(cell.toString());
    return cells;
  }
}
