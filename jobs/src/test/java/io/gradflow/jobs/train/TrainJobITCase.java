package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.kafka.EmbeddedKafka;
import io.gradflow.jobs.kafka.KafkaTestSupport;
import io.gradflow.jobs.produce.ClickThroughGenerator;
import io.gradflow.jobs.produce.GradflowProducer;
import io.gradflow.model.CompactExample;
import io.gradflow.schema.Example;
import io.gradflow.schema.Label;
import io.gradflow.schema.MetricsReport;
import io.gradflow.schema.Prediction;
import io.gradflow.schema.RowUpdate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training job end to end: Kafka's own broker in process, the job on a local Flink
 * MiniCluster, exactly-once Kafka sinks read back with {@code read_committed}.
 */
class TrainJobITCase {
  private static EmbeddedKafka kafka;
  private static final AtomicInteger RUNS = new AtomicInteger();

  @TempDir
  Path temp;

  /**
   * A bounded job can end with a transaction of its exactly-once sink still open (empty, after
   * the final commit); under read_committed it pins the last stable offset and hides everything
   * committed after it until the broker aborts it. Short transaction timeouts and a fast abort
   * sweep make the broker do that within seconds, so the tests read every committed record; a
   * record that was never committed stays missing and fails them.
   */
  @BeforeAll
  static void startKafka() throws Exception {
    kafka = EmbeddedKafka.start(
        Map.of("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000"));
  }

  @AfterAll
  static void stopKafka() throws Exception {
    kafka.close();
  }

  /** Topics of one run: its own outputs, reading the given examples (and labels) topic. */
  record Run(String name, String examples, String labels, String predictions, String metrics,
      String changelog, String deadLetters) {
    static Run create(String examples, String labels) throws Exception {
      String name = "run" + RUNS.incrementAndGet();
      Run run = new Run(name, examples, labels, name + "-predictions", name + "-metrics",
          name + "-changelog", name + "-dead-letters");
      kafka.createTopics(1, run.predictions, run.metrics, run.changelog, run.deadLetters);
      return run;
    }

    String yaml(String extra, boolean bounded) {
      return String.join("\n",
          "job: {name: " + name + "}",
          "kafka:",
          "  bootstrap_servers: " + kafka.bootstrapServers(),
          "  group_id: " + name,
          "  transactional_id_prefix: " + name,
          "  transaction_timeout: 15s",
          "  topics: {examples: " + examples + ", labels: " + labels + ", predictions: "
              + predictions + ", metrics: " + metrics + ", changelog: " + changelog
              + ", dead_letters: " + deadLetters + "}",
          "  starting_offsets: earliest",
          bounded ? "  bounded: latest" : "",
          "metrics: {every: 2000, window: 2000}",
          "changelog: {every: 1000}",
          extra,
          "");
    }
  }

  /** Writes {@code count} click-through examples spread over model keys, keyed by model. */
  static void produce(String topic, long seed, int from, int count, String... models) {
    ClickThroughGenerator generator =
        new ClickThroughGenerator(ClickThroughGenerator.Spec.defaults(seed));
    try (GradflowProducer producer =
             GradflowProducer.builder(kafka.bootstrapServers()).examplesTopic(topic).build()) {
      for (int i = 0; i < from + count; i++) {
        Example example = generator.next().example();
        if (i < from) {
          continue;
        }
        producer.send(Example.newBuilder(example).setExampleId("x" + i)
            .setModelKey(models[i % models.length]).build());
      }
      producer.flush();
    }
  }

  static TrainConfig config(String yaml, Path checkpoints) throws Exception {
    return TrainConfig.fromYaml(yaml + "\ncheckpoints: {interval: 300ms, directory: "
        + checkpoints.toUri() + "}\n");
  }

  static void runBounded(TrainConfig config, UnaryOperator<DataStream<CompactExample>> tap,
      Configuration extra) throws Exception {
    Configuration conf = TrainJob.flinkConfiguration(config);
    conf.addAll(extra);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    TrainJob.configure(env, config);
    TrainJob.build(env, config, tap);
    env.execute(config.jobName());
  }

