package io.gradflow.jobs.kafka;

import io.gradflow.config.Check;
import io.gradflow.config.ConfigException;
import io.gradflow.config.ConfigReport;
import io.gradflow.config.Constraint;
import io.gradflow.config.Durations;
import io.gradflow.config.Section;
import io.gradflow.config.SettingType;
import io.gradflow.config.StreamPosition;
import io.gradflow.config.TrainSettings;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
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
 * <p>YAML (all keys optional except {@code bootstrap_servers}; defaults shown; the settings are
 * declared in {@code io.gradflow.config.TrainSettings}):
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

  /** The declared default of {@code kafka.transaction_timeout}. */
  public static final Duration DEFAULT_TRANSACTION_TIMEOUT =
      TrainSettings.KAFKA_TRANSACTION_TIMEOUT.defaultValue();

  /** The topic names of a job. */
  public record Topics(String examples, String labels, String predictions, String metrics,
      String changelog, String deadLetters) {
    /** The declared defaults of {@code kafka.topics}. */
    public static final Topics DEFAULT = new Topics(
        TrainSettings.TOPIC_EXAMPLES.defaultValue(), TrainSettings.TOPIC_LABELS.defaultValue(),
        TrainSettings.TOPIC_PREDICTIONS.defaultValue(), TrainSettings.TOPIC_METRICS.defaultValue(),
        TrainSettings.TOPIC_CHANGELOG.defaultValue(),
        TrainSettings.TOPIC_DEAD_LETTERS.defaultValue());

    /** Valid Kafka topic names; no output topic may be an input topic. */
    public Topics {
      topic("kafka.topics.examples", examples);
      topic("kafka.topics.labels", labels);
      topic("kafka.topics.predictions", predictions);
      topic("kafka.topics.metrics", metrics);
      topic("kafka.topics.changelog", changelog);
      topic("kafka.topics.dead_letters", deadLetters);
      outputsAreNotInputs(examples, labels, predictions, metrics, changelog, deadLetters);
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
      startingOffsets = offsets(TrainSettings.KAFKA_STARTING_OFFSETS.defaultValue());
    }
    if (bounded instanceof OffsetSpec.Earliest || bounded instanceof OffsetSpec.Committed) {
      throw new ConfigException("kafka.bounded", "kafka.bounded must be none, latest, a timestamp"
          + " or offsets, but was " + (bounded instanceof OffsetSpec.Earliest ? "earliest"
          : "committed"));
    }
    if (deliveryGuarantee == null) {
      deliveryGuarantee = guarantee(TrainSettings.KAFKA_DELIVERY_GUARANTEE.defaultValue());
    }
    if (deliveryGuarantee == DeliveryGuarantee.NONE) {
      throw new ConfigException("kafka.delivery_guarantee",
          "kafka.delivery_guarantee must be exactly_once or at_least_once, but was none");
    }
    if (transactionTimeout == null) {
      transactionTimeout = DEFAULT_TRANSACTION_TIMEOUT;
    }
    if (transactionMaxTimeout == null) {
      transactionMaxTimeout = TrainSettings.KAFKA_TRANSACTION_MAX_TIMEOUT.defaultValue();
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

  /**
   * The shortest {@code kafka.transaction_timeout} accepted with this checkpoint interval and
   * restart delay ({@code checkpoints.restart_delay}): {@code 2 x interval + restart_delay + 9s},
   * that is {@code 2 x interval + }{@link TrainSettings#TRANSACTION_TIMEOUT_MARGIN} with the
   * default restart delay of 1 s, whose margin held that delay.
   */
  public static Duration minimumTransactionTimeout(Duration checkpointInterval,
      Duration restartDelay) {
    return checkpointInterval.multipliedBy(2).plus(restartDelay).plus(RESTART_MARGIN);
  }

  /** What the transaction timeout's margin holds besides the restart delay. */
  private static final Duration RESTART_MARGIN = TrainSettings.TRANSACTION_TIMEOUT_MARGIN
      .minus(TrainSettings.CHECKPOINTS_RESTART_DELAY.defaultValue());

  /**
   * Fails, naming both settings, when exactly-once transactions could be aborted by the broker
   * between a checkpoint and their commit, or during an automatic restart: the timeout must be at
   * least {@link #minimumTransactionTimeout}. Nothing to check without exactly-once output or
   * without checkpoints.
   */
  public void checkTransactionTimeout(Duration checkpointInterval, Duration restartDelay) {
    if (deliveryGuarantee != DeliveryGuarantee.EXACTLY_ONCE || checkpointInterval.isZero()) {
      return;
    }
    Duration least = minimumTransactionTimeout(checkpointInterval, restartDelay);
    boolean longDelay = restartDelay.compareTo(checkpointInterval) > 0;
    Check.conflict(transactionTimeout.compareTo(least) < 0, "kafka.transaction_timeout",
        longDelay ? "checkpoints.restart_delay" : "checkpoints.interval",
        "kafka.transaction_timeout must be at least 2 x checkpoints.interval +"
            + " checkpoints.restart_delay + " + Durations.format(RESTART_MARGIN)
            + " = " + Durations.format(least) + ", but was "
            + Durations.format(transactionTimeout) + " (checkpoints.interval "
            + Durations.format(checkpointInterval) + ", checkpoints.restart_delay "
            + Durations.format(restartDelay) + "): the broker would abort a checkpoint's"
            + " transactions before the job commits them, or while it restarts, and their"
            + " output would be lost. Raise kafka.transaction_timeout (the default is "
            + Durations.format(DEFAULT_TRANSACTION_TIMEOUT) + ") or lower checkpoints.interval"
            + " or checkpoints.restart_delay");
  }

  /** A spec with defaults for everything but the brokers (tests and the demo). */
  public static KafkaSpec of(String bootstrapServers) {
    return new KafkaSpec(bootstrapServers, null, TrainSettings.KAFKA_GROUP_ID.defaultValue(), null,
        null, null, null, null, null, null);
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
    return sink(name, topic, mapper, Map.of());
  }

  /**
   * {@link #sink(String, String, AvroMapper)} with producer properties of the sink's own
   * ({@code producerDefaults}, for example a larger {@code batch.size} for an output written
   * once per example), each used only where {@code kafka.properties} does not set it.
   */
  public <T> KafkaSink<T> sink(String name, String topic, AvroMapper<T> mapper,
      Map<String, String> producerDefaults) {
    KafkaSinkBuilder<T> b = KafkaSink.<T>builder()
        .setBootstrapServers(bootstrapServers)
        .setKafkaProducerConfig(clientProperties())
        .setRecordSerializer(new AvroRecordSerializer<>(topic, mapper))
        .setDeliveryGuarantee(deliveryGuarantee);
    producerDefaults.forEach((k, v) -> {
      if (!properties.containsKey(k)) {
        b.setProperty(k, v);
      }
    });
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

  /**
   * The extra client properties, as {@link Properties}, for every client the job or a command
   * creates: {@link #properties()} with their {@code ${env:VAR}} and {@code ${file:PATH:KEY}}
   * references unresolved, and the config providers that make each Kafka client resolve them
   * when it is created, where it is created ({@link KafkaSecrets#forClients}). So the sources
   * and sinks, and the job graph that carries them, hold no value. The references are resolved
   * here once, to check them ({@link KafkaSecrets#check}).
   *
   * @throws ConfigException naming {@code kafka.properties.KEY} when a reference cannot be
   *     resolved in this process
   */
  public Properties clientProperties() {
    KafkaSecrets.check(properties, k -> "kafka.properties." + k);
    Properties p = new Properties();
    p.putAll(KafkaSecrets.forClients(properties));
    return p;
  }

  // ---------------------------------------------------------------------------------------------
  // Reading from a configuration map, through the declarations of TrainSettings

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
    return read("kafka", map, null);
  }

  /**
   * Reads the {@code kafka} section at key {@code prefix}, recording the effective settings in
   * {@code report} (may be null).
   *
   * @throws ConfigException naming the key, the constraint and the value
   */
  public static KafkaSpec read(String prefix, Object raw, ConfigReport report) {
    Section.Values v = TrainSettings.KAFKA.read(prefix, raw, report);
    Section.Values t = TrainSettings.KAFKA_TOPICS.read(v.key("topics"), v.raw("topics"), report);
    Topics topics = new Topics(t.get(TrainSettings.TOPIC_EXAMPLES),
        t.get(TrainSettings.TOPIC_LABELS), t.get(TrainSettings.TOPIC_PREDICTIONS),
        t.get(TrainSettings.TOPIC_METRICS), t.get(TrainSettings.TOPIC_CHANGELOG),
        t.get(TrainSettings.TOPIC_DEAD_LETTERS));
    managedProperties(v);
    KafkaSpec spec = new KafkaSpec(v.get(TrainSettings.KAFKA_BOOTSTRAP_SERVERS), topics,
        v.get(TrainSettings.KAFKA_GROUP_ID), offsets(v.get(TrainSettings.KAFKA_STARTING_OFFSETS)),
        offsets(v.get(TrainSettings.KAFKA_BOUNDED)),
        guarantee(v.get(TrainSettings.KAFKA_DELIVERY_GUARANTEE)),
        v.get(TrainSettings.KAFKA_TRANSACTION_TIMEOUT),
        v.get(TrainSettings.KAFKA_TRANSACTION_MAX_TIMEOUT),
        v.get(TrainSettings.KAFKA_TRANSACTIONAL_ID_PREFIX),
        v.get(TrainSettings.KAFKA_PROPERTIES));
    if (report != null && !v.isSet(TrainSettings.KAFKA_TRANSACTIONAL_ID_PREFIX)) {
      report.resolve(v.key(TrainSettings.KAFKA_TRANSACTIONAL_ID_PREFIX),
          spec.transactionalIdPrefix(), spec.transactionalIdPrefix() + " (the group_id)");
    }
    return spec;
  }

  /**
   * Client properties the job sets from its own settings, by the setting that sets them: giving
   * one in {@code kafka.properties} as well is refused, naming both.
   */
  private static final Map<String, String> MANAGED_PROPERTIES = Map.of(
      "bootstrap.servers", "bootstrap_servers", "group.id", "group_id",
      "transaction.timeout.ms", "transaction_timeout", "transactional.id",
      "transactional_id_prefix", "isolation.level", "delivery_guarantee");

  private static void managedProperties(Section.Values v) {
    // Refused when the file is read, so --validate-only refuses it too.
    KafkaSecrets.refuseProviderKeys(v.get(TrainSettings.KAFKA_PROPERTIES),
        k -> v.key(TrainSettings.KAFKA_PROPERTIES) + "." + k);
    for (String property : v.get(TrainSettings.KAFKA_PROPERTIES).keySet()) {
      String setting = MANAGED_PROPERTIES.get(property);
      Check.conflict(setting != null, v.key(TrainSettings.KAFKA_PROPERTIES) + "." + property,
          v.key(setting), "the job sets " + property + " from " + v.key(setting)
              + " (isolation.level is always read_committed); remove it from the properties");
    }
  }

  /** A configured position as the connector's offsets; null for none. */
  private static OffsetSpec offsets(StreamPosition p) {
    if (p == null) {
      return null;
    }
    return switch (p.kind()) {
      case NONE -> null;
      case EARLIEST -> new OffsetSpec.Earliest();
      case LATEST -> new OffsetSpec.Latest();
      case COMMITTED -> new OffsetSpec.Committed();
      case TIMESTAMP -> new OffsetSpec.Timestamp(p.timestamp());
      case OFFSETS -> {
        Map<TopicPartition, Long> offsets = new LinkedHashMap<>();
        for (StreamPosition.PartitionOffset o : p.offsets()) {
          offsets.put(new TopicPartition(o.topic(), o.partition()), o.offset());
        }
        yield new OffsetSpec.Offsets(offsets);
      }
    };
  }

  private static DeliveryGuarantee guarantee(String configName) {
    return configName.equals("at_least_once") ? DeliveryGuarantee.AT_LEAST_ONCE
        : DeliveryGuarantee.EXACTLY_ONCE;
  }

  /**
   * A duration: {@code 500ms}, {@code 30s}, {@code 15m}/{@code 15min}, {@code 2h}, {@code 1d},
   * ISO-8601 ({@code PT15M}) ({@link Durations}), or a bare number of milliseconds.
   */
  public static Duration duration(String key, Object v) {
    return v == null ? null : SettingType.duration().parse(key, v, false);
  }

  /** Checks that no output topic is an input topic. */
  private static void outputsAreNotInputs(String examples, String labels, String predictions,
      String metrics, String changelog, String deadLetters) {
    String[][] inputs = {{"examples", examples}, {"labels", labels}};
    String[][] outputs = {{"predictions", predictions}, {"metrics", metrics},
        {"changelog", changelog}, {"dead_letters", deadLetters}};
    for (String[] out : outputs) {
      for (String[] in : inputs) {
        Check.conflict(out[1].equals(in[1]), "kafka.topics." + out[0], "kafka.topics." + in[0],
            "both name the topic '" + in[1] + "'; a job must not write to a topic it reads");
      }
    }
  }

  private static void topic(String key, String v) {
    nonEmpty(key, v);
    Constraint.topicName().check(key, v);
  }

  private static void nonEmpty(String key, String v) {
    if (v == null || v.isBlank()) {
      throw new ConfigException(key, key + " must be a non-empty string, but was "
          + (v == null ? "missing" : "'" + v + "'"));
    }
  }
}
