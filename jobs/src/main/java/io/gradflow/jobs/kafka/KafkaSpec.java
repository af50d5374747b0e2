package io.gradflow.jobs.kafka;

import io.gradflow.config.Check;
import io.gradflow.config.ConfigException;
import io.gradflow.config.Durations;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.KafkaSinkBuilder;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.kafka.common.TopicPartition;

/**
 * How a job talks to Kafka: brokers, topics, consumer group, where to start and (for replays)
 * where to stop, and the sinks' delivery guarantee. Builds the Flink sources and sinks.
 *
 * <p>YAML (all keys optional except {@code bootstrap_servers}; defaults shown):
 * <pre>{@code
 * kafka:
 *   bootstrap_servers: localhost:9092
 *   group_id: gradflow
 *   topics: {examples: examples, labels: labels, predictions: predictions,
 *            metrics: metrics, changelog: changelog, dead_letters: dead-letters}
 *   starting_offsets: committed      # earliest | latest | committed | {timestamp: ..} | {offsets: {"examples:0": 42}}
 *   bounded: none                    # none | latest | {timestamp: ..} | {offsets: {..}}
 *   delivery_guarantee: exactly_once # exactly_once | at_least_once
 *   transaction_timeout: 15m         # <= transaction_max_timeout (the broker's transaction.max.timeout.ms)
 *   transaction_max_timeout: 15m
 *   transactional_id_prefix: <group_id>
 *   properties: {}                   # passed to every Kafka client (security settings, ...)
 * }</pre>
 * Exactly-once sinks commit a Kafka transaction per checkpoint, so the transaction timeout must
 * exceed the checkpoint interval plus the longest expected recovery, and may not exceed the
 * broker's maximum (the broker refuses the producer otherwise). Readers of such topics use
 * {@code isolation.level=read_committed}.
 *
 * <p>Immutable and validated at construction; messages name the key. Thread-safe.
 */
