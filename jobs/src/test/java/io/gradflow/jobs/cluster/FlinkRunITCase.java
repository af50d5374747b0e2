package io.gradflow.jobs.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.kafka.KafkaTestSupport;
import io.gradflow.jobs.kafka.TestBroker;
import io.gradflow.jobs.produce.ClickThroughGenerator;
import io.gradflow.jobs.produce.GradflowProducer;
import io.gradflow.schema.Prediction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job jar ({@code jobs/target/*-flink.jar}, built by {@code package} before this test runs)
 * submitted with {@code flink run} to a session cluster of separate JVMs, with the same YAML
 * configuration as {@code gradflow train}: it trains from Kafka and commits a prediction per
 * example, and {@code flink cancel} stops it.
 */
class FlinkRunITCase {
  static final int EXAMPLES = 3_000;

  @TempDir
  Path temp;

  @Test
  void theJobJarRunsOnASessionClusterWithTheSameConfiguration() throws Exception {
    Path jar = jobJar();
    try (TestBroker kafka = TestBroker.start(
        Map.of("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000"))) {
      kafka.createTopics(1, "examples", "labels", "predictions", "metrics", "changelog",
          "dead-letters");
      produce(kafka, EXAMPLES);
      Path config = temp.resolve("job.yaml");
      Files.writeString(config, String.join("\n",
          "job: {name: cluster-run, parallelism: 2}",
          "kafka:",
          "  bootstrap_servers: " + kafka.bootstrapServers(),
          "  group_id: cluster-run",
          "  transactional_id_prefix: cluster-run",
          "  transaction_timeout: 15s",
          "  topics: {examples: examples, labels: labels, predictions: predictions,"
              + " metrics: metrics, changelog: changelog, dead_letters: dead-letters}",
          "  starting_offsets: earliest",
          "optimizer: {name: Adagrad, lr: 0.1}",
          "checkpoints: {interval: 1s, directory: " + temp.resolve("checkpoints").toUri() + "}",
          ""));

      try (LocalFlinkCluster cluster = LocalFlinkCluster.start(temp.resolve("flink"), 4)) {
        LocalFlinkCluster.Result run = cluster.flink(Duration.ofMinutes(2), "run", "-d",
            jar.toString(), "--config", config.toString());
        Matcher id = Pattern.compile("JobID ([0-9a-f]{32})").matcher(run.output());
        assertTrue(run.code() == 0 && id.find(), "flink run failed: " + run.output()
            + cluster.logs());

        Set<String> predicted = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : KafkaTestSupport.readAll(kafka, "predictions",
            EXAMPLES, Duration.ofSeconds(120))) {
          Prediction p = Prediction.getDecoder().decode(r.value());
          assertTrue(predicted.add(p.getExampleId()), "duplicate prediction " + p);
        }
        assertEquals(EXAMPLES, predicted.size(),
            "committed predictions from the cluster" + cluster.logs());
        assertTrue(cluster.rest("/jobs/" + id.group(1)).contains("\"state\":\"RUNNING\""));

        LocalFlinkCluster.Result cancel =
            cluster.flink(Duration.ofMinutes(1), "cancel", id.group(1));
        assertEquals(0, cancel.code(), cancel.output());
      }
    }
  }

  /** The shaded job jar {@code package} built. */
  /** Writes {@code count} click-through examples (seed 3) to the topic {@code examples}. */
  static void produce(TestBroker kafka, int count) {
    ClickThroughGenerator generator =
        new ClickThroughGenerator(ClickThroughGenerator.Spec.defaults(3));
    try (GradflowProducer producer = GradflowProducer.builder(kafka.bootstrapServers())
        .examplesTopic("examples").build()) {
      for (int i = 0; i < count; i++) {
        producer.send(generator.next().example());
      }
      producer.flush();
    }
  }

  static Path jobJar() throws Exception {
    try (var files = Files.list(Path.of("target"))) {
      return files.filter(p -> p.getFileName().toString().endsWith("-flink.jar")).findFirst()
          .orElseThrow(() -> new IllegalStateException(
              "no *-flink.jar in jobs/target: run `./mvnw verify`, which packages it first"));
    }
  }
}
