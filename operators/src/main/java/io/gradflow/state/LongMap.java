package io.gradflow.state;

/**
 * An open-addressing map from {@code long} to objects with linear probing and backward-shift
 * deletion: lookups on the per-row hot path without boxing. Not thread-safe.
 */
final class LongMap<V> {
  private long[] keys;
  private Object[] values;
  private int mask;
  private int size;

  LongMap() {
    keys = new long[16];
    values = new Object[16];
    mask = 15;
  }

  @SuppressWarnings("unchecked")
  V get(long key) {
    int slot = (int) PageFormat.mix(key) & mask;
    Object v;
    while ((v = values[slot]) != null) {
      if (keys[slot] == key) {
        return (V) v;
      }
      slot = (slot + 1) & mask;
    }
    return null;
  }

  void put(long key, V value) {
    if ((size + 1) * 2 > keys.length) {
      grow();
    }
    int slot = (int) PageFormat.mix(key) & mask;
    while (values[slot] != null) {
      if (keys[slot] == key) {
        values[slot] = value;
        return;
      }
      slot = (slot + 1) & mask;
    }
    keys[slot] = key;
    values[slot] = value;
    size++;
  }

  void remove(long key) {
    int slot = (int) PageFormat.mix(key) & mask;
    while (values[slot] != null) {
      if (keys[slot] == key) {
        values[slot] = null;
        size--;
        // Backward-shift the following entries of the cluster so lookups never stop early.
        int hole = slot;
        int next = (slot + 1) & mask;
        while (values[next] != null) {
          int home = (int) PageFormat.mix(keys[next]) & mask;
          if (((next - home) & mask) >= ((next - hole) & mask)) {
            keys[hole] = keys[next];
            values[hole] = values[next];
            values[next] = null;
            hole = next;
          }
          next = (next + 1) & mask;
        }
        return;
      }
      slot = (slot + 1) & mask;
    }
  }

  int size() {
    return size;
  }

  private void grow() {
    long[] oldKeys = keys;
    Object[] oldValues = values;
    keys = new long[oldKeys.length * 2];
    values = new Object[oldKeys.length * 2];
    mask = keys.length - 1;
    size = 0;
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldValues[i] != null) {
        @SuppressWarnings("unchecked")
        V v = (V) oldValues[i];
        put(oldKeys[i], v);
      }
    }
  }
}
