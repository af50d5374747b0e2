package io.gradflow.jobs.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.produce.GradflowProducer;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The idempotent producer's first batches on a partition the broker has only just started to
 * host. The broker accepts any sequence number from a producer it has no state for on a partition
 * ({@code ProducerAppendInfo.checkSequence}), and a broker that already lists a new partition's
 * leader may still refuse a produce for it (NOT_LEADER_OR_FOLLOWER while the log is being
 * created: the metadata cache is updated before the replica manager). With several requests in
 * flight, the first batch (sequence 0) is refused, a later one is appended, and the retried first
 * batch is then out of order forever: Kafka 4.2.0's producer retries it until
 * {@code delivery.timeout.ms} and expires it.
 *
 * <p>To make the window likely, a topic is created while the producer already waits for its
 * metadata (polled every few milliseconds), or sent to as soon as {@code createTopics} returns;
 * it has 12 partitions, each a chance; records leave one per request ({@code linger.ms=0}); two
 * busy threads load the CPU as other builds do. Before the fix ({@link GradflowProducer} sending a
 * partition's first record alone, {@code createTopics} waiting until every partition accepts
 * writes), on the shared 2-core machine, the first test lost records in 16 of 40 rounds and the
 * second in 6 of 40 (two runs of 20 each; both tests failed every run); after it, in none of 40.
 * No timing is asserted: a round fails only when a send's future fails or a record is missing or
 * out of place.
 */
class NewTopicDeliveryITCase {
  static final Instant T = Instant.ofEpochMilli(1_700_000_000_000L);
  static final int ROUNDS = Integer.getInteger("gradflow.test.newTopicRounds", 20);
  static final int RECORDS = 300;
  /** Partitions of each new topic: each one's first batch is a chance for the loss. */
  static final int PARTITIONS = 12;
  static TestBroker kafka;

  @BeforeAll
  static void start() throws Exception {
    kafka = TestBroker.start();
  }

  @AfterAll
  static void stop() {
    kafka.close();
  }

  @Test
  void everyRecordReachesATopicCreatedWhileTheProducerWaitsForIt() throws Exception {
    assertNoRoundLoses("round", round -> round("fresh-" + round));
  }

