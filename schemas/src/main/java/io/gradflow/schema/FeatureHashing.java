package io.gradflow.schema;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;

/**
 * Feature hashing, in one place, for the producers and the jobs: maps features and entities to
 * 64-bit row ids.
 *
 * <p>The hash is MurmurHash3_x64_128 ({@link MurmurHash3}), first 64 bits, of the UTF-8 bytes of
 * a name (or the 8 little-endian bytes of a pre-hashed index), seeded per namespace with
 * {@link #namespaceSeed}: the low 32 bits of the same hash of the namespace's UTF-8 bytes with seed
 * 0. So {@code (country, DE)} and {@code (language, DE)} are different features, and the same
 * feature hashes to the same row in every process, language and version that follows this
 * definition (Guava: {@code murmur3_128(seed).hashBytes(utf8(name)).asLong() & mask}).
 *
 * <p>The row-id space:
 * <table>
 *   <caption>Row ids</caption>
 *   <tr><td>{@code [0, 2^bits)}</td><td>hashed sparse features ({@link #feature}), bits in
 *       [1, 40]; collisions are possible and accepted, as in any hashing trick</td></tr>
 *   <tr><td>{@code 2^62}</td><td>the bias ({@link #BIAS_ROW})</td></tr>
 *   <tr><td>{@code 2^62 + 1 + j}</td><td>dense feature {@code j} ({@link #denseRow}); consecutive,
 *       so the bias and the dense rows share pages</td></tr>
 *   <tr><td>{@code [2^63, 2^64)} (negative as a Java long)</td><td>entities ({@link #entityRow}):
 *       {@code 1L << 63 | hash >>> 1}, a 63-bit hash seeded by the entity type, never reduced
 *       modulo 2^bits, so a billion ids collide with probability about 5%</td></tr>
 *   <tr><td>anything else</td><td>reserved</td></tr>
 * </table>
 *
 * <p>Memory: a table of {@value #SEED_SLOTS} slots for recently used namespace seeds (an object
 * each), made on first use of a namespace given as a string. Thread-safe: the table's entries are
 * immutable, so threads racing on a slot at worst compute a seed again.
 */
