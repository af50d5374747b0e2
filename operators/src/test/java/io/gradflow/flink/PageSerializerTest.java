package io.gradflow.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.SplittableRandom;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.array.FloatPrimitiveArraySerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class PageSerializerTest {
  /** Floats of every bit pattern; NaNs only with {@code nans}. */
  static float[] page(int length, long seed, boolean nans) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] page = new float[length];
    for (int i = 0; i < length; i++) {
      float f;
      do {
        f = Float.intBitsToFloat(random.nextInt());
      } while (!nans && Float.isNaN(f));
      page[i] = f;
    }
    return page;
  }

  @Test
  void writesTheBytesOfFlinksFloatArraySerializerAndReadsThemBack() throws IOException {
    for (int length : new int[] {0, 1, 2049, 70_000}) {
      float[] page = page(length, length, false);
      DataOutputSerializer ours = new DataOutputSerializer(64);
      PageSerializer.INSTANCE.serialize(page, ours);
      DataOutputSerializer flinks = new DataOutputSerializer(64);
      FloatPrimitiveArraySerializer.INSTANCE.serialize(page, flinks);
      assertArrayEquals(flinks.getCopyOfBuffer(), ours.getCopyOfBuffer(), "length " + length);
      float[] back = PageSerializer.INSTANCE.deserialize(
          new DataInputDeserializer(flinks.getCopyOfBuffer()));
      for (int i = 0; i < length; i++) {
        assertTrue(Float.floatToRawIntBits(page[i]) == Float.floatToRawIntBits(back[i]),
            "bits of float " + i);
      }
    }
  }

  @Test
  void aNaNKeepsItsBitPatternWhichFlinksSerializerWouldCanonicalize() throws IOException {
    float[] page = page(5000, 11, true);
    DataOutputSerializer out = new DataOutputSerializer(64);
    PageSerializer.INSTANCE.serialize(page, out);
    float[] back = PageSerializer.INSTANCE.deserialize(
        new DataInputDeserializer(out.getCopyOfBuffer()));
    for (int i = 0; i < page.length; i++) {
      assertTrue(Float.floatToRawIntBits(page[i]) == Float.floatToRawIntBits(back[i]),
          "bits of float " + i);
    }
  }

  @Test
  void stateWrittenWithFlinksSerializerRestoresAsIs() throws IOException {
    TypeSerializerSnapshot<float[]> old =
        FloatPrimitiveArraySerializer.INSTANCE.snapshotConfiguration();
    assertTrue(PageSerializer.INSTANCE.snapshotConfiguration().resolveSchemaCompatibility(old)
        .isCompatibleAsIs());
    DataOutputSerializer out = new DataOutputSerializer(16);
    TypeSerializerSnapshot.writeVersionedSnapshot(out,
        PageSerializer.INSTANCE.snapshotConfiguration());
    TypeSerializerSnapshot<float[]> read = TypeSerializerSnapshot.readVersionedSnapshot(
        new DataInputDeserializer(out.getCopyOfBuffer()), getClass().getClassLoader());
    assertSame(PageSerializer.INSTANCE, read.restoreSerializer());
    assertTrue(PageSerializer.INSTANCE.snapshotConfiguration().resolveSchemaCompatibility(read)
        .isCompatibleAsIs());
  }

  @Test
  void aNullPageOrANegativeLengthIsAnError() {
    assertThrows(IllegalArgumentException.class,
        () -> PageSerializer.INSTANCE.serialize(null, new DataOutputSerializer(4)));
    DataOutputSerializer out = new DataOutputSerializer(4);
    try {
      out.writeInt(-3);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    IOException e = assertThrows(IOException.class, () -> PageSerializer.INSTANCE.deserialize(
        new DataInputDeserializer(out.getCopyOfBuffer())));
    assertTrue(e.getMessage().contains("length -3"), e.getMessage());
  }

  /**
   * A page in keyed state is never changed once stored, so the heap backend's copy-on-write
   * shares it instead of cloning every page of the model (PendingSnapshotTest: nothing written
   * after a checkpoint reaches it).
   */
  @Test
  void copySharesThePage() {
    float[] page = page(100, 3, false);
    assertSame(page, PageSerializer.INSTANCE.copy(page));
    assertSame(page, PageSerializer.INSTANCE.copy(page, new float[100]));
  }
}
