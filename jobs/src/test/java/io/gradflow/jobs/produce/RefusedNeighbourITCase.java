package io.gradflow.jobs.produce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.kafka.KafkaTestSupport;
import io.gradflow.jobs.kafka.TestBroker;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real broker refuses a whole batch when one record's timestamp is outside the topic's
 * accepted range (Kafka 4.2.0: INVALID_TIMESTAMP with a record error for that record), and
 * Kafka's producer fails the batch's other records without retrying them. {@link
 * GradflowProducer} sends those again: every good record is written once, and only the invalid
 * one fails, with the broker's reason.
 */
class RefusedNeighbourITCase {
  static TestBroker kafka;

  @BeforeAll
  static void start() throws Exception {
    kafka = TestBroker.start();
  }

  @AfterAll
  static void stop() throws Exception {
    kafka.close();
  }

  private static Example example(String id, long time) {
    return new Example(id, Instant.ofEpochMilli(time), null, List.of(),
        List.of(new Feature("f", id, null, 1f)), List.of(), 1f, 1f);
  }

  @Test
  void goodRecordsBatchedWithOneTheBrokerRefusesForItsTimestampAreAllWritten() throws Exception {
    String topic = "timestamps-" + System.nanoTime();
    kafka.createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty())
        .configs(Map.of("message.timestamp.after.max.ms", "3600000"))));
    int rounds = 3;
    int good = 400;
    Map<String, Exception> outcomes = new ConcurrentHashMap<>();
    List<String> expected = new ArrayList<>();
    long resent;
    try (GradflowProducer producer = GradflowProducer.builder(kafka.bootstrapServers())
        .examplesTopic(topic).build()) {
      for (int round = 0; round < rounds; round++) {
        long now = System.currentTimeMillis();
        for (int i = 0; i < good; i++) {
          String id = "r" + round + "-" + i;
          expected.add(id);
          producer.send(example(id, now), (m, e) -> outcomes.put(id, e == null ? OK : e));
          if (i == good / 2) {
            String bad = "bad-" + round; // two hours ahead: over after.max.ms
            producer.send(example(bad, now + 7_200_000L),
                (m, e) -> outcomes.put(bad, e == null ? OK : e));
          }
        }
        producer.flush();
      }
      resent = producer.resent();
    }
    for (int round = 0; round < rounds; round++) {
      Exception e = outcomes.get("bad-" + round);
      assertInstanceOf(InvalidTimestampException.class, e, "round " + round);
      assertTrue(e.getMessage().contains("out of range"), e.getMessage());
    }
    List<String> failedGood = expected.stream().filter(id -> outcomes.get(id) != OK).toList();
    assertEquals(List.of(), failedGood, "every good record acknowledged (" + resent
        + " resent)");
    assertTrue(resent > 0, "the invalid records shared batches with good ones");
    List<String> written = KafkaTestSupport.readAll(kafka, topic, expected.size(),
        Duration.ofSeconds(30)).stream()
        .map(r -> Codecs.codec(Example.class).decode(r.value()).getExampleId()).toList();
    assertEquals(expected.size(), written.size(), "each good record once, no invalid one");
    assertEquals(new java.util.HashSet<>(expected), new java.util.HashSet<>(written));
  }

  private static final Exception OK = new Exception("acknowledged");
}
