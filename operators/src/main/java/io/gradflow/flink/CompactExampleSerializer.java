package io.gradflow.flink;

import io.gradflow.model.CompactExample;
import io.gradflow.model.Model;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
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
 * time; this one assembles the whole record in a per-thread byte array and hands it to Flink in
 * one write (the source's side of the exchange), and reads each string's bytes, then the feature
 * arrays, in bulk (the trainer's side).
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
    byte[] stringBytes = new byte[64];
    /** The model key of the last record read, or null, and its bytes when it is all ASCII. */
    String modelKey;
    byte[] modelKeyBytes;
    /** All ones, shared by the examples read whose values are all 1 and as many. */
    float[] ones = new float[0];

    byte[] bytes(int size) {
      if (bytes.length < size) {
        bytes = new byte[Math.max(size, 2 * bytes.length)];
      }
      return bytes;
    }

    byte[] stringBytes(int size) {
      if (stringBytes.length < size) {
        stringBytes = new byte[Math.max(size, 2 * stringBytes.length)];
      }
      return stringBytes;
    }

    char[] chars(int size) {
      if (chars.length < size) {
        chars = new char[Math.max(size, 2 * chars.length)];
      }
      return chars;
    }

    /** The chars of {@code s} as bytes when every one is below {@code 0x80}, else null. */
    byte[] asciiOrNull(String s) {
      if (s == null) {
        return null;
      }
      byte[] bytes = new byte[s.length()];
      for (int i = 0; i < bytes.length; i++) {
        char c = s.charAt(i);
        if (c >= 0x80) {
          return null;
        }
        bytes[i] = (byte) c;
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
    long[] ids = e.rowIds;
    int n = ids.length;
    float[] dense = e.dense;
    int d = dense.length;
    boolean ones = allOnes(e.values);
    byte[] b = scratch(false).bytes(stringBound(e.exampleId) + stringBound(e.modelKey) + 8 + 4
        + 1 + (ones ? 8 : 12) * n + 4 + 4 * d + 8);
    int at = putString(b, 0, e.exampleId);
    at = putString(b, at, e.modelKey);
    LONGS.set(b, at, e.eventTime);
    INTS.set(b, at + 8, n);
    int flagsAt = at + 12;
    at += 13;
    int flags = ones ? ONES : 0;
    int i;
    if (intIds(ids)) {
      flags |= INT_IDS;
      for (i = 0; i < n; i++) {
        INTS.set(b, at + 4 * i, (int) ids[i]);
      }
      at += 4 * n;
    } else {
      for (i = 0; i < n; i++) {
        LONGS.set(b, at + 8 * i, ids[i]);
      }
      at += 8 * n;
    }
    b[flagsAt] = (byte) flags;
    if (!ones) {
      float[] values = e.values;
      for (i = 0; i < n; i++) {
        INTS.set(b, at + 4 * i, Float.floatToRawIntBits(values[i]));
      }
      at += 4 * n;
    }
    INTS.set(b, at, d);
    at += 4;
    // As DataOutput.writeFloat writes them, which format 2 used for these: NaN made canonical.
    for (i = 0; i < d; i++) {
      INTS.set(b, at + 4 * i, Float.floatToIntBits(dense[i]));
    }
    at += 4 * d;
    INTS.set(b, at, Float.floatToIntBits(e.label));
    INTS.set(b, at + 4, Float.floatToIntBits(e.weight));
    out.write(b, 0, at + 8);
  }

  /** The most bytes {@link #putString} writes for {@code s}: a 5-byte length, 3 bytes a char. */
  private static int stringBound(String s) {
    return s == null ? 1 : 5 + 3 * s.length();
  }

  /**
   * Writes the bytes {@link StringValue#writeString} writes for {@code s} (null included) at
   * {@code at}, returning the position after them: the length plus one, then each char, in
   * 7-bit groups, least significant first, the high bit set on all but the last group.
   */
  private static int putString(byte[] b, int at, String s) {
    if (s == null) {
      b[at] = 0;
      return at + 1;
    }
    int length = s.length();
    at = putVarInt(b, at, length + 1);
    for (int i = 0; i < length; i++) {
      int c = s.charAt(i);
      if (c < 0x80) {
        b[at++] = (byte) c;
      } else {
        at = putVarInt(b, at, c);
      }
    }
    return at;
  }

  private static int putVarInt(byte[] b, int at, int value) {
    while (value >= 0x80) {
      b[at++] = (byte) (value | 0x80);
      value >>>= 7;
    }
    b[at] = (byte) value;
    return at + 1;
  }

  @Override
  public CompactExample deserialize(DataInputView in) throws IOException {
    Scratch scratch = scratch(true);
    String exampleId = readString(in, scratch, null, null);
    String modelKey = readString(in, scratch, scratch.modelKey, scratch.modelKeyBytes);
    if (modelKey != scratch.modelKey) {
      scratch.modelKey = modelKey;
      scratch.modelKeyBytes = scratch.asciiOrNull(modelKey);
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
    Scratch scratch = scratch(true);
    return readString(in, scratch, same, scratch.asciiOrNull(same));
  }

  /**
   * Reads a string in bulk: a string of {@code length} chars takes at least {@code length}
   * bytes, one for each char below {@code 0x80}, so those bytes are read at once and are the
   * chars when none has its high bit set (the common case: ASCII ids and keys); otherwise the
   * chars are decoded from them, reading the rest of the string's bytes one at a time.
   *
   * @param sameAscii the bytes of {@code same} when it is all ASCII, else null (then {@code
   *     same} is compared char by char)
   */
  private static String readString(DataInputView in, Scratch scratch, String same,
      byte[] sameAscii) throws IOException {
    int length = readVarInt(in, "string length");
    if (length == 0) {
      return null;
    }
    length--;
    byte[] b = scratch.stringBytes(length);
    in.readFully(b, 0, length);
    int ascii = 0;
    while (ascii < length && b[ascii] >= 0) {
      ascii++;
    }
    if (ascii == length) {
      if (sameAscii != null && Arrays.equals(b, 0, length, sameAscii, 0, sameAscii.length)) {
        return same;
      }
      return new String(b, 0, length, StandardCharsets.ISO_8859_1);
    }
    char[] chars = scratch.chars(length);
    for (int i = 0; i < ascii; i++) {
      chars[i] = (char) b[i];
    }
    int p = ascii;
    for (int i = ascii; i < length; i++) {
      int c = p < length ? b[p++] & 0xff : in.readUnsignedByte();
      if (c >= 0x80) {
        int value = c & 0x7f;
        int shift = 7;
        int next;
        while ((next = p < length ? b[p++] & 0xff : in.readUnsignedByte()) >= 0x80) {
          value |= (next & 0x7f) << shift;
          shift += 7;
          if (shift > 28) {
            throw new IOException("corrupt CompactExample: a char of more than 32 bits");
          }
        }
        c = value | next << shift;
      }
      chars[i] = (char) c;
    }
    if (same != null && same.length() == length) {
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
