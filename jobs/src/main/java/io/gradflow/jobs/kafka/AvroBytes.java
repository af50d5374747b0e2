package io.gradflow.jobs.kafka;

import java.nio.charset.StandardCharsets;

/**
 * Avro's binary encoding written into byte arrays, for the writers that encode records straight
 * from their fields ({@link PredictionWriter}, {@link ExampleWriter}): the single-object header,
 * zig-zag varints, little-endian IEEE floats (raw bits, as Avro writes them) and length-prefixed
 * UTF-8 strings (Java's encoder, as Avro's: an unpaired surrogate becomes {@code ?}). Reference:
 * the Avro specification, "Binary Encoding" and "Single-object encoding".
 *
 * <p>Each method writes at {@code p} of {@code b}, which the caller has made large enough (the
 * bound each method names), and returns the position after what it wrote.
 */
final class AvroBytes {
  /** Bytes of the single-object header: {@code C3 01} and the 8-byte fingerprint. */
  static final int HEADER = 10;
  /** The most bytes a long's varint takes. */
  static final int MAX_VARLONG = 10;

  private AvroBytes() {}

  /** Writes the single-object header of a schema's 64-bit fingerprint at 0 of {@code b}. */
  static void header(byte[] b, long fingerprint) {
    b[0] = (byte) 0xC3;
    b[1] = 0x01;
    for (int i = 0; i < 8; i++) {
      b[2 + i] = (byte) (fingerprint >>> (8 * i));
    }
  }

  /** The most bytes {@link #string} writes for {@code s}: 5 for its length, 3 per char. */
  static int maxString(String s) {
    return 5 + 3 * s.length();
  }

  /** Writes {@code s} as Avro writes a string: its UTF-8 length, then the bytes. */
  static int string(byte[] b, int p, String s) {
    int n = s.length();
    if (n < 64) { // ASCII, the common case, after a one-byte length
      int q = p + 1;
      int i = 0;
      for (; i < n; i++) {
        char c = s.charAt(i);
        if (c >= 0x80) {
          break;
        }
        b[q++] = (byte) c;
      }
      if (i == n) {
        b[p] = (byte) (n << 1);
        return q;
      }
    }
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    p = varLong(b, p, bytes.length);
    System.arraycopy(bytes, 0, b, p, bytes.length);
    return p + bytes.length;
  }

  /** Writes {@code v} zig-zag encoded as a varint (at most {@link #MAX_VARLONG} bytes). */
  static int varLong(byte[] b, int p, long v) {
    long z = (v << 1) ^ (v >> 63);
    while ((z & ~0x7FL) != 0) {
      b[p++] = (byte) ((z & 0x7f) | 0x80);
      z >>>= 7;
    }
    b[p++] = (byte) z;
    return p;
  }

  /** Writes {@code v}'s raw bits, little-endian (4 bytes). */
  static int floatBits(byte[] b, int p, float v) {
    int bits = Float.floatToRawIntBits(v);
    b[p] = (byte) bits;
    b[p + 1] = (byte) (bits >>> 8);
    b[p + 2] = (byte) (bits >>> 16);
    b[p + 3] = (byte) (bits >>> 24);
    return p + 4;
  }

  /** Writes {@code v}'s raw bits, little-endian (8 bytes). */
  static int doubleBits(byte[] b, int p, double v) {
    long bits = Double.doubleToRawLongBits(v);
    for (int i = 0; i < 8; i++) {
      b[p + i] = (byte) (bits >>> (8 * i));
    }
    return p + 8;
  }
}