  /**
   * The test brokers' {@code createTopics} returns once the topics accept writes, so that even a
   * plain idempotent producer (as Flink's Kafka sinks use) loses nothing on them: here one whose
   * producer id is already known, so its first batches leave as soon as the call returns.
   */
  @Test
  void aTopicTheTestsCreateAcceptsAPlainProducerAtOnce() throws Exception {
    kafka.createTopics(1, "warm-up");
    try (KafkaProducer<byte[], byte[]> p = KafkaTestSupport.producer(kafka, SETTINGS)) {
      p.send(new ProducerRecord<>("warm-up", new byte[] {1})).get();
      assertNoRoundLoses("plain round", round -> {
        String topic = "created-" + round;
        kafka.createTopics(PARTITIONS, topic);
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < RECORDS; i++) {
          sent.add(p.send(new ProducerRecord<>(topic, null, T.toEpochMilli() + i,
              ("m" + i % 24).getBytes(StandardCharsets.UTF_8), new byte[] {(byte) i})));
          names.add("record " + i);
        }
        try {
          KafkaTestSupport.assertWritten(sent, names);
          return null;
        } catch (AssertionError lost) {
          return lost.getMessage();
        }
      });
    }
  }

  /** One round on a fresh topic: null when every record arrived, else what went wrong. */
  interface Round {
    String run(int round) throws Exception;
  }

  /** Runs {@link #ROUNDS} rounds under CPU load and fails naming every round that lost. */
  private static void assertNoRoundLoses(String name, Round round) throws Exception {
    Burners burners = new Burners(2);
    List<String> failures = new ArrayList<>();
    try {
      for (int r = 0; r < ROUNDS; r++) {
        String failure = round.run(r);
        System.err.println("NewTopicDeliveryITCase " + name + " " + r + ": "
            + (failure == null ? "all " + RECORDS + " delivered" : failure));
        if (failure != null) {
          failures.add(name + " " + r + ": " + failure);
        }
      }
    } finally {
      burners.close();
    }
    assertTrue(failures.isEmpty(), failures.size() + " of " + ROUNDS + " rounds lost records: "
        + failures);
  }

  /**
   * Records leave one per request, metadata is polled every few milliseconds, and a lost record
   * fails in seconds rather than after Kafka's two minutes.
   */
  static final Map<String, String> SETTINGS = Map.of("linger.ms", "0", "retry.backoff.ms", "5",
      "retry.backoff.max.ms", "20", "request.timeout.ms", "5000",
      "delivery.timeout.ms", "10000", "max.block.ms", "30000");

  /**
   * The rule behind the fix, seen from outside: {@code send} returns a partition's first record
   * only once the broker has acknowledged it, so no later batch of that partition can overtake
   * it. A producer that lets the first record's batch leave with others behind it returns from
   * {@code send} before the answer can have come back (it needs a round trip to the broker).
   */
  @Test
  void aPartitionsFirstRecordIsAcknowledgedBeforeSendReturns() throws Exception {
    String topic = "first-record";
    kafka.createTopics(1, topic);
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    List<String> names = new ArrayList<>();
    try (GradflowProducer p = GradflowProducer.builder(kafka.bootstrapServers())
        .examplesTopic(topic).properties(SETTINGS).build()) {
      for (int i = 0; i < 50; i++) {
        sent.add(p.send(example(i)));
        names.add("example e" + i);
        if (i == 0) {
          assertTrue(sent.get(0).isDone(), "send returned before the broker acknowledged the"
              + " partition's first record");
        }
      }
      p.flush();
    }
    KafkaTestSupport.assertWritten(sent, names);
    assertEquals(50, KafkaTestSupport.readAll(kafka, topic, 50, Duration.ofSeconds(20)).size());
  }

  /** One fresh topic: null when every record arrived in order, else what went wrong. */
  private static String round(String topic) throws Exception {
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    List<String> names = new ArrayList<>();
    try (GradflowProducer p = GradflowProducer.builder(kafka.bootstrapServers())
        .examplesTopic(topic).properties(SETTINGS).build()) {
      CompletableFuture<Void> created = CompletableFuture.runAsync(() -> {
        try {
          Thread.sleep(30);
          kafka.createTopics(PARTITIONS, topic);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      });
      for (int i = 0; i < RECORDS; i++) {
        sent.add(p.send(example(i)));
        names.add("example e" + i);
      }
      p.flush();
      created.get();
    }
    try {
      KafkaTestSupport.assertWritten(sent, names);
    } catch (AssertionError lost) {
      return lost.getMessage();
    }
    List<ConsumerRecord<byte[], byte[]>> read =
        KafkaTestSupport.readAll(kafka, topic, RECORDS, Duration.ofSeconds(20));
    Map<String, Long> last = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : read) {
      String key = new String(r.key(), StandardCharsets.UTF_8);
      if (r.timestamp() <= last.getOrDefault(key, -1L)) {
        return "model " + key + " out of order at offset " + r.offset();
      }
      last.put(key, r.timestamp());
      assertEquals(r.timestamp(),
          Codecs.codec(Example.class).decode(r.value()).getEventTime().toEpochMilli());
    }
    return read.size() == RECORDS ? null : read.size() + " of " + RECORDS + " records read";
  }

  static Example example(int i) {
    return Example.newBuilder().setExampleId("e" + i).setEventTime(T.plusMillis(i))
        .setModelKey("m" + (i % 24))
        .setFeatures(List.of(new Feature("f", "v" + i, null, 1f))).build();
  }

  /** Threads that keep cores busy, as other builds on the shared machine do. */
  static final class Burners implements AutoCloseable {
    private volatile boolean stop;
    private final List<Thread> threads = new ArrayList<>();

    Burners(int count) {
      for (int i = 0; i < count; i++) {
        Thread t = new Thread(() -> {
          long x = 1;
          while (!stop) {
            x = x * 6364136223846793005L + 1442695040888963407L;
          }
          if (x == 42) {
            System.err.println(x); // keeps the loop from being removed
          }
        }, "cpu-burner-" + i);
        t.setDaemon(true);
        t.start();
        threads.add(t);
      }
    }

    @Override
    public void close() throws InterruptedException {
      stop = true;
      for (Thread t : threads) {
        t.join();
      }
    }
  }
}
