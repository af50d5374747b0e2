package io.gradflow.jobs.kafka;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
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

  /**
   * As {@link #start(Map)}, with standard output silenced meanwhile: Kafka's storage formatter
   * prints to it, and the commands that start a broker ({@code demo}, {@code broker}) keep their
   * own output clean. Not for concurrent use with other writers to {@code System.out}.
   */
  public static EmbeddedKafka startQuietly(Map<String, String> brokerConfig) throws Exception {
    java.io.PrintStream stdout = System.out;
    System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
    try {
      return start(brokerConfig);
    } finally {
      System.setOut(stdout);
    }
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
   * once every partition accepts writes ({@link #awaitWritable}).
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
      awaitWritable(admin, topics.stream().map(NewTopic::name).toList(), Duration.ofSeconds(30));
    }
  }

  /**
   * Waits until the leader of every partition of {@code topics} hosts it: the leader answers a
   * ListOffsets request, which a broker serves through the same replica-manager lookup as a
   * produce request. A listed leader is not enough: a KRaft broker updates its metadata cache
   * (what describeTopics and a producer's metadata show) before its replica manager creates the
   * new partitions' logs, and refuses produce requests in between (NOT_LEADER_OR_FOLLOWER). An
   * idempotent producer whose first batch is refused there while its second is appended loses
   * the first ({@code GradflowProducer} says how); Flink's Kafka sinks use such producers.
   *
   * @throws IllegalStateException when a partition still refuses after {@code timeout}
   */
  public static void awaitWritable(Admin admin, List<String> topics, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "no answer";
    while (true) {
      try {
        Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> partitions =
            new HashMap<>();
        for (TopicDescription d : admin.describeTopics(topics).allTopicNames()
            .get(timeout.toMillis(), TimeUnit.MILLISECONDS).values()) {
          for (TopicPartitionInfo p : d.partitions()) {
            partitions.put(new TopicPartition(d.name(), p.partition()),
                org.apache.kafka.clients.admin.OffsetSpec.latest());
          }
        }
        // Answered by each partition's leader; retried by the admin client while it has none.
        admin.listOffsets(partitions).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        return;
      } catch (ExecutionException | TimeoutException e) {
        last = String.valueOf(e.getCause() != null ? e.getCause() : e);
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("topics " + topics + " do not accept writes after "
            + timeout.toSeconds() + " s: " + last);
      }
      Thread.sleep(20);
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
