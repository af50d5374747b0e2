package io.gradflow.jobs.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.cli.Command;
import io.gradflow.jobs.cli.Flag;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.KafkaException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kafka client settings of produce and consume: from a job's YAML and from flags, checked as
 * the clients check them, and never a property's value in a message.
 */
class ClientSettingsTest {
  static final List<Flag> FLAGS = List.of(
      Flag.of("bootstrap-servers", Flag.Type.STRING, null, "brokers"),
      ClientSettings.configFlag(""), ClientSettings.PROPERTY_FLAG);
  static final String SECRET = "hunter2-s3cret";
  static final String BAD_JAAS = "sasl.jaas.config=org.apache.kafka.common.security.plain"
      + ".PlainLoginModule " + SECRET + " username=\"alice\";";

  @TempDir
  Path dir;

  static ClientSettings from(String... args) throws Exception {
    return ClientSettings.from(Flag.parse(FLAGS, List.of(args)));
  }

  @Test
  void flagsAddToAndOverrideTheJobsProperties() throws Exception {
    Path job = dir.resolve("job.yaml");
    Files.writeString(job, "kafka:\n  bootstrap_servers: job-broker:9092\n"
        + "  topics: {examples: job-examples}\n"
        + "  properties: {client.id: from-job, security.protocol: PLAINTEXT}\n");
    ClientSettings s = from("--config", job.toString(), "--kafka-property", "client.id=from-flag",
        "--kafka-property", "request.timeout.ms=1234");
    assertEquals("job-broker:9092", s.bootstrapServers());
    assertEquals("kafka.bootstrap_servers", s.serversSetting());
    assertEquals(Map.of("client.id", "from-flag", "security.protocol", "PLAINTEXT",
        "request.timeout.ms", "1234"), s.properties());
    assertEquals("kafka.properties.security.protocol", s.origin("security.protocol"));
    assertEquals("--kafka-property client.id", s.origin("client.id"));
    assertEquals("job-examples", s.job().topics().examples());
    assertEquals("from-flag", s.spec().clientProperties().get("client.id"));
    assertEquals("job-broker:9092", s.clientProperties().get("bootstrap.servers"));

    ClientSettings flags = from("--bootstrap-servers", "b:1", "--config", job.toString());
    assertEquals("b:1", flags.bootstrapServers());
    assertEquals("--bootstrap-servers", flags.serversSetting());
    assertNull(from("--kafka-property", "a=b"), "no brokers, no settings");
  }

  @Test
  void aPropertyWithoutKeyOrEqualsSignIsNotShown() {
    Command.UsageException e = assertThrows(Command.UsageException.class,
        () -> from("--bootstrap-servers", "b:1", "--kafka-property", "client.id=x",
            "--kafka-property", SECRET));
    assertEquals("--kafka-property takes KEY=VALUE (for example security.protocol=SASL_SSL), but"
        + " the 2nd one has no '=' (it is not shown: it may hold a secret)", e.getMessage());
    e = assertThrows(Command.UsageException.class,
        () -> from("--bootstrap-servers", "b:1", "--kafka-property", "bootstrap.servers=x:1"));
    assertTrue(e.getMessage().contains("--bootstrap-servers"), e.getMessage());
  }

  @Test
  void aRefusedValueIsNamedByItsPropertyNotShown() {
    Command.UsageException e = assertThrows(Command.UsageException.class,
        () -> from("--bootstrap-servers", "b:1", "--kafka-property",
            "security.protocol=BOGUS_PROTOCOL"));
    assertTrue(e.getMessage().startsWith("--kafka-property security.protocol: the Kafka client"
        + " refuses it: Invalid value **** for configuration security.protocol"), e.getMessage());
    assertFalse(e.getMessage().contains("BOGUS"), e.getMessage());
  }

  @Test
  void aJaasConfigurationKafkaCannotParseIsNamedNeverQuoted() throws Exception {
    Command.UsageException e = assertThrows(Command.UsageException.class,
        () -> from("--bootstrap-servers", "b:1", "--kafka-property",
            "security.protocol=SASL_PLAINTEXT", "--kafka-property", "sasl.mechanism=PLAIN",
            "--kafka-property", BAD_JAAS));
    assertTrue(e.getMessage().startsWith("--kafka-property sasl.jaas.config is not a JAAS"
        + " configuration Kafka can use"), e.getMessage());
    assertFalse(e.getMessage().contains(SECRET), e.getMessage());

    // Kafka's own message quotes the secret: describe() must not pass it on.
    ClientSettings s = new ClientSettings("localhost:1", "--bootstrap-servers", Map.of(
        "security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN",
        "sasl.jaas.config", BAD_JAAS.substring("sasl.jaas.config=".length())),
        Map.of("sasl.jaas.config", "kafka.properties.sasl.jaas.config"), null);
    KafkaException thrown = assertThrows(KafkaException.class,
        () -> Admin.create(s.clientProperties()).close());
    boolean quoted = false;
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      quoted |= String.valueOf(t.getMessage()).contains(SECRET);
    }
    assertTrue(quoted, "the premise: Kafka's message quotes the secret");
    assertFalse(s.describe(thrown).contains(SECRET), s.describe(thrown));
    assertTrue(s.describe(thrown).startsWith("kafka.properties.sasl.jaas.config is not"));
  }

  @Test
  void redactsSecretsAnywhereAndOtherValuesAsWords() {
    ClientSettings s = new ClientSettings("b:1", "--bootstrap-servers",
        Map.of("ssl.truststore.password", "pw", "sasl.mechanism", "PLAIN",
            "max.request.size", "100"), Map.of(), null);
    assertEquals("a **** and b**** and PLAINTEXT and **** and larger than ****, the value of"
        + " max.request.size; 1003 bytes", s.redact("a pw and bpw and PLAINTEXT and PLAIN and"
        + " larger than 100, the value of max.request.size; 1003 bytes"));
  }
}
