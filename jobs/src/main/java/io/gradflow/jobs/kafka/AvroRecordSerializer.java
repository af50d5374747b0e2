package io.gradflow.jobs.kafka;

import io.gradflow.schema.Codecs;
import io.gradflow.schema.RecordCodec;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes stream elements to one topic as single-object-encoded Avro records through an
 * {@link AvroMapper}: straight to bytes where the mapper has a
 * {@link AvroMapper.DirectEncoder} (which also gives the key, and may hand out one array for a
 * repeated key: Kafka's producer copies it into its batch during {@code send}), else each record
 * class through its own reused-buffer {@link RecordCodec.Encoder}. One instance per sink writer
 * (Flink serializes it); not thread-safe.
 *
 * <p>Output timestamps: every record is stamped with the time it is written (the producer's
 * clock, Kafka's {@code CreateTime} when the record's timestamp is left unset), never with an
 * input's event time, which stays in the record (Prediction.event_time, MetricsReport's window,
 * DeadLetterRecord.source_timestamp). An event time from 2001 would otherwise make the broker
 * delete the outputs on its first retention pass, and one more than an hour ahead would make it
 * refuse them ({@code message.timestamp.after.max.ms}) and stop the job.
 */
public final class AvroRecordSerializer<T> implements KafkaRecordSerializationSchema<T> {
  private static final long serialVersionUID = 1L;

  private final String topic;
  private final AvroMapper<T> mapper;
  /** Per record class: the serializer is used by its sink writer's thread only. */
  private transient Map<Class<?>, RecordCodec.Encoder<?>> encoders;
  private transient AvroMapper.DirectEncoder<T> direct;
  private transient boolean directAsked;

  public AvroRecordSerializer(String topic, AvroMapper<T> mapper) {
    this.topic = topic;
    this.mapper = mapper;
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public ProducerRecord<byte[], byte[]> serialize(T element, KafkaSinkContext context,
      Long timestamp) {
    if (!directAsked) {
      direct = mapper.newDirectEncoder();
      directAsked = true;
    }
    if (direct != null) {
      return new ProducerRecord<>(topic, null, null, direct.key(element), direct.encode(element));
    }
    SpecificRecord record = mapper.toAvro(element);
    if (record == null) { // a tombstone: the key with a null value
      return new ProducerRecord<>(topic, null, null, mapper.key(element), (byte[]) null);
    }
    if (encoders == null) {
      encoders = new HashMap<>();
    }
    RecordCodec.Encoder encoder = encoders.computeIfAbsent(record.getClass(),
        c -> Codecs.codec((Class<? extends SpecificRecord>) c).newEncoder());
    return new ProducerRecord<>(topic, null, null, mapper.key(element), encoder.encode(record));
  }
}
