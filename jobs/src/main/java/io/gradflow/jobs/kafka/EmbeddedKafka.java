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
 * directory deleted on {@link #close()}, or in a directory of the caller's that it keeps
 * ({@link #start(Map, Path)}: stopped and started again on it, the broker has its topics, records,
 * committed offsets and transactions back, under the same KRaft cluster id). Starts in one to
 * three seconds. Used by the integration tests, {@code gradflow demo} and {@code gradflow
 * broker}.
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
  /** The node's own directory under a log directory (the test kit's name for node 0's disk). */
  static final String NODE_DIRECTORY = "combined_0_0";
  /**
   * Gradflow's own lock in a kept log directory, held while a broker runs on it: taken before
   * Kafka starts anything there (Kafka's own lock is taken by the broker only after its controller
   * has opened the metadata log, so a second broker on a directory in use would touch the first's
   * data before it is refused).
   */
  static final String LOCK_FILE = "gradflow-broker.lock";

  private final KafkaClusterTestKit cluster;
  private final Path directory;
  private final boolean kept;
  private final String clusterId;
  /** The lock on a kept directory, or null. */
  private final java.nio.channels.FileLock lock;

  private EmbeddedKafka(KafkaClusterTestKit cluster, Path directory, boolean kept,
      String clusterId, java.nio.channels.FileLock lock) {
    this.cluster = cluster;
    this.directory = directory;
    this.kept = kept;
    this.lock = lock;
    this.clusterId = clusterId;
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
    return startQuietly(brokerConfig, null);
  }

  /** {@link #startQuietly(Map)} on a log directory kept across restarts ({@link #start(Map, Path)}). */
  public static EmbeddedKafka startQuietly(Map<String, String> brokerConfig, Path logDirectory)
      throws Exception {
    java.io.PrintStream stdout = System.out;
    System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
    try {
      return start(brokerConfig, logDirectory);
    } finally {
      System.setOut(stdout);
    }
  }

  /** Starts a single-node broker with extra broker settings. */
  public static EmbeddedKafka start(Map<String, String> brokerConfig) throws Exception {
    return start(brokerConfig, null);
  }

  /**
   * Starts a single-node broker with extra broker settings, its data in {@code logDirectory}
   * (created when absent), kept when the broker stops. A new or empty directory is formatted with
   * a new KRaft cluster id; a directory this class formatted before (its {@value #NODE_DIRECTORY}
   * holds {@code meta.properties}) is started again as it was, with its cluster id, topics,
   * records, consumer offsets and open transactions. Two brokers cannot share one directory.
   *
   * @param logDirectory the kept directory, or null for a temporary one deleted by {@link #close}
   * @throws IllegalArgumentException {@code logDirectory} is not a directory, cannot be created
   *     or written, holds files that are not such a broker's data, or is in use by another broker
   *     (the message names the directory and what to do)
   */
  public static EmbeddedKafka start(Map<String, String> brokerConfig, Path logDirectory)
      throws Exception {
    boolean kept = logDirectory != null;
    Path dir = kept ? logDirectory.toAbsolutePath() : Files.createTempDirectory("gradflow-kafka-");
    String clusterId = kept ? keptClusterId(dir) : null;
    java.nio.channels.FileLock lock = kept ? lock(dir) : null;
    boolean formatted = clusterId != null;
    if (clusterId == null) {
      clusterId = org.apache.kafka.common.Uuid.randomUuid().toString();
    }
    TestKitNodes nodes = new TestKitNodes.Builder()
        .setCombined(true)
        .setNumBrokerNodes(1)
        .setNumControllerNodes(1)
        .setBaseDirectory(dir)
        .setClusterId(clusterId)
        .build();
    KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes)
        .setDeleteOnClose(!kept)
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
    KafkaClusterTestKit cluster;
    try {
      cluster = builder.build();
    } catch (Exception | Error e) {
      release(lock);
      throw e;
    }
    try {
      if (!formatted) {
        cluster.format();
      }
      cluster.startup();
      cluster.waitForReadyBrokers();
    } catch (Exception e) {
      try {
        cluster.close();
      } finally {
        release(lock);
      }
      if (kept && lockTaken(e)) {
        throw inUse(dir, e);
      }
      throw e;
    }
    return new EmbeddedKafka(cluster, dir, kept, clusterId, lock);
  }

  /**
   * Takes {@link #LOCK_FILE} in {@code dir} for a broker's life.
   *
   * @throws IllegalArgumentException when another broker (in this JVM or another) holds it
   */
  private static java.nio.channels.FileLock lock(Path dir) throws java.io.IOException {
    java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(
        dir.resolve(LOCK_FILE), java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.WRITE);
    java.nio.channels.FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (java.nio.channels.OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      channel.close();
      throw inUse(dir, null);
    }
    return lock;
  }

  /** The refusal of a directory another broker uses (Gradflow's lock, or Kafka's own). */
  private static IllegalArgumentException inUse(Path dir, Exception cause) {
    return new IllegalArgumentException(dir + " is in use by another broker (it holds its lock):"
        + " stop that broker, or choose another directory", cause);
  }

  /** Releases a kept directory's lock (and its file channel); null is nothing. */
  private static void release(java.nio.channels.FileLock lock) {
    if (lock == null) {
      return;
    }
    try {
      lock.channel().close(); // releases the lock
    } catch (java.io.IOException e) {
      // closing a lock file's channel: the lock goes with the process at the latest
    }
  }

  /**
   * The cluster id of a log directory this class formatted, or null for a new or empty one.
   *
   * @throws IllegalArgumentException for a directory that cannot be used (see {@link #start(Map,
   *     Path)})
   */
  static String keptClusterId(Path dir) {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new IllegalArgumentException(dir + " is a file, not a directory: name a new or empty"
          + " directory, or one a broker kept before");
    }
    try {
      Files.createDirectories(dir);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(dir + " cannot be created (" + reason(e) + "): name a"
          + " directory you can write");
    }
    if (!Files.isWritable(dir) || !Files.isExecutable(dir)) {
      throw new IllegalArgumentException(dir + " is not writable: name a directory you can"
          + " write");
    }
    Path meta = dir.resolve(NODE_DIRECTORY).resolve("meta.properties");
    if (Files.isRegularFile(meta)) {
      Properties p = new Properties();
      try (var in = Files.newInputStream(meta)) {
        p.load(in);
      } catch (java.io.IOException e) {
        throw new IllegalArgumentException(meta + " cannot be read (" + reason(e) + "): name"
            + " another directory");
      }
      String id = p.getProperty("cluster.id");
      if (id == null || id.isBlank()) {
        throw new IllegalArgumentException(meta + " has no cluster.id: not a broker's data"
            + " directory of gradflow's; name a new or empty directory");
      }
      if (!Files.isWritable(meta.getParent())) {
        throw new IllegalArgumentException(meta.getParent() + " is not writable: name a"
            + " directory you can write");
      }
      return id;
    }
    try (var entries = Files.list(dir)) {
      java.util.Optional<Path> first = entries
          .filter(f -> !f.getFileName().toString().equals(LOCK_FILE)).findFirst();
      if (first.isPresent()) {
        throw new IllegalArgumentException(dir + " holds files that are not a gradflow broker's"
            + " data (no " + NODE_DIRECTORY + "/meta.properties, but " + first.get().getFileName()
            + "): name a new or empty directory, or the one a broker kept before");
      }
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(dir + " cannot be listed (" + e + ")");
    }
    return null;
  }

  /** Why a file operation failed, without the exception's class name (the path is named). */
  private static String reason(java.io.IOException e) {
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
      return f.getReason();
    }
    return e.getMessage() == null || e.getMessage().isBlank() ? "an I/O error" : e.getMessage();
  }

  private static boolean lockTaken(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (String.valueOf(t.getMessage()).contains("Failed to acquire lock")) {
        return true;
      }
    }
    return false;
  }

  /** The KRaft cluster id, kept with the data in a kept log directory. */
  public String clusterId() {
    return clusterId;
  }

  /** Where the broker's data is. */
  public Path logDirectory() {
    return directory;
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

  /** Stops the broker and deletes its directory, unless it is a kept one. */
  @Override
  public void close() {
    try {
      cluster.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      throw new IllegalStateException("could not stop the embedded Kafka broker", e);
    } finally {
      release(lock);
      if (!kept && Files.exists(directory)) {
        try (var walk = Files.walk(directory)) {
          walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException e) {
          // a temporary directory: leftovers are harmless
        }
      }
    }
  }
}