public record KafkaSpec(String bootstrapServers, Topics topics, String groupId,
    OffsetSpec startingOffsets, OffsetSpec bounded, DeliveryGuarantee deliveryGuarantee,
    Duration transactionTimeout, Duration transactionMaxTimeout, String transactionalIdPrefix,
    Map<String, String> properties) {

  public static final Duration DEFAULT_TRANSACTION_TIMEOUT = Duration.ofMinutes(15);

  /** The topic names of a job. */
  public record Topics(String examples, String labels, String predictions, String metrics,
      String changelog, String deadLetters) {
    public static final Topics DEFAULT = new Topics("examples", "labels", "predictions", "metrics",
        "changelog", "dead-letters");

    public Topics {
      nonEmpty("kafka.topics.examples", examples);
      nonEmpty("kafka.topics.labels", labels);
      nonEmpty("kafka.topics.predictions", predictions);
      nonEmpty("kafka.topics.metrics", metrics);
      nonEmpty("kafka.topics.changelog", changelog);
      nonEmpty("kafka.topics.dead_letters", deadLetters);
    }

    public List<String> all() {
      return List.of(examples, labels, predictions, metrics, changelog, deadLetters);
    }
  }

  public KafkaSpec {
    nonEmpty("kafka.bootstrap_servers", bootstrapServers);
    nonEmpty("kafka.group_id", groupId);
    if (topics == null) {
      topics = Topics.DEFAULT;
    }
    if (startingOffsets == null) {
      startingOffsets = new OffsetSpec.Committed();
    }
    if (bounded instanceof OffsetSpec.Earliest || bounded instanceof OffsetSpec.Committed) {
      throw new ConfigException("kafka.bounded", "kafka.bounded must be none, latest, a timestamp"
          + " or offsets, but was " + (bounded instanceof OffsetSpec.Earliest ? "earliest"
          : "committed"));
    }
    if (deliveryGuarantee == null) {
      deliveryGuarantee = DeliveryGuarantee.EXACTLY_ONCE;
    }
    if (deliveryGuarantee == DeliveryGuarantee.NONE) {
      throw new ConfigException("kafka.delivery_guarantee",
          "kafka.delivery_guarantee must be exactly_once or at_least_once, but was none");
    }
    if (transactionTimeout == null) {
      transactionTimeout = DEFAULT_TRANSACTION_TIMEOUT;
    }
    if (transactionMaxTimeout == null) {
      transactionMaxTimeout = DEFAULT_TRANSACTION_TIMEOUT;
    }
    Check.positive("kafka.transaction_timeout", transactionTimeout.toMillis());
    Check.positive("kafka.transaction_max_timeout", transactionMaxTimeout.toMillis());
    if (transactionTimeout.compareTo(transactionMaxTimeout) > 0) {
      throw new ConfigException("kafka.transaction_timeout", "kafka.transaction_timeout must be"
          + " <= kafka.transaction_max_timeout (" + transactionMaxTimeout
          + ", the broker's transaction.max.timeout.ms), but was " + transactionTimeout
          + ": lower it, or raise both on the broker and here");
    }
    if (transactionalIdPrefix == null) {
      transactionalIdPrefix = groupId;
    }
    nonEmpty("kafka.transactional_id_prefix", transactionalIdPrefix);
    properties = Map.copyOf(properties == null ? Map.of() : properties);
  }

  /** A spec with defaults for everything but the brokers (tests and the demo). */
  public static KafkaSpec of(String bootstrapServers) {
    return new KafkaSpec(bootstrapServers, null, "gradflow", null, null, null, null, null, null,
        null);
  }

  public KafkaSpec withStartingOffsets(OffsetSpec start) {
    return new KafkaSpec(bootstrapServers, topics, groupId, start, bounded, deliveryGuarantee,
        transactionTimeout, transactionMaxTimeout, transactionalIdPrefix, properties);
  }

  public KafkaSpec withBounded(OffsetSpec end) {
    return new KafkaSpec(bootstrapServers, topics, groupId, startingOffsets, end,
        deliveryGuarantee, transactionTimeout, transactionMaxTimeout, transactionalIdPrefix,
        properties);
  }

  public KafkaSpec withDeliveryGuarantee(DeliveryGuarantee guarantee) {
    return new KafkaSpec(bootstrapServers, topics, groupId, startingOffsets, bounded, guarantee,
        transactionTimeout, transactionMaxTimeout, transactionalIdPrefix, properties);
  }

  public KafkaSpec withTransactionTimeout(Duration timeout) {
    return new KafkaSpec(bootstrapServers, topics, groupId, startingOffsets, bounded,
        deliveryGuarantee, timeout, transactionMaxTimeout, transactionalIdPrefix, properties);
  }

  public KafkaSpec withGroupId(String group) {
    return new KafkaSpec(bootstrapServers, topics, group, startingOffsets, bounded,
        deliveryGuarantee, transactionTimeout, transactionMaxTimeout, null, properties);
  }

  /**
   * A source of raw records from the given topics, starting and (when bounded) ending as
   * configured; reads only committed records ({@code isolation.level=read_committed}).
   */
  public KafkaSource<RawRecord> rawSource(String... topicNames) {
    KafkaSourceBuilder<RawRecord> b = KafkaSource.<RawRecord>builder()
        .setBootstrapServers(bootstrapServers)
        .setTopics(topicNames)
        .setGroupId(groupId)
        .setStartingOffsets(startingOffsets.initializer())
        .setDeserializer(new RawRecordDeserializer())
        .setProperties(clientProperties())
        .setProperty("isolation.level", "read_committed");
    if (bounded != null) {
      b.setBounded(bounded.initializer());
    }
    return b.build();
  }

  /**
   * A sink writing elements to {@code topic} through {@code mapper}, with the configured delivery
   * guarantee. {@code name} distinguishes the transactional ids of several sinks of one job
   * (for example {@code "predictions"}).
   */
  public <T> KafkaSink<T> sink(String name, String topic, AvroMapper<T> mapper) {
    KafkaSinkBuilder<T> b = KafkaSink.<T>builder()
        .setBootstrapServers(bootstrapServers)
        .setKafkaProducerConfig(clientProperties())
        .setRecordSerializer(new AvroRecordSerializer<>(topic, mapper))
        .setDeliveryGuarantee(deliveryGuarantee);
    if (deliveryGuarantee == DeliveryGuarantee.EXACTLY_ONCE) {
      b.setTransactionalIdPrefix(transactionalIdPrefix + "-" + name)
          .setProperty("transaction.timeout.ms", Long.toString(transactionTimeout.toMillis()));
    }
    return b.build();
  }

  /** The sink of the dead-letter topic. */
  public KafkaSink<DeadLetter> deadLetterSink() {
    return sink("dead-letters", topics.deadLetters(), AvroMapper.deadLetters());
  }

  /** The extra client properties, as {@link Properties}. */
  public Properties clientProperties() {
    Properties p = new Properties();
    p.putAll(properties);
    return p;
  }

  // ---------------------------------------------------------------------------------------------
  // Reading from a configuration map

  private static final Set<String> KEYS = Set.of("bootstrap_servers", "group_id", "topics",
      "starting_offsets", "bounded", "delivery_guarantee", "transaction_timeout",
      "transaction_max_timeout", "transactional_id_prefix", "properties");
  private static final Set<String> TOPIC_KEYS = Set.of("examples", "labels", "predictions",
      "metrics", "changelog", "dead_letters");

  /**
   * Reads a spec from a parsed YAML map (the value of the {@code kafka} key).
   *
   * @throws ConfigException naming the key, the constraint and the value
   */
  public static KafkaSpec fromMap(Map<String, ?> map) {
    if (map == null) {
      throw new ConfigException("kafka", "kafka must be a map with at least bootstrap_servers,"
          + " but was missing");
    }
    unknownKeys("kafka", map, KEYS);
    Map<String, ?> t = optionalMap("kafka.topics", map.get("topics"));
    Topics topics = Topics.DEFAULT;
    if (t != null) {
      unknownKeys("kafka.topics", t, TOPIC_KEYS);
      Topics d = Topics.DEFAULT;
      topics = new Topics(string("kafka.topics.examples", t.get("examples"), d.examples()),
          string("kafka.topics.labels", t.get("labels"), d.labels()),
          string("kafka.topics.predictions", t.get("predictions"), d.predictions()),
          string("kafka.topics.metrics", t.get("metrics"), d.metrics()),
          string("kafka.topics.changelog", t.get("changelog"), d.changelog()),
          string("kafka.topics.dead_letters", t.get("dead_letters"), d.deadLetters()));
    }
    if (!map.containsKey("bootstrap_servers")) {
      throw new ConfigException("kafka.bootstrap_servers", "kafka.bootstrap_servers must be"
          + " set (host:port[,host:port...]), but was missing");
    }
    Map<String, ?> props = optionalMap("kafka.properties", map.get("properties"));
    Map<String, String> properties = new LinkedHashMap<>();
    if (props != null) {
      props.forEach((k, v) -> properties.put(k, String.valueOf(v)));
    }
    return new KafkaSpec(
        string("kafka.bootstrap_servers", map.get("bootstrap_servers"), null),
        topics,
        string("kafka.group_id", map.get("group_id"), "gradflow"),
        position("kafka.starting_offsets", map.get("starting_offsets"), false),
        position("kafka.bounded", map.get("bounded"), true),
        guarantee(map.get("delivery_guarantee")),
        duration("kafka.transaction_timeout", map.get("transaction_timeout")),
        duration("kafka.transaction_max_timeout", map.get("transaction_max_timeout")),
        string("kafka.transactional_id_prefix", map.get("transactional_id_prefix"), null),
        properties);
  }

  @SuppressWarnings("fallthrough")
  private static OffsetSpec position(String key, Object value, boolean end) {
    String accepted = end ? "none, latest, {timestamp: ...} or {offsets: {\"topic:partition\": offset}}"
        : "earliest, latest, committed, {timestamp: ...} or {offsets: {\"topic:partition\": offset}}";
    if (value == null) {
      return null;
    }
    if (value instanceof String s) {
      switch (s.toLowerCase(Locale.ROOT)) {
        case "earliest": return new OffsetSpec.Earliest();
        case "latest": return new OffsetSpec.Latest();
        case "committed": return new OffsetSpec.Committed();
        case "none": if (end) {
          return null;
        }
        // fall through
        default:
          throw new ConfigException(key, key + " must be " + accepted + ", but was " + s);
      }
    }
    if (value instanceof Map<?, ?> m && m.size() == 1) {
      Object k = m.keySet().iterator().next();
      Object v = m.values().iterator().next();
      if ("timestamp".equals(k)) {
        return new OffsetSpec.Timestamp(epochMillis(key + ".timestamp", v));
      }
      if ("offsets".equals(k) && v instanceof Map<?, ?> offsets && !offsets.isEmpty()) {
        Map<TopicPartition, Long> parsed = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : offsets.entrySet()) {
          String tp = String.valueOf(e.getKey());
          String entryKey = key + ".offsets." + tp;
          int colon = tp.lastIndexOf(':');
          int partition;
          try {
            partition = colon > 0 ? Integer.parseInt(tp.substring(colon + 1)) : -1;
          } catch (NumberFormatException ex) {
            partition = -1;
          }
          if (partition < 0) {
            throw new ConfigException(entryKey, entryKey + " must be named topic:partition"
                + " (for example examples:0), but was " + tp);
          }
          if (!(e.getValue() instanceof Number n) || n.longValue() < 0
              || n.doubleValue() != n.longValue()) {
            throw new ConfigException(entryKey, entryKey + " must be an offset >= 0, but was "
                + e.getValue());
          }
          parsed.put(new TopicPartition(tp.substring(0, colon), partition), n.longValue());
        }
        return new OffsetSpec.Offsets(parsed);
      }
    }
    throw new ConfigException(key, key + " must be " + accepted + ", but was " + value);
  }

  private static long epochMillis(String key, Object v) {
    if (v instanceof Number n && n.longValue() >= 0) {
      return n.longValue();
    }
    if (v instanceof String s) {
      try {
        return Instant.parse(s).toEpochMilli();
      } catch (DateTimeParseException e) {
        // reported below
      }
    }
    throw new ConfigException(key, key + " must be epoch milliseconds or an ISO-8601 instant"
        + " (2024-01-31T12:00:00Z), but was " + v);
  }

  private static DeliveryGuarantee guarantee(Object v) {
    if (v == null) {
      return null;
    }
    String s = String.valueOf(v).toLowerCase(Locale.ROOT);
    return switch (s) {
      case "exactly_once" -> DeliveryGuarantee.EXACTLY_ONCE;
      case "at_least_once" -> DeliveryGuarantee.AT_LEAST_ONCE;
      default -> throw new ConfigException("kafka.delivery_guarantee",
          "kafka.delivery_guarantee must be exactly_once or at_least_once, but was " + v);
    };
  }

  /**
   * A duration: {@code 500ms}, {@code 30s}, {@code 15m}/{@code 15min}, {@code 2h}, {@code 1d},
   * ISO-8601 ({@code PT15M}) ({@link Durations}), or a bare number of milliseconds.
   */
  public static Duration duration(String key, Object v) {
    if (v == null) {
      return null;
    }
    if (v instanceof Number n && n.doubleValue() == n.longValue()) {
      return Duration.ofMillis(n.longValue());
    }
    return Durations.parse(key, String.valueOf(v));
  }

  private static void unknownKeys(String prefix, Map<String, ?> map, Set<String> accepted) {
    for (String k : map.keySet()) {
      if (!accepted.contains(k)) {
        throw new ConfigException(prefix + "." + k, prefix + "." + k + " is not a setting; "
            + prefix + " accepts " + String.join(", ", new TreeSet<>(accepted)));
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, ?> optionalMap(String key, Object v) {
    if (v == null) {
      return null;
    }
    if (v instanceof Map<?, ?> m) {
      return (Map<String, ?>) m;
    }
    throw new ConfigException(key, key + " must be a map, but was " + v);
  }

  private static String string(String key, Object v, String dflt) {
    if (v == null) {
      return dflt;
    }
    if (v instanceof String s) {
      return s;
    }
    throw new ConfigException(key, key + " must be a string, but was " + v);
  }

  private static void nonEmpty(String key, String v) {
    if (v == null || v.isBlank()) {
      throw new ConfigException(key, key + " must be a non-empty string, but was "
          + (v == null ? "missing" : "'" + v + "'"));
    }
  }
}
