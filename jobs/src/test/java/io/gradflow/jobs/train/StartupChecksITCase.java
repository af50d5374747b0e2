package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The start-up checks of {@code gradflow train}: each stops before the job is submitted, with one
 * message that names the setting, and no stack trace.
 */
class StartupChecksITCase extends TrainJobITCase {
  /** {@code gradflow train} without the base class's progress and start-up timeout flags. */
  private int launch(String yaml, String... flags) throws Exception {
    Path file = Files.createTempFile(temp, "job", ".yaml");
    // these files keep the default checkpoint interval (10s): the transaction timeout must be at
    // least 2 x 10s + 10s
    Files.writeString(file, yaml.replace("transaction_timeout: 15s", "transaction_timeout: 30s"));
    List<String> args = new ArrayList<>(List.of("train", "--config", file.toString()));
    args.addAll(List.of(flags));
    return gradflow(args.toArray(String[]::new));
  }

  /** What train printed on stderr; a start-up refusal never prints a stack trace. */
  @Override
  String err() {
    String e = super.err();
    assertFalse(e.contains("\tat "), "no stack trace: " + e);
    return e;
  }

  @Test
  void anUnreachableBrokerNamesBootstrapServers() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort(); // closed again: nothing listens there
    }
    Run run = Run.create("examples", "labels");
    String yaml = run.yaml("", true).replace(kafka.bootstrapServers(), "localhost:" + port);
    assertEquals(1, launch(yaml, "--startup-timeout", "2s"));
    assertTrue(err().contains("no Kafka broker answered at kafka.bootstrap_servers (localhost:"
        + port + ") within 2 s"), err());
  }

  @Test
  void aMissingExamplesTopicNamesItsSetting() throws Exception {
    Run run = Run.create("no-such-examples", "labels");
    assertEquals(2, launch(run.yaml("", true)));
    assertTrue(err().contains("kafka.topics.examples names the topic 'no-such-examples', which"
        + " does not exist"), err());
  }

  @Test
  void aMissingLabelsTopicNamesItsSettingWhenLabelsAreDelayed() throws Exception {
    kafka.createTopics(1, "checked-examples");
    Run run = Run.create("checked-examples", "no-such-labels");
    assertEquals(2, launch(run.yaml("labels: {delayed: true}", true)));
    assertTrue(err().contains("kafka.topics.labels names the topic 'no-such-labels'"), err());
  }

  @Test
  void aMissingOutputTopicNamesItsSettingWhenTheBrokerCreatesNone() throws Exception {
    kafka.createTopics(1, "checked-examples");
    Run run = Run.create("checked-examples", "labels");
    String yaml = run.yaml("", true).replace("metrics: " + run.metrics() + ",",
        "metrics: no-such-metrics,");
    assertEquals(2, launch(yaml));
    assertTrue(err().contains("kafka.topics.metrics names the topic 'no-such-metrics', which does"
        + " not exist") && err().contains("auto.create.topics.enable=false"), err());
  }

  @Test
  void createTopicsCreatesTheMissingOutputsTheChangelogCompacted() throws Exception {
    kafka.createTopics(2, "created-examples");
    Run run = Run.create("created-examples", "labels");
    String yaml = run.yaml("", true)
        .replace("metrics: " + run.metrics() + ",", "metrics: created-metrics,")
        .replace("changelog: " + run.changelog() + ",", "changelog: created-changelog,");
    produce("created-examples", 7, 0, 200, "m");
    assertEquals(0, launch(yaml, "--create-topics"), err());
    assertTrue(out().contains("created kafka.topics.metrics topic 'created-metrics' (2"
        + " partitions)"), out());
    assertTrue(out().contains("created kafka.topics.changelog topic 'created-changelog' (2"
        + " partitions, cleanup.policy=compact)"), out());
    try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
        java.util.Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      org.apache.kafka.common.config.ConfigResource changelog =
          new org.apache.kafka.common.config.ConfigResource(
              org.apache.kafka.common.config.ConfigResource.Type.TOPIC, "created-changelog");
      assertEquals("compact", admin.describeConfigs(List.of(changelog)).all().get()
          .get(changelog).get("cleanup.policy").value());
      assertEquals(2, admin.describeTopics(List.of("created-metrics")).allTopicNames().get()
          .get("created-metrics").partitions().size());
    }
    // existing topics are left as they are, and said nothing of
    assertFalse(out().contains("'" + run.predictions() + "' ("), out());

    // A topic created by someone else between the check and the creation is no refusal; a
    // creation the brokers refuse names the setting.
    try (io.gradflow.jobs.kafka.KafkaPreflight preflight = io.gradflow.jobs.kafka.KafkaPreflight
        .connect(io.gradflow.jobs.config.TrainConfig.fromYaml(yaml.replace(
            "transaction_timeout: 15s", "transaction_timeout: 30s")).kafka(),
            java.time.Duration.ofSeconds(20))) {
      assertNull(preflight.create("kafka.topics.metrics", "created-metrics", 2,
          java.util.Map.of()));
      io.gradflow.jobs.cli.UserException refused = org.junit.jupiter.api.Assertions.assertThrows(
          io.gradflow.jobs.cli.UserException.class, () -> preflight.create(
              "kafka.topics.metrics", "refused-metrics", 1,
              java.util.Map.of("cleanup.policy", "no-such-policy")));
      assertTrue(refused.getMessage().startsWith("kafka.topics.metrics names the topic"
          + " 'refused-metrics', which does not exist, and --create-topics could not create"
          + " it: "), refused.getMessage());
      assertEquals(2, refused.exitCode());
    }
  }

  @Test
  void anUnwritableCheckpointDirectoryNamesItsSetting() throws Exception {
    kafka.createTopics(1, "checked-examples");
    Path blocker = Files.writeString(temp.resolve("a-file"), "not a directory");
    Run run = Run.create("checked-examples", "labels");
    assertEquals(2, launch(run.yaml("checkpoints: {directory: " + blocker.resolve("checkpoints")
        .toUri() + "}", true)));
    assertTrue(err().contains("checkpoints.directory (") && err().contains("is not writable: Not a"
        + " directory") && err().contains("set checkpoints.directory to a directory"), err());
  }

  @Test
  void aMissingSavepointNamesTheFlag() throws Exception {
    kafka.createTopics(1, "checked-examples");
    Run run = Run.create("checked-examples", "labels");
    Path missing = temp.resolve("savepoint-1");
    assertEquals(2, launch(run.yaml("", true), "--savepoint", missing.toString()));
    assertTrue(err().contains("--savepoint " + missing + " does not exist"), err());
    Files.createDirectories(missing);
    assertEquals(2, launch(run.yaml("", true), "--savepoint", missing.toString()));
    assertTrue(err().contains("holds no _metadata file"), err());
  }
}
