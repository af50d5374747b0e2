package io.gradflow.schema;

/**
 * Whether bytes are well-formed UTF-8 in the sense of the Unicode Standard (chapter 3, table 3-7,
 * "Well-Formed UTF-8 Byte Sequences"): no overlong forms, no encoded surrogates (U+D800 to
 * U+DFFF), nothing above U+10FFFF, no truncated sequence. Exactly the bytes that Java's UTF-8
 * decoder turns into a string without replacement characters, and so the bytes for which
 * {@code new String(b, UTF_8).getBytes(UTF_8)} gives {@code b} back: hashing such bytes directly
 * equals hashing the string. Stateless, thread-safe, allocates nothing.
 */
final class Utf8Bytes {
  private Utf8Bytes() {}

  static boolean isWellFormed(byte[] b, int offset, int length) {
    int i = offset;
    int end = offset + length;
    while (i < end) {
      int c = b[i] & 0xff;
      if (c < 0x80) {
        i++;
        continue;
      }
      int n;
      int low = 0x80;
      int high = 0xbf;
      if (c >= 0xc2 && c <= 0xdf) {
        n = 1;
      } else if (c >= 0xe0 && c <= 0xef) {
        n = 2;
        if (c == 0xe0) {
          low = 0xa0; // no overlong 3-byte forms
        } else if (c == 0xed) {
          high = 0x9f; // no surrogates
        }
      } else if (c >= 0xf0 && c <= 0xf4) {
        n = 3;
        if (c == 0xf0) {
          low = 0x90; // no overlong 4-byte forms
        } else if (c == 0xf4) {
          high = 0x8f; // nothing above U+10FFFF
        }
      } else {
        return false; // a continuation byte first, C0, C1 or F5 to FF
      }
      if (end - i <= n) {
        return false;
      }
      int second = b[i + 1] & 0xff;
      if (second < low || second > high) {
        return false;
      }
      for (int k = 2; k <= n; k++) {
        int next = b[i + k] & 0xff;
        if (next < 0x80 || next > 0xbf) {
          return false;
        }
      }
      i += n + 1;
    }
    return true;
  }
}
