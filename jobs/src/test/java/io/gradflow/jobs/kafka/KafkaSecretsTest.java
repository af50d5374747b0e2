package io.gradflow.jobs.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.provider.EnvVarConfigProvider;
import org.apache.kafka.common.config.provider.FileConfigProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ${env:VAR}} and {@code ${file:PATH:KEY}} in Kafka client properties: checked at start-up
 * with Kafka's own providers, anywhere in a value; an unresolvable reference names the setting and
 * the reference, never a value; the configuration and the properties given to clients keep the
 * references, which Kafka's client configuration resolves.
 */
class KafkaSecretsTest {
  private static final Function<String, String> SETTING = k -> "kafka.properties." + k;

  @TempDir
  Path temp;

  @Test
  void environmentVariablesAndFileKeysAreResolvedAnywhereInAValue() throws Exception {
    Path file = temp.resolve("kafka.properties");
    Files.writeString(file, "password=p@ss w0rd\nother=x\n");
    Map<String, String> given = new LinkedHashMap<>();
    given.put("security.protocol", "SASL_SSL");
    given.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule"
        + " required username=\"${env:KAFKA_USER}\" password=\"${file:" + file + ":password}\";");
    given.put("ssl.truststore.password", "${env:STORE}");

    Map<String, String> resolved = KafkaSecrets.resolve(given, SETTING,
        Map.of("KAFKA_USER", "alice", "STORE", "changeit"));

