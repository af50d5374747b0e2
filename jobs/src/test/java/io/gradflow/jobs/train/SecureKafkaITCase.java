package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.kafka.TestBroker;
import io.gradflow.schema.MetricsReport;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code gradflow train} against a broker that demands SASL/SCRAM-SHA-512 over TLS, with a test
 * CA, the broker's certificate and key store made here by the JDK's {@code keytool}, and the
 * job's credentials given as {@code ${file:PATH:KEY}} references (Kafka's config-provider
 * convention) in {@code kafka.properties}. The broker also has a plain listener, which only the
 * test itself uses (to create the SCRAM user and topics, write the examples and read the
 * outputs); the job is given the secured listener only, where a client without TLS and valid
 * SCRAM credentials is refused. The job learns through it; wrong credentials stop it at start-up
 * with Kafka's authentication error, and the password is printed nowhere.
 */
class SecureKafkaITCase extends TrainJobITCase {
  private static final String USER = "gradflow-job";
  private static final String PASSWORD = "s3cret-Scram-pw";

  private static Path tls;
  private static String secureServers;

  /** Hides the base class's plain broker: this one has a SASL_SSL listener too. */
  @BeforeAll
  static void startKafka() throws Exception {
    tls = Files.createTempDirectory("gradflow-tls-");
    String storePassword = "store-pw";
    Path keyStore = brokerKeyStore(tls, storePassword);
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    secureServers = "localhost:" + port;
    kafka = TestBroker.inProcess(Map.ofEntries(
        Map.entry("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000"),
        Map.entry("listeners", "EXTERNAL://localhost:0,CONTROLLER://localhost:0,"
            + "SECURE://localhost:" + port),
        Map.entry("listener.security.protocol.map",
            "EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT,SECURE:SASL_SSL"),
        Map.entry("sasl.enabled.mechanisms", "SCRAM-SHA-512"),
        Map.entry("listener.name.secure.scram-sha-512.sasl.jaas.config",
            "org.apache.kafka.common.security.scram.ScramLoginModule required;"),
        Map.entry("listener.name.secure.ssl.keystore.type", "PKCS12"),
        Map.entry("listener.name.secure.ssl.keystore.location", keyStore.toString()),
        Map.entry("listener.name.secure.ssl.keystore.password", storePassword),
        Map.entry("listener.name.secure.ssl.key.password", storePassword)));
    try (Admin admin = kafka.admin()) {
      admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(USER,
          new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), PASSWORD))).all().get();
    }
  }

  @AfterAll
  static void deleteTls() throws Exception {
    try (var walk = Files.walk(tls)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void theJobLearnsThroughSaslScramOverTls() throws Exception {
    String examples = "secure-examples";
    kafka.createTopics(1, examples);
    produce(examples, 7, 0, 6_000, "ctr");
    Run run = Run.create(examples, "labels");
    Path credentials = credentials("credentials.properties", PASSWORD);

    Path savepoint = temp.resolve("final");
    int code = train(secured(run, credentials), "--quiet", "--final-savepoint",
        savepoint.toString());

    assertEquals(0, code, both());
    assertEquals(6_000, predictions(run.predictions(), 6_000).size());
    List<MetricsReport> reports = metrics(run.metrics());
    MetricsReport last = reports.get(reports.size() - 1);
    assertTrue(last.getLogLoss() < entropy(last.getMeanLabel()), "log loss " + last.getLogLoss()
        + " not below the base rate's " + entropy(last.getMeanLabel()));

    // validate replays the examples through the secured listener too.
    Path config = temp.resolve("validate.yaml");
    Files.writeString(config, secured(Run.create(examples, "labels"), credentials));
    Path json = temp.resolve("validate.json");
    Path taken;
    try (var dirs = Files.list(savepoint)) {
      taken = dirs.filter(d -> d.getFileName().toString().startsWith("savepoint-")).findFirst()
          .orElseThrow();
    }
    assertEquals(0, gradflow("validate", "--config", config.toString(), "--savepoint",
        taken.toString(), "--json", json.toString(), "--quiet"), both());
    assertEquals(6_000, new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.toFile())
        .path("records").asLong(), Files.readString(json));
    assertFalse(both().contains(PASSWORD), both());
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void wrongCredentialsStopTheJobAtStartUpWithKafkasReason() throws Exception {
    String examples = "secure-examples-refused";
    kafka.createTopics(1, examples);
    Run run = Run.create(examples, "labels");
    String wrong = "not-the-password";
    Path credentials = credentials("wrong.properties", wrong);

    int code = train(secured(run, credentials));

    assertEquals(1, code, both());
    assertTrue(err().contains("refused a start-up check: Authentication failed")
        && err().contains("SCRAM-SHA-512") && err().contains("kafka.properties"), err());
    assertFalse(both().contains(wrong), both());
    assertFalse(both().contains("\tat "), "no stack trace: " + both());
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void produceAndConsumeUseTheJobsSecuritySettings() throws Exception {
    Run run = Run.create("secure-produced", "labels");
    Path config = temp.resolve("secure.yaml");
    Files.writeString(config, secured(run, credentials("c.properties", PASSWORD)));

    assertEquals(0, gradflow("produce", "--config", config.toString(), "--generator", "ctr",
        "--count", "300"), both());
    out.reset();
    assertEquals(0, gradflow("consume", "--config", config.toString(), "--topic",
        "secure-produced", "--from-beginning", "--max", "300"), both());
    assertEquals(300, out().lines().filter(l -> l.startsWith("{")).count(), both());
    assertFalse(both().contains(PASSWORD), both());
  }

  @Test
  void aPlainClientIsRefusedOnTheSecuredListener() throws Exception {
    // The listener the job is given is secured: without the properties the job fails too, so
    // the run above went through SASL/SCRAM and TLS.
    Run run = Run.create("secure-examples-plain", "labels");
    kafka.createTopics(1, "secure-examples-plain");
    String yaml = run.yaml("checkpoints: {interval: 1s}", true)
        .replace(kafka.bootstrapServers(), secureServers);
    assertEquals(1, train(yaml), both());
    assertTrue(err().contains("kafka.bootstrap_servers"), err());
  }

  /**
   * {@code ${env:VARIABLE}} from a real process environment: {@code gradflow train} in a JVM of
   * its own (as {@code ./gradflow} starts it), given the SCRAM credentials as environment
   * variables that this test's JVM does not have, learns through the secured listener. The same
   * process without the password's variable stops at start-up naming it.
   */
  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void aJobProcessTakesItsCredentialsFromItsEnvironment() throws Exception {
    String userVariable = "GRADFLOW_IT_KAFKA_USER";
    String passwordVariable = "GRADFLOW_IT_KAFKA_PASSWORD";
    assertNull(System.getenv(passwordVariable), "the test's own JVM must not have the secret");
    String examples = "secure-examples-env";
    kafka.createTopics(1, examples);
    produce(examples, 11, 0, 2_000, "ctr");
    Run run = Run.create(examples, "labels");
    Path config = temp.resolve("env.yaml");
    Files.writeString(config, secured(run, "${env:" + userVariable + "}",
        "${env:" + passwordVariable + "}"));

    Forked unset = forkTrain(config, Map.of(userVariable, USER));
    assertEquals(2, unset.code(), "a configuration error: " + unset.output());
    assertTrue(unset.output().contains("refers to the environment variable " + passwordVariable)
        && unset.output().contains("which is not set"), unset.output());

    Forked set = forkTrain(config, Map.of(userVariable, USER, passwordVariable, PASSWORD));
    assertEquals(0, set.code(), set.output());
    assertEquals(2_000, predictions(run.predictions(), 2_000).size());
    assertFalse(set.output().contains(PASSWORD), set.output());
  }

  /** What a forked job process printed (stdout and stderr) and its exit code. */
  private record Forked(int code, String output) {}

  /**
   * Runs {@code gradflow train --config config} in a new JVM on this test's class path, with
   * {@code environment} added to an environment from which every {@code GRADFLOW_IT_} variable
   * was removed.
   */
  private static Forked forkTrain(Path config, Map<String, String> environment) throws Exception {
    ProcessBuilder b = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
        "-cp", System.getProperty("java.class.path"), "io.gradflow.jobs.cli.Main", "train",
        "--config", config.toString(), "--quiet", "--startup-timeout", "10s")
        .redirectErrorStream(true);
    b.environment().keySet().removeIf(k -> k.startsWith("GRADFLOW_IT_"));
    b.environment().putAll(environment);
    Process p = b.start();
    String output = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(3, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException("the forked gradflow train did not end: " + output);
    }
    return new Forked(p.exitValue(), output);
  }

  /** The run's YAML on the secured listener, the credentials read from {@code credentials}. */
  private String secured(Run run, Path credentials) {
    String file = credentials.toString();
    return secured(run, "${file:" + file + ":username}", "${file:" + file + ":password}");
  }

  /** The run's YAML on the secured listener with these username and password values. */
  private String secured(Run run, String username, String password) {
    return run.yaml(String.join("\n",
        "optimizer: {name: Adagrad, lr: 0.1}",
        "checkpoints: {interval: 1s, directory: " + temp.resolve("checkpoints").toUri() + "}",
        ""), true).replace(kafka.bootstrapServers(), secureServers)
        .replace("  starting_offsets: earliest", String.join("\n",
            "  starting_offsets: earliest",
            "  properties:",
            "    security.protocol: SASL_SSL",
            "    sasl.mechanism: SCRAM-SHA-512",
            "    sasl.jaas.config: 'org.apache.kafka.common.security.scram.ScramLoginModule"
                + " required username=\"" + username + "\" password=\"" + password + "\";'",
            "    ssl.truststore.type: PEM",
            "    ssl.truststore.location: " + tls.resolve("ca.pem")));
  }

  private Path credentials(String name, String password) throws Exception {
    Path file = temp.resolve(name);
    Files.writeString(file, "username=" + USER + "\npassword=" + password + "\n");
    return file;
  }

  /**
   * A test CA ({@code ca.pem}) and a PKCS12 key store holding the broker's key and its
   * certificate for {@code localhost}, signed by that CA, made with {@code keytool}.
   */
  private static Path brokerKeyStore(Path dir, String password) throws Exception {
    Path ca = dir.resolve("ca.p12");
    Path broker = dir.resolve("broker.p12");
    String san = "SAN=dns:localhost,ip:127.0.0.1";
    keytool("-genkeypair", "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048", "-dname",
        "CN=gradflow-test-ca", "-ext", "bc:c", "-validity", "2", "-keystore", ca.toString(),
        "-storetype", "PKCS12", "-storepass", password);
    keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-storepass",
        password, "-file", dir.resolve("ca.pem").toString());
    keytool("-genkeypair", "-alias", "broker", "-keyalg", "RSA", "-keysize", "2048", "-dname",
        "CN=localhost", "-ext", san, "-validity", "2", "-keystore", broker.toString(),
        "-storetype", "PKCS12", "-storepass", password);
    keytool("-certreq", "-alias", "broker", "-keystore", broker.toString(), "-storepass",
        password, "-file", dir.resolve("broker.csr").toString());
    keytool("-gencert", "-alias", "ca", "-keystore", ca.toString(), "-storepass", password,
        "-infile", dir.resolve("broker.csr").toString(), "-outfile",
        dir.resolve("broker.pem").toString(), "-rfc", "-ext", san, "-validity", "2");
    keytool("-importcert", "-noprompt", "-alias", "ca", "-file", dir.resolve("ca.pem").toString(),
        "-keystore", broker.toString(), "-storepass", password);
    keytool("-importcert", "-alias", "broker", "-file", dir.resolve("broker.pem").toString(),
        "-keystore", broker.toString(), "-storepass", password);
    return broker;
  }

  private static void keytool(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("keytool " + String.join(" ", args) + ": " + out);
    }
  }
}
