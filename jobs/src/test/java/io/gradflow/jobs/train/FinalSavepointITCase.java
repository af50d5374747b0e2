package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import io.gradflow.flink.CompactExampleTypeInfo;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.kafka.InputAccumulator;
import io.gradflow.jobs.produce.ClickThroughGenerator;
import io.gradflow.jobs.produce.GradflowProducer;
import io.gradflow.model.CompactExample;
import io.gradflow.schema.Example;
import io.gradflow.schema.Label;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.HeartbeatManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

/**
 * {@code gradflow train --final-savepoint DIR}: a bounded run over the first part of a topic
 * ends with a savepoint instead of finishing; {@code train --savepoint} from it over the rest of
 * the topic predicts, bit for bit, what one uninterrupted bounded run over the whole topic
 * predicts for those examples (the state is exact, and the held partitions read on from where
 * the first run ended: nothing skipped, nothing read twice). The first run's own predictions
 * equal the uninterrupted run's over the first part. Two partitions, so each partition's
 * position is kept. The refusals at start-up: a non-empty directory, an unbounded run. A savepoint
 * that Flink refuses because a task is still starting is asked again.
 */
class FinalSavepointITCase extends TrainJobITCase {
  static final Pattern SAVEPOINT = Pattern.compile("(?m)^ *savepoint +(\\S+)");

  @Test
  void aBoundedRunEndsWithASavepointThatContinuesExactly() throws Exception {
    String examples = "history";
    kafka.createTopics(2, examples);
    produce(examples, 23, 0, 1_500, "m1", "m2", "m3");

    Run first = Run.create(examples, "labels");
    Path dir = temp.resolve("final");
    assertEquals(0, train(job(first, true), "--final-savepoint", dir.toString()), both());
    String savepoint = savepointIn(out());
    assertTrue(Path.of(java.net.URI.create(savepoint)).startsWith(dir), savepoint);
    assertTrue(Files.exists(Path.of(java.net.URI.create(savepoint)).resolve("_metadata")),
        savepoint);
    assertFalse(err().contains("\tat "), both());
    // Trial 21 M1: the savepoint's stop writes no partial metrics report, and the summary says
    // which examples its figures cover (500 per model, reports at 200 and 400).
    assertTrue(out().contains("; figures up to model step 400, the last metrics report (100"
        + " learned after it)"), out());
    assertTrue(out().contains("  note            a model reports its metrics every"), out());

    produce(examples, 23, 1_500, 1_000, "m1", "m2", "m3");
    Run second = Run.create(examples, "labels");
    int mark = out().length();
    assertEquals(0, train(job(second, true), "--savepoint", savepoint), both());
    // Trial L6: what the restored run reads, from the savepoint's positions, not the topic's.
    String restored = out().substring(mark);
    assertTrue(restored.contains("input " + examples + ": 2 partitions, 1,000 records to read"
        + " (bounded), from the savepoint's positions"), restored);
    assertTrue(restored.contains("examples read   1,000 from " + examples), restored);
    // The positions are read here, so loss while the job was down is judged (none here).
    assertFalse(err().contains("is not checked on this restored run"), both());
    assertFalse(err().contains("DATA LOSS"), both());

    Run whole = Run.create(examples, "labels");
    assertEquals(0, train(job(whole, true)), both());

    Map<String, Double> all = predictions(whole.predictions(), 2_500);
    assertEquals(2_500, all.size());
    assertSameEntries(part(all, 0, 1_500), predictions(first.predictions(), 1_500),
        "the first run against the uninterrupted one");
    assertSameEntries(part(all, 1_500, 2_500), predictions(second.predictions(), 1_000),
        "the continued run against the uninterrupted one");
  }

