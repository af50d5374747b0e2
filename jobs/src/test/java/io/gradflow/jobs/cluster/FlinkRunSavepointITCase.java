package io.gradflow.jobs.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.cli.Main;
import io.gradflow.jobs.kafka.KafkaTestSupport;
import io.gradflow.jobs.kafka.TestBroker;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Savepoints of {@code flink run} deployments, on a session cluster of separate JVMs: an
 * attached {@code flink run JAR --config job.yaml --final-savepoint DIR} of a bounded job ends
 * with a savepoint in DIR; a detached live job's savepoint is taken with Flink's own
 * {@code flink savepoint <job id> <dir>} and with {@code gradflow savepoint --rest URL --job ID
 * --dir DIR} through the cluster's REST endpoint, and the job runs on.
 */
class FlinkRunSavepointITCase {
  static final int EXAMPLES = 2_000;

  @TempDir
  Path temp;

  @Test
  void savepointsOfJobsOnASessionCluster() throws Exception {
    Path jar = FlinkRunITCase.jobJar();
    try (TestBroker kafka = TestBroker.start(
        Map.of("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000"))) {
      kafka.createTopics(1, "examples", "labels", "predictions", "metrics", "changelog",
          "dead-letters", "live-predictions");
      FlinkRunITCase.produce(kafka, EXAMPLES);
      Path bounded = config(kafka, "backfill", "predictions", true);
      Path live = config(kafka, "live", "live-predictions", false);

      try (LocalFlinkCluster cluster = LocalFlinkCluster.start(temp.resolve("flink"), 4)) {
        Path dir = temp.resolve("final");
        LocalFlinkCluster.Result backfill = cluster.flink(Duration.ofMinutes(3), "run",
            jar.toString(), "--config", bounded.toString(), "--final-savepoint", dir.toString());
        assertEquals(0, backfill.code(), backfill.output() + cluster.logs());
        Matcher path = Pattern.compile("(?m)^ *savepoint +(\\S+)").matcher(backfill.output());
        assertTrue(path.find(), backfill.output());
        assertTrue(Files.exists(Path.of(URI.create(path.group(1))).resolve("_metadata")),
            backfill.output());
        assertTrue(Path.of(URI.create(path.group(1))).startsWith(dir), path.group(1));

        LocalFlinkCluster.Result run = cluster.flink(Duration.ofMinutes(2), "run", "-d",
            jar.toString(), "--config", live.toString());
        Matcher id = Pattern.compile("JobID ([0-9a-f]{32})").matcher(run.output());
        assertTrue(run.code() == 0 && id.find(), run.output() + cluster.logs());
        assertEquals(EXAMPLES, KafkaTestSupport.readAll(kafka, "live-predictions", EXAMPLES,
            Duration.ofSeconds(120)).size(), cluster.logs());

        Path flinkDir = temp.resolve("by-flink");
        LocalFlinkCluster.Result flinkSavepoint = cluster.flink(Duration.ofMinutes(2),
            "savepoint", id.group(1), flinkDir.toUri().toString());
        assertEquals(0, flinkSavepoint.code(), flinkSavepoint.output());
        assertTrue(flinkSavepoint.output().contains("Savepoint completed. Path: "),
            flinkSavepoint.output());

        Path ourDir = temp.resolve("by-gradflow");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.run(new String[] {"savepoint", "--rest", cluster.restAddress(), "--job",
            id.group(1), "--dir", ourDir.toString()}, new ByteArrayInputStream(new byte[0]),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        String printed = out.toString(StandardCharsets.UTF_8) + err.toString(
            StandardCharsets.UTF_8);
        assertEquals(0, exit, printed);
        Matcher ours = Pattern.compile("(?m)^savepoint (\\S+)").matcher(printed);
        assertTrue(ours.find(), printed);
        assertTrue(Files.exists(Path.of(URI.create(ours.group(1))).resolve("_metadata")),
            printed);
        assertTrue(cluster.rest("/jobs/" + id.group(1)).contains("\"state\":\"RUNNING\""),
            "the job runs on after both savepoints");

        assertEquals(0, cluster.flink(Duration.ofMinutes(1), "cancel", id.group(1)).code());
      }
    }
  }

  private Path config(TestBroker kafka, String name, String predictions, boolean bounded)
      throws Exception {
    Path config = temp.resolve(name + ".yaml");
    Files.writeString(config, String.join("\n",
        "job: {name: " + name + ", parallelism: 2}",
        "kafka:",
        "  bootstrap_servers: " + kafka.bootstrapServers(),
        "  group_id: " + name,
        "  transactional_id_prefix: " + name,
        "  transaction_timeout: 15s",
        "  topics: {examples: examples, labels: labels, predictions: " + predictions + ","
            + " metrics: metrics, changelog: changelog, dead_letters: dead-letters}",
        "  starting_offsets: earliest",
        bounded ? "  bounded: latest" : "",
        "optimizer: {name: Adagrad, lr: 0.1}",
        "checkpoints: {interval: 1s, directory: " + temp.resolve("checkpoints-" + name).toUri()
            + "}",
        ""));
    return config;
  }
}
