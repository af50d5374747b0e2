package io.gradflow.flink;

import io.gradflow.model.CompactExample;
import io.gradflow.model.Model;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

/**
 * The wire format of {@link CompactExample} between Flink tasks: the keyed exchange in front of
 * the trainer carries every example, so this is on the hot path of the whole job (on the
 * trainer's thread, reading it was a ninth of the trainer's time before format 2).
 *
 * <p>Format (version 2): example id and model key as Flink strings (the bytes of
 * {@link StringValue#writeString}: the length plus one, then each char, in 7-bit groups), event
 * time, the number of sparse features {@code n}, a flags byte, {@code n} row ids, then {@code n}
 * values unless they are all 1, the number of dense features {@code d} then {@code d} values,
 * label, weight; numbers big-endian as {@code DataOutput} writes them. Flag bit 0: every value is
 * exactly 1 (one-hot features: no values are sent); bit 1: every row id fits in an {@code int}
 * (as ids below {@code 2^31} do, the plain hashed features of {@code hash_bits} up to 31), so
 * the ids go as 4-byte ints, sign-extended when read. Version 1 wrote only bit 0 (a boolean) and
 * 8-byte ids: its bytes read the same here. Flink's POJO serializer writes the same fields but
 * reaches them through reflection, writes a null flag per field and converts one number at a
 * time; this one converts the feature arrays in a loop over a byte array.
 *
 * <p>Per thread (the serializer is a stateless singleton shared by the task threads), reading
 * keeps the last model key: a record of the same model gets the same {@code String} instance
 * (its hash computed once, equality by identity), and the examples of one thread whose values
 * are all 1 share one array of ones per length. Both are values, as examples are: code that
 * receives an example never modifies its arrays (see {@link CompactExample}).
 *
 * <p>{@link #copy(CompactExample)} shares the arrays for the same reason.
 */
public final class CompactExampleSerializer extends TypeSerializerSingleton<CompactExample> {
  private static final long serialVersionUID = 1L;

  public static final CompactExampleSerializer INSTANCE = new CompactExampleSerializer();
  /** More features than this in one example means the input is not a CompactExample. */
  private static final int MAX_FEATURES = 1 << 24;
  private static final int ONE_BITS = Float.floatToRawIntBits(1f);
  /** Flag bit: every value is exactly 1, and none is sent. */
  static final int ONES = 1;
  /** Flag bit: every row id fits in an int, and each is sent in 4 bytes. */
  static final int INT_IDS = 2;
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle INTS =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
  /**
   * The scratch of the thread that last read a record, beside its thread (and of the thread that
   * last wrote one: in one JVM a source thread writes while the trainer's thread reads): a task
   * thread's {@code ThreadLocal} map holds many entries and its lookup was a tenth of reading a
   * record. Written and read without synchronization, which is safe because {@link Owned} has
   * only final fields: a thread sees a whole pair, its own or another's, and uses only its own.
   * Threads that alternate fall back to the thread local.
   */
  private static Owned lastReader = new Owned(null, null);
  private static Owned lastWriter = lastReader;

  private CompactExampleSerializer() {}

  /** A thread and its scratch (immutable, see {@link #lastReader}). */
  private record Owned(Thread thread, Scratch scratch) {
    static Owned current() {
      return new Owned(Thread.currentThread(), SCRATCH.get());
    }

    boolean isCurrent() {
      return thread == Thread.currentThread();
    }
  }

  /**
   * This thread's scratch: {@link #lastReader}'s (reading) or {@link #lastWriter}'s if it is
   * this thread's, else the thread local's, then remembered.
   */
  private static Scratch scratch(boolean reading) {
    Owned owned = reading ? lastReader : lastWriter;
    if (!owned.isCurrent()) {
      owned = Owned.current();
      if (reading) {
        lastReader = owned;
      } else {
        lastWriter = owned;
      }
    }
    return owned.scratch;
  }

  /** What one thread reuses from record to record. */
  private static final class Scratch {
    byte[] bytes = new byte[1 << 12];
    char[] chars = new char[64];
    /** The model key of the last record read, or null, and its chars. */
    String modelKey;
    char[] modelKeyChars;
    /** All ones, shared by the examples read whose values are all 1 and as many. */
    float[] ones = new float[0];

    byte[] bytes(int size) {
      if (bytes.length < size) {
        bytes = new byte[Math.max(size, 2 * bytes.length)];
      }
      return bytes;
    }

