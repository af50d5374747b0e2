package io.gradflow.bench;

import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.csv.CsvFactory;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import de.siegmar.fastcsv.reader.CsvCallbackHandler;
import de.siegmar.fastcsv.reader.CsvReader;
import de.siegmar.fastcsv.reader.CsvRecord;
import de.siegmar.fastcsv.reader.RecordType;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

/**
 * The CSV lexers {@code gradflow produce --file} could read with, alone on one thread, on the file
 * replay bench's CSV file ({@code bench/run-kafka-job.sh files}: the click-through generator's
 * examples, a label and 40 categorical columns): records per second and CPU per record, from the
 * file's bytes in memory through the same strict UTF-8 decoder produce uses. Each lexer hands out
 * every cell and the line its record starts on, as produce's reading thread needs:
 * <ul>
 *   <li>{@code decode_only}: the decoder alone (64 kB char reads), the floor;
 *   <li>{@code commons_csv}: Apache Commons CSV as {@code CsvFormat} reads today (RFC 4180, empty
 *       lines kept; a {@code String} per cell);
 *   <li>{@code fastcsv_records}: FastCSV 4.0.0's {@code CsvRecord} (a {@code String} per cell);
 *   <li>{@code fastcsv_no_strings}: FastCSV through its callback handler, cells seen in its
 *       buffer, no {@code String} made (what a lexer without a String per cell could reach);
 *   <li>{@code jackson_strings} and {@code jackson_chars}: Jackson's streaming CSV parser (the
 *       build's Jackson), {@code getText()} per cell or its text characters without a String.
 * </ul>
 * Every lexer must see the same records, cells and characters (a checksum), or the run fails.
 * Rounds alternate the lexers; the best and the median of the rounds are printed, ending with
 * {@code RESULT <lexer>_records_per_second=<n> ... fastcsv_vs_commons=<x> jackson_vs_commons=<x>}
 * (ratios of the medians, with Strings).
 * <pre>bench/java.sh io.gradflow.bench.CsvLexers [examples [rounds]]   (300,000 and 7)</pre>
 */
public final class CsvLexers {

  private CsvLexers() {}

  /** A lexer's pass over the file's bytes: records and a checksum of their cells. */
  private interface Lexer {
    long[] run(byte[] file) throws IOException;
  }

  public static void main(String[] args) throws Exception {
    long examples = args.length > 0 ? Long.parseLong(args[0]) : 300_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
    Path path = Files.createTempFile("gradflow-csv-lexers-", ".csv");
    byte[] file;
    try {
      KafkaJobThroughput.writeFile(path, "csv", examples);
      file = Files.readAllBytes(path);
    } finally {
      Files.delete(path);
    }
    Map<String, Lexer> lexers = new LinkedHashMap<>();
    lexers.put("decode_only", CsvLexers::decodeOnly);
    lexers.put("commons_csv", CsvLexers::commons);
    lexers.put("fastcsv_records", CsvLexers::fastCsvRecords);
    lexers.put("fastcsv_no_strings", CsvLexers::fastCsvNoStrings);
    lexers.put("jackson_strings", b -> jackson(b, true));
    lexers.put("jackson_chars", b -> jackson(b, false));
    System.out.printf(Locale.ROOT, "%,d records (a header and %,d examples, 41 columns), %.1f MB;"
        + " %d rounds, one thread%n", examples + 1, examples, file.length / 1e6, rounds);
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Map<String, List<Double>> wall = new LinkedHashMap<>();
    Map<String, List<Double>> cpu = new LinkedHashMap<>();
    long[] expected = null;
    for (int round = -1; round < rounds; round++) { // round -1 warms up, untimed
      for (Map.Entry<String, Lexer> l : lexers.entrySet()) {
        System.gc();
        long c0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        long[] seen = l.getValue().run(file);
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cpuSeconds = (threads.getCurrentThreadCpuTime() - c0) / 1e9;
        if (!l.getKey().equals("decode_only")) {
          if (expected == null) {
            expected = seen;
          } else if (!Arrays.equals(expected, seen)) {
            throw new IllegalStateException(l.getKey() + " read " + Arrays.toString(seen)
                + " (records, cells, checksum, lines), not " + Arrays.toString(expected));
          }
        }
        if (round >= 0) {
          wall.computeIfAbsent(l.getKey(), k -> new ArrayList<>()).add(seconds);
          cpu.computeIfAbsent(l.getKey(), k -> new ArrayList<>()).add(cpuSeconds);
        }
      }
    }
    long records = expected[0];
    System.out.printf(Locale.ROOT, "%n| lexer | records/s (median) | records/s (best) | CPU us per"
        + " record (median) |%n|---|---:|---:|---:|%n");
    StringBuilder result = new StringBuilder("RESULT");
    Map<String, Double> medians = new LinkedHashMap<>();
    for (String name : lexers.keySet()) {
      double median = median(wall.get(name));
      double best = wall.get(name).stream().mapToDouble(Double::doubleValue).min().orElseThrow();
      medians.put(name, median);
      System.out.printf(Locale.ROOT, "| %s | %,.0f | %,.0f | %.2f |%n", name, records / median,
          records / best, median(cpu.get(name)) / records * 1e6);
      result.append(String.format(Locale.ROOT, " %s_records_per_second=%.0f", name,
          records / median));
    }
    result.append(String.format(Locale.ROOT, " fastcsv_vs_commons=%.2f jackson_vs_commons=%.2f"
        + " fastcsv_no_strings_vs_commons=%.2f", medians.get("commons_csv")
        / medians.get("fastcsv_records"), medians.get("commons_csv")
        / medians.get("jackson_strings"), medians.get("commons_csv")
        / medians.get("fastcsv_no_strings")));
    System.out.println();
    System.out.println(result);
  }

