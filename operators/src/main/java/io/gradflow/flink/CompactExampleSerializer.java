package io.gradflow.flink;

import io.gradflow.model.CompactExample;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

/**
 * The wire format of {@link CompactExample} between Flink tasks: the keyed exchange in front of
 * the trainer carries every example, so this is on the hot path of the whole job.
 *
 * <p>Format (version 1): example id and model key as Flink strings ({@link StringValue}), event
 * time, the number of sparse features {@code n}, whether every value is exactly 1 (a boolean),
 * {@code n} row ids, then {@code n} values unless they are all 1 (one-hot features: a third of
 * the bytes saved), the number of dense features {@code d} then {@code d} values, label, weight;
 * numbers big-endian as {@code DataOutput} writes them. Flink's POJO serializer writes the same
 * fields but reaches them through reflection, writes a null flag per field and converts one
 * number at a time; this one converts the feature arrays in bulk.
 *
 * <p>{@link #copy(CompactExample)} shares the arrays: examples are values whose arrays nobody
 * modifies (see {@link CompactExample}).
 */
public final class CompactExampleSerializer extends TypeSerializerSingleton<CompactExample> {
  private static final long serialVersionUID = 1L;

  public static final CompactExampleSerializer INSTANCE = new CompactExampleSerializer();
  /** More features than this in one example means the input is not a CompactExample. */
  private static final int MAX_FEATURES = 1 << 24;
  private static final int ONE_BITS = Float.floatToRawIntBits(1f);

  private CompactExampleSerializer() {}

  @Override
  public boolean isImmutableType() {
    return false;
  }

  @Override
  public CompactExample createInstance() {
    return new CompactExample();
  }

  @Override
  public CompactExample copy(CompactExample from) {
    return new CompactExample(from.exampleId, from.modelKey, from.eventTime, from.rowIds,
        from.values, from.dense, from.label, from.weight);
  }

  @Override
  public CompactExample copy(CompactExample from, CompactExample reuse) {
    return copy(from);
  }

  @Override
  public int getLength() {
    return -1;
  }

  @Override
  public void serialize(CompactExample e, DataOutputView out) throws IOException {
    StringValue.writeString(e.exampleId, out);
    StringValue.writeString(e.modelKey, out);
    out.writeLong(e.eventTime);
    int n = e.rowIds.length;
    boolean ones = allOnes(e.values);
    out.writeInt(n);
    out.writeBoolean(ones);
    ByteBuffer buffer = ScratchBuffers.of(12 * n);
    buffer.asLongBuffer().put(e.rowIds);
    if (!ones) {
      buffer.position(8 * n);
      buffer.asFloatBuffer().put(e.values);
    }
    out.write(buffer.array(), 0, (ones ? 8 : 12) * n);
    int d = e.dense.length;
    out.writeInt(d);
    for (int i = 0; i < d; i++) {
      out.writeFloat(e.dense[i]);
    }
    out.writeFloat(e.label);
    out.writeFloat(e.weight);
  }

  @Override
  public CompactExample deserialize(DataInputView in) throws IOException {
    String exampleId = StringValue.readString(in);
    String modelKey = StringValue.readString(in);
    long eventTime = in.readLong();
    int n = count(in.readInt(), "sparse features");
    boolean ones = in.readBoolean();
    ByteBuffer buffer = ScratchBuffers.of(12 * n);
    in.readFully(buffer.array(), 0, (ones ? 8 : 12) * n);
    long[] rowIds = new long[n];
    buffer.asLongBuffer().get(rowIds);
    float[] values = new float[n];
    if (ones) {
      Arrays.fill(values, 1f);
    } else {
      buffer.position(8 * n);
      buffer.asFloatBuffer().get(values);
    }
    int d = count(in.readInt(), "dense features");
    float[] dense = new float[d];
    for (int i = 0; i < d; i++) {
      dense[i] = in.readFloat();
    }
    float label = in.readFloat();
    float weight = in.readFloat();
    return new CompactExample(exampleId, modelKey, eventTime, rowIds, values, dense, label,
        weight);
  }

  /** Whether every value is exactly 1 (one-hot features, the common case): then none is sent. */
  private static boolean allOnes(float[] values) {
    for (float v : values) {
      if (Float.floatToRawIntBits(v) != ONE_BITS) {
        return false;
      }
    }
    return true;
  }

  private static int count(int n, String what) throws IOException {
    if (n < 0 || n > MAX_FEATURES) {
      throw new IOException("corrupt CompactExample: " + n + " " + what);
    }
    return n;
  }

  @Override
  public CompactExample deserialize(CompactExample reuse, DataInputView in) throws IOException {
    return deserialize(in);
  }

  @Override
  public void copy(DataInputView in, DataOutputView out) throws IOException {
    serialize(deserialize(in), out);
  }

  @Override
  public TypeSerializerSnapshot<CompactExample> snapshotConfiguration() {
    return new Snapshot();
  }

  /** Compatibility snapshot: the format has one version so far. */
  public static final class Snapshot extends SimpleTypeSerializerSnapshot<CompactExample> {
    public Snapshot() {
      super(() -> INSTANCE);
    }
  }
}
