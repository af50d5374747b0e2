package io.gradflow.jobs.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.config.ConfigException;
import io.gradflow.jobs.cli.Main;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Operator mistakes in a job file stop at start-up naming the key, without a stack trace and
 * without printing a value that may be a secret (issue 9, "Operator mistakes stop at start-up").
 */
class ConfigMistakesTest {
  private static final String KAFKA = "kafka: {bootstrap_servers: localhost:9092}\n";
  private static final String SECRET = "hunter2-do-not-print";

  private static String refused(String yaml) {
    return assertThrows(ConfigException.class, () -> TrainConfig.fromYaml(yaml)).getMessage();
  }

  @Test
  void aKeyGivenTwiceIsRefusedAtAnyLevel() {
    assertEquals("model is given twice (line 3, column 6); a key may appear once in its map",
        refused(KAFKA + "model: {type: factorization_machine}\nmodel: {hash_bits: 20}\n"));
    assertEquals("kafka.topics.examples is given twice (line 5, column 13); a key may appear"
        + " once in its map", refused("kafka:\n  bootstrap_servers: x\n  topics:\n"
            + "    examples: a\n    examples: b\n"));
    assertTrue(refused(KAFKA + "race:\n  - {name: a, name: b}\n")
        .startsWith("race[0].name is given twice (line "));
    assertTrue(refused(KAFKA + "optimizer: {name: Adam, lr: 0.1, lr: 0.2}\n")
        .startsWith("optimizer.lr is given twice (line 2, "));
  }

  @Test
  void anEmptyFileIsRefused() {
    String message = "the configuration is empty; a job needs at least kafka:"
        + " {bootstrap_servers: HOST:PORT} (see jobs/src/main/resources/train-example.yaml for"
        + " every setting)";
    assertEquals(message, refused(""));
    assertEquals(message, refused("# nothing but a comment\n"));
    assertEquals(message, refused("---\n"));
  }

  /** type is how a model or a schedule is chosen; an optimizer is chosen by name. */
  @Test
  void anOptimizerTypeSuggestsItsName() {
    assertEquals("optimizer.type is not a setting; an optimizer is chosen by its name: name:"
        + " Adagrad (one of SGD, Adagrad, RMSprop, Adadelta, Adam, AdamW, Ftrl)",
        refused(KAFKA + "optimizer: {type: adagrd}\n"));
    assertEquals("race[1].optimizer.type is not a setting; an optimizer is chosen by its name:"
        + " name: NAME (one of SGD, Adagrad, RMSprop, Adadelta, Adam, AdamW, Ftrl)",
        refused(KAFKA + "race:\n  - {name: a, optimizer: {name: Adam}}\n"
            + "  - {name: b, optimizer: {type: momentum}}\n"));
    // Beside a name, an unknown key lists name among the accepted ones.
    String typo = refused(KAFKA + "optimizer: {name: Adam, typo: 1}\n");
    assertTrue(typo.startsWith("optimizer.typo is not a setting of Adam; accepted: name, lr,"
        + " betas, eps, "), typo);
  }

  /**
   * A syntax error keeps the parser's quoted syntax characters (what it expected), and still
   * hides quoted text, a value's even when it is one character.
   */
  @Test
  void aSyntaxErrorKeepsTheExpectedCharactersButNoValue() {
    String message = refused("kafka: {bootstrap_servers: x, sasl: \"" + SECRET
        + "\" topics: {examples: e}}\n");
    assertTrue(message.startsWith("the configuration is not valid YAML at line 1, column "),
        message);
    assertTrue(message.contains("expected ',' or '}', but got <scalar>"), message);
    assertFalse(message.contains(SECRET), message);
    assertEquals("expected ',' or '}', found '…' and '…'",
        YamlFiles.redact("expected ',' or '}', found '" + SECRET + "' and 'x'"));
    // SnakeYAML's problems that carry a value's text unquoted (review).
    assertEquals("found undefined alias …", YamlFiles.redact("found undefined alias " + SECRET));
    assertEquals("expected escape sequence of 8 hexadecimal numbers, but found: …",
        YamlFiles.redact("expected escape sequence of 8 hexadecimal numbers, but found: "
            + SECRET));
  }

  @Test
  void aSyntaxErrorNamesTheLineAndColumnButNoText() {
    String message = refused("kafka:\n  bootstrap_servers: x\n  properties:\n"
        + "    sasl.jaas.config: \"password=" + SECRET + "\n  [oops\n");
    assertTrue(message.startsWith("the configuration is not valid YAML at line "), message);
    assertTrue(message.endsWith("(while scanning a quoted scalar that starts at line 4,"
        + " column 23)"), message);
    assertFalse(message.contains(SECRET), message);
    String tabs = refused(KAFKA + "model:\n\ttype: " + SECRET + "\n");
    assertTrue(tabs.startsWith("the configuration is not valid YAML at line 3, column 1: found"
        + " character '\\t' that cannot start any token"), tabs);
    assertFalse(tabs.contains(SECRET), tabs);
    String mapping = refused("kafka: {bootstrap_servers: x: " + SECRET + "}\n");
    assertTrue(mapping.startsWith("the configuration is not valid YAML at line 1"), mapping);
    assertFalse(mapping.contains(SECRET), mapping);
  }