public final class FeatureHashing implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final int MIN_BITS = 1;
  public static final int MAX_BITS = 40;
  /** The default number of bits of the hashed feature space (2^24 = 16.8M rows). */
  public static final int DEFAULT_BITS = 24;
  /** The row id of the bias. */
  public static final long BIAS_ROW = 1L << 62;
  /** The number of dense features addressable by {@link #denseRow}. */
  public static final int MAX_DENSE = Integer.MAX_VALUE;

  /** Slots of the namespace seed table; a power of two. */
  static final int SEED_SLOTS = 256;
  /** Slots a namespace may take, from its home slot on (linear probing); at most SEED_SLOTS. */
  static final int SEED_PROBES = 8;

  private final int bits;
  private final long mask;
  /**
   * Recently used namespaces and their seeds, open-addressed by a mix of {@code String.hashCode}
   * (which a string caches) with up to {@value #SEED_PROBES} probes: a namespace used again (a
   * producer's or a decoder's few namespaces, feature after feature) costs an array load and a
   * comparison, where a {@code ConcurrentHashMap} lookup and an unboxing cost about a fifth of the
   * producer's thread. The mix matters: the raw hash codes of {@code f0..f39} differ only in their
   * low bits and filled a direct-mapped table's slots twice over. A namespace whose probes are all
   * taken replaces the one in its home slot; namespaces that take turns there only compute the
   * seed again.
   */
  private transient NamespaceSeed[] seeds;
  /** Seeds computed for the table (a racy count, for tests: whether the table hits). */
  transient long seedComputations;

  /**
   * @param bits the hashed feature space is {@code [0, 2^bits)}; in [1, 40]
   * @throws IllegalArgumentException naming the value when bits is out of range
   */
  public FeatureHashing(int bits) {
    if (bits < MIN_BITS || bits > MAX_BITS) {
      throw new IllegalArgumentException("bits must be in [" + MIN_BITS + ", " + MAX_BITS
          + "], but was " + bits);
    }
    this.bits = bits;
    this.mask = (1L << bits) - 1;
  }

  public int bits() {
    return bits;
  }

  /** The row of feature {@code name} in {@code namespace}, in {@code [0, 2^bits)}. */
  public long feature(String namespace, String name) {
    byte[] b = name.getBytes(StandardCharsets.UTF_8);
    return MurmurHash3.hash64(b, 0, b.length, seed(namespace)) & mask;
  }

  /**
   * The row of a feature from the UTF-8 bytes a decoder holds, without making strings: equal to
   * {@link #feature(String, String)} of the strings Java decodes those bytes to
   * ({@code new String(bytes, UTF_8)}, malformed sequences replaced by U+FFFD), for any bytes.
   * Well-formed bytes (every valid encoding of a Java string) are hashed as they are; the others
   * take the string round trip, so they hash exactly as before.
   *
   * @param namespace the namespace's bytes {@code [namespaceOffset, namespaceOffset +
   *     namespaceLength)}
   * @param name the name's bytes {@code [nameOffset, nameOffset + nameLength)}
   */
  public long feature(byte[] namespace, int namespaceOffset, int namespaceLength, byte[] name,
      int nameOffset, int nameLength) {
    return feature(namespaceSeed(namespace, namespaceOffset, namespaceLength), name, nameOffset,
        nameLength);
  }

  /**
   * The row of a feature from its namespace's seed ({@link #namespaceSeed(byte[], int, int)}, or
   * a {@link NamespaceSeeds} cache of it) and the UTF-8 bytes of its name
   * {@code [offset, offset + length)}: as {@link #feature(byte[], int, int, byte[], int, int)}.
   */
  public long feature(int namespaceSeed, byte[] name, int offset, int length) {
    if (Utf8Bytes.isWellFormed(name, offset, length)) {
      return MurmurHash3.hash64(name, offset, length, namespaceSeed) & mask;
    }
    byte[] b = new String(name, offset, length, StandardCharsets.UTF_8)
        .getBytes(StandardCharsets.UTF_8);
    return MurmurHash3.hash64(b, 0, b.length, namespaceSeed) & mask;
  }

  /**
   * The row of a pre-hashed (or numeric) feature index in {@code namespace}, in
   * {@code [0, 2^bits)}: the index is hashed again (as 8 little-endian bytes) with the namespace's
   * seed, so indices from different namespaces spread independently.
   */
  public long feature(String namespace, long index) {
    return MurmurHash3.hash64(index, seed(namespace)) & mask;
  }

  /** The row of an entity, in the upper half of the 64-bit space (a negative long). */
  public static long entityRow(String type, String id) {
    byte[] b = id.getBytes(StandardCharsets.UTF_8);
    return Long.MIN_VALUE | (MurmurHash3.hash64(b, 0, b.length, namespaceSeed(type)) >>> 1);
  }

  /**
   * The row of an entity from the UTF-8 bytes of its type and id: equal to
   * {@link #entityRow(String, String)} of the strings Java decodes them to, for any bytes.
   */
  public static long entityRow(byte[] type, int typeOffset, int typeLength, byte[] id,
      int idOffset, int idLength) {
    int seed = namespaceSeed(type, typeOffset, typeLength);
    byte[] b = id;
    int offset = idOffset;
    int length = idLength;
    if (!Utf8Bytes.isWellFormed(id, idOffset, idLength)) {
      b = new String(id, idOffset, idLength, StandardCharsets.UTF_8)
          .getBytes(StandardCharsets.UTF_8);
      offset = 0;
      length = b.length;
    }
    return Long.MIN_VALUE | (MurmurHash3.hash64(b, offset, length, seed) >>> 1);
  }

  /** The row of dense feature {@code j} (0-based): {@code 2^62 + 1 + j}. */
  public static long denseRow(int j) {
    if (j < 0) {
      throw new IllegalArgumentException("dense feature index must be >= 0, but was " + j);
    }
    return BIAS_ROW + 1 + j;
  }

  /** Whether a row id is an entity row. */
  public static boolean isEntityRow(long row) {
    return row < 0;
  }

  /** Whether a row id is the bias or a dense feature's row. */
  public static boolean isBiasOrDenseRow(long row) {
    return row >= BIAS_ROW && row <= BIAS_ROW + 1L + MAX_DENSE;
  }

  /** The seed of a namespace: low 32 bits of MurmurHash3_x64_128(utf8(namespace), seed 0). */
  public static int namespaceSeed(String namespace) {
    byte[] b = namespace.getBytes(StandardCharsets.UTF_8);
    return (int) MurmurHash3.hash64(b, 0, b.length, 0);
  }

  /**
   * The seed of a namespace from its UTF-8 bytes {@code [offset, offset + length)}: equal to
   * {@link #namespaceSeed(String)} of the string Java decodes them to, for any bytes.
   */
  public static int namespaceSeed(byte[] namespace, int offset, int length) {
    return Utf8Bytes.isWellFormed(namespace, offset, length)
        ? (int) MurmurHash3.hash64(namespace, offset, length, 0)
        : namespaceSeed(new String(namespace, offset, length, StandardCharsets.UTF_8));
  }

  private int seed(String namespace) {
    NamespaceSeed[] table = seeds;
    if (table == null) {
      table = new NamespaceSeed[SEED_SLOTS];
      seeds = table;
    }
    int h = namespace.hashCode();
    int home = mix(h) & (SEED_SLOTS - 1);
    int free = -1;
    for (int i = 0; i < SEED_PROBES; i++) {
      int slot = (home + i) & (SEED_SLOTS - 1);
      NamespaceSeed s = table[slot];
      if (s == null) {
        free = slot;
        break; // entries are never removed, so the namespace is not further on
      }
      if (s.hash == h && (s.namespace == namespace || s.namespace.equals(namespace))) {
        return s.seed;
      }
    }
    int seed = namespaceSeed(namespace);
    seedComputations++;
    table[free >= 0 ? free : home] = new NamespaceSeed(namespace, h, seed);
    return seed;
  }

  /** Spreads a string's hash code over the low bits (MurmurHash3's 32-bit finalizer). */
  private static int mix(int h) {
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    return h ^ (h >>> 16);
  }

  /**
   * A namespace, its hash code and its seed; immutable, so it is safely shared through a racy
   * table slot.
   */
  private record NamespaceSeed(String namespace, int hash, int seed) {}

  @Override
  public boolean equals(Object o) {
    return o instanceof FeatureHashing h && h.bits == bits;
  }

  @Override
  public int hashCode() {
    return bits;
  }

  @Override
  public String toString() {
    return "FeatureHashing{murmur3_x64_128, bits=" + bits + "}";
  }
}
