package io.gradflow.jobs.produce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.schema.Example;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The parallel readers ({@link ParallelRecords}) against the serial ones, both
 * behind a {@link FileReplay}: the same examples on the same lines in the same order, the same
 * checks, the same messages, the same skipped lines and the same stop, for many workers and
 * block sizes, with bad lines and bytes that are not UTF-8 on block boundaries.
 */
class ParallelRecordsTest {
  private static final LibSvmFormat LIBSVM =
      new LibSvmFormat("ns", LabelMapping.asWritten(), "m", 1000, 10);
  private static final VwFormat VW = new VwFormat(LabelMapping.asWritten(), "m", 1000, 10);
  private static final int[] WORKERS = {1, 2, 5};
  private static final int[] BLOCKS = {1, 3, 64, ParallelRecords.BLOCK};

  /** What a replay gave: each example with its line and check, the errors, counts, the stop. */
  private record Run(List<String> records, List<String> errors, long skipped, long lines,
      String stopped) {}

  /** Says something of about every third example: a check that is not always null. */
  private static Function<Example, String> checker(Set<String> threads, boolean jitter) {
    return e -> {
      threads.add(Thread.currentThread().getName());
      String id = e.getExampleId(); // source:line
      if (jitter && Long.parseLong(id.substring(id.indexOf(':') + 1)) % 8 < 4) {
        // Runs of slow lines: with several workers, later blocks finish before earlier ones.
        try {
          Thread.sleep(1);
        } catch (InterruptedException x) {
          Thread.currentThread().interrupt();
        }
      }
      // The event time and dense values: a CSV check that ran before the records were
      // completed in file order (time by index, imputed cells) would say something else.
      long k = e.getFeatures().size() + e.getEventTime().toEpochMilli() + e.getDense().hashCode();
      return k % 3 == 0 ? "check " + k : null;
    };
  }

  private static Run run(FileReplay replay, Supplier<Function<Example, String>> checks) {
    replay.checkWith(checks);
    List<String> records = new ArrayList<>();
    String stopped = null;
    try (replay) {
      while (replay.hasNext()) {
        Example e = replay.next();
        records.add(replay.line() + " " + replay.check() + " " + e);
      }
    } catch (FileReplay.MalformedInputException e) {
      stopped = e.getMessage();
    }
    return new Run(records, replay.errors(), replay.skipped(), replay.lines(), stopped);
  }

  /** How a test opens a reader on a file's bytes: serially, or with workers and blocks. */
  private interface Opening {
    FileFormat.RecordReader open(ByteArrayInputStream in, int workers, int block)
        throws MalformedLineException;
  }

  private static Run replay(Opening opening, byte[] text, FileReplay.OnError onError,
      int workers, int block, Set<String> threads, boolean jitter) {
    ByteArrayInputStream in = new ByteArrayInputStream(text);
    try {
      return run(new FileReplay(in, opening.open(in, workers, block), "f", onError),
          () -> checker(threads, jitter));
    } catch (MalformedLineException e) {
      throw new AssertionError(e);
    }
  }

  /** A line format: its serial reader, or its lines parsed on the workers. */
  private static void assertSameAsSerial(LineFormat format, byte[] text, int[] workers,
      int[] blocks, boolean jitter) {
    assertReadersSameAsSerial((in, w, block) -> w == 0 ? format.open(in, "f")
        : ParallelRecords.lines(format, new Utf8Lines(in), "f", w, block), text, workers, blocks,
        jitter);
  }

  private static Run parallel(LineFormat format, byte[] text, FileReplay.OnError onError,
      int workers, int block, Set<String> threads) {
    return replay((in, w, b) -> ParallelRecords.lines(format, new Utf8Lines(in), "f", w, b),
        text, onError, workers, block, threads, false);
  }

  /** Compares the parallel reader with the serial one (0 workers), in both error modes. */
  private static void assertReadersSameAsSerial(Opening opening, byte[] text, int[] workers,
      int[] blocks, boolean jitter) {
    for (FileReplay.OnError onError : FileReplay.OnError.values()) {
      Run expected = replay(opening, text, onError, 0, 0, ConcurrentHashMap.newKeySet(), false);
      for (int w : workers) {
        for (int block : blocks) {
          Set<String> threads = ConcurrentHashMap.newKeySet();
          Run actual = replay(opening, text, onError, w, block, threads, jitter);
          String what = onError + ", " + w + " workers, blocks of " + block;
          assertEquals(expected.records().size(), actual.records().size(), what);
          for (int i = 0; i < expected.records().size(); i++) {
            assertEquals(expected.records().get(i), actual.records().get(i), what + ", #" + i);
          }
          assertEquals(expected, actual, what);
          assertFalse(threads.contains(Thread.currentThread().getName()),
              "checks run on the workers: " + threads);
        }
      }
    }
  }

