package io.gradflow.jobs.kafka;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A real Kafka broker in this JVM: Kafka's own KRaft broker and controller (one combined node)
 * from {@code kafka-test-common-runtime}, on a random local port, with its log in a temporary
 * directory deleted on {@link #close()}. Starts in one to three seconds. Used by the integration
 * tests and by {@code gradflow demo}.
 *
 * <p>Configured for a single broker: internal topics (consumer offsets, transaction state) have
 * replication factor 1 and min ISR 1, so exactly-once (transactional) sinks work, and consumer
 * groups rebalance without the initial delay.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
 *   kafka.createTopics(1, "examples", "dead-letters");
 *   KafkaSpec spec = KafkaSpec.of(kafka.bootstrapServers());
 * }
 * }</pre>
 * Thread-safe.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private final KafkaClusterTestKit cluster;
  private final Path directory;

  private EmbeddedKafka(KafkaClusterTestKit cluster, Path directory) {
    this.cluster = cluster;
    this.directory = directory;
  }

  /** Starts a single-node broker and waits until it accepts clients. */
  public static EmbeddedKafka start() throws Exception {
    return start(Map.of());
  }

  /** Starts a single-node broker with extra broker settings. */
  public static EmbeddedKafka start(Map<String, String> brokerConfig) throws Exception {
    Path dir = Files.createTempDirectory("gradflow-kafka-");
    TestKitNodes nodes = new TestKitNodes.Builder()
        .setCombined(true)
        .setNumBrokerNodes(1)
        .setNumControllerNodes(1)
        .setBaseDirectory(dir)
        .build();
    KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes)
        .setDeleteOnClose(true)
        .setConfigProp("offsets.topic.replication.factor", "1")
        .setConfigProp("offsets.topic.num.partitions", "1")
        .setConfigProp("transaction.state.log.replication.factor", "1")
        .setConfigProp("transaction.state.log.min.isr", "1")
        .setConfigProp("transaction.state.log.num.partitions", "1")
        .setConfigProp("group.initial.rebalance.delay.ms", "0")
        .setConfigProp("auto.create.topics.enable", "false")
        // Time retention off: the generators stamp records with event times from 2023, older
        // than the default 7 days, and the broker's first retention pass (30 s after start)
        // would otherwise delete whole topics under a running job.
        .setConfigProp("log.retention.ms", "-1");
    brokerConfig.forEach(builder::setConfigProp);
    KafkaClusterTestKit cluster = builder.build();
    try {
      cluster.format();
      cluster.startup();
      cluster.waitForReadyBrokers();
    } catch (Exception e) {
      cluster.close();
      throw e;
    }
    return new EmbeddedKafka(cluster, dir);
  }

  /** The broker's {@code host:port} for clients. */
  public String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  /** Creates topics with {@code partitions} partitions each; existing topics are kept. */
  public void createTopics(int partitions, String... names) throws InterruptedException {
    List<NewTopic> topics = new ArrayList<>();
    for (String name : names) {
      topics.add(new NewTopic(name, partitions, (short) 1));
    }
    createTopics(topics);
  }

  /**
   * Creates topics (for example compacted ones, with configs); existing topics are kept. Returns
   * once every partition has a leader: a producer that starts sending before that meets
   * retriable errors, and the idempotent producer's retries around a partition that is still
   * coming up were seen to end in OutOfOrderSequenceException and undelivered records.
   */
  public void createTopics(List<NewTopic> topics) throws InterruptedException {
    try (Admin admin = admin()) {
      for (var e : admin.createTopics(topics).values().entrySet()) {
        try {
          e.getValue().get();
        } catch (ExecutionException ex) {
          if (!(ex.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("could not create topic " + e.getKey() + ": "
                + ex.getCause().getMessage(), ex.getCause());
          }
        }
      }
      awaitLeaders(admin, topics.stream().map(NewTopic::name).toList());
    }
  }

  private static void awaitLeaders(Admin admin, List<String> names) throws InterruptedException {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        boolean ready = admin.describeTopics(names).allTopicNames().get().values().stream()
            .allMatch(d -> d.partitions().stream().allMatch(p -> p.leader() != null
                && !p.leader().isEmpty()));
        if (ready) {
          return;
        }
      } catch (ExecutionException e) {
        // not known yet: ask again
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("topics " + names + " have no leader after 30 s");
      }
      Thread.sleep(50);
    }
  }

  /** A new admin client for this broker; the caller closes it. */
  public Admin admin() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    return Admin.create(p);
  }

  /** Stops the broker and deletes its directory. */
  @Override
  public void close() {
    try {
      cluster.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      throw new IllegalStateException("could not stop the embedded Kafka broker", e);
    } finally {
      if (Files.exists(directory)) {
        try (var walk = Files.walk(directory)) {
          walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException e) {
          // a temporary directory: leftovers are harmless
        }
      }
    }
  }
}