  /**
   * Records the broker deleted while the job was down, below where the savepoint reads on, are
   * data loss, as on a fresh run: reported at start-up with the partition, the savepoint's
   * position and the log start, and the run ends with exit 1.
   */
  @Test
  void recordsDeletedWhileTheJobWasDownAreDataLoss() throws Exception {
    String examples = "down";
    kafka.createTopics(1, examples);
    produce(examples, 29, 0, 1_500, "m1", "m2");
    Run first = Run.create(examples, "labels");
    Path dir = temp.resolve("before-loss");
    assertEquals(0, train(job(first, true), "--final-savepoint", dir.toString()), both());
    String savepoint = savepointIn(out());

    produce(examples, 29, 1_500, 1_000, "m1", "m2");
    org.apache.kafka.common.TopicPartition p0 =
        new org.apache.kafka.common.TopicPartition(examples, 0);
    try (org.apache.kafka.clients.admin.Admin admin = kafka.admin()) {
      admin.deleteRecords(Map.of(p0,
          org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(1_600))).all().get();
    }
    Run second = Run.create(examples, "labels");
    int mark = out().length();
    int errMark = err().length();
    assertEquals(1, train(job(second, true), "--savepoint", savepoint), both());
    String e = err().substring(errMark);
    assertTrue(e.contains("DATA LOSS: " + examples + "-0: the job starts at offset 1,500 but the"
        + " broker has deleted the records below 1,600 (100 records)"), e);
    assertEquals(1, e.split("DATA LOSS:", -1).length - 1, "the loss is reported once: " + e);
    assertFalse(e.contains("is not checked on this restored run"), e);
    assertTrue(out().substring(mark).contains("examples read   900 from " + examples), out());
  }

  @Test
  void refusesANonEmptyDirectoryAndAnUnboundedRun() throws Exception {
    String examples = "refused";
    kafka.createTopics(1, examples);
    Run run = Run.create(examples, "labels");
    Path full = Files.createDirectories(temp.resolve("full"));
    Files.writeString(full.resolve("keep.txt"), "mine");
    assertEquals(2, train(job(run, true), "--final-savepoint", full.toString()), both());
    assertTrue(err().contains("--final-savepoint " + full + " is not empty; give a new or empty"
        + " directory (nothing is overwritten)"), both());
    assertEquals("mine", Files.readString(full.resolve("keep.txt")));

    assertEquals(2, train(job(run, false), "--final-savepoint",
        temp.resolve("new").toString()), both());
    assertTrue(err().contains("--final-savepoint needs a bounded run: set kafka.bounded"), both());
    assertFalse(Files.exists(temp.resolve("new")));
    Path file = Files.writeString(temp.resolve("a-file"), "mine");
    assertEquals(2, train(job(run, true), "--final-savepoint",
        file.resolve("under").toString()), both());
    assertTrue(err().contains("--final-savepoint " + file.resolve("under")
        + " cannot be created: "), both());
    assertFalse(err().contains("\tat "), both());
  }

  /**
   * With delayed labels the job has two sources; the savepoint waits for both to hold at their
   * end, so every example is scored before it is taken.
   */
  @Test
  void aRunWithDelayedLabelsEndsWithASavepointWhenBothSourcesHold() throws Exception {
    String examples = "delayed-examples";
    String labels = "delayed-labels";
    kafka.createTopics(1, examples, labels);
    ClickThroughGenerator generator =
        new ClickThroughGenerator(ClickThroughGenerator.Spec.defaults(5));
    int count = 800;
    try (GradflowProducer producer = GradflowProducer.builder(kafka.bootstrapServers())
        .examplesTopic(examples).labelsTopic(labels).build()) {
      for (int i = 0; i < count; i++) {
        Example e = generator.next().example();
        producer.send(Example.newBuilder(e).setExampleId("d" + i).setModelKey("ctr")
            .setLabel(null).build());
        producer.send(Label.newBuilder().setExampleId("d" + i).setModelKey("ctr")
            .setEventTime(e.getEventTime()).setLabel(e.getLabel()).build());
      }
      producer.flush();
    }
    Run run = Run.create(examples, labels);
    String yaml = run.yaml("labels: {delayed: true, timeout: 10m, on_timeout: default_label,"
        + " default_label: 0}", true) + "\ncheckpoints: {interval: 300ms, directory: "
        + temp.resolve("checkpoints").toUri() + "}\n";
    assertEquals(0, train(yaml, "--final-savepoint", temp.resolve("delayed").toString()),
        both());
    String savepoint = savepointIn(out());
    assertTrue(Files.exists(Path.of(java.net.URI.create(savepoint)).resolve("_metadata")));
    long scored = 0;
    for (var r : io.gradflow.jobs.kafka.KafkaTestSupport.readAll(kafka, run.predictions(),
        Integer.MAX_VALUE, java.time.Duration.ofSeconds(5))) {
      scored += io.gradflow.schema.Prediction.getDecoder().decode(r.value()).getLabel() == null
          ? 1 : 0;
    }
    assertEquals(count, scored, both());
  }