  @Test
  void randomLibSvmAndVwFilesReadAsOneThreadReadsThem() {
    Random random = new Random(1);
    for (int file = 0; file < 8; file++) {
      boolean libSvm = file % 2 == 0;
      byte[] text = file(random, 3000, libSvm ? ParallelRecordsTest::libSvmLine
          : ParallelRecordsTest::vwLine);
      assertSameAsSerial(libSvm ? LIBSVM : VW, text, WORKERS, BLOCKS, false);
    }
  }

  /**
   * One bad line, at the first, last or second line of a block of 4 and at the file's ends: a
   * failing replay stops on it with the same message and the same examples before it; a skipping
   * one reports it and goes on.
   */
  @Test
  void aBadLineOnABlockBoundaryIsReportedOnItsLine() {
    for (int bad : new int[] {1, 2, 4, 5, 8, 9, 12}) {
      StringBuilder text = new StringBuilder();
      for (int line = 1; line <= 12; line++) {
        text.append(line == bad ? "1 7:x" : "1 " + line + ":0.5").append('\n');
      }
      byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
      assertSameAsSerial(LIBSVM, bytes, new int[] {1, 3}, new int[] {4}, false);
      Run failed = parallel(LIBSVM, bytes, FileReplay.OnError.FAIL, 3, 4,
          ConcurrentHashMap.newKeySet());
      assertEquals("f, line " + bad + ": value of feature 7 'x' is not a number",
          failed.stopped());
      assertEquals(bad - 1, failed.records().size());
      Run skipped = parallel(LIBSVM, bytes, FileReplay.OnError.SKIP, 3, 4,
          ConcurrentHashMap.newKeySet());
      assertEquals(List.of("f, line " + bad + ": value of feature 7 'x' is not a number"),
          skipped.errors());
      assertEquals(11, skipped.records().size());
      assertEquals(12, skipped.lines());
    }
  }

  /** Bytes that are not UTF-8 end the input on their line, in or at the edge of a block. */
  @Test
  void bytesThatAreNotUtf8EndTheInputOnTheirLine() {
    for (int bad : new int[] {1, 4, 5, 6, 8}) {
      ByteArrayOutputStream text = new ByteArrayOutputStream();
      for (int line = 1; line <= 10; line++) {
        byte[] good = ("1 |a x" + line + " y\n").getBytes(StandardCharsets.UTF_8);
        text.writeBytes(line == bad ? new byte[] {'1', ' ', '|', 'a', ' ', (byte) 0xE9, '\n'}
            : good);
      }
      byte[] bytes = text.toByteArray();
      assertSameAsSerial(VW, bytes, new int[] {1, 2}, new int[] {1, 4}, false);
      Run run = parallel(VW, bytes, FileReplay.OnError.SKIP, 2, 4, ConcurrentHashMap.newKeySet());
      assertNotNull(run.stopped());
      assertTrue(run.stopped().startsWith("f, line " + bad + ": bytes that are not UTF-8"),
          run.stopped());
      assertEquals(bad - 1, run.records().size());
    }
  }

  /**
   * CSV read by Commons CSV on the reading thread (records spanning lines, missing cells imputed
   * with running means, malformed records), checked on the workers; a quote never closed ends
   * the input on its record.
   */
  @Test
  void randomCsvFilesReadAsOneThreadReadsThem() {
    Random random = new Random(4);
    for (int file = 0; file < 4; file++) {
      StringBuilder text = new StringBuilder("y,x,c\n");
      for (int i = 0; i < 2000; i++) {
        int kind = random.nextInt(30);
        text.append(switch (kind) {
          case 0 -> "1,2";
          case 1 -> "";
          case 2 -> "1,NA,\"two\nlines\"";
          case 3 -> "1,x,c";
          default -> random.nextInt(2) + "," + value(random) + ",c" + random.nextInt(9);
        }).append(random.nextInt(10) == 0 ? "\r\n" : "\n");
      }
      if (file % 2 == 1) {
        text.append("1,2,\"never closed\n1,2,3\n");
      }
      byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
      assertReadersSameAsSerial(ParallelRecordsTest::csv, bytes, WORKERS, BLOCKS, false);
    }
  }

