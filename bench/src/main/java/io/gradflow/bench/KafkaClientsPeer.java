package io.gradflow.bench;

import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.kafka.ExampleDecoder;
import io.gradflow.jobs.kafka.PredictionWriter;
import io.gradflow.jobs.kafka.RejectedRecordException;
import io.gradflow.jobs.train.TrainJob;
import io.gradflow.model.CompactExample;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Prediction;
import io.gradflow.schema.RecordCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The Kafka job's floor without Gradflow's job and without Flink: what the plain Kafka clients,
 * the job's own decode and the bare loop cost together, on one thread (plus the clients' own
 * network threads). A {@code KafkaConsumer<byte[], byte[]>} reads the examples topic's one
 * partition (the job's brokers) from the beginning to its end offset at the start, {@code read_committed} as the
 * job's source reads; each record is decoded, validated and hashed by the job's decoder
 * ({@link TrainConfig#decoder()}: {@link ExampleDecoder#decodeExample(byte[])}, its
 * UTF-8-bytes fast path, judged by the wall clock, as the decode pool calls it), learned by the
 * flat-array bare loop ({@link TrainerThroughput.FlatLoop} with the job's learner), and its
 * prediction written by the job's own encoder ({@link PredictionWriter}, keyed by the model key's
 * UTF-8 bytes, the record timestamp left to the producer: what the job's predictions sink
 * serializer writes) through a transactional {@code KafkaProducer} (the job's client properties
 * and transaction timeout), which commits at the job's checkpoint interval
 * ({@code checkpoints.interval}) with the consumer's offsets sent in the transaction, and once at
 * the end. Metrics, the changelog, dead letters (none in the bench's stream; a refused record is
 * counted and skipped) and the keyed exchange are left out: they are the job's, not the floor's.
 *
 * <p>Every prediction, in order, is folded into {@link Run#checksum} with
 * {@link TrainerThroughput#fold}; {@link #checksum} folds a predictions topic's committed
 * records the same way, so the peer's output can be held equal to what it computed and to the
 * job's predictions on the same examples. Not thread-safe; one run per instance.
 */
final class KafkaClientsPeer {
  /**
   * What a run did: the examples predicted (refused ones not counted), its wall and this JVM's
   * CPU seconds (process CPU time, the broker's not in it), the JIT compilers' CPU seconds in
   * them, the fold of its predictions, the records the decoder refused, and the transactions it
   * committed.
   */
  record Run(long examples, double seconds, double cpuSeconds, double compileSeconds,
      long checksum, long refused, long transactions) {}

  private final TrainConfig config;
  private final String inputTopic;
  private final String outputTopic;

  /**
   * @param config the job's configuration (decoder, client properties, transaction timeout,
   *     learner, checkpoint interval)
   * @param inputTopic the examples topic (one partition)
   * @param outputTopic where the predictions go (one partition)
   */
  KafkaClientsPeer(TrainConfig config, String inputTopic, String outputTopic) {
    this.config = config;
    this.inputTopic = inputTopic;
    this.outputTopic = outputTopic;
  }

  /** Reads the input topic to its end offset at the start, as described in the class comment. */
  Run run() {
    Properties common = config.kafka().clientProperties();
    common.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka().bootstrapServers());
    Properties c = new Properties();
    c.putAll(common);
    c.put(ConsumerConfig.GROUP_ID_CONFIG, "kafka-clients-peer-" + outputTopic);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    Properties p = new Properties();
    p.putAll(common);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "kafka-clients-peer-" + outputTopic);
    p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
        Long.toString(config.kafka().transactionTimeout().toMillis()));
    // The job's predictions producer's own defaults, where kafka.properties does not set them.
    TrainJob.predictionsProducerDefaults().forEach(p::putIfAbsent);
    ExampleDecoder decoder = config.decoder();
    PredictionWriter writer = PredictionWriter.create();
    if (writer == null) {
      throw new IllegalStateException("the Prediction schema is not PredictionWriter's layout");
    }
    TrainerThroughput.FlatLoop loop =
        new TrainerThroughput.FlatLoop(config.candidates().values().iterator().next());
    long interval = config.state().checkpointInterval().toNanos();
    var os = (com.sun.management.OperatingSystemMXBean)
        java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    TopicPartition partition = new TopicPartition(inputTopic, 0);
    long checksum = 0;
    long examples = 0;
    long refused = 0;
    long transactions = 0;
    double compileStart = KafkaJobThroughput.compilerCpuSeconds();
    long cpuStart = os.getProcessCpuTime();
    long start = System.nanoTime();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c,
            new ByteArrayDeserializer(), new ByteArrayDeserializer());
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p,
            new ByteArraySerializer(), new ByteArraySerializer())) {
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long end = consumer.endOffsets(List.of(partition)).get(partition);
      producer.initTransactions();
      producer.beginTransaction();
      long nextCommit = System.nanoTime() + interval;
      while (consumer.position(partition) < end) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          CompactExample e;
          try {
            e = decoder.decodeExample(r.value());
          } catch (RejectedRecordException rejected) {
            refused++;
            continue;
          }
          double score = loop.process(e);
          checksum = TrainerThroughput.fold(checksum, score);
          producer.send(new ProducerRecord<>(outputTopic, null, null,
              e.modelKey.getBytes(StandardCharsets.UTF_8),
              writer.write(e.exampleId, e.modelKey, loop.step, score, e.eventTime, e.label)));
          examples++;
        }
        if (System.nanoTime() >= nextCommit) {
          commit(consumer, producer, partition);
          producer.beginTransaction();
          transactions++;
          nextCommit = System.nanoTime() + interval;
        }
      }
      commit(consumer, producer, partition);
      transactions++;
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return new Run(examples, seconds, (os.getProcessCpuTime() - cpuStart) / 1e9,
        KafkaJobThroughput.compilerCpuSeconds() - compileStart, checksum, refused, transactions);
  }

  /** Sends the consumer's position with the transaction and commits it (a checkpoint's work). */
  private static void commit(KafkaConsumer<byte[], byte[]> consumer,
      KafkaProducer<byte[], byte[]> producer, TopicPartition partition) {
    producer.sendOffsetsToTransaction(Map.of(partition,
        new OffsetAndMetadata(consumer.position(partition))), consumer.groupMetadata());
    producer.commitTransaction();
  }

  /**
   * The fold ({@link TrainerThroughput#fold}) of the scores of the first {@code count} committed
   * predictions of {@code topic}'s one partition, in offset order; throws if fewer than
   * {@code count} arrive within {@code timeout}.
   */
  static long checksum(String bootstrap, String topic, long count, Duration timeout) {
    Properties c = new Properties();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    RecordCodec<Prediction> codec = Codecs.codec(Prediction.class);
    TopicPartition partition = new TopicPartition(topic, 0);
    long checksum = 0;
    long read = 0;
    long deadline = System.nanoTime() + timeout.toNanos();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c,
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      while (read < count) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(topic + ": " + read + " of " + count
              + " predictions read");
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (read == count) {
            break;
          }
          checksum = TrainerThroughput.fold(checksum, codec.decode(r.value()).getScore());
          read++;
        }
      }
    }
    return checksum;
  }
}
