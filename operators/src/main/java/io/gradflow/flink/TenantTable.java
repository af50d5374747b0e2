package io.gradflow.flink;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Predicate;

/**
 * Entries by String key in a chained hash table whose entries are the callers' own objects
 * ({@link Entry}: the key's spread hash and the next entry of the bucket), so a lookup reads the
 * bucket and then the entry it returns, with no map node between: one dependent load fewer than
 * {@link java.util.HashMap} (whose node the entry would hang from) and about 24 bytes less per
 * entry. The trainer keeps its models in memory in one ({@code TrainerOperator}'s tenants): a key
 * switch among thousands of models reads the new model's entry from memory anyway.
 *
 * <p><b>Order.</b> It iterates in {@link java.util.HashMap}'s order for the same operations: the
 * same spreading of the hash ({@code h ^ (h >>> 16)}), capacities (16, doubled when the size
 * passes three quarters) and resizes (also when a bucket reaches 9 entries in a table of fewer
 * than 64 buckets), the same split of a bucket in two on a resize (each half in its order), new
 * keys at a bucket's tail, removals that keep the others' order. One difference: where a
 * {@code HashMap} turns a bucket of more than 8 entries into a tree (64 buckets or more; its order
 * then follows the tree), this table keeps the chain in insertion order. The order is the same
 * for the same operations either way, so runs and restores stay deterministic; it differs from a
 * {@code HashMap}'s only for 9 or more keys whose spread hashes agree in all the table's bits.
 *
 * <p>Keys are compared by hash, then identity, then {@link String#equals}. At most one entry per
 * key: {@link #add} is for keys not in the table. Not thread-safe.
 *
 * @param <T> the entries
 */
final class TenantTable<T extends TenantTable.Entry<T>> implements Iterable<T> {
  /** An entry of the table: its key's spread hash and the next entry of its bucket. */
  abstract static class Entry<T extends Entry<T>> {
    final int hash;
    T next;

    /** @param key the entry's key, as {@link #key()} will return it */
    Entry(String key) {
      this.hash = spread(key.hashCode());
    }

    /** The entry's key (the same String every call). */
    abstract String key();
  }

  private static final int INITIAL_CAPACITY = 16;
  /** A bucket at which a {@code HashMap} of fewer than {@link #TREE_CAPACITY} buckets resizes. */
  private static final int LONG_BUCKET = 9;
  private static final int TREE_CAPACITY = 64;

  private Entry<?>[] table;
  private int size;
  private int threshold;

  /** {@code HashMap}'s spreading of a hash: the high bits folded into the low ones. */
  static int spread(int h) {
    return h ^ (h >>> 16);
  }

  /** The entry of {@code key}, or null. */
  @SuppressWarnings("unchecked")
  T get(String key) {
    Entry<?>[] tab = table;
    if (tab == null) {
      return null;
    }
    int h = spread(key.hashCode());
    for (T e = (T) tab[h & (tab.length - 1)]; e != null; e = e.next) {
      if (e.hash == h) {
        String k = e.key();
        if (k == key || k.equals(key)) {
          return e;
        }
      }
    }
    return null;
  }

  /** Adds an entry whose key is not in the table (unchecked: {@link #get} it first). */
  @SuppressWarnings("unchecked")
  void add(T entry) {
    if (table == null) {
      resize();
    }
    entry.next = null;
    int i = entry.hash & (table.length - 1);
    T p = (T) table[i];
    if (p == null) {
      table[i] = entry;
    } else {
      int at = 0; // the tail's place in the bucket, as HashMap.putVal counts it
      while (p.next != null) {
        p = p.next;
        at++;
      }
      p.next = entry;
      if (at >= LONG_BUCKET - 2 && table.length < TREE_CAPACITY) {
        resize(); // HashMap.treeifyBin resizes a small table instead of making a tree
      }
    }
    if (++size > threshold) {
      resize();
    }
  }

  /** Removes the entry of {@code key}; returns it, or null if there was none. */
  @SuppressWarnings("unchecked")
  T remove(String key) {
    Entry<?>[] tab = table;
    if (tab == null) {
      return null;
    }
    int h = spread(key.hashCode());
    int i = h & (tab.length - 1);
    T before = null;
    for (T e = (T) tab[i]; e != null; before = e, e = e.next) {
      if (e.hash == h && (e.key() == key || e.key().equals(key))) {
        unlink(i, before, e);
        return e;
      }
    }
    return null;
  }

  /** Removes the entries {@code drop} accepts, in iteration order; returns whether any. */
  @SuppressWarnings("unchecked")
  boolean removeIf(Predicate<? super T> drop) {
    Entry<?>[] tab = table;
    if (tab == null) {
      return false;
    }
    boolean any = false;
    for (int i = 0; i < tab.length; i++) {
      T before = null;
      T e = (T) tab[i];
      while (e != null) {
        T next = e.next;
        if (drop.test(e)) {
          unlink(i, before, e);
          any = true;
        } else {
          before = e;
        }
        e = next;
      }
    }
    return any;
  }

  private void unlink(int bucket, T before, T e) {
    if (before == null) {
      table[bucket] = e.next;
    } else {
      before.next = e.next;
    }
    e.next = null;
    size--;
  }

  int size() {
    return size;
  }

  /** The entries in iteration order, copied (the table may change while the list is used). */
  List<T> values() {
    List<T> out = new ArrayList<>(size);
    for (T e : this) {
      out.add(e);
    }
    return out;
  }

  /** {@code HashMap.resize}: doubles the table, each bucket split in two in its order. */
  @SuppressWarnings("unchecked")
  private void resize() {
    Entry<?>[] old = table;
    int oldCap = old == null ? 0 : old.length;
    int newCap = oldCap == 0 ? INITIAL_CAPACITY : oldCap << 1;
    threshold = oldCap == 0 ? (int) (INITIAL_CAPACITY * 0.75f) : threshold << 1;
    Entry<?>[] tab = new Entry<?>[newCap];
    for (int j = 0; j < oldCap; j++) {
      T loHead = null;
      T loTail = null;
      T hiHead = null;
      T hiTail = null;
      for (T e = (T) old[j]; e != null; e = e.next) {
        if ((e.hash & oldCap) == 0) {
          if (loTail == null) {
            loHead = e;
          } else {
            loTail.next = e;
          }
          loTail = e;
        } else {
          if (hiTail == null) {
            hiHead = e;
          } else {
            hiTail.next = e;
          }
          hiTail = e;
        }
      }
      if (loTail != null) {
        loTail.next = null;
        tab[j] = loHead;
      }
      if (hiTail != null) {
        hiTail.next = null;
        tab[j + oldCap] = hiHead;
      }
    }
    table = tab;
  }

  /** In bucket order, each bucket in its order; the table must not change meanwhile. */
  @Override
  public Iterator<T> iterator() {
    return new Iterator<>() {
      private int bucket;
      private T next = advance(null);

      @SuppressWarnings("unchecked")
      private T advance(T from) {
        if (from != null && from.next != null) {
          return from.next;
        }
        Entry<?>[] tab = table;
        if (tab == null) {
          return null;
        }
        while (bucket < tab.length) {
          T e = (T) tab[bucket++];
          if (e != null) {
            return e;
          }
        }
        return null;
      }

      @Override
      public boolean hasNext() {
        return next != null;
      }

      @Override
      public T next() {
        T e = next;
        if (e == null) {
          throw new NoSuchElementException();
        }
        next = advance(e);
        return e;
      }
    };
  }
}
