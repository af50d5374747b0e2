package io.gradflow.jobs.kafka;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The Kafka broker of an integration test: the in-process broker ({@link EmbeddedKafka}) by
 * default, or a single-node KRaft broker in a Docker container (Testcontainers'
 * {@link KafkaContainer} on {@value #DEFAULT_IMAGE}, or the system property
 * {@code gradflow.kafka.image}) when the system property {@code gradflow.test.kafka} or the
 * environment variable {@code GRADFLOW_TEST_KAFKA} is {@code container}:
 * <pre>{@code
 * ./mvnw -pl jobs -am verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dit.test='KafkaIoITCase,DeadLetterITCase' -Dgradflow.test.kafka=container
 * }</pre>
 * Where no registry is reachable, {@code deploy/docker/build-local-images.sh} builds a stand-in
 * under the official image's name (and starts a Docker engine). With the switch on and no Docker
 * engine or no image, {@link #start} fails saying so: it never falls back to the in-process
 * broker, so a run that asked for the container really used one.
 *
 * <p>Both brokers are configured alike: the broker settings of {@link EmbeddedKafka} (single-node
 * internal topics, no automatic topic creation, time retention off), then the test's own
 * {@code brokerConfig}, which a container receives as {@code KAFKA_*} environment variables in the
 * official image's convention ({@code .} is {@code _}, {@code _} is {@code __}, {@code -} is
 * {@code ___}). Listener settings belong to Testcontainers on a container: tests that need
 * listeners of their own (SASL, TLS) use {@link #inProcess}.
 *
 * <p>A container starts in 10 to 30 s (a JVM in the container), the in-process broker in 1 to
 * 3 s. Thread-safe.
 */
public final class TestBroker implements AutoCloseable {
  /** The system property that selects the broker: {@code container} or {@code in-process}. */
  public static final String PROPERTY = "gradflow.test.kafka";
  /** The environment variable read when {@link #PROPERTY} is not set. */
  public static final String VARIABLE = "GRADFLOW_TEST_KAFKA";
  static final String DEFAULT_IMAGE = "apache/kafka:4.2.0";
  static final String IMAGE = System.getProperty("gradflow.kafka.image", DEFAULT_IMAGE);

  /** {@link EmbeddedKafka}'s broker settings, given to a container too. */
  private static final Map<String, String> AS_IN_PROCESS = Map.of(
      "offsets.topic.replication.factor", "1",
      "offsets.topic.num.partitions", "1",
      "transaction.state.log.replication.factor", "1",
      "transaction.state.log.min.isr", "1",
      "transaction.state.log.num.partitions", "1",
      "group.initial.rebalance.delay.ms", "0",
      "auto.create.topics.enable", "false",
      "log.retention.ms", "-1");

  private final EmbeddedKafka embedded;
  private final KafkaContainer container;
  private final String bootstrapServers;

  private TestBroker(EmbeddedKafka embedded, KafkaContainer container, String bootstrapServers) {
    this.embedded = embedded;
    this.container = container;
    this.bootstrapServers = bootstrapServers;
  }

  /** Starts the selected broker with the default settings. */
  public static TestBroker start() throws Exception {
    return start(Map.of());
  }

  /**
   * Starts the selected broker with extra broker settings (Kafka's server property names).
   *
   * @throws IllegalStateException the container was asked for and no Docker engine answers or
   *     the image is neither present nor pullable
   * @throws IllegalArgumentException the switch has another value than {@code container} or
   *     {@code in-process}
   */
  public static TestBroker start(Map<String, String> brokerConfig) throws Exception {
    TestBroker broker = container() ? container(brokerConfig) : inProcess(brokerConfig);
    System.err.println("Kafka for this test: " + broker);
    return broker;
  }

  /** Whether the switch asks for a container; {@code in-process} (or nothing) does not. */
  public static boolean container() {
    String mode = System.getProperty(PROPERTY, System.getenv(VARIABLE));
    if (mode == null || mode.isBlank() || mode.equals("in-process")) {
      return false;
    }
    if (mode.equals("container")) {
      return true;
    }
    throw new IllegalArgumentException(PROPERTY + " (or " + VARIABLE + ") must be container or"
        + " in-process, but was " + mode);
  }

  /** The in-process broker whatever the switch says, for tests that need its listeners. */
  public static TestBroker inProcess(Map<String, String> brokerConfig) throws Exception {
    EmbeddedKafka kafka = EmbeddedKafka.start(brokerConfig);
    return new TestBroker(kafka, null, kafka.bootstrapServers());
  }

  /**
   * A broker the test starts and stops itself (for example {@code gradflow broker --log-dir} in a
   * thread, stopped and started again on one port): {@link #close} leaves it alone.
   */
  public static TestBroker external(String bootstrapServers) {
    return new TestBroker(null, null, bootstrapServers);
  }

  /**
   * Kafka in a container whatever the switch says.
   *
   * @throws IllegalStateException no Docker engine answers, or the image is neither present nor
   *     pullable, or {@code brokerConfig} sets listeners
   */
  public static TestBroker container(Map<String, String> brokerConfig)
      throws InterruptedException {
    String unavailable = containerUnavailable();
    if (unavailable != null) {
      throw new IllegalStateException("a Kafka container was asked for (" + PROPERTY
          + "=container or " + VARIABLE + "=container) but " + unavailable
          + "; without the switch the tests use the in-process broker");
    }
    Map<String, String> config = new LinkedHashMap<>(AS_IN_PROCESS);
    config.putAll(brokerConfig);
    KafkaContainer kafka = new KafkaContainer(DockerImageName.parse(IMAGE))
        .withStartupTimeout(Duration.ofMinutes(2));
    config.forEach((key, value) -> {
      if (key.startsWith("listener") || key.startsWith("advertised.")) {
        throw new IllegalStateException(key + " cannot be set on a Kafka container (its"
            + " listeners are Testcontainers'): use TestBroker.inProcess");
      }
      kafka.withEnv(environmentName(key), value);
    });
    kafka.start();
    TestBroker broker = new TestBroker(null, kafka, kafka.getBootstrapServers());
    try {
      broker.checkSettings(config);
    } catch (RuntimeException | InterruptedException e) {
      kafka.stop();
      throw e;
    }
    return broker;
  }

  /**
   * Fails unless the broker reports the settings it was given through the environment (those it
   * lists: internal ones are not described), so an image that ignored a variable is caught.
   */
  private void checkSettings(Map<String, String> config) throws InterruptedException {
    try (Admin admin = admin()) {
      String node = admin.describeCluster().nodes().get().iterator().next().idString();
      ConfigResource resource = new ConfigResource(ConfigResource.Type.BROKER, node);
      Config actual = admin.describeConfigs(List.of(resource)).all().get().get(resource);
      config.forEach((key, value) -> {
        ConfigEntry entry = actual.get(key);
        if (entry != null && !value.equals(entry.value())) {
          throw new IllegalStateException("the Kafka container of " + IMAGE + " has " + key + "="
              + entry.value() + ", but was given " + value + " as " + environmentName(key));
        }
      });
    } catch (ExecutionException e) {
      throw new IllegalStateException("could not read the settings of " + this, e.getCause());
    }
  }

  /**
   * Why a Kafka container cannot run here ("no Docker engine answers ..."), or {@code null}
   * when an engine answers and the image is present or was pulled (for up to two minutes).
   */
  public static String containerUnavailable() {
    if (!DockerClientFactory.instance().isDockerAvailable()) {
      return "no Docker engine answers (deploy/docker/engine.sh starts one, as .ci/run does)";
    }
    var docker = DockerClientFactory.instance().client();
    try {
      docker.inspectImageCmd(IMAGE).exec();
      return null;
    } catch (RuntimeException absent) {
      try {
        docker.pullImageCmd(IMAGE).start().awaitCompletion(2, TimeUnit.MINUTES);
        docker.inspectImageCmd(IMAGE).exec();
        return null;
      } catch (RuntimeException | InterruptedException unpullable) {
        return "the image " + IMAGE + " is not present and cannot be pulled"
            + " (deploy/docker/build-local-images.sh builds a stand-in under that name)";
      }
    }
  }

  /** A server property as the official image's environment variable: KAFKA_LOG_RETENTION_MS. */
  static String environmentName(String property) {
    return "KAFKA_" + property.replace("_", "__").replace("-", "___").replace(".", "_")
        .toUpperCase(Locale.ROOT);
  }

  /** The broker's {@code host:port} for clients. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** Creates topics with {@code partitions} partitions each; existing topics are kept. */
  public void createTopics(int partitions, String... names) throws InterruptedException {
    createTopics(Arrays.stream(names).map(n -> new NewTopic(n, partitions, (short) 1)).toList());
  }

  /**
   * Creates topics (compacted ones, with configs); existing topics are kept. Returns once every
   * partition accepts writes ({@link EmbeddedKafka#awaitWritable}), as
   * {@link EmbeddedKafka#createTopics(List)} does.
   */
  public void createTopics(List<NewTopic> topics) throws InterruptedException {
    if (embedded != null) {
      embedded.createTopics(topics);
      return;
    }
    List<String> names = topics.stream().map(NewTopic::name).toList();
    try (Admin admin = admin()) {
      try {
        Set<String> existing = admin.listTopics().names().get();
        admin.createTopics(topics.stream().filter(t -> !existing.contains(t.name())).toList())
            .all().get();
      } catch (ExecutionException e) {
        throw new IllegalStateException("could not create topics " + names + " on " + this
            + ": " + e.getCause().getMessage(), e.getCause());
      }
      EmbeddedKafka.awaitWritable(admin, names, Duration.ofSeconds(30));
    }
  }

  /** A new admin client for this broker; the caller closes it. */
  public Admin admin() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return Admin.create(p);
  }

  /** Stops the broker: the in-process one deletes its directory, a container is removed. */
  @Override
  public void close() {
    if (embedded != null) {
      embedded.close();
    } else if (container != null) {
      container.stop();
    }
  }

  @Override
  public String toString() {
    return (embedded != null ? "the in-process broker" : container == null
        ? "a broker the test runs" : "Kafka in a container of " + IMAGE)
        + " at " + bootstrapServers;
  }
}