  /** A CSV reader on {@code in}: serial, or read on a thread and checked on the workers. */
  private static FileFormat.RecordReader csv(ByteArrayInputStream in, int workers, int block)
      throws MalformedLineException {
    // A CSV reader keeps the header and running means: a new format per replay.
    CsvFormat csv = new CsvFormat(new CsvFormat.Columns("y", List.of("x"), List.of("c"), null,
        null, null, null, null, ','), LabelMapping.asWritten(), Timestamps.common(), null, 0, 1);
    FileFormat.RecordReader serial = csv.open(in, "f");
    return workers == 0 ? serial : ParallelRecords.records(serial, "f", workers, block);
  }

  /**
   * Blocks that workers finish out of order (runs of slow checks) are still handed out in file
   * order, in both kinds of reader.
   */
  @Test
  void blocksFinishedOutOfOrderAreHandedOutInFileOrder() {
    Random random = new Random(5);
    byte[] lines = file(random, 400, ParallelRecordsTest::libSvmLine);
    assertSameAsSerial(LIBSVM, lines, new int[] {2, 5}, new int[] {1, 3}, true);
    StringBuilder csv = new StringBuilder("y,x,c\n");
    for (int i = 0; i < 400; i++) {
      csv.append(i % 2).append(',').append(i % 9 == 0 ? "" : value(random)).append(",c")
          .append(i % 5).append('\n');
    }
    assertReadersSameAsSerial(ParallelRecordsTest::csv,
        csv.toString().getBytes(StandardCharsets.UTF_8), new int[] {2, 5}, new int[] {1, 3},
        true);
  }

  /** A replay closed before its end stops its threads. */
  @Test
  void closingEarlyStopsTheThreads() throws Exception {
    byte[] text = file(new Random(3), 20_000, ParallelRecordsTest::libSvmLine);
    ByteArrayInputStream in = new ByteArrayInputStream(text);
    FileReplay replay = new FileReplay(in, ParallelRecords.lines(LIBSVM, new Utf8Lines(in), "f", 3,
        4), "f", FileReplay.OnError.SKIP);
    for (int i = 0; i < 10 && replay.hasNext(); i++) {
      replay.next();
    }
    assertTrue(threads() > 0, "reading and parsing threads run");
    replay.close();
    for (int i = 0; i < 500 && threads() > 0; i++) {
      Thread.sleep(10);
    }
    assertEquals(0, threads(), "threads left after close");
  }

  private static long threads() {
    return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(n -> n.startsWith("gradflow-parse-") || n.equals("gradflow-read")).count();
  }

  private static byte[] file(Random random, int lines, Function<Random, String> line) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < lines; i++) {
      int kind = random.nextInt(40);
      text.append(kind == 0 ? "" : kind == 1 ? "# a comment" : kind == 2 ? "\u00e9 |x y"
          : kind == 3 ? "1 a:b" : line.apply(random));
      text.append(random.nextInt(10) == 0 ? "\r\n" : "\n");
    }
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static String libSvmLine(Random random) {
    StringBuilder s = new StringBuilder(random.nextBoolean() ? "1" : "-1");
    int features = random.nextInt(8);
    for (int f = 0; f < features; f++) {
      s.append(' ').append(random.nextInt(1000)).append(':').append(value(random));
    }
    return s.toString();
  }

  private static String vwLine(Random random) {
    StringBuilder s = new StringBuilder(random.nextBoolean() ? "1 " : "-1 0.5 ");
    s.append(random.nextBoolean() ? "'t" + random.nextInt(100) : "").append("|a");
    int features = random.nextInt(8);
    for (int f = 0; f < features; f++) {
      s.append(' ').append("w").append(random.nextInt(50));
      if (random.nextBoolean()) {
        s.append(':').append(value(random));
      }
    }
    return s.append(random.nextBoolean() ? " |b:2 z" : "").toString();
  }

  /** A value: a short decimal (the fast path), a long one, or now and then not a number. */
  private static String value(Random random) {
    return switch (random.nextInt(20)) {
      case 0 -> "0.123456789";
      case 1 -> "1e40";
      case 2 -> "nan";
      default -> Integer.toString(random.nextInt(100)) + "." + random.nextInt(10);
    };
  }
}
