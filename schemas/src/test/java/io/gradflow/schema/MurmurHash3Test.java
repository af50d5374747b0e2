package io.gradflow.schema;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Reference vectors for MurmurHash3_x64_128: Guava's {@code Murmur3Hash128Test.testKnownValues}
 * (seeds 0-5, tails of 4-9 bytes, a 43-byte input with a full block and an 11-byte tail), which
 * also states the SMHasher output for the fox sentence. Exact equality: the hash is integer
 * arithmetic.
 */
class MurmurHash3Test {

  private static void assertHash(int seed, long h1, long h2, String input) {
    byte[] b = input.getBytes(StandardCharsets.UTF_8);
    assertArrayEquals(new long[] {h1, h2}, MurmurHash3.hash128(b, seed), input);
    assertEquals(h1, MurmurHash3.hash64(b, seed), input);
  }

  @Test
  void guavaKnownValues() {
    assertHash(0, 0x629942693e10f867L, 0x92db0b82baeb5347L, "hell");
    assertHash(1, 0xa78ddff5adae8d10L, 0x128900ef20900135L, "hello");
    assertHash(2, 0x8a486b23f422e826L, 0xf962a2c58947765fL, "hello ");
    assertHash(3, 0x2ea59f466f6bed8cL, 0xc610990acc428a17L, "hello w");
    assertHash(4, 0x79f6305a386c572cL, 0x46305aed3483b94eL, "hello wo");
    assertHash(5, 0xc2219d213ec1f1b5L, 0xa1d8e2e0a52785bdL, "hello wor");
    assertHash(0, 0xe34bbc7bbc071b6cL, 0x7a433ca9c49a9347L,
        "The quick brown fox jumps over the lazy dog");
    assertHash(0, 0x658ca970ff85269aL, 0x43fee3eaa68e5c3eL,
        "The quick brown fox jumps over the lazy cog");
  }

  @Test
  void smhasherFoxDigest() {
    // SMHasher prints the 16 output bytes in memory order: h1 then h2, each little-endian.
    long[] h = MurmurHash3.hash128(
        "The quick brown fox jumps over the lazy dog".getBytes(StandardCharsets.UTF_8), 0);
    ByteBuffer buf = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(h[0])
        .putLong(h[1]);
    StringBuilder hex = new StringBuilder();
    for (byte x : buf.array()) {
      hex.append(String.format("%02x", x));
    }
    assertEquals("6c1b07bc7bbc4be347939ac4a93c437a", hex.toString());
  }

  @Test
  void longOverloadEqualsEightLittleEndianBytes() {
    for (long v : new long[] {0, 1, -1, 42, Long.MIN_VALUE, 0x0123456789abcdefL}) {
      byte[] b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
      for (int seed : new int[] {0, 7, -123456}) {
        assertEquals(MurmurHash3.hash64(b, seed), MurmurHash3.hash64(v, seed));
      }
    }
  }

  @Test
  void everyTailLengthMatchesOffsetVariant() {
    byte[] data = new byte[40];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i * 37 + 11);
    }
    for (int len = 0; len <= 33; len++) {
      byte[] copy = java.util.Arrays.copyOfRange(data, 3, 3 + len);
      assertEquals(MurmurHash3.hash64(copy, 9), MurmurHash3.hash64(data, 3, len, 9), "len " + len);
    }
  }
}
