package io.gradflow.schema;

/**
 * The namespace seeds a decoder meets ({@link FeatureHashing#namespaceSeed(byte[], int, int)}),
 * remembered by the position of the feature in its record: records of one stream list their
 * namespaces in the same order (a generator's or a schema's fields), so the namespace at position
 * {@code k} is nearly always the one seen there last, and comparing its few bytes with that one
 * replaces checking them for well-formed UTF-8 and hashing them, feature after feature. A
 * namespace that differs from the one remembered is hashed and remembered instead: any order of
 * namespaces gets its right seed, only more slowly.
 *
 * <p>Memory: up to {@value #POSITIONS} entries of a namespace's bytes and its seed (positions
 * beyond share slots). Thread-safe: entries are immutable (their bytes are a private copy), so
 * threads racing on a slot at worst hash a namespace again.
 */
public final class NamespaceSeeds {
  /** Positions remembered; a power of two. */
  static final int POSITIONS = 64;
  /** Namespaces longer than this are hashed each time: comparing would cost about as much. */
  static final int MAX_REMEMBERED_LENGTH = 64;

  private final Entry[] entries = new Entry[POSITIONS];
  /** Seeds computed (a racy count, for tests: whether the positions hit). */
  long seedComputations;

  /**
   * The seed of the namespace {@code bytes[offset, offset + length)} found at feature position
   * {@code position} (0-based) of a record; equal to
   * {@link FeatureHashing#namespaceSeed(byte[], int, int)} of those bytes.
   */
  public int seed(int position, byte[] bytes, int offset, int length) {
    int slot = position & (POSITIONS - 1);
    Entry e = entries[slot];
    if (e != null && e.matches(bytes, offset, length)) {
      return e.seed;
    }
    int seed = FeatureHashing.namespaceSeed(bytes, offset, length);
    seedComputations++;
    if (length <= MAX_REMEMBERED_LENGTH) {
      byte[] copy = new byte[length];
      System.arraycopy(bytes, offset, copy, 0, length);
      entries[slot] = new Entry(copy, seed);
    }
    return seed;
  }

  /** A namespace's bytes (never written after construction) and its seed. */
  private static final class Entry {
    final byte[] namespace;
    final int seed;

    Entry(byte[] namespace, int seed) {
      this.namespace = namespace;
      this.seed = seed;
    }

    boolean matches(byte[] b, int offset, int length) {
      byte[] n = namespace;
      if (n.length != length) {
        return false;
      }
      // A plain loop: namespaces are a few bytes, below what Arrays.equals's setup pays off for.
      for (int i = 0; i < length; i++) {
        if (n[i] != b[offset + i]) {
          return false;
        }
      }
      return true;
    }
  }
}
