package io.gradflow.jobs.produce;

import io.gradflow.schema.Codecs;
import io.gradflow.schema.Entity;
import io.gradflow.schema.Example;
import io.gradflow.schema.Label;
import io.gradflow.schema.RecordCodec;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Sends {@link Example} and {@link Label} records to Kafka the way Gradflow's jobs read them:
 * Avro single-object encoding, the event time as the record timestamp, and a key that keeps each
 * model's examples in order (one partition per key). An application's producer library.
 *
 * <pre>{@code
 * try (GradflowProducer producer = GradflowProducer.builder("localhost:9092")
 *     .examplesTopic("examples").labelsTopic("labels")
 *     .keyBy(GradflowProducer.KeyBy.MODEL_KEY).build()) {
 *   producer.send(example);
 *   producer.flush();
 * }
 * }</pre>
 * Idempotent ({@code enable.idempotence=true}, {@code acks=all}): retries neither duplicate nor
 * reorder records of a partition. Thread-safe, like {@link KafkaProducer}.
 */
public final class GradflowProducer implements AutoCloseable {

  /** What a record is keyed by, hence which records keep their relative order. */
  public enum KeyBy {
    /** The model key (the default model's key when absent): all of a model's examples in order. */
    MODEL_KEY,
    /** An entity's id, for example the user: a user's examples in order (sharded models). */
    ENTITY
  }

  private final Producer<byte[], byte[]> producer;
  private final String examplesTopic;
  private final String labelsTopic;
  private final KeyBy keyBy;
  private final String entityType;
  private final String defaultModelKey;
  /** The bytes of {@code Codecs.codec(Example.class)}, written with a reused buffer per thread. */
  private final ThreadLocal<BufferedRecordEncoder<Example>> examples =
      ThreadLocal.withInitial(() -> new BufferedRecordEncoder<>(Codecs.codec(Example.class)));
  private final RecordCodec<Label> labels = Codecs.codec(Label.class);

  private GradflowProducer(Builder b) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    // Batches of 256 kB instead of Kafka's 16 kB (about 24 examples of 40 features): fewer,
    // larger requests, for the producer's thread and the broker alike.
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 * 1024));
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    p.putAll(b.properties);
    this.producer = b.producer != null ? b.producer
        : new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    this.examplesTopic = b.examplesTopic;
    this.labelsTopic = b.labelsTopic;
    this.keyBy = b.keyBy;
    this.entityType = b.entityType;
    this.defaultModelKey = b.defaultModelKey;
  }

  public static Builder builder(String bootstrapServers) {
    return new Builder(bootstrapServers);
  }

  /** Sends an example to the examples topic. */
  public Future<RecordMetadata> send(Example example) {
    return send(example, null);
  }

  /**
   * Sends an example to the examples topic; {@code callback} (may be null) learns whether the
   * broker acknowledged it, on the producer's I/O thread. Count acknowledgements, not sends: a
   * sent record can still be refused (too large, a timestamp the topic refuses, no broker).
   */
  public Future<RecordMetadata> send(Example example, Callback callback) {
    return producer.send(new ProducerRecord<>(examplesTopic, null,
        example.getEventTime().toEpochMilli(), key(example), examples.get().encode(example)),
        callback);
  }

  /** Sends a delayed label to the labels topic, keyed by its model key. */
  public Future<RecordMetadata> send(Label label) {
    String model = label.getModelKey() != null ? label.getModelKey() : defaultModelKey;
    return producer.send(new ProducerRecord<>(labelsTopic, null,
        label.getEventTime().toEpochMilli(), model.getBytes(StandardCharsets.UTF_8),
        labels.encode(label)));
  }

  /** Sends raw bytes to the examples topic (tests of bad input, replays of dead letters). */
  public Future<RecordMetadata> sendRaw(String topic, byte[] key, byte[] value, long timestamp) {
    return producer.send(new ProducerRecord<>(topic, null, timestamp, key, value));
  }

  /** The key of an example under this producer's {@link KeyBy}. */
  public byte[] key(Example example) {
    String k;
    if (keyBy == KeyBy.ENTITY) {
      k = null;
      for (Entity e : example.getEntities()) {
        if (e.getType().equals(entityType)) {
          k = e.getId();
          break;
        }
      }
      if (k == null) {
        throw new IllegalArgumentException("example " + example.getExampleId()
            + " has no entity of type " + entityType + " to key it by");
      }
    } else {
      k = example.getModelKey() != null ? example.getModelKey() : defaultModelKey;
    }
    return k.getBytes(StandardCharsets.UTF_8);
  }

  /** Waits until every record sent so far is acknowledged. */
  public void flush() {
    producer.flush();
  }

  @Override
  public void close() {
    producer.close();
  }

  /** Builds a {@link GradflowProducer}. Not thread-safe. */
  public static final class Builder {
    private final String bootstrapServers;
    private String examplesTopic = "examples";
    private String labelsTopic = "labels";
    private KeyBy keyBy = KeyBy.MODEL_KEY;
    private String entityType;
    private String defaultModelKey = "default";
    private final Properties properties = new Properties();
    private Producer<byte[], byte[]> producer;

    private Builder(String bootstrapServers) {
      this.bootstrapServers = Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    }

    public Builder examplesTopic(String topic) {
      this.examplesTopic = topic;
      return this;
    }

    public Builder labelsTopic(String topic) {
      this.labelsTopic = topic;
      return this;
    }

    /** Key by model key. */
    public Builder keyBy(KeyBy by) {
      if (by == KeyBy.ENTITY) {
        throw new IllegalArgumentException("use keyByEntity(type) to key by an entity");
      }
      this.keyBy = by;
      return this;
    }

    /** Key by the id of the entity of type {@code type} (for example {@code user}). */
    public Builder keyByEntity(String type) {
      this.keyBy = KeyBy.ENTITY;
      this.entityType = Objects.requireNonNull(type, "type");
      return this;
    }

    /** The key of examples without a model key; must match the job's default model key. */
    public Builder defaultModelKey(String key) {
      this.defaultModelKey = key;
      return this;
    }

    /** Extra Kafka producer settings (security, batching). */
    public Builder properties(Map<String, String> extra) {
      properties.putAll(extra);
      return this;
    }

    /** Uses a given producer instead of creating one (tests with a mock producer). */
    public Builder producer(Producer<byte[], byte[]> given) {
      this.producer = given;
      return this;
    }

    public GradflowProducer build() {
      return new GradflowProducer(this);
    }
  }
}
