package io.gradflow.jobs.produce;

import io.gradflow.jobs.kafka.ClientSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Makes sure a topic keeps what {@code produce} writes to it, before anything is written. Kafka's
 * time retention uses the record timestamp, and Gradflow's records carry their event time: a
 * history older than the topic's {@code retention.ms} is deleted by the broker within minutes,
 * silently. So a missing topic is created with {@code retention.ms=-1} (kept until deleted), and
 * for an existing topic the effective {@code retention.ms} (its own, or the broker's default),
 * {@code cleanup.policy}, {@code message.timestamp.type} and the accepted timestamp range
 * ({@code message.timestamp.before.max.ms}, {@code message.timestamp.after.max.ms}) are read, so
 * that {@link Topic#refusal} can refuse a record the broker would delete or refuse, and the
 * topic's {@code max.message.bytes}, so that the producer refuses a record too large for it
 * ({@link GradflowProducer.Builder#maxMessageBytes}). Every call
 * waits at most the given timeout: no broker answering is reported at once, not after minutes.
 * Not thread-safe; close it.
 */
final class TopicGuard implements AutoCloseable {

  /** Nothing can go on: no broker, no topic. The message names the problem and the way out. */
  static final class TopicException extends Exception {
    private static final long serialVersionUID = 1L;

    TopicException(String message, Throwable cause) {
      super(message, cause, false, false);
    }
  }

  /**
   * What a topic does with record timestamps.
   *
   * @param retentionMs the effective {@code retention.ms}; -1 keeps records forever
   * @param retentionFromBroker whether that value is the broker's default, not the topic's own
   * @param deletesByTime whether old records are deleted at all ({@code cleanup.policy} has
   *     {@code delete} and the timestamps are the producer's, {@code CreateTime})
   * @param maxMessageBytes the effective {@code max.message.bytes}: the largest record batch the
   *     broker appends to the topic (compressed, as the producer sent it)
   */
  record Topic(String name, boolean created, int partitions, long retentionMs,
      boolean retentionFromBroker, boolean deletesByTime, long beforeMaxMs, long afterMaxMs,
      int maxMessageBytes) {

    /**
     * Why a record with timestamp {@code timestamp} would be lost or refused at {@code now}, or
     * null when it is kept.
     */
    String refusal(long timestamp, long now) {
      if (outlivesRetention(timestamp, now)) {
        return "its timestamp " + Instant.ofEpochMilli(timestamp) + " (the example's event time)"
            + " is older than the retention of topic " + name + ", retention.ms=" + retentionMs
            + " (" + human(retentionMs) + (retentionFromBroker ? ", the broker's default" : "")
            + "), so the broker would delete it within minutes";
      }
      if (timestamp < now - beforeMaxMs) {
        return "its timestamp " + Instant.ofEpochMilli(timestamp) + " is older than topic "
            + name + " accepts (message.timestamp.before.max.ms=" + beforeMaxMs + ")";
      }
      if (timestamp > now + afterMaxMs) {
        return "its timestamp " + Instant.ofEpochMilli(timestamp) + " is further ahead of now"
            + " than topic " + name + " accepts (message.timestamp.after.max.ms=" + afterMaxMs
            + ")";
      }
      return null;
    }

    /** Whether the broker's time retention would delete a record with this timestamp. */
    boolean outlivesRetention(long timestamp, long now) {
      return deletesByTime && retentionMs >= 0 && timestamp < now - retentionMs;
    }

    /** The retention in words, for the console. */
    String describe() {
      if (!deletesByTime || retentionMs < 0) {
        return "retention.ms=" + retentionMs + (deletesByTime ? "" : " (not applied: "
            + "compacted or log-append-time topic)") + ": records are kept until deleted";
      }
      return "retention.ms=" + retentionMs + " (" + human(retentionMs)
          + (retentionFromBroker ? ", the broker's default" : "")
          + "): the broker deletes records whose timestamps are older than that";
    }
  }

  private final Admin admin;
  private final ClientSettings kafka;
  private final Duration timeout;

  private TopicGuard(Admin admin, ClientSettings kafka, Duration timeout) {
    this.admin = admin;
    this.kafka = kafka;
    this.timeout = timeout;
  }

  /**
   * Connects with the brokers and client properties (security settings) of {@code kafka}, and
   * waits until a broker answers. No message shows a property's value.
   *
   * @throws TopicException naming the brokers' flag or setting when no broker answers in time,
   *     or the property a client refused
   */
  static TopicGuard connect(ClientSettings kafka, Duration timeout) throws TopicException {
    Properties p = kafka.clientProperties();
    int ms = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, ms);
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ms);
    Admin admin;
    try {
      admin = Admin.create(p);
    } catch (KafkaException e) {
      throw new TopicException("cannot create a Kafka client for " + kafka.serversSetting() + " "
          + kafka.bootstrapServers() + ": " + kafka.describe(e), null);
    }
    TopicGuard guard = new TopicGuard(admin, kafka, timeout);
    try {
      guard.await(admin.describeCluster().clusterId(), "reach a broker");
    } catch (TopicException e) {
      guard.close();
      throw e;
    }
    return guard;
  }

  /**
   * Describes {@code topic}, creating it with {@code partitions} partitions and
   * {@code retention.ms=-1} when it does not exist.
   */
  Topic prepare(String topic, int partitions) throws TopicException {
    boolean created = false;
    int count;
    try {
      count = describe(topic).partitions().size();
    } catch (UnknownTopic e) {
      NewTopic t = new NewTopic(topic, Optional.of(partitions), Optional.empty())
          .configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, "-1"));
      try {
        await(admin.createTopics(List.of(t)).all(), "create topic " + topic);
        created = true;
      } catch (TopicException ex) {
        if (!(ex.getCause() instanceof TopicExistsException)) {
          throw ex;
        }
      }
      count = partitions;
    }
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    Config config = settings(resource, created);
    ConfigEntry retention = config.get(TopicConfig.RETENTION_MS_CONFIG);
    long retentionMs = retention == null || retention.value() == null ? -1
        : Long.parseLong(retention.value());
    boolean fromBroker = retention != null
        && retention.source() != ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG;
    String policy = value(config, TopicConfig.CLEANUP_POLICY_CONFIG, "delete");
    String timestampType = value(config, TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "CreateTime");
    boolean deletes = policy.contains("delete") && timestampType.equals("CreateTime");
    long before = Long.parseLong(value(config, "message.timestamp.before.max.ms",
        String.valueOf(Long.MAX_VALUE)));
    long after = Long.parseLong(value(config, "message.timestamp.after.max.ms",
        String.valueOf(Long.MAX_VALUE)));
    if (!timestampType.equals("CreateTime")) {
      before = Long.MAX_VALUE; // the broker stamps records itself
      after = Long.MAX_VALUE;
    }
    // The broker's default message.max.bytes, 1 MiB + 12 (the bytes of a legacy log entry's
    // header): a topic without its own value has the broker's, which describeConfigs reports.
    int maxMessageBytes = Integer.parseInt(value(config, TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
        "1048588"));
    return new Topic(topic, created, count, retentionMs, fromBroker, deletes, before, after,
        maxMessageBytes);
  }

  /**
   * The settings of a topic. A topic just created may be unknown to the broker that answers for
   * a moment (its metadata follows the controller's): that one is asked again until the timeout.
   */
  private Config settings(ConfigResource resource, boolean created) throws TopicException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        return await(admin.describeConfigs(List.of(resource)).all(),
            "read the settings of topic " + resource.name()).get(resource);
      } catch (TopicException e) {
        if (!created || !(e.getCause() instanceof UnknownTopicOrPartitionException)
            || System.nanoTime() > deadline) {
          throw e;
        }
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TopicException("interrupted while reading the settings of topic "
            + resource.name(), e);
      }
    }
  }

  private static String value(Config config, String key, String dflt) {
    ConfigEntry e = config.get(key);
    return e == null || e.value() == null ? dflt : e.value();
  }

  private static final class UnknownTopic extends Exception {
    private static final long serialVersionUID = 1L;

    UnknownTopic() {
      super(null, null, false, false);
    }
  }

  private TopicDescription describe(String topic) throws TopicException, UnknownTopic {
    try {
      return await(admin.describeTopics(List.of(topic)).allTopicNames(), "describe topic "
          + topic).get(topic);
    } catch (TopicException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        throw new UnknownTopic();
      }
      throw e;
    }
  }

  private <T> T await(KafkaFuture<T> future, String what)
      throws TopicException {
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      if (cause instanceof TimeoutException
          || cause instanceof org.apache.kafka.common.errors.TimeoutException) { // both kinds
        throw new TopicException("no Kafka broker answered at " + kafka.serversSetting() + " "
            + kafka.bootstrapServers() + " within " + human(timeout.toMillis())
            + " (--connect-timeout): check the address and that the broker runs"
            + (kafka.properties().isEmpty() ? "" : ", and the client properties (security"
                + " settings)"), cause);
      }
      throw new TopicException("could not " + what + " at " + kafka.serversSetting() + " "
          + kafka.bootstrapServers() + ": " + kafka.describe(cause), cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TopicException("interrupted while trying to " + what, e);
    }
  }

  /** {@code 604800000} as {@code 7 days}. */
  static String human(long ms) {
    Duration d = Duration.ofMillis(ms);
    if (ms % 86_400_000 == 0) {
      return d.toDays() + (d.toDays() == 1 ? " day" : " days");
    }
    if (ms % 3_600_000 == 0) {
      return d.toHours() + (d.toHours() == 1 ? " hour" : " hours");
    }
    if (ms % 1000 == 0) {
      return d.toSeconds() + " s";
    }
    return ms + " ms";
  }

  @Override
  public void close() {
    admin.close(Duration.ofSeconds(1));
  }
}