  /** Scores by example id and model; fails on a duplicate. */
  static Map<String, Double> predictions(String topic, int expected) throws Exception {
    Map<String, Double> scores = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r :
        KafkaTestSupport.readAll(kafka, topic, expected, Duration.ofSeconds(60))) {
      Prediction p = Prediction.getDecoder().decode(r.value());
      Double previous = scores.put(p.getModelKey() + "/" + p.getExampleId() + "/"
          + (p.getLabel() == null ? "scored" : "learned"), p.getScore());
      assertTrue(previous == null, "duplicate prediction " + p);
    }
    return scores;
  }

  /** The final weights of every row from the changelog (the highest step wins). */
  static Map<String, List<Float>> finalRows(String topic) throws Exception {
    Map<String, RowUpdate> latest = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r :
        KafkaTestSupport.readAll(kafka, topic, Integer.MAX_VALUE, Duration.ofSeconds(3))) {
      RowUpdate u = RowUpdate.getDecoder().decode(r.value());
      String key = u.getModelKey() + "/" + u.getRowId();
      RowUpdate before = latest.get(key);
      if (before == null || before.getStep() <= u.getStep()) {
        latest.put(key, u);
      }
    }
    Map<String, List<Float>> rows = new HashMap<>();
    latest.forEach((k, v) -> rows.put(k, v.getWeights()));
    return rows;
  }

  static List<MetricsReport> metrics(String topic) throws Exception {
    List<MetricsReport> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r :
        KafkaTestSupport.readAll(kafka, topic, Integer.MAX_VALUE, Duration.ofSeconds(3))) {
      out.add(MetricsReport.getDecoder().decode(r.value()));
    }
    return out;
  }

  @Test
  void learnsAKnownGroundTruthAndRocksDbGivesTheSameBitsAsTheHeap() throws Exception {
    String examples = "learn-examples";
    kafka.createTopics(1, examples);
    produce(examples, 7, 0, 30_000, "ctr");

    Run heap = Run.create(examples, "labels");
    runBounded(config(heap.yaml("optimizer: {name: Adagrad, lr: 0.1}", true),
        temp.resolve("heap")), UnaryOperator.identity(), new Configuration());
    Map<String, Double> heapScores = predictions(heap.predictions, 30_000);
    assertEquals(30_000, heapScores.size());
    List<MetricsReport> reports = metrics(heap.metrics);
    MetricsReport last = reports.get(reports.size() - 1);
    double base = entropy(last.getMeanLabel());
    assertTrue(last.getLogLoss() < 0.85 * base, "log loss " + last.getLogLoss() + " vs base "
        + base);
    assertTrue(last.getAuc() > 0.75, "AUC " + last.getAuc());

    Run rocks = Run.create(examples, "labels");
    runBounded(config(rocks.yaml("optimizer: {name: Adagrad, lr: 0.1}\n"
        + "state: {backend: rocksdb, cache_pages: 64}", true), temp.resolve("rocks")),
        UnaryOperator.identity(), new Configuration());
    assertSameEntries(heapScores, predictions(rocks.predictions, 30_000), "predictions");
    assertSameEntries(finalRows(heap.changelog), finalRows(rocks.changelog), "model");
  }

  /** Fails the job once, at the given example, on its first attempt only. */
  static final class FailOnce implements MapFunction<CompactExample, CompactExample> {
    static final AtomicBoolean FAILED = new AtomicBoolean();
    private final int at;
    private int seen;

    FailOnce(int at) {
      this.at = at;
    }

    @Override
    public CompactExample map(CompactExample e) throws Exception {
      if (++seen % 500 == 0) {
        Thread.sleep(40); // long enough for several checkpoints before the failure
      }
      if (seen == at && FAILED.compareAndSet(false, true)) {
        throw new IllegalStateException("injected failure at example " + at);
      }
      return e;
    }
  }

  @Test
  void aFailureMidStreamEndsWithTheSameModelAndExactlyOnePredictionPerExample()
      throws Exception {
    String examples = "failure-examples";
    kafka.createTopics(1, examples);
    produce(examples, 11, 0, 20_000, "a", "b", "c");
    String optimizer = "optimizer: {name: Adam, lr: 0.01}";

    Run clean = Run.create(examples, "labels");
    runBounded(config(clean.yaml(optimizer, true), temp.resolve("clean")),
        UnaryOperator.identity(), new Configuration());
    Run failing = Run.create(examples, "labels");
    FailOnce.FAILED.set(false);
    runBounded(config(failing.yaml(optimizer, true), temp.resolve("failing")),
        s -> s.map(new FailOnce(12_000)).name("fail-once"), new Configuration());
    assertTrue(FailOnce.FAILED.get(), "the failure was injected");

    Map<String, Double> expected = predictions(clean.predictions, 20_000);
    assertEquals(20_000, expected.size());
    assertSameEntries(expected, predictions(failing.predictions, 20_000), "predictions");
    Map<String, List<Float>> model = finalRows(clean.changelog);
    assertTrue(model.size() > 1000, model.size() + " rows");
    assertSameEntries(model, finalRows(failing.changelog), "model");
  }

  /**
   * Runs an unbounded job (optionally from a savepoint) until {@code predictions} committed
   * predictions are in its topic, then stops it with a savepoint and returns the savepoint's path.
   */
  static String runUntil(TrainConfig config, String predictionsTopic, int predictions,
      String savepoint, Path savepoints) throws Exception {
    Configuration conf = TrainJob.flinkConfiguration(config);
    if (savepoint != null) {
      conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    TrainJob.configure(env, config);
    TrainJob.build(env, config);
    JobClient job = env.executeAsync(config.jobName());
    assertEquals(predictions, predictions(predictionsTopic, predictions).size());
    String path = job.stopWithSavepoint(false, savepoints.toUri().toString(),
        SavepointFormatType.CANONICAL).get();
    job.getJobExecutionResult().get();
    return path;
  }

  @Test
  void stopWithASavepointAtParallelismOneAndResumeAtTwoKeepsTheModel() throws Exception {
    String examples = "rescale-examples";
    kafka.createTopics(2, examples);
    String[] models = {"m1", "m2", "m3", "m4"};
    produce(examples, 13, 0, 8_000, models);
    String optimizer = "optimizer: {name: Adagrad, lr: 0.1}";

    Run split = Run.create(examples, "labels");
    String atOne = split.yaml(optimizer, false);
    String savepoint = runUntil(config(atOne, temp.resolve("one")), split.predictions, 8_000,
        null, temp.resolve("savepoints"));
    produce(examples, 13, 8_000, 8_000, models);
    String atTwo = atOne.replace("job: {name: " + split.name + "}",
        "job: {name: " + split.name + "-resumed, parallelism: 2}");
    runUntil(config(atTwo, temp.resolve("two")), split.predictions, 16_000, savepoint,
        temp.resolve("savepoints"));

    Run whole = Run.create(examples, "labels");
    runBounded(config(whole.yaml(optimizer, true), temp.resolve("whole")),
        UnaryOperator.identity(), new Configuration());
    Map<String, Double> expected = predictions(whole.predictions, 16_000);
    assertEquals(16_000, expected.size());
    assertSameEntries(expected, predictions(split.predictions, 16_000), "predictions");
    assertSameEntries(finalRows(whole.changelog), finalRows(split.changelog), "model");
  }

  @Test
  void delayedLabelsAreJoinedAndMissingOnesTimeOutToTheDefault() throws Exception {
    String examples = "delayed-examples";
    String labels = "delayed-labels";
    kafka.createTopics(1, examples, labels);
    ClickThroughGenerator generator =
        new ClickThroughGenerator(ClickThroughGenerator.Spec.defaults(17));
    int count = 6_000;
    int labeled = 0;
    try (GradflowProducer producer = GradflowProducer.builder(kafka.bootstrapServers())
        .examplesTopic(examples).labelsTopic(labels).build()) {
      for (int i = 0; i < count; i++) {
        Example e = generator.next().example();
        Example unlabeled = Example.newBuilder(e).setExampleId("d" + i).setModelKey("ctr")
            .setLabel(null).build();
        producer.send(unlabeled);
        if (i % 5 != 0) { // every fifth label never comes
          producer.send(Label.newBuilder().setExampleId("d" + i).setModelKey("ctr")
              .setEventTime(e.getEventTime()).setLabel(e.getLabel()).build());
          labeled++;
        }
      }
      producer.flush();
    }
    Run run = Run.create(examples, labels);
    runBounded(config(run.yaml("optimizer: {name: Adagrad, lr: 0.1}\n"
        + "labels: {delayed: true, timeout: 10m, on_timeout: default_label, default_label: 0}",
        true), temp.resolve("delayed")), UnaryOperator.identity(), new Configuration());
    Map<String, Double> scores = predictions(run.predictions, 2 * count);
    long scored = scores.keySet().stream().filter(k -> k.endsWith("/scored")).count();
    long learned = scores.keySet().stream().filter(k -> k.endsWith("/learned")).count();
    assertEquals(count, scored, "every example is scored when it arrives");
    assertEquals(count, learned, labeled + " joined and the rest defaulted, all learned");
    List<MetricsReport> reports = metrics(run.metrics);
    long total = reports.stream().mapToLong(MetricsReport::getCount).sum();
    assertEquals(count, total);
  }

  @Test
  void aRaceTrainsEveryCandidateOnTheSameExamples() throws Exception {
    String examples = "race-examples";
    kafka.createTopics(1, examples);
    produce(examples, 19, 0, 4_000, "ctr");
    Run run = Run.create(examples, "labels");
    runBounded(config(run.yaml("race:\n"
        + "  - {name: adagrad, optimizer: {name: Adagrad, lr: 0.1}}\n"
        + "  - {name: ftrl, optimizer: {name: Ftrl, alpha: 0.1, l1: 0.01}}\n"
        + "  - {name: adam, optimizer: {name: Adam, lr: 0.01}}", true), temp.resolve("race")),
        UnaryOperator.identity(), new Configuration());
    Map<String, Double> scores = predictions(run.predictions, 12_000);
    assertEquals(12_000, scores.size());
    Map<String, Long> perCandidate = new HashMap<>();
    for (MetricsReport r : metrics(run.metrics)) {
      perCandidate.merge(r.getModelKey(), r.getCount(), Long::sum);
    }
    assertEquals(Map.of("ctr#adagrad", 4_000L, "ctr#ftrl", 4_000L, "ctr#adam", 4_000L),
        perCandidate);
  }

  /** Fails with the number of differences and a few of them, never with whole maps. */
  static <V> void assertSameEntries(Map<String, V> expected, Map<String, V> actual,
      String what) {
    List<String> differences = new ArrayList<>();
    for (Map.Entry<String, V> e : expected.entrySet()) {
      V got = actual.get(e.getKey());
      if (!e.getValue().equals(got)) {
        differences.add(e.getKey() + ": expected " + e.getValue() + " but got " + got);
      }
    }
    for (String key : actual.keySet()) {
      if (!expected.containsKey(key)) {
        differences.add(key + ": unexpected");
      }
    }
    assertTrue(differences.isEmpty(), what + ": " + differences.size() + " of "
        + expected.size() + " differ (actual has " + actual.size() + "), for example "
        + differences.subList(0, Math.min(5, differences.size())));
  }

  private static double entropy(double p) {
    return -(p * Math.log(p) + (1 - p) * Math.log(1 - p));
  }
}
