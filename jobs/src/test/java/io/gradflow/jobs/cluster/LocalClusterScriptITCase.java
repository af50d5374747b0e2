package io.gradflow.jobs.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.cli.Main;
import io.gradflow.jobs.kafka.KafkaTestSupport;
import io.gradflow.jobs.kafka.TestBroker;
import io.gradflow.jobs.produce.ClickThroughGenerator;
import io.gradflow.jobs.produce.GradflowProducer;
import io.gradflow.schema.Example;
import io.gradflow.schema.Prediction;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deploy/local-cluster.sh} end to end: {@code start} a session cluster of a JobManager and
 * two TaskManagers (one slot each, so the job's two subtasks run in two JVMs), {@code submit} the
 * training job jar with a job YAML against a Kafka broker, wait until every example has its
 * committed prediction, take a {@code savepoint} (which {@code gradflow export} reads as a
 * model), {@code stop-job} it (Flink's stop with a savepoint), refuse to {@code submit} from a
 * path where no savepoint is (the cluster finds none) and another model's configuration from the
 * stopped job's savepoint (the trainer refuses it at restore; submit waits for the job's tasks
 * and says why it failed), one line each and no trace, {@code submit} from it again and learn
 * more examples with every prediction committed once, {@code cancel} the job, and {@code stop} the cluster, after which
 * none of its processes runs. The job reads an unbounded stream, so it is still running when the
 * savepoints are taken.
 */
class LocalClusterScriptITCase {
  static final int EXAMPLES = 2_000;
  static final int MORE = 500;

  @TempDir
  Path temp;

  @Test
  void startSubmitSavepointCancelStop() throws Exception {
    Path script = root().resolve("deploy/local-cluster.sh");
    Path home = temp.resolve("cluster");
    Map<String, String> env = Map.of("GRADFLOW_CLUSTER_DIR", home.toString(),
        "REST_PORT", Integer.toString(freePort()), "RPC_PORT", Integer.toString(freePort()),
        "JAVA_HOME", System.getProperty("java.home"),
        "GRADFLOW_JAR", FlinkRunITCase.jobJar().toAbsolutePath().toString());
    try (TestBroker kafka = TestBroker.start(
        Map.of("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000"))) {
      kafka.createTopics(2, "examples");
      kafka.createTopics(1, "labels", "predictions", "metrics", "changelog", "dead-letters");
      FlinkRunITCase.produce(kafka, EXAMPLES);
      Path config = temp.resolve("job.yaml");
      Files.writeString(config, String.join("\n",
          "job: {name: script-run, parallelism: 2}",
          "kafka:",
          "  bootstrap_servers: " + kafka.bootstrapServers(),
          "  group_id: script-run",
          "  transaction_timeout: 15s",
          "  starting_offsets: earliest",
          "optimizer: {name: Adagrad, lr: 0.1}",
          "checkpoints: {interval: 1s, directory: " + temp.resolve("checkpoints").toUri() + "}",
          ""));
      try {
        Result start = run(script, env, "start", "--taskmanagers", "2", "--slots", "1");
        assertEquals(0, start.code(), start.output());
        assertTrue(start.output().contains("2 TaskManagers, 2 slots"), start.output());

        Result submit = run(script, env, "submit", "--config", config.toString());
        Matcher id = Pattern.compile("local-cluster: job ([0-9a-f]{32})").matcher(submit.output());
        assertTrue(submit.code() == 0 && id.find(), submit.output() + logs(home));
        // Waits for every task, and sees them run (the job's timestamps map once read as tasks
        // not yet running, so every submit waited 90 s and said so).
        assertTrue(submit.output().contains(" runs (Flink UI"), submit.output());

        Set<String> predicted = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : KafkaTestSupport.readAll(kafka, "predictions",
            EXAMPLES, Duration.ofSeconds(120))) {
          predicted.add(Prediction.getDecoder().decode(r.value()).getExampleId());
        }
        assertEquals(EXAMPLES, predicted.size(), "committed predictions" + logs(home));

        Result savepoint = run(script, env, "savepoint");
        Matcher path = Pattern.compile("savepoint (\\S+)").matcher(savepoint.output());
        assertTrue(savepoint.code() == 0 && path.find(), savepoint.output() + logs(home));
        Path savepointDir = Path.of(URI.create(path.group(1)));
        assertTrue(Files.exists(savepointDir.resolve("_metadata")), savepointDir.toString());
        assertEquals(0, gradflow("export", "--savepoint", savepointDir.toString(), "--out",
            temp.resolve("model.avro").toString()), "export of the script's savepoint");

        assertFalse(submit.output().contains("\tat ") || submit.output().contains("INFO"),
            "the client's own log goes to log/client.log: " + submit.output());

        Result stopped = run(script, env, "stop-job");
        Matcher stopPath = Pattern.compile("stopped " + id.group(1) + " with savepoint (\\S+)")
            .matcher(stopped.output());
        assertTrue(stopped.code() == 0 && stopPath.find(), stopped.output() + logs(home));
        assertTrue(run(script, env, "status").output().contains("\"state\":\"FINISHED\""),
            "stop-job ends the job");

        Result nowhere = run(script, env, "submit", "--config", config.toString(), "--savepoint",
            temp.resolve("no-such-savepoint").toUri().toString());
        assertTrue(nowhere.code() != 0 && nowhere.output().contains("gradflow train: no savepoint"
            + " or checkpoint at file:"), nowhere.output());
        assertFalse(nowhere.output().contains("\tat ") || nowhere.output().contains("a bug"),
            nowhere.output());
        // Trial L5: refused first, with no line as if the restore were to happen.
        assertFalse(nowhere.output().contains("reads on from the offsets")
            || nowhere.output().contains("is not checked on this restored run"), nowhere.output());

        Path otherModel = temp.resolve("other-model.yaml");
        Files.writeString(otherModel, Files.readString(config).replace("name: Adagrad",
            "name: SGD"));
        Result refused = run(script, env, "submit", "--config", otherModel.toString(),
            "--savepoint", stopPath.group(1));
        // Accepted by the cluster, refused by the trainer at restore: submit waits and says so.
        assertTrue(refused.code() != 0 && refused.output().contains("failed: the savepoint's"
            + " model has "), refused.output());
        assertFalse(refused.output().contains("\tat "), refused.output());

        Result resumed = run(script, env, "submit", "--config", config.toString(), "--savepoint",
            stopPath.group(1));
        Matcher id2 = Pattern.compile("local-cluster: job ([0-9a-f]{32})")
            .matcher(resumed.output());
        assertTrue(resumed.code() == 0 && id2.find(), resumed.output() + logs(home));
        assertTrue(resumed.output().contains(" runs (Flink UI"), resumed.output());
        ClickThroughGenerator generator =
            new ClickThroughGenerator(ClickThroughGenerator.Spec.defaults(4));
        try (GradflowProducer producer = GradflowProducer.builder(kafka.bootstrapServers())
            .examplesTopic("examples").build()) {
          for (int i = 0; i < MORE; i++) {
            producer.send(Example.newBuilder(generator.next().example())
                .setExampleId("more-" + i).build());
          }
          producer.flush();
        }
        KafkaTestSupport.readAll(kafka, "predictions", EXAMPLES + MORE, Duration.ofSeconds(120));
        // a few more checkpoints' time: a prediction committed twice would show up now
        List<ConsumerRecord<byte[], byte[]>> all = KafkaTestSupport.readAll(kafka, "predictions",
            EXAMPLES + MORE + 1, Duration.ofSeconds(8));
        Set<String> once = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : all) {
          once.add(Prediction.getDecoder().decode(r.value()).getExampleId().toString());
        }
        assertEquals(EXAMPLES + MORE, once.size(), "every example predicted" + logs(home));
        assertEquals(EXAMPLES + MORE, all.size(), "and each once (read_committed)");

        Result cancel = run(script, env, "cancel", id2.group(1));
        assertEquals(0, cancel.code(), cancel.output());
        Result status = run(script, env, "status");
        assertTrue(status.output().contains("\"state\":\"CANCELED\"")
            || status.output().contains("\"state\":\"CANCELLING\""), status.output());
      } finally {
        Result stop = run(script, env, "stop");
        assertEquals(0, stop.code(), stop.output());
      }
      try (var pids = Files.list(home)) {
        assertFalse(pids.anyMatch(p -> p.toString().endsWith(".pid")), "pid files left");
      }
      assertEquals(3, run(script, env, "status").code(), "no cluster after stop");
    }
  }

  record Result(int code, String output) {}

  private static Result run(Path script, Map<String, String> env, String... args)
      throws Exception {
    List<String> command = new ArrayList<>(List.of("bash", script.toString()));
    command.addAll(List.of(args));
    ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true);
    b.environment().putAll(env);
    Process p = b.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(3, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException("local-cluster.sh " + String.join(" ", args)
          + " did not finish: " + out);
    }
    return new Result(p.exitValue(), out);
  }

  private static int gradflow(String... args) {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    return Main.run(args, new ByteArrayInputStream(new byte[0]),
        new PrintStream(sink, true, StandardCharsets.UTF_8),
        new PrintStream(sink, true, StandardCharsets.UTF_8));
  }

  private static String logs(Path home) throws Exception {
    StringBuilder s = new StringBuilder();
    Path dir = home.resolve("log");
    if (Files.isDirectory(dir)) {
      try (var files = Files.list(dir)) {
        for (Path log : files.sorted().toList()) {
          List<String> lines = Files.readAllLines(log);
          s.append("\n--- ").append(log.getFileName()).append(" ---\n").append(String.join("\n",
              lines.subList(Math.max(0, lines.size() - 30), lines.size())));
        }
      }
    }
    return s.toString();
  }

  private static Path root() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isRegularFile(dir.resolve("deploy/local-cluster.sh"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException("no deploy/local-cluster.sh above the working directory");
    }
    return dir;
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
