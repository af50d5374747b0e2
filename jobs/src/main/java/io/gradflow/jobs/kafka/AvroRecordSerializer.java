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
 * {@link AvroMapper}. One instance per sink writer (Flink serializes it); not thread-safe.
 */
public final class AvroRecordSerializer<T> implements KafkaRecordSerializationSchema<T> {
  private static final long serialVersionUID = 1L;

  private final String topic;
  private final AvroMapper<T> mapper;
  private transient Map<Class<?>, RecordCodec<?>> codecs;

  public AvroRecordSerializer(String topic, AvroMapper<T> mapper) {
    this.topic = topic;
    this.mapper = mapper;
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public ProducerRecord<byte[], byte[]> serialize(T element, KafkaSinkContext context,
      Long timestamp) {
    SpecificRecord record = mapper.toAvro(element);
    if (codecs == null) {
      codecs = new HashMap<>();
    }
    RecordCodec codec = codecs.computeIfAbsent(record.getClass(),
        c -> Codecs.codec((Class<? extends SpecificRecord>) c));
    Long ts = mapper.timestamp(element);
    return new ProducerRecord<>(topic, null, ts != null ? ts : timestamp, mapper.key(element),
        codec.encode(record));
  }
}
