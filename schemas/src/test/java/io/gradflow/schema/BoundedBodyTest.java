package io.gradflow.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * Decoding refuses lengths the record's own bytes cannot hold (issue 9: a 29-byte record that
 * declares 2^31-10 floats threw OutOfMemoryError), for every kind of length, and still reads every
 * honest record.
 */
class BoundedBodyTest {
  static final RecordCodec<Example> CODEC = Codecs.codec(Example.class);

  static byte[] resource(String name) throws IOException {
    try (InputStream in = BoundedBodyTest.class.getResourceAsStream("/cases/" + name)) {
      InputStream s = name.endsWith(".gz") ? new GZIPInputStream(in) : in;
      return s.readAllBytes();
    }
  }

  static String refusal(byte[] bytes) {
    return assertThrows(CodecException.class, () -> CODEC.decode(bytes)).getMessage();
  }

  /** The bytes of a varint-encoded (zig-zag) long, as Avro writes it. */
  static byte[] varLong(long v) {
    long n = (v << 1) ^ (v >> 63);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while ((n & ~0x7FL) != 0) {
      out.write((int) ((n & 0x7f) | 0x80));
      n >>>= 7;
    }
    out.write((int) n);
    return out.toByteArray();
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** The header of an Example record and its id and event time: the start of any body. */
  static byte[] start() {
    byte[] full = CODEC.encode(Example.newBuilder().setExampleId("bomb")
        .setEventTime(Instant.ofEpochMilli(1_700_000_000_000L)).build());
    return Arrays.copyOf(full, 10 + 1 + 4 + 6);
  }

  @Test
  void theArrayLengthBombIsRefusedWithoutAllocating() throws IOException {
    byte[] bomb = resource("kafka-avro-array-length-bomb.bin");
    assertEquals(29, bomb.length);
    assertEquals("corrupt Example body: dense declares 2147483638 items but the record has 0"
        + " bytes left", refusal(bomb));
  }

  @Test
  void everyLengthIsBoundedByTheBytesLeft() {
    byte[] none = {0};
    // model_key: the string branch of the union, declaring a 2 GB string.
    assertEquals("corrupt Example body: model_key declares a string of 2000000000 bytes but"
        + " the record has 0 bytes left",
        refusal(concat(start(), varLong(1), varLong(2_000_000_000L))));
    // entities: a billion entities in three bytes.
    assertEquals("corrupt Example body: entities declares 1000000000 items but the record has"
        + " 2 bytes left",
        refusal(concat(start(), none, varLong(1_000_000_000L), new byte[] {0, 0})));
    // a negative block count (with its byte size) is bounded too.
    assertEquals("corrupt Example body: features declares 50000 items but the record has 10"
        + " bytes left",
        refusal(concat(start(), none, none, varLong(-50_000), varLong(10), new byte[10])));
    // 3 floats in 8 bytes: each float needs 4.
    assertEquals("corrupt Example body: dense declares 3 items but the record has 8 bytes left",
        refusal(concat(start(), none, none, none, varLong(3), new byte[8])));
    // a nested string: features[1].namespace.
    byte[] feature = concat(varLong(1), "f".getBytes(), none, none, new byte[4]);
    assertEquals("corrupt Example body: features[1].namespace declares a string of 1000 bytes"
        + " but the record has 10 bytes left",
        refusal(concat(start(), none, none, varLong(2), feature, varLong(1000), new byte[10])));
    assertEquals("corrupt Example body: model_key selects union branch 5 of 2",
        refusal(concat(start(), varLong(5))));
    assertEquals("corrupt Example body: example_id declares a string of negative length -3",
        refusal(concat(Arrays.copyOf(start(), 10), varLong(-3))));
  }

  @Test
  void honestRecordsStillDecode() throws IOException {
    Example big = Example.newBuilder().setExampleId("x").setEventTime(Instant.EPOCH)
        .setDense(java.util.Collections.nCopies(100_000, 0.5f))
        .setFeatures(List.of(new Feature("n", "v".repeat(10_000), null, 1f))).build();
    assertEquals(big, CODEC.decode(CODEC.encode(big)));
    assertEquals(CodecsTest.example(), CODEC.decode(CODEC.encode(CodecsTest.example())));
    // the 600 KB case decodes (its NaN is the decoder's business, not the codec's)
    Example nan = CODEC.decode(resource("kafka-600kb-name-with-nan.bin.gz"));
    assertEquals(600_000, nan.getFeatures().get(0).getName().length());
  }
}