  private static double median(List<Double> xs) {
    double[] s = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  /** The decoder produce's {@code FileFormat.open} reads a file through. */
  private static Reader utf8(byte[] file) {
    return new InputStreamReader(new ByteArrayInputStream(file), StandardCharsets.UTF_8
        .newDecoder().onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT));
  }

  /** Folds a cell into the checksum {@code sum} ({@code [records, cells, checksum, lines]}). */
  private static void cell(long[] sum, char[] buf, int from, int length) {
    sum[1]++;
    sum[2] = sum[2] * 31 + length + (length == 0 ? 0 : buf[from] + 7L * buf[from + length - 1]);
  }

  private static void cell(long[] sum, String s) {
    sum[1]++;
    int n = s.length();
    sum[2] = sum[2] * 31 + n + (n == 0 ? 0 : s.charAt(0) + 7L * s.charAt(n - 1));
  }

  private static long[] decodeOnly(byte[] file) throws IOException {
    char[] buf = new char[65536];
    long chars = 0;
    try (Reader in = utf8(file)) {
      for (int n; (n = in.read(buf)) >= 0; ) {
        chars += n;
      }
    }
    return new long[] {chars, 0, 0, 0};
  }

  private static long[] commons(byte[] file) throws IOException {
    long[] sum = new long[4];
    try (org.apache.commons.csv.CSVParser parser = CSVFormat.RFC4180.builder().setDelimiter(',')
        .setIgnoreEmptyLines(false).get().parse(utf8(file))) {
      for (CSVRecord r : parser) {
        sum[0]++;
        sum[3] += parser.getCurrentLineNumber(); // produce reads the line after every record
        for (String c : r.values()) {
          cell(sum, c);
        }
      }
    }
    return sum;
  }

  private static CsvReader.CsvReaderBuilder fastCsv() {
    return CsvReader.builder().fieldSeparator(',').skipEmptyLines(false).allowExtraFields(true)
        .allowMissingFields(true);
  }

  private static long[] fastCsvRecords(byte[] file) throws IOException {
    long[] sum = new long[4];
    try (CsvReader<CsvRecord> reader = fastCsv().ofCsvRecord(utf8(file))) {
      for (CsvRecord r : reader) {
        sum[0]++;
        sum[3] += r.getStartingLineNumber(); // the line it starts on: one line a record here
        for (String c : r.getFields()) {
          cell(sum, c);
        }
      }
    }
    return sum;
  }

  private static long[] fastCsvNoStrings(byte[] file) throws IOException {
    long[] sum = new long[4];
    CsvCallbackHandler<Object> handler = new CsvCallbackHandler<>() {
      private int fields;
      private long line;

      @Override
      protected RecordType getRecordType() {
        return RecordType.DATA;
      }

      @Override
      protected int getFieldCount() {
        return fields;
      }

      @Override
      protected void beginRecord(long startingLineNumber) {
        fields = 0; // also called once at the end of the input, for no record
        line = startingLineNumber;
      }

      @Override
      protected void addField(char[] buf, int offset, int len, boolean quoted) {
        fields++;
        cell(sum, buf, offset, len);
      }

      @Override
      protected void setComment(char[] buf, int offset, int len) {}

      @Override
      protected void setEmpty() {}

      @Override
      protected Object buildRecord() {
        sum[0]++;
        sum[3] += line;
        return sum;
      }
    };
    try (CsvReader<Object> reader = fastCsv().build(handler, utf8(file))) {
      for (Object ignored : reader) {
        // the handler counted the record
      }
    }
    return sum;
  }

  private static long[] jackson(byte[] file, boolean strings) throws IOException {
    long[] sum = new long[4];
    try (CsvParser p = new CsvFactory().createParser(utf8(file))) {
      p.enable(CsvParser.Feature.WRAP_AS_ARRAY);
      p.setSchema(CsvSchema.emptySchema().withColumnSeparator(','));
      // WRAP_AS_ARRAY: the file is an array of records, each an array of cells.
      if (p.nextToken() != JsonToken.START_ARRAY) {
        throw new IllegalStateException("no array of records");
      }
      boolean first = false;
      for (JsonToken t; (t = p.nextToken()) != null; ) {
        if (t == JsonToken.START_ARRAY) {
          sum[0]++;
          first = true;
        } else if (t == JsonToken.VALUE_STRING) {
          if (first) { // the line the record starts on: its first cell's
            sum[3] += p.currentTokenLocation().getLineNr();
            first = false;
          }
          if (strings) {
            cell(sum, p.getText());
          } else {
            cell(sum, p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
          }
        }
      }
    }
    return sum;
  }
}
