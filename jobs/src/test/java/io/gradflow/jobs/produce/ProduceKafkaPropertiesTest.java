package io.gradflow.jobs.produce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.cli.Main;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code produce} and {@code consume} take the job's Kafka client properties ({@code --config},
 * {@code --kafka-property}); a property the clients refuse stops them before anything connects,
 * named, its value never shown. No broker needed: the clients refuse these at construction.
 */
class ProduceKafkaPropertiesTest {
  static final String SECRET = "hunter2-s3cret";

  @TempDir
  Path dir;

  record Result(int code, String err) {}

  static Result run(String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(args, new ByteArrayInputStream(new byte[0]),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    String e = err.toString(StandardCharsets.UTF_8);
    assertFalse(e.contains("\tat "), "no stack trace: " + e);
    assertFalse(e.contains(SECRET), "a secret printed: " + e);
    return new Result(code, e);
  }

  @Test
  void produceRefusesAPropertyFromTheFlagsNamingItNotItsValue() {
    Result r = run("produce", "--bootstrap-servers", "localhost:1", "--generator", "ctr",
        "--count", "1", "--kafka-property", "security.protocol=SASL_PLAINTEXT",
        "--kafka-property", "sasl.mechanism=PLAIN", "--kafka-property",
        "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule " + SECRET
            + " username=\"alice\" password=\"" + SECRET + "\";");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().startsWith("gradflow produce: --kafka-property sasl.jaas.config is not a"
        + " JAAS configuration Kafka can use (Kafka's message is not shown: it may quote the"
        + " secret)"), r.err());
  }

  @Test
  void aStrayPropertyWithoutItsFlagIsNotEchoed() {
    Result r = run("produce", "--bootstrap-servers", "localhost:1", "--generator", "ctr",
        "--kafka-property", "ssl.keystore.password=a", "ssl.key.password=" + SECRET);
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().startsWith("gradflow produce: unexpected argument 'ssl.key.password=...'"
        + " (its value is not shown)"), r.err());
  }

  @Test
  void produceAndConsumeReadThePropertiesOfAJobsYaml() throws Exception {
    Path job = dir.resolve("job.yaml");
    Files.writeString(job, "kafka:\n  bootstrap_servers: localhost:1\n  properties:\n"
        + "    security.protocol: " + SECRET + "\n");
    Result produce = run("produce", "--config", job.toString(), "--generator", "ctr",
        "--count", "1");
    assertEquals(2, produce.code(), produce.err());
    assertTrue(produce.err().startsWith("gradflow produce: kafka.properties.security.protocol:"
        + " the Kafka client refuses it: Invalid value **** for configuration"
        + " security.protocol"), produce.err());
    Result consume = run("consume", "--config", job.toString(), "--topic", "t");
    assertEquals(2, consume.code(), consume.err());
    assertTrue(consume.err().startsWith("gradflow consume: kafka.properties.security.protocol:"),
        consume.err());
  }

  @Test
  void produceKeepsItsAcknowledgements() {
    Result r = run("produce", "--bootstrap-servers", "localhost:1", "--generator", "ctr",
        "--kafka-property", "acks=0");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().startsWith("gradflow produce: --kafka-property acks must be all for"
        + " produce, or absent"), r.err());
  }
}
