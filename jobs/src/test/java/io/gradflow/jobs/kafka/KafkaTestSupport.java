package io.gradflow.jobs.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Plain Kafka clients for the integration tests. */
public final class KafkaTestSupport {
  private KafkaTestSupport() {}

  public static KafkaProducer<byte[], byte[]> producer(TestBroker kafka) {
    return producer(kafka, Map.of());
  }

  /** A producer with {@code acks=all} (idempotent, Kafka's default) and extra settings. */
  public static KafkaProducer<byte[], byte[]> producer(TestBroker kafka,
      Map<String, String> settings) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.putAll(settings);
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /**
   * Waits for the broker's answer to every send and fails on the first record it did not
   * take, named by {@code names} (same order as {@code sent}), with Kafka's exception as the
   * cause: a lost record shows as its reason, not as a short count read back later.
   */
  public static void assertWritten(List<Future<RecordMetadata>> sent, List<String> names)
      throws InterruptedException {
    for (int i = 0; i < sent.size(); i++) {
      try {
        sent.get(i).get();
      } catch (ExecutionException e) {
        throw new AssertionError(names.get(i) + " (send " + (i + 1) + " of " + sent.size()
            + ") was not written: " + e.getCause(), e.getCause());
      }
    }
  }

  /**
   * Reads committed records of a topic from the beginning until {@code expected} arrived or the
   * timeout passed, then briefly for more (so tests also see records that should not be there).
   */
  public static List<ConsumerRecord<byte[], byte[]>> readAll(TestBroker kafka, String topic,
      int expected, Duration timeout) {
    return readAll(kafka.bootstrapServers(), topic, expected, timeout);
  }

  /** {@link #readAll(TestBroker, String, int, Duration)} from any broker. */
  public static List<ConsumerRecord<byte[], byte[]>> readAll(String bootstrapServers,
      String topic, int expected, Duration timeout) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = c.partitionsFor(topic).stream()
          .map(i -> new TopicPartition(topic, i.partition())).toList();
      c.assign(partitions);
      c.seekToBeginning(partitions);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline && out.size() < expected) {
        c.poll(Duration.ofMillis(200)).forEach(out::add);
      }
      c.poll(Duration.ofMillis(300)).forEach(out::add);
    }
    return out;
  }
}
