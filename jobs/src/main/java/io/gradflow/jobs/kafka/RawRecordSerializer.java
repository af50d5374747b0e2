package io.gradflow.jobs.kafka;

import io.gradflow.flink.SerializerTypeInfo;
import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.api.java.typeutils.runtime.PojoSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Flink's serializer of {@link RawRecord}, chosen by the {@code @TypeInfo} annotation on the
 * class, instead of the reflective POJO serializer that carried it before.
 *
 * <p>Why: Flink's ordered async operator (the decode pool, {@code decode-examples-pool.v1}) copies
 * every record it is given with its serializer when object reuse is on, which the job turns on.
 * The POJO serializer copied each record's key and value bytes and went through reflection for
 * every field: about 700 bytes of garbage per example on the source's thread, 1.4 GB over 2
 * million examples. {@link #copy(RawRecord)} here makes a new record that shares the byte arrays:
 * {@link RawRecord} is a value whose arrays nobody modifies after the source made them, and its
 * transient {@link RawRecord#decoded} starts empty in the copy, so the pool's result stays on the
 * copy it decoded.
 *
 * <p>Compatibility: the async operator keeps its records in flight in operator state, written by
 * the serializer of the time. A savepoint written with the POJO serializer (every version before
 * this one) restores: {@link Snapshot#resolveSchemaCompatibility} answers "compatible after
 * migration" to a POJO snapshot of {@link RawRecord}, so Flink reads the old records with the
 * old POJO serializer restored from the savepoint and writes them from then on with this one
 * (operator state is read whole at restore, so the migration is in memory and costs nothing
 * else). {@code RawRecordSerializerTest} restores such a savepoint, written by the POJO code.
 *
 * <p>Format: topic (UTF), partition, offset, timestamp, then key and value each as a length
 * ({@code -1} for null) and its bytes. Stateless and thread-safe; no memory of its own.
 */
public final class RawRecordSerializer extends TypeSerializerSingleton<RawRecord> {
  private static final long serialVersionUID = 1L;

  /** The one instance (the serializer has no configuration). */
  public static final RawRecordSerializer INSTANCE = new RawRecordSerializer();

  private RawRecordSerializer() {}

  @Override
  public boolean isImmutableType() {
    return false;
  }

  @Override
  public RawRecord createInstance() {
    return new RawRecord();
  }

  /** A new record with the same coordinates and the same (shared, never modified) bytes. */
  @Override
  public RawRecord copy(RawRecord from) {
    return new RawRecord(from.topic, from.partition, from.offset, from.timestamp, from.key,
        from.value);
  }

  @Override
  public RawRecord copy(RawRecord from, RawRecord reuse) {
    return copy(from);
  }

  @Override
  public int getLength() {
    return -1;
  }

  @Override
  public void serialize(RawRecord record, DataOutputView out) throws IOException {
    out.writeUTF(record.topic);
    out.writeInt(record.partition);
    out.writeLong(record.offset);
    out.writeLong(record.timestamp);
    writeBytes(record.key, out);
    writeBytes(record.value, out);
  }

  @Override
  public RawRecord deserialize(DataInputView in) throws IOException {
    String topic = in.readUTF();
    int partition = in.readInt();
    long offset = in.readLong();
    long timestamp = in.readLong();
    byte[] key = readBytes(in);
    return new RawRecord(topic, partition, offset, timestamp, key, readBytes(in));
  }

  @Override
  public RawRecord deserialize(RawRecord reuse, DataInputView in) throws IOException {
    return deserialize(in);
  }

  @Override
  public void copy(DataInputView in, DataOutputView out) throws IOException {
    serialize(deserialize(in), out);
  }

  private static void writeBytes(byte[] bytes, DataOutputView out) throws IOException {
    if (bytes == null) {
      out.writeInt(-1);
      return;
    }
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  private static byte[] readBytes(DataInputView in) throws IOException {
    int length = in.readInt();
    if (length < 0) {
      return null;
    }
    byte[] bytes = new byte[length];
    in.readFully(bytes);
    return bytes;
  }

  @Override
  public TypeSerializerSnapshot<RawRecord> snapshotConfiguration() {
    return new Snapshot();
  }

  /**
   * The serializer's snapshot in checkpoints and savepoints. Besides its own snapshot it accepts
   * the POJO serializer's snapshot of {@link RawRecord} (savepoints of earlier versions) as
   * compatible after migration; anything else is incompatible.
   */
  public static final class Snapshot extends SimpleTypeSerializerSnapshot<RawRecord> {
    /** For Flink, which reads a snapshot back through this constructor. */
    public Snapshot() {
      super(() -> INSTANCE);
    }

    @Override
    public TypeSerializerSchemaCompatibility<RawRecord> resolveSchemaCompatibility(
        TypeSerializerSnapshot<RawRecord> old) {
      if (old instanceof PojoSerializerSnapshot<RawRecord> pojo
          && pojo.restoreSerializer().createInstance() instanceof RawRecord) {
        return TypeSerializerSchemaCompatibility.compatibleAfterMigration();
      }
      return super.resolveSchemaCompatibility(old);
    }
  }

  /** Flink's type information of {@link RawRecord}: this serializer. */
  public static final TypeInformation<RawRecord> TYPE_INFO =
      new SerializerTypeInfo<>(RawRecord.class, INSTANCE);

  /** For {@code @TypeInfo} on {@link RawRecord}. */
  public static final class Factory extends TypeInfoFactory<RawRecord> {
    @Override
    public TypeInformation<RawRecord> createTypeInfo(Type type,
        Map<String, TypeInformation<?>> parameters) {
      return TYPE_INFO;
    }
  }
}
