package io.gradflow.jobs.consume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradflow.jobs.cli.Main;
import io.gradflow.jobs.kafka.KafkaTestSupport;
import io.gradflow.jobs.kafka.TestBroker;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.MetricsReport;
import io.gradflow.schema.Prediction;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code gradflow consume} against the in-process broker, through {@link Main#run}. */
class ConsumeITCase {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant T = Instant.parse("2026-11-30T10:00:00Z");
  static TestBroker kafka;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeAll
  static void start() throws Exception {
    kafka = TestBroker.start();
    kafka.createTopics(2, "predictions", "metrics");
    try (KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer(kafka)) {
      for (int i = 0; i < 3; i++) {
        Prediction p = Prediction.newBuilder().setExampleId("x" + i).setModelKey("m")
            .setModelStep(i).setScore(0.5).setEventTime(T).setLabel(null).build();
        producer.send(new ProducerRecord<>("predictions", 0, null,
            "m".getBytes(StandardCharsets.UTF_8), Codecs.codec(Prediction.class).encode(p)));
      }
      producer.send(new ProducerRecord<>("predictions", 1, null, null,
          "garbage".getBytes(StandardCharsets.UTF_8)));
      String[] keys = {"ctr#sgd", "ctr#adam", "ctr#ftrl", "ctr#adam"};
      double[] losses = {0.61, 0.70, 0.52, 0.45};
      for (int i = 0; i < keys.length; i++) {
        MetricsReport r = MetricsReport.newBuilder().setModelKey(keys[i]).setWindowStart(T)
            .setWindowEnd(T).setCount(1000).setLogLoss(losses[i]).setAuc(0.7)
            .setModelStep(1000L * (i + 1)).setDriftEvents(new ArrayList<>()).build();
        producer.send(new ProducerRecord<>("metrics", 0, null,
            keys[i].getBytes(StandardCharsets.UTF_8), Codecs.codec(MetricsReport.class)
                .encode(r)));
      }
    }
  }

  @AfterAll
  static void stop() {
    kafka.close();
  }

  private int consume(String... flags) {
    List<String> args = new ArrayList<>(List.of("consume", "--bootstrap-servers",
        kafka.bootstrapServers(), "--timeout", "2s"));
    args.addAll(List.of(flags));
    return Main.run(args.toArray(String[]::new), new ByteArrayInputStream(new byte[0]),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private List<JsonNode> lines() throws Exception {
    List<JsonNode> nodes = new ArrayList<>();
    for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
      if (!line.isBlank()) {
        nodes.add(JSON.readTree(line));
      }
    }
    return nodes;
  }

  @Test
  void printsEveryRecordAsJsonAndAnUnknownOneAsAnError() throws Exception {
    assertEquals(0, consume("--topic", "predictions", "--from-beginning"), err.toString());
    List<JsonNode> lines = lines();
    assertEquals(4, lines.size(), out.toString());
    assertEquals(3, lines.stream().filter(n -> "Prediction".equals(n.path("type").asText()))
        .count());
    JsonNode first = lines.stream().filter(n -> n.has("type")).findFirst().orElseThrow();
    assertEquals("m", first.get("key").asText());
    assertEquals("x0", first.get("value").get("example_id").asText());
    assertEquals(1, lines.stream().filter(n -> n.has("error")).count());
  }

  @Test
  void stopsAfterMax() throws Exception {
    assertEquals(0, consume("--topic", "predictions", "--from-beginning", "--max", "2"));
    assertEquals(2, lines().size());
  }

  @Test
  void withoutFromBeginningOnlyNewRecordsPrint() throws Exception {
    assertEquals(0, consume("--topic", "predictions"));
    assertEquals(0, lines().size());
  }

  @Test
  void theLeaderboardRanksTheLatestReportPerModel() {
    assertEquals(0, consume("--topic", "metrics", "--leaderboard"));
    String[] rows = out.toString(StandardCharsets.UTF_8).split("\n");
    assertTrue(rows[0].contains("rank") && rows[0].contains("log loss"), rows[0]);
    assertTrue(rows[1].startsWith("1") && rows[1].contains("ctr#adam")
        && rows[1].contains("0.4500"), String.join("\n", rows));
    assertTrue(rows[2].contains("ctr#ftrl"), rows[2]);
    assertTrue(rows[3].contains("ctr#sgd"), rows[3]);
  }

  @Test
  void aMissingTopicIsOneLineNamingTheFlag() {
    assertEquals(2, consume("--topic", "no-such-topic"));
    String e = err.toString(StandardCharsets.UTF_8);
    assertTrue(e.contains("--topic names the topic 'no-such-topic', which does not exist"), e);
    assertFalse(e.contains("\tat "), e);
  }
}
