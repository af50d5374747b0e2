package io.gradflow.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradflow.config.ConfigReport;
import io.gradflow.jobs.cli.Flag;
import io.gradflow.jobs.cli.Main;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.produce.FileReplay;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import io.gradflow.jobs.kafka.RawRecord;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.datagen.functions.FromElementsGeneratorFunction;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * evaluate streams its file: the whole report (every window's log loss and AUC, every count of
 * the JSON) is, bit for bit, what the file read into memory before the run gave
 * ({@link EvaluateJob#build(StreamExecutionEnvironment, TrainConfig, List)} over
 * {@link FileReadingTest#readAll}), on EvaluateITCase's files, a race, delayed labels and a
 * larger generated LibSVM file, also with the final savepoint's holding source; and the first
 * examples are read and learned before the end of the file has been written.
 */
class EvaluateStreamingITCase {
  @TempDir
  Path temp;

  /**
   * The file read into memory before the run, then given to {@code fromData}'s source
   * ({@code BEFORE}) or, for {@code --final-savepoint}, to {@link HoldingSource} over the source
   * {@code fromData} builds ({@code BEFORE_HELD}), as evaluate did; or streamed ({@code STREAMED},
   * and {@code HELD} in a {@link HoldingSource}), as it does now.
   */
  enum Route { BEFORE, BEFORE_HELD, STREAMED, HELD, STDIN }

  /** The JSON of an evaluation without its duration, along {@code route}. */
  static String report(String yaml, String[] args, Route route) throws Exception {
    TrainConfig config = TrainConfig.fromYaml(yaml, new ConfigReport(), TrainConfig.Use.EVALUATE);
    Flag.Values v = FileReadingTest.flags(args);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1,
        EvaluateJob.flinkConfiguration(config));
    boolean race = config.candidates().size() > 1 || !config.candidates().containsKey("");
    boolean probabilities = config.loss().predictsProbability();
    EvaluateReport report;
    FileReplay replay;
    long imputed;
    if (route == Route.BEFORE) {
      FileReadingTest.ReadAll all = FileReadingTest.readAll(v, InputStream.nullInputStream());
      report = new EvaluateReport(probabilities, race,
          config.trainer().rows().stamped());
      collect(EvaluateJob.build(env, config, all.records()), env, report);
      replay = all.replay();
      imputed = all.imputed();
    } else if (route == Route.BEFORE_HELD) {
      FileReadingTest.ReadAll all = FileReadingTest.readAll(v, InputStream.nullInputStream());
      report = new EvaluateReport(probabilities, race,
          config.trainer().rows().stamped());
      try (HoldingSource.Hold hold = new HoldingSource.Hold()) {
        hold.release();
        EvaluateJob.prepare(env, config, true);
        List<RawRecord> records = all.records();
        TypeInformation<RawRecord> type = TypeInformation.of(RawRecord.class);
        // what evaluate --final-savepoint built before it streamed
        DataStream<RawRecord> file = env.fromSource(new HoldingSource<>(
            new DataGeneratorSource<>(new FromElementsGeneratorFunction<>(type, env.getConfig(),
                records), records.size(), type), hold, records.get(0).topic),
            WatermarkStrategy.forMonotonousTimestamps(), "file").setParallelism(1);
        collect(EvaluateJob.build(env, config, file, null), env, report);
      }
      replay = all.replay();
      imputed = all.imputed();
    } else {
      // STDIN: the file's bytes on standard input (--file -), as a pipe gives them
      InputStream stdin = InputStream.nullInputStream();
      if (route == Route.STDIN) {
        String[] piped = args.clone();
        int file = List.of(args).indexOf("--file") + 1;
        stdin = new PipeLike(Files.readAllBytes(Path.of(args[file])));
        piped[file] = "-";
        v = FileReadingTest.flags(piped);
      }
      try (FileReading reading = FileReading.open(v, stdin);
          HoldingSource.Hold hold = route == Route.HELD ? new HoldingSource.Hold() : null) {
        assertTrue(reading.hasExample());
        if (hold != null) {
          hold.release(); // ends after its end marker, as after a savepoint
        }
        report = new EvaluateReport(probabilities, race,
            config.trainer().rows().stamped());
        collect(EvaluateJob.build(env, config, reading, hold, null), env, report);
        assertTrue(reading.ended());
        replay = reading.replay();
        imputed = reading.imputed();
      }
    }
    report.file(replay.lines(), replay.skipped(), replay.blank(), imputed, 1.0);
    return new ObjectMapper().writeValueAsString(report.toMap());
  }

  private static void collect(DataStream<EvaluateOutput> outputs,
      StreamExecutionEnvironment env, EvaluateReport report) throws Exception {
    try (CloseableIterator<EvaluateOutput> it = outputs.collectAsync()) {
      env.executeAsync("evaluate");
      it.forEachRemaining(report::add);
    }
  }

  /** 20,000 LibSVM lines of 20 hashed features, a malformed and a comment line among them. */
  Path generatedLibSvm() throws Exception {
    StringBuilder b = new StringBuilder();
    Random random = new Random(21);
    for (int i = 0; i < 20_000; i++) {
      double z = -0.3;
      StringBuilder features = new StringBuilder();
      for (int f = 0; f < 20; f++) {
        int value = (int) Math.min(999, Math.floor(Math.exp(random.nextDouble() * 7)));
        z += ((value * 31 + f * 17) % 13 - 6) * 0.08;
        features.append(' ').append(f * 1000 + value).append(":1");
      }
      b.append(random.nextDouble() < 1 / (1 + Math.exp(-z)) ? "1" : "0").append(features)
          .append('\n');
      if (i == 7_000) {
        b.append("1 3:x\n# a comment\n");
      }
    }
    return Files.writeString(temp.resolve("generated.libsvm"), b.toString());
  }

  @Test
  void theReportIsBitIdenticalToTheFileReadIntoMemory() throws Exception {
    String logistic = EvaluateITCase.LOGISTIC;
    String csv = EvaluateITCase.learnableCsv(temp).toString();
    String race = logistic.replace("optimizer: {name: Adagrad, lr: 0.1}\n",
        "race: [{name: ada, optimizer: {name: Adagrad, lr: 0.1}},"
            + " {name: adam, optimizer: {name: Adam, lr: 0.01}}]\n");
    Path vw = Files.writeString(temp.resolve("unlabeled.vw"),
        "1 |f a\n|f b\n0 2 |f c\n|f d\n1 |f a b\n0 0 |f c\n");
    String delayed = logistic + "labels: {delayed: true, timeout: 1m, on_timeout: default_label,"
        + " default_label: 0}\n";
    String generated = generatedLibSvm().toString();
    String big = logistic.replace("hash_bits: 18", "hash_bits: 20")
        .replace("metrics: {every: 100, window: 100}", "metrics: {every: 1000, window: 1000}");
    record Case(String name, String yaml, String[] args, boolean held) {}
    List<Case> cases = List.of(
        new Case("csv", logistic, FileReadingTest.concat(new String[] {"--file", csv},
            EvaluateITCase.CSV_FLAGS), true),
        new Case("libsvm", logistic, FileReadingTest.concat(new String[] {"--file",
            EvaluateITCase.learnableLibSvm(temp).toString()}, EvaluateITCase.LIBSVM_FLAGS),
            false),
        new Case("vw weights", logistic, new String[] {"--file",
            "src/test/resources/cases/vw-importance-zero.vw", "--format", "vw"}, false),
        new Case("race", race, FileReadingTest.concat(new String[] {"--file", csv, "--count",
            "700"}, EvaluateITCase.CSV_FLAGS), false),
        new Case("delayed", delayed, new String[] {"--file", vw.toString(), "--format", "vw",
            "--interval-ms", "1000"}, true),
        new Case("generated", big, FileReadingTest.concat(new String[] {"--file", generated},
            EvaluateITCase.LIBSVM_FLAGS), true));
    for (Case c : cases) {
      String before = report(c.yaml(), c.args(), Route.BEFORE);
      assertEquals(before, report(c.yaml(), c.args(), Route.STREAMED), c.name());
      assertEquals(before, report(c.yaml(), c.args(), Route.STDIN), c.name() + " on stdin");
      if (c.held()) {
        assertEquals(report(c.yaml(), c.args(), Route.BEFORE_HELD),
            report(c.yaml(), c.args(), Route.HELD), c.name() + " held");
      }
      if (c.name().equals("generated")) {
        var j = new ObjectMapper().readTree(before);
        assertEquals(20_000, j.get("examples").asLong());
        assertEquals(20, j.get("windows").size());
        assertEquals(1, j.get("malformed").asLong());
        assertEquals(1, j.get("blank").asLong());
      }
    }
  }

  /** Bytes given in pieces of 1 to 4,096 bytes (seeded), as a pipe gives a file's. */
  static final class PipeLike extends InputStream {
    private final byte[] bytes;
    private final Random random = new Random(5);
    private int at;

    PipeLike(byte[] bytes) {
      this.bytes = bytes;
    }

    @Override
    public int read() {
      return at < bytes.length ? bytes[at++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) {
        return 0;
      }
      if (at == bytes.length) {
        return -1;
      }
      int n = Math.min(Math.min(len, 1 + random.nextInt(4096)), bytes.length - at);
      System.arraycopy(bytes, at, b, off, n);
      at += n;
      return n;
    }
  }

  /**
   * A job that fails while standard input is an idle pipe ends at once: the file's source,
   * waiting in its task thread for the next line, is cancelled (interrupted) with the job. Before,
   * it waited in {@code FileInputStream.read}, which ignores interrupts, until the next line or
   * Flink's cancellation timeout (180 s). A real pipe (a FIFO, read as {@code System.in} reads
   * standard input) whose writer wrote a CSV header and one example and then waits; the job fails
   * in an operator of another task. The bound is far above the few seconds this takes: a hang
   * test, not a timing. The interrupted read is not taken for the file's failure (the command
   * would report it instead of the job's): with CSV, Commons CSV turned it into a malformed line.
   */
  @Test
  void aJobThatFailsWhileStdinIsIdleEndsAtOnce() throws Exception {
    for (String[] format : List.of(EvaluateITCase.CSV_FLAGS, new String[] {"--format", "vw"})) {
      Path fifo = temp.resolve("stdin-" + format[1]);
      assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start()
          .waitFor());
      String lines = format[1].equals("csv") ? "x,n,y\na,3,1\n" : "1 |f a\n";
      CountDownLatch release = new CountDownLatch(1);
      Thread writer = new Thread(() -> {
        try (java.io.OutputStream o = Files.newOutputStream(fifo)) {
          o.write(lines.getBytes(StandardCharsets.UTF_8));
          o.flush();
          release.await(); // the writer is alive and writes nothing more: an idle pipe
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }, "stdin-writer");
      writer.start();
      try (FileReading reading = FileReading.open(FileReadingTest.flags(FileReadingTest.concat(
          new String[] {"--file", "-"}, format)),
          new java.io.BufferedInputStream(new java.io.FileInputStream(fifo.toFile())))) {
        assertTrue(reading.hasExample());
        org.apache.flink.configuration.Configuration conf =
            new org.apache.flink.configuration.Configuration();
        conf.set(org.apache.flink.configuration.RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1,
            conf);
        env.fromSource(new FileReplaySource(reading), WatermarkStrategy.noWatermarks(), "file")
            .<RawRecord>map(r -> {
              throw new IllegalStateException("the job fails downstream of the file");
            }).returns(RawRecord.class).disableChaining() // another task than the source's
            .sinkTo(new org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink<>());
        org.apache.flink.core.execution.JobClient job = env.executeAsync("fails");
        java.util.concurrent.ExecutionException e = assertThrows(
            java.util.concurrent.ExecutionException.class,
            () -> job.getJobExecutionResult().get(60, TimeUnit.SECONDS),
            format[1] + ": the failed job did not end while standard input was idle");
        assertTrue(org.apache.flink.util.ExceptionUtils.findThrowableWithMessage(e,
            "the job fails downstream of the file").isPresent(), format[1] + ": " + e);
        assertEquals(null, reading.failure(), format[1]);
      } finally {
        release.countDown();
        writer.join(TimeUnit.SECONDS.toMillis(30));
      }
    }
  }

  /**
   * Standard input whose second part is given only when {@link #release}d: what a file that is
   * still being written looks like to evaluate.
   */
  static final class GatedInput extends InputStream {
    private final byte[] first;
    private final byte[] second;
    private final CountDownLatch released = new CountDownLatch(1);
    private int at;

    GatedInput(byte[] first, byte[] second) {
      this.first = first;
      this.second = second;
    }

    void release() {
      released.countDown();
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) {
      if (len == 0) {
        return 0;
      }
      if (at == first.length) {
        try {
          released.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return -1;
        }
      }
      byte[] part = at < first.length ? first : second;
      int from = at < first.length ? at : at - first.length;
      if (from >= part.length) {
        return -1;
      }
      int n = Math.min(len, part.length - from);
      System.arraycopy(part, from, b, off, n);
      at += n;
      return n;
    }
  }

  /**
   * The first examples are read by the job, and learned, while the end of the file has not been
   * written yet (standard input, its second half held back until the progress line shows
   * examples): the file is read as it is evaluated, not before.
   */
  @Test
  void theFirstExamplesAreLearnedBeforeTheEndOfTheFileIsWritten() throws Exception {
    StringBuilder first = new StringBuilder();
    StringBuilder second = new StringBuilder();
    for (int i = 0; i < 1000; i++) {
      (i < 500 ? first : second).append(i % 3 == 0 ? "1" : "0").append(" |f a").append(i % 3)
          .append(" b").append(i % 5).append('\n');
    }
    GatedInput in = new GatedInput(first.toString().getBytes(StandardCharsets.UTF_8),
        second.toString().getBytes(StandardCharsets.UTF_8));
    Path config = Files.writeString(temp.resolve("job.yaml"), EvaluateITCase.LOGISTIC);
    Path json = temp.resolve("out.json");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream outPrint = new PrintStream(out, true, StandardCharsets.UTF_8);
    AtomicInteger exit = new AtomicInteger(-1);
    Thread run = new Thread(() -> exit.set(Main.run(new String[] {"evaluate", "--config",
        config.toString(), "--json", json.toString(), "--file", "-", "--format", "vw",
        "--progress-every", "100ms", "--start-time", EvaluateITCase.START}, in, outPrint,
        new PrintStream(err, true, StandardCharsets.UTF_8))), "evaluate");
    run.start();
    // "[1s] examples 500 (...) | log loss ...": read and learned, the end not written yet
    Pattern learned = Pattern.compile("\\] examples [1-9][0-9,]* .*log loss");
    boolean seen = false;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (!seen && run.isAlive() && System.nanoTime() < deadline) {
      seen = learned.matcher(err.toString(StandardCharsets.UTF_8)).find(); // progress: stderr
      Thread.sleep(50);
    }
    in.release();
    run.join(TimeUnit.MINUTES.toMillis(2));
    String o = out.toString(StandardCharsets.UTF_8);
    assertTrue(seen, "no example was learned before the end of the file was written; stdout:\n"
        + o + "\nstderr:\n" + err.toString(StandardCharsets.UTF_8));
    assertEquals(0, exit.get(), o + err.toString(StandardCharsets.UTF_8));
    var j = new ObjectMapper().readTree(json.toFile());
    assertEquals(1000, j.get("examples").asLong());
    assertEquals(1000, j.get("lines").asLong());
  }
}
