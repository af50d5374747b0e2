package io.gradflow.schema;

/**
 * MurmurHash3, the x64 128-bit variant ({@code MurmurHash3_x64_128} in Austin Appleby's
 * SMHasher, public domain), written from the published algorithm. Same output as the C reference
 * and as Guava's {@code Hashing.murmur3_128(seed)}: {@link #hash64} returns the first 64 bits
 * ({@code h1}, Guava's {@code asLong()}), {@link #hash128} both halves.
 *
 * <p>Only for feature hashing: not a cryptographic hash. Stateless and thread-safe; allocates
 * nothing except the array returned by {@link #hash128}.
 */
public final class MurmurHash3 {
  private static final long C1 = 0x87c37b91114253d5L;
  private static final long C2 = 0x4cf5ad432745937fL;

  private MurmurHash3() {}

  /**
   * The first 64 bits ({@code h1}) of MurmurHash3_x64_128 of {@code data[offset, offset+length)};
   * allocates nothing.
   */
  public static long hash64(byte[] data, int offset, int length, int seed) {
    return hash(data, offset, length, seed, null);
  }

  /** The first 64 bits of MurmurHash3_x64_128 of the whole array. */
  public static long hash64(byte[] data, int seed) {
    return hash64(data, 0, data.length, seed);
  }

  /**
   * The first 64 bits of MurmurHash3_x64_128 of one long written as 8 bytes, little-endian
   * (as the C reference reads memory on x86), without allocating.
   */
  public static long hash64(long value, int seed) {
    long h1 = seed & 0xffffffffL;
    long h2 = h1;
    // 8 bytes: no full 16-byte block, tail of length 8 goes into k1 only.
    long k1 = value;
    k1 *= C1;
    k1 = Long.rotateLeft(k1, 31);
    k1 *= C2;
    h1 ^= k1;
    h1 ^= 8;
    h2 ^= 8;
    h1 += h2;
    h2 += h1;
    return fmix64(h1) + fmix64(h2);
  }

  /** Both 64-bit halves {@code {h1, h2}} of MurmurHash3_x64_128. */
  public static long[] hash128(byte[] data, int seed) {
    long[] h = new long[2];
    hash(data, 0, data.length, seed, h);
    return h;
  }

  /** Returns h1; stores {h1, h2} into {@code out} when it is not null. */
  @SuppressWarnings("fallthrough") // the tail switch falls through, as in the reference
  private static long hash(byte[] data, int offset, int length, int seed, long[] out) {
    long h1 = seed & 0xffffffffL; // the C reference takes a uint32_t seed
    long h2 = h1;
    int blocks = length / 16;
    for (int i = 0; i < blocks; i++) {
      int p = offset + i * 16;
      long k1 = getLong(data, p);
      long k2 = getLong(data, p + 8);
      k1 *= C1;
      k1 = Long.rotateLeft(k1, 31);
      k1 *= C2;
      h1 ^= k1;
      h1 = Long.rotateLeft(h1, 27);
      h1 += h2;
      h1 = h1 * 5 + 0x52dce729;
      k2 *= C2;
      k2 = Long.rotateLeft(k2, 33);
      k2 *= C1;
      h2 ^= k2;
      h2 = Long.rotateLeft(h2, 31);
      h2 += h1;
      h2 = h2 * 5 + 0x38495ab5;
    }
    int tail = offset + blocks * 16;
    long k1 = 0;
    long k2 = 0;
    switch (length & 15) {
      case 15: k2 ^= (long) (data[tail + 14] & 0xff) << 48; // fall through
      case 14: k2 ^= (long) (data[tail + 13] & 0xff) << 40; // fall through
      case 13: k2 ^= (long) (data[tail + 12] & 0xff) << 32; // fall through
      case 12: k2 ^= (long) (data[tail + 11] & 0xff) << 24; // fall through
      case 11: k2 ^= (long) (data[tail + 10] & 0xff) << 16; // fall through
      case 10: k2 ^= (long) (data[tail + 9] & 0xff) << 8; // fall through
      case 9:
        k2 ^= data[tail + 8] & 0xff;
        k2 *= C2;
        k2 = Long.rotateLeft(k2, 33);
        k2 *= C1;
        h2 ^= k2;
        // fall through
      case 8: k1 ^= (long) (data[tail + 7] & 0xff) << 56; // fall through
      case 7: k1 ^= (long) (data[tail + 6] & 0xff) << 48; // fall through
      case 6: k1 ^= (long) (data[tail + 5] & 0xff) << 40; // fall through
      case 5: k1 ^= (long) (data[tail + 4] & 0xff) << 32; // fall through
      case 4: k1 ^= (long) (data[tail + 3] & 0xff) << 24; // fall through
      case 3: k1 ^= (long) (data[tail + 2] & 0xff) << 16; // fall through
      case 2: k1 ^= (long) (data[tail + 1] & 0xff) << 8; // fall through
      case 1:
        k1 ^= data[tail] & 0xff;
        k1 *= C1;
        k1 = Long.rotateLeft(k1, 31);
        k1 *= C2;
        h1 ^= k1;
        break;
      default:
        break;
    }
    h1 ^= length;
    h2 ^= length;
    h1 += h2;
    h2 += h1;
    h1 = fmix64(h1);
    h2 = fmix64(h2);
    h1 += h2;
    h2 += h1;
    if (out != null) {
      out[0] = h1;
      out[1] = h2;
    }
    return h1;
  }

  /** MurmurHash3's 64-bit finalizer: a bijection that mixes every input bit into every output bit. */
  public static long fmix64(long k) {
    k ^= k >>> 33;
    k *= 0xff51afd7ed558ccdL;
    k ^= k >>> 33;
    k *= 0xc4ceb9fe1a85ec53L;
    k ^= k >>> 33;
    return k;
  }

  private static long getLong(byte[] b, int p) {
    return (b[p] & 0xffL) | (b[p + 1] & 0xffL) << 8 | (b[p + 2] & 0xffL) << 16
        | (b[p + 3] & 0xffL) << 24 | (b[p + 4] & 0xffL) << 32 | (b[p + 5] & 0xffL) << 40
        | (b[p + 6] & 0xffL) << 48 | (b[p + 7] & 0xffL) << 56;
  }
}
