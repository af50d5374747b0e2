package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gradflow.jobs.kafka.KafkaTestSupport;
import io.gradflow.jobs.produce.ClickThroughGenerator;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Example;
import io.gradflow.schema.Label;
import io.gradflow.schema.Prediction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.function.UnaryOperator;
import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;

/**
 * Delayed labels when one subtask reads several partitions (trial 23 F6): each partition is a
 * market with the same stretch of event times, and the topics hold every example and label when
 * the job starts (a replay or a catch-up). Every label must join its example, whichever
 * partition the source happens to read first. With the watermark made after decoding, over the
 * subtask's records in fetch order, it followed the partition read first: the other market's
 * labels became orphans and its examples were learned with the default label.
 */
class PartitionedLabelJoinITCase extends TrainJobITCase {
  private static final int PER_MARKET = 1_500;
  private static final List<String> MARKETS = List.of("de", "fr");
  private static final Instant T0 = Instant.parse("2025-12-01T00:00:00Z");

  @Test
  void everyLabelJoinsItsExampleWhenOneSubtaskReadsSeveralPartitions() throws Exception {
    String examples = "markets-examples";
    String labels = "markets-labels";
    kafka.createTopics(MARKETS.size(), examples, labels);
    ClickThroughGenerator generator =
        new ClickThroughGenerator(ClickThroughGenerator.Spec.defaults(23));
    Map<String, int[]> sent = new TreeMap<>(); // per market: labels sent, examples without one
    List<Future<RecordMetadata>> acks = new ArrayList<>();
    List<String> names = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer(kafka)) {
      for (int m = 0; m < MARKETS.size(); m++) {
        String market = MARKETS.get(m);
        int[] counts = sent.computeIfAbsent(market, k -> new int[2]);
        for (int i = 0; i < PER_MARKET; i++) {
          // ten seconds apart: a fetch of a few hundred records spans far more than the timeout
          Instant at = T0.plusSeconds(10L * i);
          String id = market + "-" + i;
          byte[] key = market.getBytes(StandardCharsets.UTF_8);
          Example e = Example.newBuilder(generator.next().example()).setExampleId(id)
              .setModelKey(market).setEventTime(at).setLabel(null).build();
          acks.add(producer.send(new ProducerRecord<>(examples, m, key,
              Codecs.codec(Example.class).encode(e))));
          names.add(examples + " " + id);
          if (i % 50 == 7) { // never labeled: the default label at its timeout
            counts[1]++;
            continue;
          }
          Label l = Label.newBuilder().setExampleId(id).setModelKey(market)
              .setEventTime(at.plusSeconds(20)).setLabel(1f).build();
          acks.add(producer.send(new ProducerRecord<>(labels, m, key,
              Codecs.codec(Label.class).encode(l))));
          names.add(labels + " " + id);
          counts[0]++;
        }
      }
      producer.flush();
      KafkaTestSupport.assertWritten(acks, names);
    }
    Run run = Run.create(examples, labels);
    Configuration often = new Configuration();
    // A watermark every millisecond: the old watermark moved on between the partitions' fetches
    // in every run, not only when a periodic emit happened to fall between them.
    often.setString("pipeline.auto-watermark-interval", "1 ms");
    runBounded(config(run.yaml("optimizer: {name: Adagrad, lr: 0.1}\n"
        + "labels: {delayed: true, timeout: 2m, on_timeout: default_label, default_label: 0}",
        true), temp.resolve("markets")), UnaryOperator.identity(), often);

    int total = MARKETS.size() * PER_MARKET;
    Map<String, int[]> learned = new TreeMap<>(); // per market: learned with 1, with 0
    for (ConsumerRecord<byte[], byte[]> r : KafkaTestSupport.readAll(kafka, run.predictions(),
        2 * total, Duration.ofSeconds(60))) {
      Prediction p = Prediction.getDecoder().decode(r.value());
      if (p.getLabel() != null) {
        learned.computeIfAbsent(p.getModelKey(), k -> new int[2])[p.getLabel() > 0.5f ? 0 : 1]++;
      }
    }
    for (String market : MARKETS) {
      int[] want = sent.get(market);
      int[] got = learned.getOrDefault(market, new int[2]);
      assertEquals(want[0] + "/" + want[1], got[0] + "/" + got[1], market
          + ": examples learned with their label / with the default label");
    }
  }

  /**
   * A savepoint of a job that still had the former watermark operator after decoding (uid
   * {@code example-watermarks.v1}, stateless) restores into today's job, which has none: Flink
   * skips the removed operator's empty state (review 23 L9).
   */
  @Test
  void aSavepointWithTheFormerWatermarkOperatorRestores() throws Exception {
    String examples = "former-examples";
    kafka.createTopics(1, examples);
    produce(examples, 29, 0, 600, "m1");
    Run before = Run.create(examples, "labels");
    String savepoint = runUntil(config(before.yaml("", false), temp.resolve("former")),
        s -> s.assignTimestampsAndWatermarks(org.apache.flink.api.common.eventtime
            .WatermarkStrategy.<io.gradflow.model.CompactExample>forBoundedOutOfOrderness(
                TrainJob.OUT_OF_ORDERNESS).withTimestampAssigner((e, ts) -> e.eventTime))
            .uid("example-watermarks.v1"), before.predictions(), 600, null,
        temp.resolve("former-savepoints"));
    produce(examples, 29, 600, 200, "m1");
    Run after = Run.create(examples, "labels");
    Configuration restore = new Configuration();
    restore.set(org.apache.flink.configuration.StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
    runBounded(config(after.yaml("", true), temp.resolve("former-after")),
        UnaryOperator.identity(), restore);
    Map<String, Double> restored = predictions(after.predictions(), 200);
    assertEquals(200, restored.size());
    // the restored job goes on from the savepoint's positions: x600 to x799 only
    assertEquals(List.of(), restored.keySet().stream().filter(k -> Integer.parseInt(
        k.split("/")[1].substring(1)) < 600).toList());
  }
}
