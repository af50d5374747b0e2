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
}