    float[] ones(int n) {
      if (ones.length != n) {
        float[] o = new float[n];
        Arrays.fill(o, 1f);
        ones = o;
      }
      return ones;
    }
  }

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
    long[] ids = e.rowIds;
    int n = ids.length;
    int flags = (allOnes(e.values) ? ONES : 0) | (intIds(ids) ? INT_IDS : 0);
    out.writeInt(n);
    out.writeByte(flags);
    int idBytes = (flags & INT_IDS) != 0 ? 4 : 8;
    int size = (idBytes + ((flags & ONES) != 0 ? 0 : 4)) * n;
    byte[] b = scratch(false).bytes(size);
    if (idBytes == 4) {
      for (int i = 0; i < n; i++) {
        INTS.set(b, 4 * i, (int) ids[i]);
      }
    } else {
      for (int i = 0; i < n; i++) {
        LONGS.set(b, 8 * i, ids[i]);
      }
    }
    if ((flags & ONES) == 0) {
      int at = idBytes * n;
      float[] values = e.values;
      for (int i = 0; i < n; i++) {
        INTS.set(b, at + 4 * i, Float.floatToRawIntBits(values[i]));
      }
    }
    out.write(b, 0, size);
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
    Scratch scratch = scratch(true);
    String exampleId = readString(in, scratch, null, null);
    String modelKey = readString(in, scratch, scratch.modelKey, scratch.modelKeyChars);
    if (modelKey != scratch.modelKey) {
      scratch.modelKey = modelKey;
      scratch.modelKeyChars = modelKey == null ? null : modelKey.toCharArray();
    }
    long eventTime = in.readLong();
    int n = count(in.readInt(), "sparse features");
    int flags = in.readUnsignedByte();
    if ((flags & ~(ONES | INT_IDS)) != 0) {
      throw new IOException("corrupt CompactExample: flags " + flags);
    }
    int idBytes = (flags & INT_IDS) != 0 ? 4 : 8;
    int size = (idBytes + ((flags & ONES) != 0 ? 0 : 4)) * n;
    byte[] b = scratch.bytes(size);
    in.readFully(b, 0, size);
    long[] rowIds = new long[n];
    if (idBytes == 4) {
      for (int i = 0; i < n; i++) {
        rowIds[i] = (int) INTS.get(b, 4 * i);
      }
    } else {
      for (int i = 0; i < n; i++) {
        rowIds[i] = (long) LONGS.get(b, 8 * i);
      }
    }
    float[] values;
    if ((flags & ONES) != 0) {
      values = scratch.ones(n);
    } else {
      values = new float[n];
      int at = idBytes * n;
      for (int i = 0; i < n; i++) {
        values[i] = Float.intBitsToFloat((int) INTS.get(b, at + 4 * i));
      }
    }
    int d = count(in.readInt(), "dense features");
    // Shared by the examples without dense features: examples are values, never modified.
    float[] dense = d == 0 ? Model.NO_DENSE : new float[d];
    for (int i = 0; i < d; i++) {
      dense[i] = in.readFloat();
    }
    float label = in.readFloat();
    float weight = in.readFloat();
    return new CompactExample(exampleId, modelKey, eventTime, rowIds, values, dense, label,
        weight);
  }

  /**
   * Reads a string {@link StringValue#writeString} wrote (null included), as
   * {@link StringValue#readString} does; {@code same} (or null) is returned instead of a new
   * string when it has exactly the chars read.
   */
  static String readString(DataInputView in, String same) throws IOException {
    return readString(in, scratch(true), same, null);
  }

  /**
   * @param sameChars the chars of {@code same} if the caller keeps them (compared in bulk, which
   *     is cheaper than char by char), or null
   */
  private static String readString(DataInputView in, Scratch scratch, String same,
      char[] sameChars) throws IOException {
    int length = readVarInt(in, "string length");
    if (length == 0) {
      return null;
    }
    length--;
    char[] chars = scratch.chars;
    if (chars.length < length) {
      chars = new char[Math.max(length, 2 * chars.length)];
      scratch.chars = chars;
    }
    for (int i = 0; i < length; i++) {
      int c = in.readUnsignedByte();
      chars[i] = (char) (c < 0x80 ? c : continueVarInt(in, c, "char"));
    }
    if (sameChars != null) {
      if (sameChars.length == length && Arrays.equals(chars, 0, length, sameChars, 0, length)) {
        return same;
      }
    } else if (same != null && same.length() == length) {
      int i = 0;
      while (i < length && same.charAt(i) == chars[i]) {
        i++;
      }
      if (i == length) {
        return same;
      }
    }
    return new String(chars, 0, length);
  }

  /** A 7-bit-group varint, least significant group first, as StringValue writes them. */
  private static int readVarInt(DataInputView in, String what) throws IOException {
    int first = in.readUnsignedByte();
    return first < 0x80 ? first : continueVarInt(in, first, what);
  }

  private static int continueVarInt(DataInputView in, int first, String what)
      throws IOException {
    int value = first & 0x7f;
    int shift = 7;
    int next;
    while ((next = in.readUnsignedByte()) >= 0x80) {
      value |= (next & 0x7f) << shift;
      shift += 7;
      if (shift > 28) {
        throw new IOException("corrupt CompactExample: a " + what + " of more than 32 bits");
      }
    }
    return value | next << shift;
  }

  /** Whether every id fits in an int: then each goes in 4 bytes. */
  private static boolean intIds(long[] ids) {
    for (long id : ids) {
      if (id != (int) id) {
        return false;
      }
    }
    return true;
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
