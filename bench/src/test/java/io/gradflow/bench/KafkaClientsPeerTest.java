package io.gradflow.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.kafka.EmbeddedKafka;
import io.gradflow.jobs.kafka.ExampleDecoder;
import io.gradflow.jobs.produce.ClickThroughGenerator;
import io.gradflow.jobs.produce.GradflowProducer;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Example;
import io.gradflow.schema.RecordCodec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kafka bench's clients' peer ({@link KafkaClientsPeer}) against a real broker: it predicts
 * every example of the topic as the bare loop predicts the job's decoding of the same examples,
 * bit for bit and in order; every prediction is committed to its topic; and the consumer's
 * offsets went with its transaction (the group's committed offset is the topic's end).
 */
class KafkaClientsPeerTest {
  @Test
  void thePeerPredictsAsTheBareLoopAndCommitsPredictionsWithTheOffsets(@TempDir Path dir)
      throws Exception {
    int n = 3_000;
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      String bootstrap = kafka.bootstrapServers();
      kafka.createTopics(1, "examples", "peer-out");
      TrainConfig config = KafkaJobThroughput.jobConfig(bootstrap, 1, dir);
      ExampleDecoder decoder = config.decoder();
      RecordCodec<Example> codec = Codecs.codec(Example.class);
      TrainerThroughput.FlatLoop loop =
          new TrainerThroughput.FlatLoop(config.candidates().values().iterator().next());
      ClickThroughGenerator generator = KafkaJobThroughput.generator();
      long expected = 0;
      try (GradflowProducer producer =
          GradflowProducer.builder(bootstrap).examplesTopic("examples").build()) {
        for (int i = 0; i < n; i++) {
          Example e = generator.next().example();
          producer.send(e);
          expected = TrainerThroughput.fold(expected,
              loop.process(decoder.decodeExample(codec.encode(e))));
        }
        producer.flush();
      }

      KafkaClientsPeer.Run run = new KafkaClientsPeer(config, "examples", "peer-out").run();

      assertEquals(n, run.examples());
      assertEquals(0, run.refused());
      assertTrue(run.transactions() >= 1);
      assertEquals(expected, run.checksum(), "the peer's predictions are the bare loop's");
      assertEquals(expected, KafkaClientsPeer.checksum(bootstrap, "peer-out", n,
          Duration.ofSeconds(30)), "every prediction committed, in order");
      Properties p = new Properties();
      p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      try (Admin admin = Admin.create(p)) {
        OffsetAndMetadata committed = admin.listConsumerGroupOffsets(
                "kafka-clients-peer-peer-out").partitionsToOffsetAndMetadata().get()
            .get(new TopicPartition("examples", 0));
        assertNotNull(committed, "the offsets went with the transaction");
        assertEquals(n, committed.offset(), "the offsets went with the transaction");
      }
    }
  }
}
