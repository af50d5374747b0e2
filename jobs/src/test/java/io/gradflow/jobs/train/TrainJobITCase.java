package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.cli.Main;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.kafka.KafkaTestSupport;
import io.gradflow.jobs.kafka.TestBroker;
import io.gradflow.jobs.produce.ClickThroughGenerator;
import io.gradflow.jobs.produce.GradflowProducer;
import io.gradflow.model.CompactExample;
import io.gradflow.schema.Example;
import io.gradflow.schema.Label;
import io.gradflow.schema.MetricsReport;
import io.gradflow.schema.Prediction;
import io.gradflow.schema.RowUpdate;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
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
 * The training job end to end, shared by the {@code *ITCase} classes of this package: Kafka's own
 * broker in process (or in a container: {@link TestBroker}), the job on a local Flink
 * MiniCluster, exactly-once Kafka sinks read back with {@code read_committed}. Each subclass
 * holds one scenario and runs in a JVM of its own (failsafe {@code reuseForks=false}), so a
 * scenario's broker and MiniClusters start clean.
 */
abstract class TrainJobITCase {
  static TestBroker kafka;
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
    kafka = TestBroker.start(
        Map.of("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000"));
  }

  @AfterAll
  static void stopKafka() throws Exception {
    kafka.close();
  }

  /** What {@code gradflow train} printed in this test, over all its runs. */
  final ByteArrayOutputStream out = new ByteArrayOutputStream();
  final ByteArrayOutputStream err = new ByteArrayOutputStream();

  /**
   * Runs {@code gradflow train} through {@link Main#run} on a job file holding {@code yaml}, with
   * a progress line every second and a 5 s start-up timeout, printing into {@link #out} and
   * {@link #err}; returns the exit code.
   */
  int train(String yaml, String... flags) throws Exception {
    Path file = Files.createTempFile(temp, "job", ".yaml");
    Files.writeString(file, yaml);
    List<String> args = new ArrayList<>(List.of("train", "--config", file.toString(),
        "--progress-every", "1s", "--startup-timeout", "5s"));
    args.addAll(List.of(flags));
    return gradflow(args.toArray(String[]::new));
  }

  /** Runs any {@code gradflow} command through {@link Main#run}, printing into {@link #out}. */
  int gradflow(String... args) {
    return Main.run(args, new ByteArrayInputStream(new byte[0]),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  String both() {
    return "stdout:\n" + out() + "\nstderr:\n" + err();
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

  /** Records in a topic including uncommitted and aborted ones: tells lost from invisible. */
  static long uncommittedCount(String topic) {
    java.util.Properties p = new java.util.Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    p.put("isolation.level", "read_uncommitted");
    try (var c = new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(p,
        new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      var partitions = c.partitionsFor(topic).stream()
          .map(i -> new org.apache.kafka.common.TopicPartition(topic, i.partition())).toList();
      return c.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
    }
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

  /**
   * The final weights of every live row from the changelog, applied in topic order as a consumer
   * of the compacted topic does: a record puts its row (unless one of a higher step is held), a
   * tombstone (null value: the row expired) removes it.
   */
  static Map<String, List<Float>> finalRows(String topic) throws Exception {
    Map<String, RowUpdate> latest = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r :
        KafkaTestSupport.readAll(kafka, topic, Integer.MAX_VALUE, Duration.ofSeconds(3))) {
      if (r.value() == null) {
        latest.remove(new String(r.key(), StandardCharsets.UTF_8));
        continue;
      }
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
    return metrics(topic, Integer.MAX_VALUE, Duration.ofSeconds(3));
  }

  /** The committed metrics reports, in topic order, once {@code expected} arrived or timed out. */
  static List<MetricsReport> metrics(String topic, int expected, Duration timeout)
      throws Exception {
    List<MetricsReport> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r :
        KafkaTestSupport.readAll(kafka, topic, expected, timeout)) {
      out.add(MetricsReport.getDecoder().decode(r.value()));
    }
    return out;
  }

  /**
   * Fails the job once, at the given example, on its first attempt only; paced so that checkpoints
   * complete before the failure ({@link #at}: 40 ms every 500 examples; {@link #pacedBy} for
   * another pace). Each instance has its own flag ({@link #failed}), kept in a static map by a
   * name of its own: the task runs a deserialized copy, and a restarted task a fresh one.
   */
  static final class FailOnce implements MapFunction<CompactExample, CompactExample> {
    private static final long serialVersionUID = 1L;
    private static final Map<String, AtomicBoolean> FAILED = new ConcurrentHashMap<>();
    private final String flag = UUID.randomUUID().toString();
    private final int at;
    private final int pauseEvery;
    private final long pauseMillis;
    private int seen;

    private FailOnce(int at, int pauseEvery, long pauseMillis) {
      this.at = at;
      this.pauseEvery = pauseEvery;
      this.pauseMillis = pauseMillis;
      FAILED.put(flag, new AtomicBoolean());
    }

    /** Fails at example {@code at} (1-based, of the subtask), sleeping 40 ms every 500. */
    static FailOnce at(int at) {
      return new FailOnce(at, 500, 40);
    }

    /** As this, sleeping {@code millis} every {@code every} examples. */
    FailOnce pacedBy(int every, long millis) {
      return new FailOnce(at, every, millis);
    }

    /** Whether this failure was injected. */
    boolean failed() {
      return FAILED.computeIfAbsent(flag, k -> new AtomicBoolean()).get();
    }

    @Override
    public CompactExample map(CompactExample e) throws Exception {
      if (++seen % pauseEvery == 0) {
        Thread.sleep(pauseMillis);
      }
      if (seen == at && FAILED.computeIfAbsent(flag, k -> new AtomicBoolean())
          .compareAndSet(false, true)) {
        throw new IllegalStateException("injected failure at example " + at);
      }
      return e;
    }
  }

  /**
   * Runs an unbounded job (optionally from a savepoint) until {@code predictions} committed
   * predictions are in its topic, then stops it with a savepoint and returns the savepoint's path.
   */
  static String runUntil(TrainConfig config, String predictionsTopic, int predictions,
      String savepoint, Path savepoints) throws Exception {
    return runUntil(config, UnaryOperator.identity(), predictionsTopic, predictions, savepoint,
        savepoints);
  }

  /** {@link #runUntil}, the decoded examples passed through {@code tap} before training. */
  static String runUntil(TrainConfig config, UnaryOperator<DataStream<CompactExample>> tap,
      String predictionsTopic, int predictions, String savepoint, Path savepoints)
      throws Exception {
    Configuration conf = TrainJob.flinkConfiguration(config);
    if (savepoint != null) {
      conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    TrainJob.configure(env, config);
    TrainJob.build(env, config, tap);
    JobClient job = env.executeAsync(config.jobName());
    assertEquals(predictions, predictions(predictionsTopic, predictions).size());
    String path = job.stopWithSavepoint(false, savepoints.toUri().toString(),
        SavepointFormatType.CANONICAL).get();
    job.getJobExecutionResult().get();
    return path;
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
    assertTrue(differences.isEmpty(), () -> what + ": " + differences.size() + " of "
        + expected.size() + " differ (actual has " + actual.size() + "), for example "
        + differences.subList(0, Math.min(5, differences.size())));
  }

  static double entropy(double p) {
    return -(p * Math.log(p) + (1 - p) * Math.log(1 - p));
  }
}
