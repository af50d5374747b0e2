package io.gradflow.bench;

import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.kafka.EmbeddedKafka;
import io.gradflow.jobs.produce.ClickThroughGenerator;
import io.gradflow.jobs.produce.DriftSpec;
import io.gradflow.jobs.produce.GradflowProducer;
import io.gradflow.jobs.train.TrainJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The whole training job through Kafka, as a user runs it: the in-process broker holds N
 * click-through examples (40 fields, Zipf over 100,000 ids per field), and {@link TrainJob} reads
 * them from the earliest offset to the latest ({@code bounded: latest}) at parallelism 1, decodes
 * and validates them, trains sparse logistic regression with AdaGrad, and writes predictions,
 * metrics and the changelog back with exactly-once transactions, checkpointing every 2 s.
 *
 * <p>Run: {@code bench/run-kafka-job.sh [examples]}. The rate counts the whole job, start-up
 * included, so give it a few million examples.
 */
public final class KafkaJobThroughput {
  private KafkaJobThroughput() {}

  public static void main(String[] args) throws Exception {
    long examples = args.length > 0 ? Long.parseLong(args[0]) : 2_000_000L;
    Path dir = Files.createTempDirectory("gradflow-kafka-bench-");
    try (EmbeddedKafka kafka = EmbeddedKafka.start(
        Map.of("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000"))) {
      kafka.createTopics(1, "examples", "labels", "predictions", "metrics", "changelog",
          "dead-letters");
      ClickThroughGenerator generator = new ClickThroughGenerator(new ClickThroughGenerator.Spec(
          7, 40, 100_000, 1.05, 0.3, -1.4, DriftSpec.NONE, "ctr", System.currentTimeMillis(), 1));
      long produceStart = System.nanoTime();
      try (GradflowProducer producer = GradflowProducer.builder(kafka.bootstrapServers())
          .examplesTopic("examples").build()) {
        for (long i = 0; i < examples; i++) {
          producer.send(generator.next().example());
        }
        producer.flush();
      }
      double produceSeconds = (System.nanoTime() - produceStart) / 1e9;

      TrainConfig config = TrainConfig.fromYaml(String.join("\n",
          "job: {name: kafka-bench, parallelism: 1}",
          "kafka:",
          "  bootstrap_servers: " + kafka.bootstrapServers(),
          "  group_id: kafka-bench",
          "  transaction_timeout: 15s",
          "  starting_offsets: earliest",
          "  bounded: latest",
          "model: {type: logistic_regression, hash_bits: 22}",
          "optimizer: {name: Adagrad, lr: 0.1}",
          "state: {cache_pages: 16384}",
          "metrics: {every: 100000, window: 10000}",
          "checkpoints: {interval: 2s, directory: " + dir.resolve("checkpoints").toUri() + "}",
          ""));
      StreamExecutionEnvironment env =
          StreamExecutionEnvironment.getExecutionEnvironment(TrainJob.flinkConfiguration(config));
      TrainJob.configure(env, config);
      TrainJob.build(env, config);
      long start = System.nanoTime();
      env.execute(config.jobName());
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf(Locale.ROOT, "%n| stage | examples | seconds | examples/s |%n"
          + "|---|---:|---:|---:|%n"
          + "| produce to Kafka (`GradflowProducer`, one thread) | %,d | %.1f | %,.0f |%n"
          + "| train job, Kafka to Kafka, parallelism 1, heap, start-up included | %,d | %.1f |"
          + " %,.0f |%n", examples, produceSeconds, examples / produceSeconds, examples, seconds,
          examples / seconds);
    }
  }
}
