package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.gradflow.flink.Scored;
import io.gradflow.jobs.kafka.AvroRecordSerializer;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Prediction;
import io.gradflow.schema.RecordCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.flink.util.InstantiationUtil;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * The predictions sink's Kafka records, as its writer sends them, are the records of the
 * reference path: the key {@code modelKey.getBytes(UTF_8)}, the value Avro's single-object
 * encoding of the {@link Prediction} ({@code RecordCodec.encode}), no partition (Kafka's
 * partitioner picks it from the key), no timestamp (the producer's clock) and no headers. Over
 * many random predictions whose model keys repeat as one instance, repeat as equal but distinct
 * instances, alternate, and change to keys of the same length; every record is checked when it
 * is made and again after all are made (a key array written to after it was handed out fails).
 */
class PredictionRecordsTest {
  private static final String TOPIC = "predictions";
  private final RecordCodec<Prediction> codec = Codecs.codec(Prediction.class);

  /** What the sink wrote before the direct writers: Avro's record, the key's String bytes. */
  private ProducerRecord<byte[], byte[]> reference(Scored s) {
    return new ProducerRecord<>(TOPIC, null, null, s.modelKey.getBytes(StandardCharsets.UTF_8),
        codec.encode((Prediction) OutputMappers.PREDICTIONS.toAvro(s)));
  }

  private static void assertSameRecord(ProducerRecord<byte[], byte[]> expected,
      ProducerRecord<byte[], byte[]> actual, String what) {
    assertEquals(expected.topic(), actual.topic(), what);
    assertNull(actual.partition(), what);
    assertNull(actual.timestamp(), what);
    assertEquals(0, actual.headers().toArray().length, what);
    assertArrayEquals(expected.key(), actual.key(), "key of " + what);
    assertArrayEquals(expected.value(), actual.value(), "value of " + what);
  }

  @Test
  @SuppressWarnings("unchecked")
  void theSinkWritesTheReferenceRecords() throws Exception {
    // As Flink ships it: serialized with the job graph, deserialized by the sink writer.
    AvroRecordSerializer<Scored> serializer = InstantiationUtil.clone(
        new AvroRecordSerializer<>(TOPIC, OutputMappers.PREDICTIONS));
    String[] keys = {"tenant-1", "tenant-2", "tenant-3", "", "m", "pa\u00efs", "\u4e16\u754c",
        "\ud83d\ude00", "bad \ud800 surrogate", "y".repeat(200), "tenant-10"};
    String[] ids = {"", "e", "ctr-7-123456", "\u00e9".repeat(40), "x".repeat(70)};
    Random random = new Random(12);
    List<Scored> made = new ArrayList<>();
    List<ProducerRecord<byte[], byte[]>> written = new ArrayList<>();
    String key = keys[0];
    for (int i = 0; i < 200_000; i++) {
      int change = random.nextInt(10);
      if (change == 0) { // another key, often of the same length
        key = keys[random.nextInt(keys.length)];
      } else if (change == 1) { // the same key in a new instance
        key = new String(key.toCharArray());
      }
      float label = switch (random.nextInt(4)) {
        case 0 -> Float.NaN;
        case 1 -> 0f;
        case 2 -> 1f;
        default -> random.nextFloat();
      };
      Scored s = new Scored(i % 7 == 0 ? ids[random.nextInt(ids.length)] : "ex-" + i, key,
          random.nextLong() >> random.nextInt(64), random.nextDouble(),
          random.nextLong() >> random.nextInt(64), label, random.nextBoolean());
      ProducerRecord<byte[], byte[]> r = serializer.serialize(s, null, null);
      assertSameRecord(reference(s), r, s.toString());
      made.add(s);
      written.add(r);
    }
    for (int i = 0; i < made.size(); i++) {
      assertSameRecord(reference(made.get(i)), written.get(i), "later, " + made.get(i));
    }
  }
}
