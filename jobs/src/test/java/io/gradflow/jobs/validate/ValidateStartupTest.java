package io.gradflow.jobs.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.config.ConfigReport;
import io.gradflow.jobs.cli.Main;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.snapshot.TestSavepoints;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code validate} refuses at start-up, before it connects to a broker or replays anything:
 * a savepoint whose model another configuration cannot restore (whichever place it has among the
 * savepoints), and configurations that cannot share one replay. No broker listens at the jobs'
 * address, so a check that came only after the range was read would fail on the broker instead.
 */
class ValidateStartupTest {
  private static final String KAFKA = "kafka: {bootstrap_servers: '127.0.0.1:1', topics:"
      + " {examples: ex, predictions: pr, metrics: me, dead_letters: dl}}\n";
  private static final String ADAGRAD = KAFKA + "model: {hash_bits: 18}\n"
      + "optimizer: {name: Adagrad, lr: 0.05}\n";
  private static final String ADAM = KAFKA + "model: {hash_bits: 18}\n"
      + "optimizer: {name: Adam, lr: 0.05}\n";

  @TempDir
  Path temp;
  private Path adagrad;
  private Path adam;
  private String champion;
  private String challenger;

  record Result(int exit, String out, String err) {}

  @BeforeEach
  void savepoints() throws Exception {
    adagrad = Files.writeString(temp.resolve("adagrad.yaml"), ADAGRAD);
    adam = Files.writeString(temp.resolve("adam.yaml"), ADAM);
    champion = TestSavepoints.write(TrainConfig.load(adagrad, new ConfigReport()),
        temp.resolve("champion")).toString();
    challenger = TestSavepoints.write(TrainConfig.load(adam, new ConfigReport()),
        temp.resolve("challenger")).toString();
  }

  private static Result run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = Main.run(args, new ByteArrayInputStream(new byte[0]),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    Result r = new Result(exit, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
    assertFalse(r.err.contains("\tat "), "no stack trace: " + r.err);
    return r;
  }

  @Test
  void theSecondSavepointsModelIsRefusedBeforeAnythingIsRead() {
    Result r = run("validate", "--config", adagrad.toString(), "--savepoint", champion,
        "--name", "champion", "--savepoint", challenger, "--name", "challenger",
        "--json", temp.resolve("v.json").toString(), "--timeout", "1s");
    assertEquals(2, r.exit, r.err);
    assertTrue(r.err.contains("--savepoint " + challenger + " (challenger) cannot be replayed"
        + " with --config " + adagrad + ": the savepoint's model has optimizer.name Adam, the"
        + " configuration says Adagrad"), r.err);
    assertFalse(r.out.contains("records of"), "nothing was read: " + r.out);
    assertFalse(Files.exists(temp.resolve("v.json")));
  }

  @Test
  void eachSavepointIsCheckedAgainstItsOwnConfiguration() {
    // Paired in order: both match, so validate goes on to the broker (which is not there).
    Result paired = run("validate", "--config", adagrad.toString(), "--config", adam.toString(),
        "--savepoint", champion, "--savepoint", challenger, "--timeout", "1s");
    assertFalse(paired.err.contains("cannot be replayed"), paired.err);
    assertTrue(paired.err.contains("Kafka refused"), "it went on to the broker: " + paired.err);

    // Paired the other way round: the first savepoint is refused, naming its configuration.
    Result crossed = run("validate", "--config", adam.toString(), "--config",
        adagrad.toString(), "--savepoint", champion, "--savepoint", challenger,
        "--timeout", "1s");
    assertEquals(2, crossed.exit, crossed.err);
    assertTrue(crossed.err.contains("--savepoint " + champion + " (champion) cannot be replayed"
        + " with --config " + adam + ": the savepoint's model has optimizer.name Adagrad"),
        crossed.err);

    Result count = run("validate", "--config", adam.toString(), "--config", adam.toString(),
        "--config", adam.toString(), "--savepoint", champion, "--savepoint", challenger);
    assertEquals(2, count.exit, count.err);
    assertTrue(count.err.contains("--config must be given once (for every savepoint) or once"
        + " per --savepoint, in the same order (2 savepoints, 3 configs)"), count.err);
  }

  @Test
  void configurationsOfAnotherTopicCannotShareAReplay() throws Exception {
    Path other = Files.writeString(temp.resolve("other.yaml"),
        ADAM.replace("examples: ex", "examples: other"));
    Result r = run("validate", "--config", adagrad.toString(), "--config", other.toString(),
        "--savepoint", champion, "--savepoint", challenger, "--timeout", "1s");
    assertEquals(2, r.exit, r.err);
    assertTrue(r.err.contains("--config " + other + " reads another examples topic"
        + " (kafka.topics.examples other, not ex) than --config " + adagrad), r.err);
  }

  /**
   * With delayed labels one decoder (the first configuration's) joins the labels for every
   * savepoint: an example it refuses gets no label. Configurations that decode otherwise would
   * leave the challenger's examples unlabeled where its own job would have joined them.
   */
  @Test
  void delayedLabelsNeedConfigurationsThatDecodeAlike() throws Exception {
    String delayed = "labels: {delayed: true}\n";
    Path first = Files.writeString(temp.resolve("delayed-adagrad.yaml"),
        ADAGRAD.replace("dead_letters: dl", "dead_letters: dl, labels: lb") + delayed);
    Path bounded = Files.writeString(temp.resolve("delayed-adam-bounded.yaml"),
        ADAM.replace("dead_letters: dl", "dead_letters: dl, labels: lb") + delayed
            + "input: {max_abs_value: 100}\n");
    Path alike = Files.writeString(temp.resolve("delayed-adam.yaml"),
        ADAM.replace("dead_letters: dl", "dead_letters: dl, labels: lb") + delayed);
    String champion = TestSavepoints.write(TrainConfig.load(first, new ConfigReport()),
        temp.resolve("delayed-champion")).toString();
    String challenger = TestSavepoints.write(TrainConfig.load(alike, new ConfigReport()),
        temp.resolve("delayed-challenger")).toString();

    Result r = run("validate", "--config", first.toString(), "--config", bounded.toString(),
        "--savepoint", champion, "--savepoint", challenger, "--timeout", "1s");
    assertEquals(2, r.exit, r.err);
    assertTrue(r.err.contains("--config " + bounded + " decodes examples with other settings"
        + " (input.*, model.inputs, model.default_key, model.loss; with labels.delayed the labels"
        + " are joined once, by one decoder) than --config " + first), r.err);

    Result same = run("validate", "--config", first.toString(), "--config", alike.toString(),
        "--savepoint", champion, "--savepoint", challenger, "--timeout", "1s");
    assertFalse(same.err.contains("decodes examples"), same.err);
    assertTrue(same.err.contains("Kafka refused"), "it went on to the broker: " + same.err);
  }
}
