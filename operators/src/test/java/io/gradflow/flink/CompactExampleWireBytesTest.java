package io.gradflow.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.gradflow.model.CompactExample;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.types.StringValue;
import org.junit.jupiter.api.Test;

/**
 * Wire format 2 pinned byte for byte against an independent field-by-field writer
 * ({@link #fieldByField}: Flink's string writer, one {@code DataOutput} call a field), on random
 * examples of every shape (ASCII and non-ASCII strings, null, wide and narrow ids, raw NaN bits in
 * values, dense features, label and weight), and its bytes read back record after record: any
 * faster writer or reader of this format (a bulk write, a bundle of records) must keep these
 * bytes, or take a new version with a reader of the old bytes.
 */
class CompactExampleWireBytesTest {
  /** Wire format 2 as written before the bulk write: Flink's string writer, one call a field. */
  static byte[] fieldByField(CompactExample e) throws IOException {
    DataOutputSerializer out = new DataOutputSerializer(16);
    StringValue.writeString(e.exampleId, out);
    StringValue.writeString(e.modelKey, out);
    out.writeLong(e.eventTime);
    boolean ones = true;
    boolean ints = true;
    for (int i = 0; i < e.rowIds.length; i++) {
      ones &= Float.floatToRawIntBits(e.values[i]) == Float.floatToRawIntBits(1f);
      ints &= e.rowIds[i] == (int) e.rowIds[i];
    }
    out.writeInt(e.rowIds.length);
    out.writeByte((ones ? CompactExampleSerializer.ONES : 0)
        | (ints ? CompactExampleSerializer.INT_IDS : 0));
    for (long id : e.rowIds) {
      if (ints) {
        out.writeInt((int) id);
      } else {
        out.writeLong(id);
      }
    }
    for (int i = 0; !ones && i < e.values.length; i++) {
      out.writeInt(Float.floatToRawIntBits(e.values[i])); // bulk-converted, raw bits
    }
    out.writeInt(e.dense.length);
    for (float v : e.dense) {
      out.writeFloat(v);
    }
    out.writeFloat(e.label);
    out.writeFloat(e.weight);
    return out.getCopyOfBuffer();
  }

  /** Strings of every kind the varint chars have: ASCII, 2- and 3-byte chars, empty, null. */
  static String randomString(SplittableRandom random) {
    int kind = random.nextInt(8);
    if (kind == 0) {
      return null;
    }
    if (kind == 1) {
      return "";
    }
    char[] chars = new char[random.nextInt(1, kind == 2 ? 400 : 24)];
    boolean ascii = random.nextBoolean();
    for (int i = 0; i < chars.length; i++) {
      int k = ascii ? 0 : random.nextInt(4);
      chars[i] = (char) (k <= 1 ? random.nextInt(0x80) : k == 2
          ? random.nextInt(0x80, 0x4000) : random.nextInt(0x4000, 0x10000));
    }
    return new String(chars);
  }

  static CompactExample randomExample(SplittableRandom random) {
    int n = random.nextInt(0, random.nextBoolean() ? 50 : 3000);
    long[] ids = new long[n];
    float[] values = new float[n];
    boolean wide = random.nextInt(3) == 0;
    boolean ones = random.nextBoolean();
    for (int i = 0; i < n; i++) {
      ids[i] = wide ? random.nextLong() : random.nextInt();
      values[i] = ones ? 1f : Float.intBitsToFloat(random.nextInt());
    }
    if (n > 0 && random.nextInt(4) == 0) {
      ids[random.nextInt(n)] = 1L << 31; // one id that just misses an int
    }
    float[] dense = new float[random.nextInt(3) == 0 ? random.nextInt(1, 20) : 0];
    for (int i = 0; i < dense.length; i++) {
      dense[i] = Float.intBitsToFloat(random.nextInt());
    }
    return new CompactExample(randomString(random), randomString(random), random.nextLong(), ids,
        values, dense, random.nextBoolean() ? Float.intBitsToFloat(random.nextInt())
        : random.nextBoolean() ? Float.NaN : random.nextInt(2),
        Float.intBitsToFloat(random.nextInt()));
  }

  @Test
  void theSerializerWritesTheBytesOfTheFieldByFieldWriter() throws IOException {
    SplittableRandom random = new SplittableRandom(12);
    DataOutputSerializer stream = new DataOutputSerializer(16);
    DataOutputSerializer reference = new DataOutputSerializer(16);
    List<CompactExample> written = new ArrayList<>();
    for (int r = 0; r < 5_000; r++) {
      CompactExample e = randomExample(random);
      DataOutputSerializer out = new DataOutputSerializer(16);
      CompactExampleSerializer.INSTANCE.serialize(e, out);
      byte[] old = fieldByField(e);
      assertArrayEquals(old, out.getCopyOfBuffer(), "record " + r);
      CompactExampleSerializer.INSTANCE.serialize(e, stream);
      reference.write(old);
      written.add(e);
    }
    // The old bytes, back to back, read as the records written; each read stops at its end.
    DataInputDeserializer in = new DataInputDeserializer(reference.getCopyOfBuffer());
    for (CompactExample e : written) {
      assertEquals(e, CompactExampleSerializer.INSTANCE.deserialize(in));
    }
    assertEquals(0, in.available());
    assertEquals(reference.length(), stream.length());
  }

  @Test
  void stringsAreReadAsStringValueReadsThemWhateverFollows() throws IOException {
    SplittableRandom random = new SplittableRandom(5);
    for (int s = 0; s < 3_000; s++) {
      String value = randomString(random);
      DataOutputSerializer out = new DataOutputSerializer(16);
      StringValue.writeString(value, out);
      StringValue.writeString(value, out);
      out.writeByte(0xff); // a byte with its high bit set right after the string
      byte[] bytes = out.getCopyOfBuffer();
      DataInputDeserializer theirs = new DataInputDeserializer(bytes);
      DataInputDeserializer ours = new DataInputDeserializer(bytes);
      assertEquals(StringValue.readString(theirs), CompactExampleSerializer.readString(ours, null));
      assertEquals(theirs.available(), ours.available());
      String same = value == null ? null : new String(value.toCharArray());
      String again = CompactExampleSerializer.readString(ours, same);
      assertEquals(value, again);
      if (same != null) {
        assertSame(same, again, "an equal string is reused");
      }
      assertEquals(1, ours.available());
    }
  }
}