  /**
   * The sources can hold at their end while a task further down is still starting (the trainer's
   * chain opens three exactly-once Kafka writers first); Flink refuses a savepoint until every
   * task is RUNNING ("Not all required tasks are currently running"). Here a pass-through task
   * between the examples and the trainer stays in its {@code open} until the command says it
   * asks again, so the first ask is refused for certain; the savepoint is then taken.
   */
  @Test
  void aSavepointRefusedWhileATaskIsStartingIsAskedAgain() throws Exception {
    OpensWhenReleased.release = new CountDownLatch(1);
    String examples = "starting-" + System.nanoTime(); // a rerun's own topic
    kafka.createTopics(1, examples);
    produce(examples, 7, 0, 100, "m1");
    TrainConfig config = config(Run.create(examples, "labels").yaml("", true),
        temp.resolve("checkpoints"));
    Configuration conf = TrainJob.flinkConfiguration(config);
    conf.set(HeartbeatManagerOptions.HEARTBEAT_INTERVAL, TrainCommand.EMBEDDED_HEARTBEAT);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    TrainJob.configure(env, config);
    TrainJob.build(env, config, s -> s.rebalance().map(new OpensWhenReleased())
        .returns(CompactExampleTypeInfo.INSTANCE).name("opens-when-released"), true);
    JobClient job = env.executeAsync(config.jobName());
    try {
      while (!(job.getAccumulators().get(60, TimeUnit.SECONDS)
          .get(InputAccumulator.ENDED_EXAMPLES) instanceof Integer n
          && n >= env.getParallelism())) {
        Thread.sleep(100); // the examples source holds at its end
      }
      String asking = "final savepoint: the input has ended but not every task of the job is"
          + " running yet";
      PrintStream console = new PrintStream(new OutputStream() {
        @Override
        public void write(int b) {
          out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
          out.write(b, off, len);
          if (out().contains(asking)) {
            OpensWhenReleased.release.countDown();
          }
        }
      }, true, StandardCharsets.UTF_8);
      String savepoint = TrainCommand.stopWithSavepoint(job, temp.resolve("starting").toUri()
          .toString(), new TrainConsole(console, console, false, true, examples),
          env.getParallelism(), false);
      assertTrue(out().contains(asking), both());
      assertTrue(Files.exists(Path.of(java.net.URI.create(savepoint)).resolve("_metadata")),
          savepoint);
      job.getJobExecutionResult().get(60, TimeUnit.SECONDS);
    } finally {
      OpensWhenReleased.release.countDown();
    }
  }

  /**
   * A pass-through whose {@code open} waits (at most a minute) for {@link #release}, a latch each
   * run of the test sets anew (the MiniCluster runs in the test's JVM).
   */
  static final class OpensWhenReleased extends RichMapFunction<CompactExample, CompactExample> {
    static volatile CountDownLatch release = new CountDownLatch(1);

    @Override
    public void open(OpenContext context) throws InterruptedException {
      release.await(60, TimeUnit.SECONDS);
    }

    @Override
    public CompactExample map(CompactExample e) {
      return e;
    }
  }

  /**
   * A run's job file, with checkpoints every 300 ms in this test's directory and a metrics report
   * every 200 examples, so a model's last examples before a final savepoint fall after its last
   * report.
   */
  String job(Run run, boolean bounded) {
    String metrics = "metrics: {every: 2000, window: 2000}";
    String yaml = run.yaml("", bounded);
    assertTrue(yaml.contains(metrics), yaml);
    return yaml.replace(metrics, "metrics: {every: 200, window: 200}")
        + "\ncheckpoints: {interval: 300ms, directory: "
        + temp.resolve("checkpoints").toUri() + "}\n";
  }

  /** The path of the last savepoint line printed. */
  static String savepointIn(String printed) {
    Matcher m = SAVEPOINT.matcher(printed);
    String path = null;
    while (m.find()) {
      path = m.group(1);
    }
    assertTrue(path != null, printed);
    return path;
  }

  /** The predictions of examples x{from} to x{to - 1}. */
  static Map<String, Double> part(Map<String, Double> all, int from, int to) {
    Map<String, Double> part = new HashMap<>();
    all.forEach((key, score) -> {
      int id = Integer.parseInt(key.split("/")[1].substring(1));
      if (id >= from && id < to) {
        part.put(key, score);
      }
    });
    return part;
  }
}
