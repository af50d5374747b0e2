package io.gradflow.jobs.produce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.kafka.ExampleDecoder;
import io.gradflow.jobs.kafka.InputLimits;
import io.gradflow.model.Loss;
import io.gradflow.schema.FeatureHashing;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * CSV records {@code produce --file} writes from their fields on the parsing workers
 * ({@link ParallelRecords.Staged#order}, {@link ParallelRecords.Staged#fields}, then
 * {@code ExampleWriter}) against the general path (the example built in file order, its
 * validation, Avro's encoding), and against one thread: random files with missing and
 * non-numeric cells in imputed columns, empty categories, entities (some empty), labels (some
 * missing or text), timestamps (some empty or bad) or event times by index, ids, model keys,
 * weights (some negative), quoted cells with delimiters and line breaks, rows of the wrong width,
 * blank lines and, at the end of some files, a quote never closed. The same sequence of lines,
 * refusals and records (key, value bytes, timestamp, label), the same skipped lines and messages.
 */
class DirectCsvTest {
  private static final long NOW = ReplayResults.NOW;
  private static final String[] NUMBERS = {"1", "0", "-1", "2.5", "-0", "1e-50", "1e39", "NaN",
      "inf", "3.4028235e38", "007", " 4 ", "", "NA", "n/a", "?", "null", "x", "1,5", "\"7\"",
      "1e6", "123456.789"};
  private static final String[] WORDS = {"paris", "", " ", "NA", "\u00e9t\u00e9", "\u4e2d",
      "\ud83d\ude00", "a,b", "\"q\"\"uoted\"", "\"two\nlines\"", "x", "0", "d".repeat(1_001)};

  private static final ExampleDecoder[] DECODERS = {
      new ExampleDecoder(new FeatureHashing(18), Loss.SQUARED, "default"),
      new ExampleDecoder(new FeatureHashing(18), Loss.LOGISTIC, "default",
          new InputLimits(Duration.ofDays(1), 1e6, 2)),
      new ExampleDecoder(new FeatureHashing(18), Loss.SQUARED, "default",
          new InputLimits(Duration.ZERO, 0, 3))};

  @Test
  void aReplayOnWorkersEncodesWhatItWouldBuild() throws Exception {
    int[] outcomes = new int[4];
    long skipped = 0;
    for (int file = 0; file < 12; file++) {
      Random random = new Random(60 + file);
      boolean timestamps = file % 2 == 0;
      CsvFormat format = format(file, timestamps);
      byte[] bytes = text(random, timestamps, file % 3 == 2).getBytes(StandardCharsets.UTF_8);
      ExampleDecoder decoder = DECODERS[file % DECODERS.length];
      try (GradflowProducer producer = ReplayResults.producer()) {
        List<String> serial =
            ReplayResults.replay(bytes, format, "f.csv", producer, decoder, 0, false);
        List<String> general =
            ReplayResults.replay(bytes, format, "f.csv", producer, decoder, 3, false);
        List<String> direct =
            ReplayResults.replay(bytes, format, "f.csv", producer, decoder, 3, true);
        assertEquals(serial, general, "file " + file);
        assertEquals(general, direct, "file " + file);
        for (String g : general) {
          outcomes[g.contains(": record") ? 0 : g.contains(": invalid") ? 1
              : g.startsWith("stopped") ? 2 : 3]++;
        }
        skipped += Long.parseLong(general.get(general.size() - 1).replaceAll(
            ".*skipped (\\d+),.*", "$1"));
      }
    }
    assertTrue(outcomes[0] > 10_000 && outcomes[1] > 3_000 && outcomes[2] == 4 && skipped > 300,
        "records, invalid, stopped, other: " + java.util.Arrays.toString(outcomes) + ", skipped "
            + skipped);
  }

  /** Mappings: every role, or only some (no numeric columns; no label). */
  private static CsvFormat format(int file, boolean timestamps) {
    Map<String, String> entities = new LinkedHashMap<>();
    entities.put("user", "u");
    if (file % 4 == 1) {
      entities.put("item", "i");
    }
    List<String> numeric = file % 4 == 3 ? List.of() : List.of("n1", "n2");
    CsvFormat.Columns columns = new CsvFormat.Columns(file % 5 == 4 ? null : "y", numeric,
        List.of("c1", "c2"), file % 3 == 0 ? Map.of() : entities, timestamps ? "t" : null,
        file % 2 == 1 ? "id" : null, "m", file % 3 == 1 ? "w" : null, ',');
    LabelMapping labels = file % 2 == 0 ? LabelMapping.asWritten()
        : LabelMapping.positive(List.of("yes"));
    return new CsvFormat(columns, labels,
        new Timestamps(Timestamps.EPOCH_SECONDS, ZoneId.of("UTC")), file % 2 == 0 ? null : "dm",
        NOW - 100_000_000L, 1_000);
  }

  /** A random file: the header, then rows (some malformed), maybe an unclosed quote at the end. */
  private static String text(Random r, boolean timestamps, boolean unclosed) {
    String[] header = {"y", "n1", "c1", "u", "n2", "c2", "i", "t", "id", "m", "w"};
    StringBuilder s = new StringBuilder(String.join(",", header)).append('\n');
    for (int row = 0; row < 3_000; row++) {
      if (r.nextInt(200) == 0) {
        s.append(r.nextBoolean() ? "\n" : "  \r\n");
        continue;
      }
      List<String> cells = new ArrayList<>();
      cells.add(r.nextInt(10) == 0 ? pick(r, new String[] {"", "NA", "yes", "no", "2", "abc"})
          : r.nextBoolean() ? "1" : "0");
      cells.add(number(r));
      cells.add(r.nextInt(4) == 0 ? pick(r, WORDS) : "c" + r.nextInt(50));
      cells.add(r.nextInt(40) == 0 ? pick(r, new String[] {"", " ", "\"\""}) : "u" + r.nextInt(99));
      cells.add(number(r));
      cells.add(r.nextInt(4) == 0 ? pick(r, WORDS) : "d" + r.nextInt(50));
      cells.add(r.nextInt(40) == 0 ? "" : "i" + r.nextInt(20));
      cells.add(!timestamps || r.nextInt(60) != 0 ? Long.toString(
          (NOW - 50_000_000L) / 1000 + row + r.nextInt(200_000))
          : pick(r, new String[] {"", "x", "1.5e99"}));
      cells.add(r.nextInt(20) == 0 ? "" : "id" + row);
      cells.add(r.nextInt(3) == 0 ? ""
          : r.nextInt(20) == 0 ? "m".repeat(1_001) : "m" + r.nextInt(3));
      cells.add(r.nextInt(30) == 0 ? pick(r, new String[] {"", "-1", "x", "inf", "0"})
          : r.nextBoolean() ? "1" : "0.5");
      if (r.nextInt(100) == 0) {
        cells.remove(cells.size() - 1); // too few columns
      } else if (r.nextInt(100) == 0) {
        cells.add("extra");
      }
      s.append(String.join(",", cells)).append(r.nextInt(10) == 0 ? "\r\n" : "\n");
    }
    if (unclosed) {
      s.append("1,2,\"never closed,3\n4,5\n");
    }
    return s.toString();
  }

  private static String number(Random r) {
    return r.nextInt(3) == 0 ? pick(r, NUMBERS) : Integer.toString(r.nextInt(1000) - 500);
  }

  private static String pick(Random r, String[] values) {
    return values[r.nextInt(values.length)];
  }
}
