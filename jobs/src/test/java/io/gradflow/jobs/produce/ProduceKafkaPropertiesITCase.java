package io.gradflow.jobs.produce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.cli.Main;
import io.gradflow.jobs.kafka.TestBroker;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code produce} and {@code consume} with a job's Kafka settings against a real broker: the
 * brokers, the examples topic and the client properties of {@code --config} reach the clients,
 * {@code --kafka-property} adds to them, and a failure names a property but never shows a value.
 */
class ProduceKafkaPropertiesITCase {
  static final String PASSWORD = "s3cret-Passw0rd";
  static TestBroker kafka;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() throws Exception {
    kafka = TestBroker.start();
  }

  @AfterAll
  static void stop() throws Exception {
    kafka.close();
  }

  record Result(int code, String out, String err) {}

  static Result run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(args, new ByteArrayInputStream(new byte[0]),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    String e = err.toString(StandardCharsets.UTF_8);
    assertFalse(e.contains("\tat "), "no stack trace: " + e);
    assertFalse(e.contains(PASSWORD), "a secret printed: " + e);
    return new Result(code, out.toString(StandardCharsets.UTF_8), e);
  }

  Path job(String topic, String properties) throws Exception {
    Path file = Files.createTempFile(dir, "job", ".yaml");
    Files.writeString(file, "kafka:\n  bootstrap_servers: " + kafka.bootstrapServers() + "\n"
        + "  topics: {examples: " + topic + "}\n  properties: {" + properties + "}\n");
    return file;
  }

  @Test
  void theJobsBrokersTopicAndPropertiesReachProduceAndConsume() throws Exception {
    Path job = job("from-config", "client.id: gradflow-produce-it");
    Result produced = run("produce", "--config", job.toString(), "--generator", "ctr",
        "--count", "20", "--quiet");
    assertEquals(0, produced.code(), produced.err());
    assertTrue(produced.err().contains("produced 20 examples to topic from-config"),
        produced.err());

    Result consumed = run("consume", "--config", job.toString(), "--topic", "from-config",
        "--from-beginning", "--max", "20", "--kafka-property", "client.id=gradflow-consume-it");
    assertEquals(0, consumed.code(), consumed.err());
    assertEquals(20, consumed.out().lines().count(), consumed.out());

    // A producer property of the job's file reaches the producer: every record is too large.
    Path tiny = job("tiny-requests", "max.request.size: '100'");
    Result refused = run("produce", "--config", tiny.toString(), "--generator", "ctr", "--count",
        "3", "--quiet");
    assertEquals(1, refused.code(), refused.err());
    assertTrue(refused.err().contains("3 of 3 examples were not written to topic tiny-requests")
        && refused.err().contains("larger than ****, which is the value of the max.request.size"
            + " configuration"), refused.err());
  }

  @Test
  void securitySettingsReachTheClientsAndThePasswordIsNeverShown() throws Exception {
    // The broker speaks PLAINTEXT: a client that does SASL fails, which only happens when the
    // properties reach it; the password appears in no message.
    Result sasl = run("produce", "--bootstrap-servers", kafka.bootstrapServers(), "--topic",
        "sasl-examples", "--generator", "ctr", "--count", "5", "--connect-timeout", "3",
        "--kafka-property", "security.protocol=SASL_PLAINTEXT",
        "--kafka-property", "sasl.mechanism=PLAIN",
        "--kafka-property", "sasl.jaas.config=org.apache.kafka.common.security.plain"
            + ".PlainLoginModule required username=\"alice\" password=\"" + PASSWORD + "\";");
    assertEquals(1, sasl.code(), sasl.err());
    assertTrue(sasl.err().startsWith("gradflow produce: "), sasl.err());
    assertFalse(sasl.err().contains("produced"), sasl.err());
  }
}
