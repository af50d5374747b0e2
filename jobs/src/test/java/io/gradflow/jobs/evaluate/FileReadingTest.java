package io.gradflow.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.cli.Flag;
import io.gradflow.jobs.kafka.RawRecord;
import io.gradflow.jobs.produce.FileReplay;
import io.gradflow.jobs.produce.ProduceCommand;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Example;
import io.gradflow.schema.RecordCodec;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.core.io.InputStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * evaluate's streamed file ({@link FileReading}, {@link FileReplaySource}) against the reading
 * it replaced ({@link #readAll}: the whole file into a list before the run): the same records in
 * the same order and the same counts, on CSV (header, imputer, malformed and blank lines), LibSVM
 * and VW, with and without {@code --count}; a restore at a position continues exactly there.
 */
class FileReadingTest {
  @TempDir
  Path temp;

  private static final RecordCodec<Example> CODEC = Codecs.codec(Example.class);

  /** What the reading before streaming found: every record, and the counts. */
  record ReadAll(List<RawRecord> records, long labeled,
      long learnable, long imputed, FileReplay replay) {}

  /**
   * The file read as {@code EvaluateCommand.read} read it before evaluate streamed (kept here
   * as the reference): every example into memory, encoded as the job reads it from Kafka.
   */
  static ReadAll readAll(Flag.Values v, InputStream in) throws Exception {
    long limit = v.isSet("count") ? v.longValue("count", 1) : Long.MAX_VALUE;
    List<RawRecord> records = new ArrayList<>();
    long labeled = 0;
    long learnable = 0;
    long imputed = 0;
    java.util.Set<String> numeric = v.string("format").equals("csv") && v.isSet("csv-numeric")
        ? java.util.Set.copyOf(v.list("csv-numeric")) : java.util.Set.of();
    String file = v.string("file");
    String source = file.equals("-") ? "stdin" : Path.of(file).getFileName().toString();
    try (FileReplay replay = ProduceCommand.openFile(v, in)) {
      while (records.size() < limit && replay.hasNext()) {
        Example e = replay.next();
        labeled += e.getLabel() != null ? 1 : 0;
        learnable += e.getLabel() != null && e.getWeight() > 0 ? 1 : 0;
        imputed += EvaluateCommand.imputed(e, numeric);
        records.add(new RawRecord(source, 0, replay.line(), e.getEventTime().toEpochMilli(),
            null, CODEC.encode(e)));
      }
      return new ReadAll(records, labeled, learnable, imputed, replay);
    }
  }

  static Flag.Values flags(String... args) {
    List<String> all = new ArrayList<>(List.of("--start-time", EvaluateITCase.START));
    all.addAll(List.of(args));
    return Flag.parse(EvaluateCommand.FLAGS, all);
  }

  /** A CSV with a header, missing numeric cells (imputed by running means), bad and blank lines. */
  Path holesCsv() throws Exception {
    StringBuilder b = new StringBuilder("x,n,m,y\n");
    Random random = new Random(4);
    for (int i = 0; i < 300; i++) {
      b.append(random.nextBoolean() ? "a" : "b").append(',')
          .append(random.nextInt(4) == 0 ? "" : String.valueOf(random.nextInt(9))).append(',')
          .append(random.nextInt(5) == 0 ? "NA" : random.nextInt(7) + ".5").append(',')
          .append(random.nextInt(2)).append('\n');
      if (i == 100) {
        b.append("a,not-a-number,1,1\n\n");
      }
    }
    return Files.writeString(temp.resolve("holes.csv"), b.toString());
  }

  static final String[] HOLES_FLAGS = {"--format", "csv", "--csv-categorical", "x",
      "--csv-numeric", "n,m", "--csv-label", "y"};

  List<String[]> cases() throws Exception {
    Path csv = holesCsv();
    Path libsvm = EvaluateITCase.learnableLibSvm(temp);
    Path vw = Files.writeString(temp.resolve("weights.vw"),
        "1 2.5 |f a\n0 |f b\n\n1 0 |f c\nbad |f d\n0 0.5 'x |f e\n1 |f a\n");
    List<String[]> cases = new ArrayList<>();
    cases.add(concat(new String[] {"--file", csv.toString()}, HOLES_FLAGS));
    cases.add(concat(new String[] {"--file", csv.toString(), "--count", "120"}, HOLES_FLAGS));
    cases.add(concat(new String[] {"--file", libsvm.toString()}, EvaluateITCase.LIBSVM_FLAGS));
    cases.add(new String[] {"--file", vw.toString(), "--format", "vw"});
    cases.add(new String[] {"--file", vw.toString(), "--format", "vw", "--count", "1"});
    return cases;
  }

  static String[] concat(String[] a, String[] b) {
    List<String> all = new ArrayList<>(List.of(a));
    all.addAll(List.of(b));
    return all.toArray(String[]::new);
  }

  /** Reads {@code reading} to its end through {@link FileReading#next}. */
  static List<RawRecord> drain(FileReading reading) {
    List<RawRecord> records = new ArrayList<>();
    for (RawRecord r = reading.next(); r != null; r = reading.next()) {
      records.add(r);
    }
    return records;
  }

  @Test
  void theSameRecordsInTheSameOrderAndTheSameCounts() throws Exception {
    for (String[] args : cases()) {
      String name = String.join(" ", args);
      ReadAll before = readAll(flags(args), InputStream.nullInputStream());
      try (FileReading reading = FileReading.open(flags(args), InputStream.nullInputStream())) {
        assertTrue(reading.hasExample(), name);
        List<RawRecord> records = drain(reading);
        assertTrue(reading.ended(), name);
        assertEquals(before.records(), records, name);
        assertTrue(records.size() > 0, name);
        assertEquals(before.records().size(), reading.emitted(), name);
        assertEquals(before.labeled(), reading.labeled(), name);
        assertEquals(before.learnable(), reading.learnable(), name);
        assertEquals(before.imputed(), reading.imputed(), name);
        FileReplay a = before.replay();
        FileReplay b = reading.replay();
        assertEquals(List.of(a.lines(), a.skipped(), a.blank(), a.refused()),
            List.of(b.lines(), b.skipped(), b.blank(), b.refused()), name);
        assertEquals(a.errors(), b.errors(), name);
        assertEquals(a.notes(), b.notes(), name);
      }
    }
    // The CSV case imputes, skips a malformed and a blank line: the comparison saw them.
    ReadAll csv = readAll(flags(cases().get(0)), InputStream.nullInputStream());
    assertTrue(csv.imputed() > 50 && csv.replay().skipped() == 1 && csv.replay().blank() == 1,
        csv.imputed() + " " + csv.replay().skipped() + " " + csv.replay().blank());
  }

  /** A file without an example, and a bad line under --on-error fail, are found before a job. */
  @Test
  void noExampleAndAFailingLineAreFoundBeforeTheJob() throws Exception {
    Path blank = Files.writeString(temp.resolve("blank.vw"), "\n\n");
    try (FileReading reading = FileReading.open(flags("--file", blank.toString(), "--format",
        "vw"), InputStream.nullInputStream())) {
      assertTrue(!reading.hasExample());
      assertEquals(2, reading.replay().blank());
    }
    Path bad = Files.writeString(temp.resolve("bad.vw"), "x |f a\n1 |f b\n");
    try (FileReading reading = FileReading.open(flags("--file", bad.toString(), "--format", "vw",
        "--on-error", "fail"), InputStream.nullInputStream())) {
      FileReplay.MalformedInputException e = assertThrows(
          FileReplay.MalformedInputException.class, reading::hasExample);
      assertTrue(e.getMessage().startsWith("bad.vw, line 1: "), e.getMessage());
    }
    // Further down, the failure is the job's: thrown by next() and kept for the command.
    Path late = Files.writeString(temp.resolve("late.vw"), "1 |f a\nx |f b\n");
    try (FileReading reading = FileReading.open(flags("--file", late.toString(), "--format", "vw",
        "--on-error", "fail"), InputStream.nullInputStream())) {
      assertTrue(reading.hasExample());
      assertEquals(1, reading.next().offset);
      FileReplay.MalformedInputException e = assertThrows(
          FileReplay.MalformedInputException.class, reading::next);
      assertEquals(e, reading.failure());
      assertTrue(e.getMessage().startsWith("late.vw, line 2: "), e.getMessage());
    }
  }

  /**
   * The source as a job runs it: one split, the file's records in order, then the end of input;
   * its snapshot is the position, and a reader restored from it (the file read again, the CSV's
   * imputer rebuilt from the skipped lines) continues with exactly the records after it.
   */
  @Test
  void theSourceSnapshotsItsPositionAndARestoreContinuesThere() throws Exception {
    String[] args = concat(new String[] {"--file", holesCsv().toString()}, HOLES_FLAGS);
    List<RawRecord> all = readAll(flags(args), InputStream.nullInputStream()).records();
    try (FileReading reading = FileReading.open(flags(args), InputStream.nullInputStream())) {
      FileReplaySource source = new FileReplaySource(reading);
      List<RawRecord> out = new ArrayList<>();
      Harness first = new Harness(source, out);
      first.reader.addSplits(List.of(new FileReplaySource.Split(reading.id, 0)));
      for (int i = 0; i < 150; i++) {
        assertEquals(InputStatus.MORE_AVAILABLE, first.poll());
      }
      List<FileReplaySource.Split> state = first.reader.snapshotState(1);
      assertEquals(List.of(new FileReplaySource.Split(reading.id, 150)), state);
      FileReplaySource.Split restored = FileReplaySource.SplitSerializer.INSTANCE.deserialize(1,
          FileReplaySource.SplitSerializer.INSTANCE.serialize(state.get(0)));
      for (int i = 0; i < 40; i++) { // read on after the snapshot: lost with a failure
        first.poll();
      }
      List<RawRecord> after = new ArrayList<>();
      Harness second = new Harness(source, after);
      second.reader.addSplits(List.of(restored));
      while (second.poll() == InputStatus.MORE_AVAILABLE) {
        // the rest of the file
      }
      assertEquals(all.subList(0, 190), out);
      assertEquals(all.subList(150, all.size()), after);
      assertEquals(1, second.splitRequests); // asked for another split at the end
      second.reader.notifyNoMoreSplits();
      assertEquals(InputStatus.END_OF_INPUT, second.poll());
      assertEquals(List.of(), second.reader.snapshotState(2));
      // the counts are the whole file's, as without a restore
      assertEquals(readAll(flags(args), InputStream.nullInputStream()).imputed(),
          reading.imputed());
    }
  }

  /** stdin cannot be read again: a restore there fails with a message, never reads from 0. */
  @Test
  void stdinCannotBeRestoredMidFile() throws Exception {
    byte[] vw = "1 |f a\n0 |f b\n".getBytes(StandardCharsets.UTF_8);
    try (FileReading reading = FileReading.open(flags("--file", "-", "--format", "vw"),
        new ByteArrayInputStream(vw))) {
      assertEquals("stdin", reading.source);
      assertEquals(reading, reading.at(0));
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> reading.at(1));
      assertEquals("evaluate cannot restore its file source at example 1: stdin cannot be read"
          + " again", e.getMessage());
    }
  }

  /** A reader found in no registry (another JVM) says where the file is read. */
  @Test
  void aReadingIsFoundInItsOwnJvmOnly() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> FileReading.find("elsewhere"));
    assertTrue(e.getMessage().contains("in the command's JVM"), e.getMessage());
  }

  /** A reader of {@code source} with a context and an output of its own (proxies). */
  private static final class Harness {
    final SourceReader<RawRecord, FileReplaySource.Split> reader;
    final ReaderOutput<RawRecord> output;
    int splitRequests;

    @SuppressWarnings("unchecked")
    Harness(FileReplaySource source, List<RawRecord> out) throws Exception {
      SourceReaderContext context = (SourceReaderContext) Proxy.newProxyInstance(
          getClass().getClassLoader(), new Class<?>[] {SourceReaderContext.class},
          (p, m, a) -> {
            if (m.getName().equals("sendSplitRequest")) {
              splitRequests++;
            }
            return m.getReturnType() == int.class ? 0 : null;
          });
      output = (ReaderOutput<RawRecord>) Proxy.newProxyInstance(getClass().getClassLoader(),
          new Class<?>[] {ReaderOutput.class}, (p, m, a) -> {
            if (m.getName().equals("collect")) {
              out.add((RawRecord) a[0]);
            }
            return null;
          });
      reader = source.createReader(context);
      reader.start();
      assertEquals(1, splitRequests);
      splitRequests = 0;
      assertTrue(!reader.isAvailable().isDone()); // no split yet
    }

    InputStatus poll() throws Exception {
      return reader.pollNext(output);
    }
  }
}
