package io.gradflow.jobs.produce;

import io.gradflow.schema.Codecs;
import io.gradflow.schema.Entity;
import io.gradflow.schema.Example;
import io.gradflow.schema.Label;
import io.gradflow.schema.RecordCodec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.record.AbstractRecords;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MemoryRecordsBuilder;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;

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
 * reorder records of a partition.
 *
 * <p>Records too large for the examples topic: given the topic's {@code max.message.bytes}
 * ({@link Builder#maxMessageBytes}), an example whose record is larger is refused here, before
 * {@link KafkaProducer#send}, and {@code batch.size} is at most that limit. A record's size is
 * what the broker compares with the limit: a batch of that record alone, compressed with the
 * producer's {@code compression.type} (so a record lz4 shrinks under the limit is sent, and one
 * that gzip's framing grows over it is refused). Kafka's producer
 * checks a record only against its own {@code max.request.size}, so a record larger than the
 * topic accepts used to join a batch with good records. Kafka 4.2.0's producer then does this:
 * the broker refuses the whole batch (MESSAGE_TOO_LARGE); the sender splits it
 * ({@code RecordAccumulator.splitAndReenqueue}, the pieces keeping the batch's creation time)
 * and sends the pieces again; the large record fails alone with a
 * {@code RecordTooLargeException}, and for the idempotent producer that failure requests an epoch
 * bump of the partition ({@code TransactionManager.handleFailedBatch}), whose batches in flight
 * behind it, sent with the sequence numbers after it, must then be resolved and retried. Good
 * records could wait there until {@code delivery.timeout.ms} and expire (22 of 32 in one run of
 * eight on the in-process broker). Refused here, a large record never shares a batch, and a
 * batch of good records is no larger than the topic accepts unless lz4 compresses worse than the
 * producer estimated; then the split's pieces hold only records that fit the limit alone.
 *
 * <p>The first record of each partition goes alone. The broker accepts any sequence number
 * from a producer it holds no state for on a partition ({@code ProducerAppendInfo.checkSequence}
 * in Kafka 4.2.0, so that a producer whose records were deleted by retention can go on). With up
 * to five requests in flight, a first batch (sequence 0) that the broker refuses for a passing
 * reason (NOT_LEADER_OR_FOLLOWER or UNKNOWN_TOPIC_OR_PARTITION while a new partition's log is
 * still being created, though its leader is already listed; NOT_ENOUGH_REPLICAS) is overtaken
 * by the next batch, which the broker appends; the retried first batch is then out of order for
 * good ({@code TransactionManager.canRetry} retries it without an epoch bump, since it is not
 * the sequence after the last acknowledged one) and its records expire after
 * {@code delivery.timeout.ms} (8 of 30 in one CI run, 120 s later). So a record for a partition
 * that has not yet acknowledged one of this producer's records is sent, and {@code send} waits
 * for the broker's answer before it returns: one round trip per partition, once. Once the
 * broker holds this producer's state for a partition it refuses a batch that overtakes a refused
 * one, and the client resends them in order. This applies to the producer built here (not to
 * one given to the builder) when Kafka's default partitioner places keyed records (no
 * {@code partitioner.class}, {@code partitioner.ignore.keys} false): the partition of a key is
 * then known before the send. Otherwise, and for records without a key, a lost record is still
 * reported through its future and callback.
 *
 * <p>A record refused only because the broker refused its batch for another record (a timestamp
 * the topic does not accept) is sent again, up to five times, behind the records sent since;
 * {@link #flush} waits for it too.
 *
 * <p>Memory: the encoder's buffer per sending thread, and one entry per partition that has
 * acknowledged a record, and the last key sent to one of those. Until every partition of a topic
 * has acknowledged a record, a record whose key differs from the last one's is looked up before
 * the send (Kafka's own metadata, and the key's murmur2 hash, computed twice); a run of one key
 * (all of a model's examples keyed by the model) costs one comparison of the key's bytes.
 * Thread-safe, like {@link KafkaProducer}.
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
  /** The settings of the Kafka producer (it was given them, or would have been). */
  private final Properties settings;
  private final String examplesTopic;
  private final String labelsTopic;
  private final KeyBy keyBy;
  private final String entityType;
  private final String defaultModelKey;
  /**
   * The examples topic's {@code max.message.bytes} when it is smaller than the producer's
   * {@code max.request.size} (which Kafka's producer checks itself), else
   * {@code Integer.MAX_VALUE}: the largest record, batch overhead included, sent to that topic.
   */
  private final int maxRecordBytes;
  /** The producer's compression, as its settings give it: how a record's batch is measured. */
  private final Compression compression;
  /** The bytes of {@code Codecs.codec(Example.class)}, written with a reused buffer per thread. */
  private final ThreadLocal<RecordCodec.Encoder<Example>> examples =
      ThreadLocal.withInitial(() -> Codecs.codec(Example.class).newEncoder());
  private final RecordCodec<Label> labels = Codecs.codec(Label.class);
  /**
   * The partitions that have acknowledged a record of this producer, or null when the first
   * record of a partition is not sent alone (a given producer, another partitioner).
   */
  private final Set<TopicPartition> acknowledged;
  /**
   * Topics whose every partition (as many as when the last one acknowledged) has acknowledged a
   * record: their records skip the partition lookup. A partition added to such a topic later is
   * not guarded; a loss there still reaches the record's future and callback.
   */
  private final Set<String> settled = ConcurrentHashMap.newKeySet();
  /** Held while a first record waits for its answer: a partition's next record waits too. */
  private final Object firstRecords = new Object();
  /**
   * The last key seen going to a partition that had acknowledged a record, with its topic, or
   * null: a record with the same topic and key goes to that partition (Kafka's default
   * partitioner places a key by its hash and the topic's partition count), so a run of one key
   * (one model) skips the partition lookup even while other partitions of its topic have not
   * acknowledged anything. Like {@link #settled}: partitions added to the topic later are not
   * guarded for this key.
   */
  private volatile AcknowledgedKey lastKey;
  /** Records sent again because their batch was refused for another record, so far. */
  private final java.util.concurrent.atomic.AtomicLong resent =
      new java.util.concurrent.atomic.AtomicLong();
  /** Resends queued and not yet handed to Kafka's producer ({@link Delivery}). */
  private final AtomicInteger resending = new AtomicInteger();
  /** The resending thread, or null until a record needs one. */
  private ExecutorService resender;

  /** A topic and a key whose partition has acknowledged a record; {@code key} is a copy. */
  private record AcknowledgedKey(String topic, byte[] key) {
    boolean matches(ProducerRecord<byte[], byte[]> record) {
      return record.partition() == null && topic.equals(record.topic())
          && Arrays.equals(key, record.key());
    }
  }

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
    // Kafka's producer refuses a record over max.request.size itself, before it joins a batch
    // (KafkaProducer.doSend, with the size measure used below); the topic's max.message.bytes
    // only this class knows. So a record is checked here when the topic's limit is the smaller,
    // and a batch is never larger than either: the broker refuses a batch over the topic's limit
    // whole, and the producer splits it.
    int requestSize = intProperty(p, ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 1024 * 1024);
    this.maxRecordBytes = b.maxMessageBytes < requestSize ? b.maxMessageBytes : Integer.MAX_VALUE;
    if (b.maxMessageBytes != Integer.MAX_VALUE) {
      int batchSize = intProperty(p, ProducerConfig.BATCH_SIZE_CONFIG, 16 * 1024);
      p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(Math.min(batchSize,
          Math.min(b.maxMessageBytes, requestSize))));
    }
    this.settings = p;
    this.compression = compressionOf(p);
    this.producer = b.producer != null ? b.producer
        : new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    boolean keysPlaceRecords = !p.containsKey(ProducerConfig.PARTITIONER_CLASS_CONFIG)
        && !"true".equalsIgnoreCase(String.valueOf(
            p.getOrDefault(ProducerConfig.PARTITIONER_IGNORE_KEYS_CONFIG, "false")).trim());
    this.acknowledged = (b.producer == null || b.guardGiven) && keysPlaceRecords
        ? ConcurrentHashMap.newKeySet() : null;
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
    return sendChecked(new ProducerRecord<>(examplesTopic, null,
        example.getEventTime().toEpochMilli(), key(example), examples.get().encode(example)),
        callback);
  }

  /**
   * Sends an example already encoded (its {@code RecordCodec} bytes, from {@code ExampleWriter})
   * to the examples topic: the record {@link #send(Example, Callback)} sends for it, given its
   * {@link #key key} and event time (milliseconds since the epoch, the record timestamp).
   */
  public Future<RecordMetadata> sendEncoded(byte[] key, byte[] value, long eventTimeMillis,
      Callback callback) {
    return sendChecked(new ProducerRecord<>(examplesTopic, null, eventTimeMillis, key, value),
        callback);
  }

  /** Sends a delayed label to the labels topic, keyed by its model key. */
  public Future<RecordMetadata> send(Label label) {
    String model = label.getModelKey() != null ? label.getModelKey() : defaultModelKey;
    return sendInOrder(new ProducerRecord<>(labelsTopic, null,
        label.getEventTime().toEpochMilli(), model.getBytes(StandardCharsets.UTF_8),
        labels.encode(label)), null);
  }

  /** Sends raw bytes to the examples topic (tests of bad input, replays of dead letters). */
  public Future<RecordMetadata> sendRaw(String topic, byte[] key, byte[] value, long timestamp) {
    return sendChecked(new ProducerRecord<>(topic, null, timestamp, key, value), null);
  }

  /**
   * Sends a record, unless it is for the examples topic and larger than
   * {@link #maxRecordBytes}: then {@code callback} learns of a {@link RecordTooLargeException}
   * at once, on this thread, and the future fails with it, as {@link KafkaProducer#send} does for
   * a record over its {@code max.request.size}. The size is what the broker compares with the
   * topic's {@code max.message.bytes}: the bytes of a record batch holding only this record,
   * compressed as this producer compresses ({@link #batchBytes}). A record whose uncompressed
   * upper bound (Kafka's own measure, {@code AbstractRecords.estimateSizeInBytesUpperBound}) is
   * at most half the limit is not measured: no codec Kafka offers grows data by half.
   */
  private Future<RecordMetadata> sendChecked(ProducerRecord<byte[], byte[]> record,
      Callback callback) {
    if (maxRecordBytes != Integer.MAX_VALUE && record.topic().equals(examplesTopic)) {
      int bound = AbstractRecords.estimateSizeInBytesUpperBound(RecordBatch.CURRENT_MAGIC_VALUE,
          CompressionType.NONE, record.key(), record.value(), record.headers().toArray());
      if (bound > maxRecordBytes / 2) {
        int size = batchBytes(record, bound);
        if (size > maxRecordBytes) {
          return refused(record, callback, new RecordTooLargeException("the record is " + size
              + " bytes (key, value and Kafka's batch overhead" + (compression.type()
                  == CompressionType.NONE ? "" : ", " + compression.type().name + "-compressed")
              + "), more than topic " + examplesTopic + " accepts (max.message.bytes="
              + maxRecordBytes + "); not sent"));
        }
      }
    }
    return sendInOrder(record, callback);
  }

  /**
   * The bytes of a record batch holding only {@code record}, compressed with this producer's
   * {@code compression.type} (and level): the size the broker checks against
   * {@code max.message.bytes} ({@code UnifiedLog.analyzeAndValidateRecords} compares each
   * batch's {@code sizeInBytes}). The batch's header is as large as the producer's, whose
   * producer id, epoch and sequence are fixed-width fields. Compresses the record once.
   *
   * @param bound the record's uncompressed upper bound, headers included (Kafka's
   *     {@code AbstractRecords.estimateSizeInBytesUpperBound}): the buffer's size, less slack
   */
  private int batchBytes(ProducerRecord<byte[], byte[]> record, int bound) {
    MemoryRecordsBuilder batch = MemoryRecords.builder(ByteBuffer.allocate(bound + 64),
        RecordBatch.CURRENT_MAGIC_VALUE, compression, TimestampType.CREATE_TIME, 0L);
    long timestamp = record.timestamp() != null ? record.timestamp() : System.currentTimeMillis();
    batch.append(timestamp, record.key(), record.value(), record.headers().toArray());
    return batch.build().sizeInBytes();
  }

  /**
   * The producer's compression from its settings ({@code compression.type} and the codec's
   * {@code compression.<type>.level}), or lz4 when a setting is not one Kafka knows (its
   * producer's constructor refuses it, naming the setting).
   */
  private static Compression compressionOf(Properties p) {
    try {
      CompressionType type = CompressionType.forName(String.valueOf(
          p.getOrDefault(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none")).trim()
          .toLowerCase(Locale.ROOT));
      Object level = p.get("compression." + type.name + ".level");
      return switch (type) {
        case GZIP -> level == null ? Compression.gzip().build()
            : Compression.gzip().level(Integer.parseInt(level.toString().trim())).build();
        case LZ4 -> level == null ? Compression.lz4().build()
            : Compression.lz4().level(Integer.parseInt(level.toString().trim())).build();
        case ZSTD -> level == null ? Compression.zstd().build()
            : Compression.zstd().level(Integer.parseInt(level.toString().trim())).build();
        default -> Compression.of(type).build();
      };
    } catch (IllegalArgumentException e) {
      return Compression.lz4().build();
    }
  }

  /**
   * A record not sent: {@code callback} learns of {@code e} at once, on this thread, and the
   * future fails with it, as {@link KafkaProducer#send} does for an error before sending.
   */
  private static Future<RecordMetadata> refused(ProducerRecord<byte[], byte[]> record,
      Callback callback, ApiException e) {
    if (callback != null) {
      callback.onCompletion(new RecordMetadata(new TopicPartition(record.topic(),
          RecordMetadata.UNKNOWN_PARTITION), -1, -1, RecordBatch.NO_TIMESTAMP, -1, -1), e);
    }
    return CompletableFuture.failedFuture(e);
  }

  /**
   * Sends a record; the first one of a partition alone (see the class comment): this waits for
   * the broker's answer to it, at most {@code delivery.timeout.ms}. Its failure reaches the
   * future and the callback as any other's.
   */
  private Future<RecordMetadata> sendInOrder(ProducerRecord<byte[], byte[]> record,
      Callback callback) {
    if (acknowledged == null || record.key() == null) {
      return deliver(record, callback);
    }
    AcknowledgedKey last = lastKey;
    if (last != null && last.matches(record) || settled.contains(record.topic())) {
      return deliver(record, callback);
    }
    int partitions;
    try {
      partitions = producer.partitionsFor(record.topic()).size();
    } catch (ApiException e) {
      return refused(record, callback, e); // no metadata within max.block.ms, as send says
    }
    // Kafka's default partitioner for a keyed record (BuiltInPartitioner.partitionForKey).
    TopicPartition partition = new TopicPartition(record.topic(), record.partition() != null
        ? record.partition() : Utils.toPositive(Utils.murmur2(record.key())) % partitions);
    if (acknowledged.contains(partition)) {
      remember(record);
      return deliver(record, callback);
    }
    synchronized (firstRecords) {
      if (acknowledged.contains(partition)) {
        remember(record);
        return deliver(record, callback); // another thread's first record went before
      }
      Future<RecordMetadata> sent = deliver(record, callback);
      try {
        sent.get();
        acknowledged.add(partition);
        remember(record);
        if (acknowledged.stream().filter(p -> p.topic().equals(record.topic())).count()
            >= partitions) {
          settled.add(record.topic());
        }
      } catch (ExecutionException notWritten) {
        // Reported through the future and the callback; the partition's next record goes alone.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return sent;
    }
  }

  /**
   * The message Kafka 4.2.0's producer gives a record that failed only because its batch held a
   * record the broker refused ({@code Sender.failBatch} with the response's record errors): the
   * broker appended nothing of that batch.
   */
  static final String REFUSED_FOR_A_NEIGHBOUR =
      "Failed to append record because it was part of a batch which had one";

  /** Sends of one record after its batch was refused for another record, at most. */
  static final int MAX_RESENDS = 5;

  /** Whether {@code e} says the record was refused for another record of its batch only. */
  static boolean refusedForANeighbour(Exception e) {
    return e != null && e.getClass() == KafkaException.class && e.getMessage() != null
        && e.getMessage().startsWith(REFUSED_FOR_A_NEIGHBOUR);
  }

  /** Sends a record through Kafka's producer, resending it if a neighbour got its batch refused. */
  private Future<RecordMetadata> deliver(ProducerRecord<byte[], byte[]> record,
      Callback callback) {
    Delivery delivery = new Delivery(record, callback);
    producer.send(record, delivery);
    return delivery.result;
  }

  /**
   * One record's way to the broker. The broker refuses a batch whole when one of its records is
   * invalid (a timestamp outside the topic's {@code message.timestamp.before.max.ms} or
   * {@code message.timestamp.after.max.ms}, checked by the broker at append time with its own
   * clock; a record without a key on a compacted topic): Kafka's producer fails the invalid
   * record with the broker's reason ({@code InvalidTimestampException}, or
   * {@code InvalidRecordException} when several records of the batch were invalid) and every
   * other record of the batch with a plain {@link KafkaException} whose message starts with
   * {@link #REFUSED_FOR_A_NEIGHBOUR}, and does not retry them. Such a record is sent again here,
   * up to {@link #MAX_RESENDS} times, on the resending thread (not on Kafka's I/O thread, where a
   * send could wait for buffer memory that only that thread frees); its callback and future learn
   * only the last outcome. A resent record follows the records sent after its first send.
   */
  private final class Delivery implements Callback {
    private final ProducerRecord<byte[], byte[]> record;
    private final Callback callback;
    private final CompletableFuture<RecordMetadata> result = new CompletableFuture<>();
    private int resends; // only the callback's thread (one send in flight at a time) writes it

    Delivery(ProducerRecord<byte[], byte[]> record, Callback callback) {
      this.record = record;
      this.callback = callback;
    }

    @Override
    public void onCompletion(RecordMetadata metadata, Exception exception) {
      if (refusedForANeighbour(exception) && resends < MAX_RESENDS && resend()) {
        return;
      }
      if (callback != null) {
        callback.onCompletion(metadata, exception);
      }
      if (exception == null) {
        result.complete(metadata);
      } else {
        result.completeExceptionally(exception);
      }
    }

    /** Queues the record's next send; false when the resending thread has stopped. */
    private boolean resend() {
      resends++;
      resent.incrementAndGet();
      resending.incrementAndGet();
      try {
        resender().execute(() -> {
          try {
            producer.send(record, this);
          } catch (RuntimeException e) { // closed, interrupted: the record is not written
            onCompletion(null, e);
          } finally {
            resending.decrementAndGet();
          }
        });
        return true;
      } catch (java.util.concurrent.RejectedExecutionException e) {
        resending.decrementAndGet();
        return false;
      }
    }
  }

  /** The thread that resends records refused for a neighbour, started at the first one. */
  private synchronized ExecutorService resender() {
    if (resender == null) {
      resender = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "gradflow-producer-resend");
        t.setDaemon(true);
        return t;
      });
    }
    return resender;
  }

  /** Remembers a record's topic and key as going to a partition that has acknowledged one. */
  private void remember(ProducerRecord<byte[], byte[]> record) {
    if (record.partition() == null) {
      lastKey = new AcknowledgedKey(record.topic(), record.key().clone());
    }
  }

  /** An integer producer property, or {@code dflt} when absent or not a number (Kafka says). */
  private static int intProperty(Properties p, String key, int dflt) {
    Object value = p.get(key);
    try {
      return value == null ? dflt : Integer.parseInt(value.toString().trim());
    } catch (NumberFormatException e) {
      return dflt; // KafkaProducer's constructor refuses it, naming the setting
    }
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
      return keyOfModel(example.getModelKey());
    }
    return k.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The key of an example of model {@code modelKey} (null: the default model) when this producer
   * keys by {@link KeyBy#MODEL_KEY}: {@link #key(Example)} of such an example.
   *
   * @throws IllegalStateException when it keys by an entity
   */
  public byte[] keyOfModel(String modelKey) {
    if (keyBy != KeyBy.MODEL_KEY) {
      throw new IllegalStateException("records are keyed by entity " + entityType);
    }
    return (modelKey != null ? modelKey : defaultModelKey).getBytes(StandardCharsets.UTF_8);
  }

  /** Records sent again so far because a batch was refused for another record in it. */
  public long resent() {
    return resent.get();
  }

  /** A copy of the Kafka producer's settings, for tests. */
  Properties settings() {
    Properties copy = new Properties();
    copy.putAll(settings);
    return copy;
  }

  /**
   * Waits until every record sent so far is acknowledged or failed, including the records sent
   * again because their batch was refused for another record.
   */
  public void flush() {
    producer.flush();
    while (resending.get() > 0) {
      while (resending.get() > 0) {
        java.util.concurrent.locks.LockSupport.parkNanos(200_000L);
        if (Thread.currentThread().isInterrupted()) {
          throw new org.apache.kafka.common.errors.InterruptException(
              new InterruptedException("flush interrupted while records were resent"));
        }
      }
      producer.flush();
    }
  }

  /** Flushes (records refused for a neighbour are sent again first), then closes. */
  @Override
  public void close() {
    try {
      flush();
    } finally {
      producer.close();
      synchronized (this) {
        if (resender != null) {
          resender.shutdown();
        }
      }
    }
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
    private int maxMessageBytes = Integer.MAX_VALUE;
    private Producer<byte[], byte[]> producer;
    private boolean guardGiven;

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

    /**
     * The examples topic's {@code max.message.bytes} (its own or the broker's default, as
     * {@code TopicGuard} reads it): an example whose record is larger is refused before it is
     * sent, and {@code batch.size} is at most this. Unknown by default: then only the producer's
     * {@code max.request.size} limits a record, as in Kafka's producer.
     */
    public Builder maxMessageBytes(int bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxMessageBytes must be >= 1, but was " + bytes);
      }
      this.maxMessageBytes = bytes;
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

    /**
     * Sends each partition's first record alone through a given producer too, as through the
     * one built here (tests of that guard with a mock producer placing keys as Kafka does).
     */
    Builder guardFirstRecordsOfGivenProducer() {
      this.guardGiven = true;
      return this;
    }

    public GradflowProducer build() {
      return new GradflowProducer(this);
    }
  }
}
