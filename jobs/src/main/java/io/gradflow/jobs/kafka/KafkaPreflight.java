package io.gradflow.jobs.kafka;

import io.gradflow.jobs.cli.UserException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * The Kafka checks a job makes before it is submitted, each with a short timeout and a message
 * that names the setting: the brokers answer ({@code kafka.bootstrap_servers}), the input topics
 * exist ({@code kafka.topics.examples}, {@code kafka.topics.labels}); and what the input holds:
 * per partition the log start and end offsets and where the job will start and (bounded) stop
 * ({@link #extent}), and, while the job runs, the log start offsets again ({@link #logStarts}),
 * so that records the broker deletes before the job reads them are reported as data loss.
 *
 * <pre>{@code
 * try (KafkaPreflight kafka = KafkaPreflight.connect(spec, Duration.ofSeconds(10))) {
 *   kafka.checkTopic("kafka.topics.examples", spec.topics().examples());
 *   List<PartitionExtent> input = kafka.extent(spec.topics().examples(), spec);
 * }
 * }</pre>
 * Uses one {@link Admin} client with the job's client properties (security settings included).
 * Not thread-safe.
 */
public final class KafkaPreflight implements AutoCloseable {
  private final Admin admin;
  private final KafkaSpec spec;
  private final Duration timeout;
  private final String serversSetting;

  private KafkaPreflight(Admin admin, KafkaSpec spec, Duration timeout, String serversSetting) {
    this.admin = admin;
    this.spec = spec;
    this.timeout = timeout;
    this.serversSetting = serversSetting;
  }

  /**
   * One partition of an input topic as the job will read it.
   *
   * @param logStart the broker's log start offset (records below it are deleted)
   * @param logEnd the end offset (the next record's offset)
   * @param start where the job starts reading
   * @param end where a bounded job stops (exclusive), or -1 when unbounded
   */
  public record PartitionExtent(TopicPartition partition, long logStart, long logEnd, long start,
      long end) {
    /** Offsets the job will read: {@code end - start}, or up to the log end when unbounded. */
    public long toRead() {
      return Math.max(0, (end < 0 ? logEnd : end) - Math.max(start, logStart));
    }

    /** Records deleted before the job starts that it was asked to read. */
    public long deletedBeforeStart() {
      return Math.max(0, Math.min(logStart, end < 0 ? logStart : end) - start);
    }
  }

  /**
   * Connects to the brokers and checks that one answers within {@code timeout}.
   *
   * @throws UserException naming {@code kafka.bootstrap_servers} when none answers
   */
  public static KafkaPreflight connect(KafkaSpec spec, Duration timeout) {
    return connect(spec, timeout, "kafka.bootstrap_servers");
  }

  /** As {@link #connect(KafkaSpec, Duration)}, naming the brokers' setting or flag. */
  public static KafkaPreflight connect(KafkaSpec spec, Duration timeout, String serversSetting) {
    Properties p = spec.clientProperties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, spec.bootstrapServers());
    int millis = (int) Math.max(1, timeout.toMillis());
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Integer.toString(millis));
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Integer.toString(millis));
    p.putIfAbsent(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "1000");
    Admin admin;
    try {
      admin = Admin.create(p);
    } catch (KafkaException e) {
      throw new UserException(serversSetting + " (" + spec.bootstrapServers()
          + ") cannot be used: " + message(e) + "; give host:port[,host:port...] of a broker");
    }
    KafkaPreflight preflight = new KafkaPreflight(admin, spec, timeout, serversSetting);
    try {
      preflight.get(admin.describeCluster().nodes(), null);
    } catch (RuntimeException e) {
      preflight.close();
      throw e;
    }
    return preflight;
  }

  /**
   * Checks that a topic exists.
   *
   * @param setting the setting that names it, for the message ({@code kafka.topics.examples})
   * @throws UserException naming the setting when it does not (exit code 2)
   */
  public void checkTopic(String setting, String topic) {
    describe(setting, topic);
  }

  private TopicDescription describe(String setting, String topic) {
    try {
      return get(admin.describeTopics(List.of(topic)).allTopicNames(), setting).get(topic);
    } catch (UnknownTopicOrPartitionException e) {
      throw new MissingTopicException(setting + " names the topic '" + topic + "', which does"
          + " not exist on " + serversSetting + " (" + spec.bootstrapServers() + "); create it"
          + " (gradflow produce creates the topics it writes) or correct " + setting);
    }
  }

  /**
   * The topic does not exist; any other failure to describe it is not this. Exit code 2: the
   * topic is named by the user's configuration (or flag), which cannot run as written until the
   * topic is created or the name corrected, as {@code validate} says of its examples topic. An
   * unreachable broker stays 1 (the environment's, and worth retrying).
   */
  private static final class MissingTopicException extends UserException {
    private static final long serialVersionUID = 1L;

    MissingTopicException(String message) {
      super(message, 2);
    }
  }

  /**
   * Checks that an output topic exists or that the broker will create it.
   *
   * @return null when the topic exists, else a note that the broker creates it with its defaults
   * @throws UserException naming the setting when it does not exist and the broker does not
   *     create topics ({@code auto.create.topics.enable=false}; exit code 2)
   */
  public String checkOutputTopic(String setting, String topic) {
    try {
      describe(setting, topic);
      return null;
    } catch (MissingTopicException e) {
      // A timeout or a refused authorization is not a missing topic: those propagate as they are.
      if (!brokerCreatesTopics()) {
        throw new UserException(setting + " names the topic '" + topic + "', which does not exist"
            + " on " + serversSetting + " (" + spec.bootstrapServers() + "), and the broker does"
            + " not create topics (auto.create.topics.enable=false); create it or correct "
            + setting, 2);
      }
      return setting + " ('" + topic + "') does not exist yet: the broker will create it with"
          + " its default settings (partitions, retention.ms)";
    }
  }

  /**
   * Creates an output topic when it does not exist ({@code train --create-topics}), with
   * {@code partitions} partitions, the broker's default replication and {@code configs} (the
   * changelog's {@code cleanup.policy=compact}).
   *
   * @return null when the topic exists, else what was created, for the start-up lines
   * @throws UserException naming the setting when the broker refuses (an invalid name, no
   *     permission to create topics; exit code 2)
   */
  public String createOutputTopic(String setting, String topic, int partitions,
      Map<String, String> configs) {
    try {
      describe(setting, topic);
      return null;
    } catch (MissingTopicException e) {
      return create(setting, topic, partitions, configs);
    }
  }

  /**
   * Creates a topic found missing: what was created, or null when it exists by now (created
   * meanwhile by someone else).
   *
   * @throws UserException naming the setting, when the brokers refuse it
   */
  public String create(String setting, String topic, int partitions,
      Map<String, String> configs) {
    org.apache.kafka.clients.admin.NewTopic t = new org.apache.kafka.clients.admin.NewTopic(
        topic, java.util.Optional.of(partitions), java.util.Optional.empty()).configs(configs);
    try {
      get(admin.createTopics(List.of(t)).all(), null);
    } catch (Unreachable u) {
      throw u;
    } catch (UserException refused) {
      if (!(refused instanceof Refused r && r.errorType
          == org.apache.kafka.common.errors.TopicExistsException.class)) {
        throw new UserException(setting + " names the topic '" + topic + "', which does not"
            + " exist, and --create-topics could not create it: " + refused.getMessage(), 2);
      }
      return null;
    }
    return "created " + setting + " topic '" + topic + "' (" + partitions + " partition"
        + (partitions == 1 ? "" : "s") + (configs.isEmpty() ? "" : ", " + String.join(", ",
        configs.entrySet().stream().map(c -> c.getKey() + "=" + c.getValue()).toList())) + ")";
  }

  private boolean brokerCreatesTopics() {
    try {
      org.apache.kafka.common.Node node =
          get(admin.describeCluster().nodes(), null).iterator().next();
      org.apache.kafka.common.config.ConfigResource broker = new org.apache.kafka.common.config
          .ConfigResource(org.apache.kafka.common.config.ConfigResource.Type.BROKER,
          Integer.toString(node.id()));
      org.apache.kafka.clients.admin.ConfigEntry entry = get(admin.describeConfigs(
          List.of(broker)).all(), null).get(broker).get("auto.create.topics.enable");
      return entry == null || !"false".equalsIgnoreCase(entry.value());
    } catch (UserException | java.util.NoSuchElementException e) {
      return true; // not allowed to ask: the sink will say it if the topic is missing
    }
  }

  /** Where the job will read {@code topic}, per partition, given its starting and end offsets. */
  public List<PartitionExtent> extent(String topic, String setting) {
    TopicDescription description = describe(setting, topic);
    List<TopicPartition> partitions = new ArrayList<>();
    description.partitions().forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
    Map<TopicPartition, Long> earliest = offsets(partitions,
        org.apache.kafka.clients.admin.OffsetSpec.earliest());
    Map<TopicPartition, Long> latest = offsets(partitions,
        org.apache.kafka.clients.admin.OffsetSpec.latest());
    Map<TopicPartition, Long> start = position(spec.startingOffsets(), partitions, earliest, latest);
    Map<TopicPartition, Long> end = spec.bounded() == null ? null
        : position(spec.bounded(), partitions, earliest, latest);
    List<PartitionExtent> out = new ArrayList<>();
    for (TopicPartition tp : partitions) {
      out.add(new PartitionExtent(tp, earliest.get(tp), latest.get(tp), start.get(tp),
          end == null ? -1 : end.get(tp)));
    }
    out.sort(java.util.Comparator.comparingInt(e -> e.partition().partition()));
    return out;
  }

  /** The log start offsets now: records below them are deleted. */
  public Map<TopicPartition, Long> logStarts(Collection<TopicPartition> partitions) {
    return offsets(partitions, org.apache.kafka.clients.admin.OffsetSpec.earliest());
  }

  private Map<TopicPartition, Long> position(OffsetSpec position, List<TopicPartition> partitions,
      Map<TopicPartition, Long> earliest, Map<TopicPartition, Long> latest) {
    Map<TopicPartition, Long> out = new HashMap<>();
    if (position instanceof OffsetSpec.Earliest) {
      out.putAll(earliest);
    } else if (position instanceof OffsetSpec.Latest) {
      out.putAll(latest);
    } else if (position instanceof OffsetSpec.Committed) {
      Map<TopicPartition, OffsetAndMetadata> committed = get(
          admin.listConsumerGroupOffsets(spec.groupId()).partitionsToOffsetAndMetadata(), null);
      for (TopicPartition tp : partitions) {
        OffsetAndMetadata o = committed.get(tp);
        out.put(tp, o == null ? earliest.get(tp) : o.offset());
      }
    } else if (position instanceof OffsetSpec.Timestamp t) {
      Map<TopicPartition, Long> found = offsets(partitions,
          org.apache.kafka.clients.admin.OffsetSpec.forTimestamp(t.epochMillis()));
      for (TopicPartition tp : partitions) {
        long o = found.getOrDefault(tp, -1L);
        out.put(tp, o < 0 ? latest.get(tp) : o);
      }
    } else if (position instanceof OffsetSpec.Offsets o) {
      for (TopicPartition tp : partitions) {
        out.put(tp, o.offsets().getOrDefault(tp, earliest.get(tp)));
      }
    }
    return out;
  }

  private Map<TopicPartition, Long> offsets(Collection<TopicPartition> partitions,
      org.apache.kafka.clients.admin.OffsetSpec which) {
    Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> request = new HashMap<>();
    partitions.forEach(tp -> request.put(tp, which));
    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> result =
        get(admin.listOffsets(request).all(), null);
    Map<TopicPartition, Long> out = new HashMap<>();
    result.forEach((tp, info) -> out.put(tp, info.offset()));
    return out;
  }

  private <T> T get(org.apache.kafka.common.KafkaFuture<T> future, String setting) {
    try {
      return future.get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UserException("interrupted while asking the Kafka brokers");
    } catch (TimeoutException e) {
      throw unreachable();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof UnknownTopicOrPartitionException u && setting != null) {
        throw u;
      }
      if (cause instanceof org.apache.kafka.common.errors.TimeoutException) {
        throw unreachable();
      }
      throw new Refused("Kafka (" + serversSetting + " " + spec.bootstrapServers()
          + ") refused a start-up check: " + message(cause)
          + "; check the brokers and the security settings in " + securitySettings(),
          cause.getClass());
    }
  }

  /**
   * A broker refused a request; {@link #errorType} is the Kafka error's type (not kept as the
   * cause: a user's refusal prints no stack trace).
   */
  private static final class Refused extends UserException {
    private static final long serialVersionUID = 1L;
    private final Class<? extends Throwable> errorType;

    Refused(String message, Class<? extends Throwable> errorType) {
      super(message);
      this.errorType = errorType;
    }
  }

  /** No broker answered within the timeout: the brokers are down, or not at that address. */
  public static final class Unreachable extends UserException {
    private static final long serialVersionUID = 1L;

    public Unreachable(String message) {
      super(message);
    }
  }

  private UserException unreachable() {
    return new Unreachable(String.format(Locale.ROOT, "no Kafka broker answered at"
        + " %s (%s) within %d s; check the address and that the broker"
        + " runs (and the security settings in %s)", serversSetting,
        spec.bootstrapServers(),
        Math.max(1, timeout.toSeconds()), securitySettings()));
  }

  /**
   * Where the user gave the client's security settings: {@code kafka.properties} of a job's YAML,
   * or, for a command whose brokers came from a flag, {@code --kafka-property} (or the YAML given
   * with {@code --config}).
   */
  private String securitySettings() {
    return serversSetting.startsWith("--")
        ? "--kafka-property (or kafka.properties with --config)" : "kafka.properties";
  }

  private static String message(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }

  @Override
  public void close() {
    admin.close(Duration.ofSeconds(1));
  }
}
