package io.gradflow.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.model.CompactExample;
import java.io.IOException;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.types.StringValue;
import org.junit.jupiter.api.Test;

class CompactExampleSerializerTest {
  static final CompactExample FULL = new CompactExample("x-1 ü", "ctr#b", -17L,
      new long[] {1L << 62, -3, 0}, new float[] {1f, Float.NaN, -0f}, new float[] {0.5f, 2e30f},
      1f, 0.25f);
  static final CompactExample ONE_HOT = new CompactExample("x-2", "m", 5L,
      new long[] {7, 8, 9}, new float[] {1f, 1f, 1f}, new float[0], 0f, 1f);
  static final CompactExample UNLABELED = new CompactExample("", "", Long.MAX_VALUE,
      new long[0], new float[0], new float[0], Float.NaN, 1f);

  static CompactExample roundTrip(TypeSerializer<CompactExample> s, CompactExample e)
      throws IOException {
    DataOutputSerializer out = new DataOutputSerializer(16);
    s.serialize(e, out);
    DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
    CompactExample back = s.deserialize(in);
    assertEquals(0, in.available(), "the record is read to its end");
    return back;
  }

  @Test
  void everyFieldSurvivesTheWireBitForBit() throws IOException {
    for (CompactExample e : new CompactExample[] {FULL, ONE_HOT, UNLABELED}) {
      assertEquals(e, roundTrip(CompactExampleSerializer.INSTANCE, e));
    }
    CompactExample back = roundTrip(CompactExampleSerializer.INSTANCE, FULL);
    assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(back.values[2]));
  }

  @Test
  void oneHotValuesAreNotSent() throws IOException {
    DataOutputSerializer oneHot = new DataOutputSerializer(16);
    CompactExampleSerializer.INSTANCE.serialize(ONE_HOT, oneHot);
    DataOutputSerializer weighted = new DataOutputSerializer(16);
    CompactExample almost = new CompactExample("x-2", "m", 5L, new long[] {7, 8, 9},
        new float[] {1f, 1f, Math.nextUp(1f)}, new float[0], 0f, 1f);
    CompactExampleSerializer.INSTANCE.serialize(almost, weighted);
    assertEquals(weighted.length() - 12, oneHot.length());
    assertEquals(almost, roundTrip(CompactExampleSerializer.INSTANCE, almost));
  }

  @Test
  void copyInTheStreamAndAsValueAgree() throws IOException {
    DataOutputSerializer out = new DataOutputSerializer(16);
    CompactExampleSerializer.INSTANCE.serialize(FULL, out);
    DataOutputSerializer copied = new DataOutputSerializer(16);
    CompactExampleSerializer.INSTANCE.copy(new DataInputDeserializer(out.getCopyOfBuffer()),
        copied);
    assertEquals(FULL, CompactExampleSerializer.INSTANCE.deserialize(
        new DataInputDeserializer(copied.getCopyOfBuffer())));
    CompactExample copy = CompactExampleSerializer.INSTANCE.copy(FULL);
    assertEquals(FULL, copy);
    assertTrue(copy != FULL, "a new instance");
  }

  @Test
  void aNegativeCountIsReportedAsCorruptInput() {
    DataOutputSerializer out = new DataOutputSerializer(16);
    try {
      org.apache.flink.types.StringValue.writeString("a", out);
      org.apache.flink.types.StringValue.writeString("m", out);
      out.writeLong(0);
      out.writeInt(-5);
      out.writeBoolean(false);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    IOException e = assertThrows(IOException.class, () -> CompactExampleSerializer.INSTANCE
        .deserialize(new DataInputDeserializer(out.getCopyOfBuffer())));
    assertTrue(e.getMessage().contains("-5 sparse features"), e.getMessage());
  }

  @Test
  void theSnapshotRestoresTheSameSerializerAndIsCompatible() throws IOException {
    TypeSerializerSnapshot<CompactExample> snapshot =
        CompactExampleSerializer.INSTANCE.snapshotConfiguration();
    DataOutputSerializer out = new DataOutputSerializer(16);
    TypeSerializerSnapshot.writeVersionedSnapshot(out, snapshot);
    TypeSerializerSnapshot<CompactExample> read = TypeSerializerSnapshot.readVersionedSnapshot(
        new DataInputDeserializer(out.getCopyOfBuffer()), getClass().getClassLoader());
    assertSame(CompactExampleSerializer.INSTANCE, read.restoreSerializer());
    assertTrue(CompactExampleSerializer.INSTANCE.snapshotConfiguration()
        .resolveSchemaCompatibility(read).isCompatibleAsIs());
  }

  @Test
  void theTypeInformationHandsOutThisSerializer() {
    assertSame(CompactExampleSerializer.INSTANCE,
        CompactExampleTypeInfo.INSTANCE.createSerializer(new SerializerConfigImpl()));
    assertEquals(CompactExample.class, CompactExampleTypeInfo.INSTANCE.getTypeClass());
  }

  /** The bytes format 1 wrote: a boolean for "all ones" and every row id in 8 bytes. */
  static byte[] formatOne(CompactExample e) throws IOException {
    DataOutputSerializer out = new DataOutputSerializer(16);
    StringValue.writeString(e.exampleId, out);
    StringValue.writeString(e.modelKey, out);
    out.writeLong(e.eventTime);
    out.writeInt(e.rowIds.length);
    boolean ones = true;
    for (float v : e.values) {
      ones &= Float.floatToRawIntBits(v) == Float.floatToRawIntBits(1f);
    }
    out.writeBoolean(ones);
    for (long id : e.rowIds) {
      out.writeLong(id);
    }
    for (int i = 0; ones ? false : i < e.values.length; i++) {
      out.writeFloat(e.values[i]);
    }
    out.writeInt(e.dense.length);
    for (float v : e.dense) {
      out.writeFloat(v);
    }
    out.writeFloat(e.label);
    out.writeFloat(e.weight);
    return out.getCopyOfBuffer();
  }

  @Test
  void bytesOfFormatOneReadTheSame() throws IOException {
    CompactExample narrow = new CompactExample("n", "m", 1L, new long[] {-1, 0, 1L << 30},
        new float[] {2f, 1f, 1f}, new float[0], 1f, 1f);
    for (CompactExample e : new CompactExample[] {FULL, ONE_HOT, UNLABELED, narrow}) {
      DataInputDeserializer in = new DataInputDeserializer(formatOne(e));
      assertEquals(e, CompactExampleSerializer.INSTANCE.deserialize(in));
      assertEquals(0, in.available());
    }
  }

  @Test
  void rowIdsThatFitAnIntGoInFourBytesAndOthersInEight() throws IOException {
    long[][] ids = {{0, 1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE},
        {0, 1L + Integer.MAX_VALUE}, {Integer.MIN_VALUE - 1L}, {Long.MIN_VALUE | 12345}};
    for (long[] rowIds : ids) {
      CompactExample e = new CompactExample("x", "m", 0L, rowIds, new float[rowIds.length],
          new float[0], 0f, 1f);
      DataOutputSerializer out = new DataOutputSerializer(16);
      CompactExampleSerializer.INSTANCE.serialize(e, out);
      boolean fits = java.util.Arrays.stream(rowIds).allMatch(id -> id == (int) id);
      assertEquals(formatOne(e).length - (fits ? 4 * rowIds.length : 0), out.length(),
          java.util.Arrays.toString(rowIds));
      assertEquals(e, roundTrip(CompactExampleSerializer.INSTANCE, e));
    }
  }

  @Test
  void stringsReadAsStringValueReadsThem() throws IOException {
    java.util.SplittableRandom random = new java.util.SplittableRandom(7);
    java.util.List<String> strings = new java.util.ArrayList<>(java.util.Arrays.asList(null, "",
        "ctr", "x-1 \u00fc", "\u4e2d\u6587", "\ud83d\ude00 emoji", "\u007f\u0080\u3fff\u4000\uffff",
        "a".repeat(127), "b".repeat(128), "c".repeat(16_383), "d".repeat(16_384)));
    for (int s = 0; s < 500; s++) {
      char[] chars = new char[random.nextInt(0, 300)];
      for (int i = 0; i < chars.length; i++) {
        int kind = random.nextInt(3);
        chars[i] = (char) (kind == 0 ? random.nextInt(0x80) : kind == 1
            ? random.nextInt(0x80, 0x4000) : random.nextInt(0x4000, 0x10000));
      }
      strings.add(new String(chars));
    }
    for (String s : strings) {
      DataOutputSerializer out = new DataOutputSerializer(16);
      StringValue.writeString(s, out);
      out.writeByte(42);
      byte[] bytes = out.getCopyOfBuffer();
      DataInputDeserializer theirs = new DataInputDeserializer(bytes);
      DataInputDeserializer ours = new DataInputDeserializer(bytes);
      assertEquals(StringValue.readString(theirs), CompactExampleSerializer.readString(ours, null));
      assertEquals(theirs.available(), ours.available());
      DataInputDeserializer again = new DataInputDeserializer(bytes);
      String other = s == null || s.isEmpty() ? "x" : s.substring(1) + "y";
      assertEquals(s, CompactExampleSerializer.readString(again, other));
    }
  }

  @Test
  void theModelKeyOfTheLastRecordIsReusedOnlyWhenEqual() throws IOException {
    DataOutputSerializer out = new DataOutputSerializer(16);
    CompactExample a = new CompactExample("1", "model-a", 0L, new long[] {1}, new float[] {1f},
        new float[0], 1f, 1f);
    CompactExample b = new CompactExample("2", "model-b", 0L, new long[] {1}, new float[] {1f},
        new float[0], 1f, 1f);
    for (CompactExample e : new CompactExample[] {a, a, b, a}) {
      CompactExampleSerializer.INSTANCE.serialize(e, out);
    }
    DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
    CompactExample[] read = new CompactExample[4];
    for (int i = 0; i < 4; i++) {
      read[i] = CompactExampleSerializer.INSTANCE.deserialize(in);
    }
    assertSame(read[0].modelKey, read[1].modelKey);
    assertEquals("model-b", read[2].modelKey);
    assertEquals("model-a", read[3].modelKey);
    assertEquals(a, read[3]);
    assertEquals(b, read[2]);
  }

  /**
   * Threads reading and writing at once each keep their own scratch (the serializer remembers the
   * last reader's and writer's beside the thread): were a thread to use another's, the shared
   * char and byte buffers would mix their records.
   */
  @Test
  void threadsReadingAndWritingAtOnceKeepTheirOwnScratch() throws Exception {
    int records = 20_000;
    java.util.List<java.util.concurrent.Callable<Integer>> tasks = new java.util.ArrayList<>();
    for (int t = 0; t < 3; t++) {
      String key = "model-" + t + "-" + "k".repeat(10 * t);
      tasks.add(() -> {
        int checked = 0;
        for (int i = 0; i < records; i++) {
          long[] ids = new long[1 + i % 40];
          for (int j = 0; j < ids.length; j++) {
            ids[j] = (i % 3 == 0 ? 1L << 40 : 0) + 31L * i + j;
          }
          float[] values = new float[ids.length];
          java.util.Arrays.fill(values, i % 2 == 0 ? 1f : 0.5f);
          CompactExample e = new CompactExample(key + "/" + i, i % 5 == 0 ? "other" : key, i,
              ids, values, new float[0], 1f, 1f);
          assertEquals(e, roundTrip(CompactExampleSerializer.INSTANCE, e));
          checked++;
        }
        return checked;
      });
    }
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(tasks.size());
    try {
      for (java.util.concurrent.Future<Integer> f : pool.invokeAll(tasks)) {
        assertEquals(records, f.get());
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