  @Test
  void theFileMustBeAMapAndIsNeverEchoed() {
    assertEquals("the configuration must be a map of settings, but was a string",
        refused(SECRET + "\n"));
    assertEquals("the configuration must be a map of settings, but was a list",
        refused("- " + SECRET + "\n"));
  }

  @Test
  void kafkaPropertiesGivenAsTextAreNotPrinted() {
    String message = refused("kafka: {bootstrap_servers: x, properties: 'sasl.jaas.config="
        + SECRET + "'}\n");
    assertEquals("kafka.properties must be a map of names to values, but was a string", message);
    String nested = refused("kafka: {bootstrap_servers: x, properties: {sasl.jaas.config:"
        + " {password: " + SECRET + "}}}\n");
    assertEquals("kafka.properties.sasl.jaas.config must be a string, number or boolean, but was"
        + " a map", nested);
  }

  @Test
  void aClientPropertyThatASettingSetsIsRefused() {
    assertEquals("kafka.properties.bootstrap.servers conflicts with kafka.bootstrap_servers: the"
        + " job sets bootstrap.servers from kafka.bootstrap_servers (isolation.level is always"
        + " read_committed); remove it from the properties",
        refused("kafka: {bootstrap_servers: x, properties: {bootstrap.servers: y}}"));
  }

  @Test
  void aCheckpointIntervalBelowTheMinimumIsRefused() throws Exception {
    assertEquals("checkpoints.interval must be 0 (off) or >= 100ms, but was 1ms",
        refused(KAFKA + "checkpoints: {interval: 1ms}"));
    assertEquals("checkpoints.interval must be 0 (off) or >= 100ms, but was 99ms",
        refused(KAFKA + "checkpoints: {interval: 99}"));
    assertEquals(Duration.ofMillis(100), TrainConfig.fromYaml(KAFKA
        + "checkpoints: {interval: 100ms}").state().checkpointInterval());
    assertEquals(Duration.ZERO, TrainConfig.fromYaml(KAFKA + "checkpoints: {interval: 0}")
        .state().checkpointInterval());
  }

  @Test
  void anInvalidTopicNameIsRefusedByKafkasRule() {
    String rule = "a Kafka topic name (1 to 249 characters of a-z, A-Z, 0-9, '.', '_', '-'; not"
        + " '.' or '..')";
    assertEquals("kafka.topics.examples must be " + rule + ", but was 'my examples'",
        refused("kafka: {bootstrap_servers: x, topics: {examples: my examples}}"));
    assertEquals("kafka.topics.dead_letters must be " + rule + ", but was '..'",
        refused("kafka: {bootstrap_servers: x, topics: {dead_letters: '..'}}"));
    assertEquals("kafka.topics.metrics must be " + rule + ", but was 'métriques'",
        refused("kafka: {bootstrap_servers: x, topics: {metrics: métriques}}"));
    String longName = "t".repeat(250);
    assertEquals("kafka.topics.predictions must be " + rule + ", but was '" + longName + "'",
        refused("kafka: {bootstrap_servers: x, topics: {predictions: " + longName + "}}"));
  }

  @Test
  void anOutputTopicThatIsAnInputTopicIsRefused() {
    assertEquals("kafka.topics.predictions conflicts with kafka.topics.examples: both name the"
        + " topic 'clicks'; a job must not write to a topic it reads",
        refused("kafka: {bootstrap_servers: x, topics: {examples: clicks, predictions: clicks}}"));
    assertEquals("kafka.topics.dead_letters conflicts with kafka.topics.labels: both name the"
        + " topic 'labels'; a job must not write to a topic it reads",
        refused("kafka: {bootstrap_servers: x, topics: {dead_letters: labels}}"));
  }

  @Test
  void aFileThatCannotBeReadIsNamed(@TempDir Path dir) throws Exception {
    assertEquals("--config names a directory, not a job file: " + dir,
        assertThrows(ConfigException.class, () -> TrainConfig.load(dir)).getMessage());
    Path latin1 = dir.resolve("latin1.yaml");
    Files.write(latin1, new byte[] {'k', ':', ' ', (byte) 0xE9, '\n'});
    assertEquals("--config names a file that is not UTF-8 text: " + latin1,
        assertThrows(ConfigException.class, () -> TrainConfig.load(latin1)).getMessage());
  }

  @Test
  void theCommandLineShowsTheMessageWithoutAStackTrace(@TempDir Path dir) throws Exception {
    String[][] cases = {
        {"model: {}\nmodel: {}\n", "model is given twice"},
        {"", "the configuration is empty"},
        {"kafka: {bootstrap_servers: x, properties: 'password=" + SECRET + "'}\n",
            "kafka.properties must be a map"},
        {"kafka: [\n", "the configuration is not valid YAML at line"},
        {KAFKA + "checkpoints: {interval: 1ms}\n", "checkpoints.interval must be 0 (off)"}};
    for (String[] c : cases) {
      Path file = dir.resolve("job.yaml");
      Files.writeString(file, c[0]);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code = Main.run(new String[] {"train", "--config", file.toString(), "--validate-only"},
          new ByteArrayInputStream(new byte[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8));
      String stderr = err.toString(StandardCharsets.UTF_8);
      assertEquals(2, code, stderr);
      assertTrue(stderr.startsWith("gradflow train: " + c[1]), stderr);
      assertFalse(stderr.contains("\tat "), stderr);
      assertFalse(stderr.contains(SECRET), stderr);
    }
  }
}
