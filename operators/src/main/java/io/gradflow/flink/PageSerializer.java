package io.gradflow.flink;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.api.common.typeutils.base.array.FloatPrimitiveArraySerializer;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * The serializer of the trainer's pages ({@code float[]}, thousands of floats each) in keyed
 * state: the same bytes as Flink's {@link FloatPrimitiveArraySerializer} (the length, then every
 * float big-endian), converted in bulk instead of one float at a time. One difference: a NaN keeps
 * its bit pattern, where Flink's writes the canonical NaN. Every checkpoint writes
 * the model's dirty pages (the heap backend in its asynchronous snapshot, RocksDB on every put),
 * so this is the checkpoint's hot path.
 *
 * <p>State written by {@link FloatPrimitiveArraySerializer} restores as is (the bytes are the
 * same), and so does this serializer's own.
 */
public final class PageSerializer extends TypeSerializerSingleton<float[]> {
  private static final long serialVersionUID = 1L;

  public static final PageSerializer INSTANCE = new PageSerializer();

  private PageSerializer() {}

  @Override
  public boolean isImmutableType() {
    return false;
  }

  @Override
  public float[] createInstance() {
    return new float[0];
  }

  /**
   * The page itself, not a clone: a page in keyed state is never changed once stored. Every
   * writer hands the state a fresh array and keeps no reference to it ({@code PageCache}'s
   * write-back through {@code RowPage.toStored}, the book's and dense blocks' copies, the
   * {@code PagedLearner}'s sweep), and every reader copies what it loads ({@code RowPage.load} and
   * {@code loadDirect}, {@code RowBook.fit}, {@code PageCache.dense}). The heap backend calls this
   * in its copy-on-write ({@code CopyOnWriteStateMap}): a model key's state value is the whole
   * {@code Map<Long, float[]>} of its pages, and the first access to it (a load on a miss, a
   * write-back on eviction or at the next flush) while an asynchronous snapshot still runs copied
   * every page, the whole model (64 MB for 2^22 AdaGrad rows), on the trainer thread; now it copies
   * the map only, and the snapshot keeps the arrays it saw, which nothing changes.
   */
  @Override
  public float[] copy(float[] from) {
    return from;
  }

  /** The page itself, as {@link #copy(float[])}. */
  @Override
  public float[] copy(float[] from, float[] reuse) {
    return from;
  }

  @Override
  public int getLength() {
    return -1;
  }

  @Override
  public void serialize(float[] page, DataOutputView out) throws IOException {
    if (page == null) {
      throw new IllegalArgumentException("a page must not be null");
    }
    out.writeInt(page.length);
    ByteBuffer buffer = ScratchBuffers.of(4 * page.length);
    buffer.asFloatBuffer().put(page);
    out.write(buffer.array(), 0, 4 * page.length);
  }

  @Override
  public float[] deserialize(DataInputView in) throws IOException {
    int length = in.readInt();
    if (length < 0) {
      throw new IOException("corrupt page: length " + length);
    }
    ByteBuffer buffer = ScratchBuffers.of(4 * length);
    in.readFully(buffer.array(), 0, 4 * length);
    float[] page = new float[length];
    buffer.asFloatBuffer().get(page);
    return page;
  }

  @Override
  public float[] deserialize(float[] reuse, DataInputView in) throws IOException {
    return deserialize(in);
  }

  @Override
  public void copy(DataInputView in, DataOutputView out) throws IOException {
    serialize(deserialize(in), out);
  }

  @Override
  public TypeSerializerSnapshot<float[]> snapshotConfiguration() {
    return new Snapshot();
  }

  /** Compatible with its own snapshots and with those of {@link FloatPrimitiveArraySerializer}. */
  public static final class Snapshot extends SimpleTypeSerializerSnapshot<float[]> {
    public Snapshot() {
      super(() -> INSTANCE);
    }

    @Override
    public TypeSerializerSchemaCompatibility<float[]> resolveSchemaCompatibility(
        TypeSerializerSnapshot<float[]> old) {
      if (old instanceof FloatPrimitiveArraySerializer.FloatPrimitiveArraySerializerSnapshot) {
        return TypeSerializerSchemaCompatibility.compatibleAsIs();
      }
      return super.resolveSchemaCompatibility(old);
    }
  }
}