    assertEquals("SASL_SSL", resolved.get("security.protocol"));
    assertEquals("org.apache.kafka.common.security.scram.ScramLoginModule required"
        + " username=\"alice\" password=\"p@ss w0rd\";", resolved.get("sasl.jaas.config"));
    assertEquals("changeit", resolved.get("ssl.truststore.password"));
  }

  @Test
  void theProcessEnvironmentIsReadByDefault() {
    String path = System.getenv("PATH");
    assertEquals(path, KafkaSecrets.resolve(Map.of("x", "${env:PATH}"), SETTING).get("x"));
  }

  @Test
  void propertiesWithoutReferencesAreReturnedAsGiven() {
    Map<String, String> given = Map.of("security.protocol", "SSL", "weird", "$ {not}");
    assertSame(given, KafkaSecrets.resolve(given, SETTING, Map.of()));
  }

  @Test
  void aMissingVariableNamesTheSettingAndTheVariable() {
    ConfigException e = assertThrows(ConfigException.class, () -> KafkaSecrets.resolve(
        Map.of("sasl.jaas.config", "x password=\"${env:KAFKA_PASSWORD}\";"), SETTING,
        Map.of("OTHER", "secret-value")));
    assertEquals("kafka.properties.sasl.jaas.config", e.key());
    assertTrue(e.getMessage().startsWith("kafka.properties.sasl.jaas.config refers to the"
        + " environment variable KAFKA_PASSWORD (${env:KAFKA_PASSWORD}), which is not set"),
        e.getMessage());
    assertFalse(e.getMessage().contains("secret-value"));
  }

  @Test
  void aMissingFileOrKeyNamesTheSetting() throws Exception {
    Path file = temp.resolve("creds.properties");
    Files.writeString(file, "user=bob\npassword=hunter2\n");
    ConfigException noKey = assertThrows(ConfigException.class, () -> KafkaSecrets.resolve(
        Map.of("ssl.key.password", "${file:" + file + ":pasword}"), SETTING, Map.of()));
    assertTrue(noKey.getMessage().contains("kafka.properties.ssl.key.password refers to the key"
        + " pasword of the file " + file), noKey.getMessage());
    assertFalse(noKey.getMessage().contains("hunter2"));

    Path absent = temp.resolve("absent.properties");
    ConfigException noFile = assertThrows(ConfigException.class, () -> KafkaSecrets.resolve(
        Map.of("ssl.key.password", "${file:" + absent + ":password}"), SETTING, Map.of()));
    assertTrue(noFile.getMessage().contains("refers to the file " + absent + " ("),
        noFile.getMessage());

    ConfigException noPath = assertThrows(ConfigException.class, () -> KafkaSecrets.resolve(
        Map.of("ssl.key.password", "${file:password}"), SETTING, Map.of()));
    assertTrue(noPath.getMessage().contains("${file:PATH:KEY}"), noPath.getMessage());
  }

  @Test
  void anotherProviderIsRefusedNotPassedOnLiterally() {
    ConfigException e = assertThrows(ConfigException.class, () -> KafkaSecrets.resolve(
        Map.of("sasl.jaas.config", "${evn:KAFKA_PASSWORD}"), SETTING, Map.of()));
    assertTrue(e.getMessage().contains("config provider 'evn'"), e.getMessage());
  }

  @Test
  void theSpecGivesClientsTheReferenceAndKafkasClientResolvesIt() throws Exception {
    Path file = temp.resolve("creds.properties");
    Files.writeString(file, "password=hunter2\n");
    String reference = "${file:" + file + ":password}";
    KafkaSpec spec = KafkaSpec.of("localhost:9092");
    spec = new KafkaSpec(spec.bootstrapServers(), spec.topics(), spec.groupId(), null, null,
        null, null, null, null, Map.of("ssl.key.password", reference,
            "ssl.truststore.password", "${env:PATH}"));
    assertEquals(reference, spec.properties().get("ssl.key.password"));
    assertFalse(spec.toString().contains("hunter2"));

    Properties client = spec.clientProperties();
    assertEquals(reference, client.getProperty("ssl.key.password"));
    assertFalse(client.toString().contains("hunter2"), "no value in what clients are given");
    assertEquals("env,file", client.getProperty("config.providers"));
    assertEquals(EnvVarConfigProvider.class.getName(),
        client.getProperty("config.providers.env.class"));
    assertEquals(FileConfigProvider.class.getName(),
        client.getProperty("config.providers.file.class"));
    // Kafka's client configuration resolves them when a client is created.
    client.setProperty("bootstrap.servers", spec.bootstrapServers());
    AdminClientConfig config = new AdminClientConfig(client);
    assertEquals("hunter2", config.getPassword("ssl.key.password").value());
    assertEquals(System.getenv("PATH"), config.getPassword("ssl.truststore.password").value());
  }

  @Test
  void clientsAreGivenOnlyTheProvidersTheValuesUse() {
    Map<String, String> plain = Map.of("security.protocol", "SSL");
    assertSame(plain, KafkaSecrets.forClients(plain));
    Map<String, String> env = KafkaSecrets.forClients(Map.of("a", "x${env:A}y"));
    assertEquals(Map.of("a", "x${env:A}y", "config.providers", "env",
        "config.providers.env.class", EnvVarConfigProvider.class.getName()), env);
    Map<String, String> file = KafkaSecrets.forClients(Map.of("a", "${file:/f:k}"));
    assertEquals("file", file.get("config.providers"));
    assertFalse(file.containsKey("config.providers.env.class"));
  }

  @Test
  void configProvidersAreGradflowsToSet() {
    for (String key : new String[] {"config.providers", "config.providers.vault.class"}) {
      ConfigException e = assertThrows(ConfigException.class,
          () -> KafkaSecrets.check(Map.of(key, "x"), SETTING));
      assertEquals("kafka.properties." + key, e.key());
      assertTrue(e.getMessage().contains("Gradflow sets config.providers"), e.getMessage());
    }
  }

  @Test
  void aProvidersOwnParametersApplyAsInTheClient() {
    // Kafka's allowlist.pattern of the env provider: a variable it leaves out is not resolved.
    Map<String, String> given = Map.of("config.providers.env.param.allowlist.pattern",
        "^KAFKA_.*", "ssl.key.password", "${env:OTHER}");
    ConfigException e = assertThrows(ConfigException.class,
        () -> KafkaSecrets.resolve(given, SETTING, Map.of("OTHER", "secret-value")));
    assertEquals("kafka.properties.ssl.key.password", e.key());
    assertEquals("secret-value", KafkaSecrets.resolve(Map.of("ssl.key.password",
        "${env:OTHER}"), SETTING, Map.of("OTHER", "secret-value")).get("ssl.key.password"));
  }

  @Test
  void aProviderTheJvmsAllowListLeavesOutIsNamedAtStartUp() throws Exception {
    Path file = temp.resolve("creds.properties");
    Files.writeString(file, "password=hunter2\n");
    Map<String, String> given = Map.of("security.protocol", "SSL",
        "ssl.key.password", "${file:" + file + ":password}");
    String property = AbstractConfig.AUTOMATIC_CONFIG_PROVIDERS_PROPERTY;
    String before = System.getProperty(property);
    try {
      System.setProperty(property, EnvVarConfigProvider.class.getName());
      // Kafka's clients refuse the properties...
      Properties client = new Properties();
      client.putAll(KafkaSecrets.forClients(given));
      client.setProperty("bootstrap.servers", "localhost:9092");
      assertThrows(org.apache.kafka.common.config.ConfigException.class,
          () -> new AdminClientConfig(client));
      // ... so the start-up check names the setting and the system property.
      ConfigException e = assertThrows(ConfigException.class,
          () -> KafkaSecrets.check(given, SETTING));
      assertEquals("kafka.properties.ssl.key.password", e.key());
      assertTrue(e.getMessage().contains(property) && e.getMessage().contains(
          FileConfigProvider.class.getName()), e.getMessage());
      assertFalse(e.getMessage().contains("hunter2"));

      System.setProperty(property, EnvVarConfigProvider.class.getName() + ", "
          + FileConfigProvider.class.getName());
      KafkaSecrets.check(given, SETTING);
      assertEquals("hunter2", new AdminClientConfig(client).getPassword("ssl.key.password")
          .value());
    } finally {
      if (before == null) {
        System.clearProperty(property);
      } else {
        System.setProperty(property, before);
      }
    }
  }

  @Test
  void clientSettingsRedactTheResolvedValue() throws Exception {
    Path file = temp.resolve("creds.properties");
    Files.writeString(file, "password=hunter2\n");
    ClientSettings settings = new ClientSettings("localhost:9092", "--bootstrap-servers",
        Map.of("ssl.key.password", "${file:" + file + ":password}"),
        Map.of("ssl.key.password", "--kafka-property ssl.key.password"), null);
    assertFalse(settings.clientProperties().toString().contains("hunter2"));
    assertEquals("hunter2", new AdminClientConfig(settings.clientProperties())
        .getPassword("ssl.key.password").value());
    assertEquals("the key **** was refused", settings.redact("the key hunter2 was refused"));
  }

  @Test
  void trainStopsAtStartUpNamingTheKeyOfAMissingVariable() throws Exception {
    String variable = "GRADFLOW_TEST_SURELY_UNSET_VARIABLE";
    Path config = temp.resolve("job.yaml");
    Files.writeString(config, String.join("\n",
        "job: {name: secrets}",
        "kafka:",
        "  bootstrap_servers: localhost:1",
        "  properties:",
        "    security.protocol: SASL_SSL",
        "    sasl.mechanism: SCRAM-SHA-512",
        "    sasl.jaas.config: 'org.apache.kafka.common.security.scram.ScramLoginModule required"
            + " username=\"u\" password=\"${env:" + variable + "}\";'",
        ""));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(new String[] {"train", "--config", config.toString()},
        new ByteArrayInputStream(new byte[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    String printed = err.toString(StandardCharsets.UTF_8);
    assertEquals(2, code, printed);
    assertTrue(printed.contains("kafka.properties.sasl.jaas.config refers to the environment"
        + " variable " + variable), printed);
    assertFalse(printed.contains("\tat "), printed);
  }
}
