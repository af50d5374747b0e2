package io.gradflow.jobs.produce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.cli.Main;
import io.gradflow.jobs.kafka.KafkaTestSupport;
import io.gradflow.jobs.kafka.TestBroker;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Example;
import java.io.ByteArrayOutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A record too large for its topic among many good ones: the good ones are all written, in
 * order, and the large one is reported. Before produce refused such a record itself, it shared
 * a producer batch with good records; the broker refused the batch (MESSAGE_TOO_LARGE), the
 * producer split it, and with the idempotent producer and later batches in flight some good
 * records could wait until {@code delivery.timeout.ms} and expire (one run in eight lost 22 of 32
 * on the in-process broker). {@code -Dgradflow.produce.tooLargeRuns=N} repeats the run N times.
 */
class ProduceTooLargeITCase {
  static TestBroker kafka;
  @TempDir
  Path dir;

  @BeforeAll
  static void start() throws Exception {
    kafka = TestBroker.start();
  }

  @AfterAll
  static void stop() throws Exception {
    kafka.close();
  }

  /** Good VW lines with ids e0.., the one at {@code large} replaced by a 20 kB example. */
  private static String lines(int good, int large) {
    Random random = new Random(17);
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < good; i++) {
      if (i == large) {
        s.append("1 'huge |f ");
        for (int c = 0; c < 20_000; c++) {
          s.append((char) ('a' + random.nextInt(26))); // random letters: lz4 cannot shrink them
        }
        s.append('\n');
      }
      s.append(random.nextBoolean() ? "1" : "-1").append(" 'e").append(i).append(" |a x:")
          .append(random.nextFloat()).append(" c").append(random.nextInt(50)).append(" |b d")
          .append(random.nextInt(500)).append('\n');
    }
    return s.toString();
  }

  @Test
  void everyGoodRecordAroundATooLargeOneIsWrittenInOrder() throws Exception {
    int good = 20_000;
    int large = 10_000;
    Path file = dir.resolve("mixed.vw");
    Files.writeString(file, lines(good, large));
    List<String> expected = IntStream.range(0, good).mapToObj(i -> "e" + i).toList();
    int runs = Integer.getInteger("gradflow.produce.tooLargeRuns", 1);
    for (int run = 0; run < runs; run++) {
      String topic = "tight-" + run + "-" + System.nanoTime(); // a retry gets a new topic
      kafka.createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty())
          .configs(Map.of("max.message.bytes", "2000"))));
      long started = System.nanoTime();
      ProduceITCase.Run r = ProduceITCase.produce(kafka, "--file", file.toString(), "--format",
          "vw", "--binary-labels", "--topic", topic, "--quiet");
      String seconds = String.format("%.1f s", (System.nanoTime() - started) / 1e9);
      List<String> ids = KafkaTestSupport.readAll(kafka, topic, good, Duration.ofSeconds(30))
          .stream().map(c -> Codecs.codec(Example.class).decode(c.value()).getExampleId())
          .toList();
      assertEquals(expected, ids, "run " + run + ": every good example, in order, once");
      assertEquals(1, r.code(), r.err());
      assertTrue(r.err().contains("produced 20,000 examples to topic " + topic + ", each"
          + " acknowledged by the broker"), "run " + run + " (" + seconds + "): " + r.err());
      assertTrue(r.err().contains("gradflow produce: 1 of 20001 examples were not written to"
          + " topic " + topic + "; the first: line " + (large + 1) + ": RecordTooLargeException:"
          + " the record is 20140 bytes (key, value and Kafka's batch overhead), more than"
          + " topic " + topic + " accepts (max.message.bytes=2000); not sent\n"), r.err());
    }
  }

  /**
   * A record the broker refuses for another reason than its size reaches the broker and is
   * reported with the broker's own exception, as before: the topic's accepted timestamps narrow
   * while produce runs (it read them at the start), so the broker refuses a record produce
   * passed.
   */
  @Test
  void aRecordTheBrokerRefusesForAnotherReasonIsReportedWithTheBrokersException()
      throws Exception {
    String topic = "narrowed-" + System.nanoTime();
    kafka.createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty())
        .configs(Map.of("message.timestamp.after.max.ms", "86400000"))));
    PipedOutputStream feed = new PipedOutputStream();
    PipedInputStream stdin = new PipedInputStream(feed, 1 << 16);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int[] code = {-1};
    Thread produce = new Thread(() -> code[0] = Main.run(new String[] {"produce",
        "--bootstrap-servers", kafka.bootstrapServers(), "--file", "-", "--csv-timestamp", "t",
        "--csv-numeric", "x", "--topic", topic, "--quiet"}, stdin, System.out,
        new PrintStream(err, true, StandardCharsets.UTF_8)));
    produce.start();
    long now = System.currentTimeMillis();
    feed.write(("t,x\n" + now + ",1\n" + now + ",2\n").getBytes(StandardCharsets.UTF_8));
    feed.flush();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (ProduceITCase.records(kafka, topic) < 2 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertEquals(2, ProduceITCase.records(kafka, topic), err.toString(StandardCharsets.UTF_8));
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    try (Admin admin = kafka.admin()) {
      admin.incrementalAlterConfigs(Map.of(resource, List.of(new AlterConfigOp(
          new ConfigEntry("message.timestamp.after.max.ms", "60000"),
          AlterConfigOp.OpType.SET)))).all().get();
    }
    while (!ProduceITCase.topicConfig(kafka, topic, "message.timestamp.after.max.ms")
        .equals("60000") && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    Thread.sleep(500); // the broker's log takes the new setting as it publishes it
    feed.write(((now + 7_200_000) + ",3\n").getBytes(StandardCharsets.UTF_8));
    feed.close();
    produce.join(60_000);
    String text = err.toString(StandardCharsets.UTF_8);
    assertEquals(1, code[0], text);
    assertTrue(text.contains("produced 2 examples to topic " + topic), text);
    assertTrue(text.contains("gradflow produce: 1 of 3 examples were not written to topic "
        + topic + "; the first: line 4: InvalidTimestampException: "), text);
    assertEquals(2, ProduceITCase.records(kafka, topic));
  }
}
