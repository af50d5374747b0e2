package io.gradflow.model;

import java.util.Arrays;

/**
 * Merges repeated row ids within one example into one feature whose value is the sum of the
 * repeated values, which is what a repeated id means mathematically ({@code x_i} of one row).
 * {@link Model} requires merged inputs: a factorization machine would otherwise add a spurious
 * {@code <v, v> x_i x_j} term, and an optimizer would step the row twice.
 *
 * <p>The merged features keep the order of first appearance, and values are summed in order of
 * appearance in {@code float}, so the result is a deterministic function of the input. Inputs are
 * never modified.
 *
 * <pre>{@code
 * FeatureMerger merger = new FeatureMerger();         // one per operator instance
 * CompactExample merged = merger.merged(example);   // the same instance if no id repeats
 * int n = merger.merge(ids, values, count, outIds, outValues);   // or into reused buffers
 * }</pre>
 *
 * <p>Cost: O(n) expected per example, with an open-addressing table of ids that is reused (a
 * generation stamp per slot, so nothing is cleared between examples). Memory: a table of
 * {@code 2^ceil(log2(2n))} slots of 12 bytes for the largest {@code n} seen; it grows, never
 * shrinks. No allocation per example once the table is large enough, except the result of
 * {@link #merged} when an example has a repeated id. Not thread-safe (the table is scratch): one
 * per operator instance.
 */
public final class FeatureMerger {
  private long[] keys = new long[128];
  private int[] positions = new int[128];
  private int[] stamps = new int[128];
  private int generation;

  /** How many different row ids {@code ids[0 .. n)} holds: {@code n} when none repeats. */
  public int distinct(long[] ids, int n) {
    prepare(n);
    int m = 0;
    for (int i = 0; i < n; i++) {
      if (findOrInsert(ids[i], m) < 0) {
        m++;
      }
    }
    return m;
  }

  /**
   * Writes the merged features of {@code ids[0 .. n)} and {@code values[0 .. n)} to
   * {@code outIds} and {@code outValues} (each at least {@link #distinct} long, so {@code n} is
   * always enough; they must not be the input arrays) and returns how many there are.
   */
  public int merge(long[] ids, float[] values, int n, long[] outIds, float[] outValues) {
    if (outIds == ids || outValues == values) {
      throw new IllegalArgumentException("merge writes to separate output arrays: the input is"
          + " never modified");
    }
    prepare(n);
    int m = 0;
    for (int i = 0; i < n; i++) {
      int seen = findOrInsert(ids[i], m);
      if (seen >= 0) {
        outValues[seen] += values[i];
      } else {
        outIds[m] = ids[i];
        outValues[m] = values[i];
        m++;
      }
    }
    return m;
  }

  /**
   * The example with repeated row ids merged: {@code example} itself when no id repeats (no
   * allocation), otherwise a new example with new, exactly sized id and value arrays and every
   * other field shared.
   */
  public CompactExample merged(CompactExample example) {
    long[] ids = example.rowIds;
    int n = ids.length;
    int m = distinct(ids, n);
    if (m == n) {
      return example;
    }
    long[] outIds = new long[m];
    float[] outValues = new float[m];
    merge(ids, example.values, n, outIds, outValues);
    return new CompactExample(example.exampleId, example.modelKey, example.eventTime, outIds,
        outValues, example.dense, example.label, example.weight);
  }

  private void prepare(int n) {
    int needed = Integer.highestOneBit(Math.max(2 * n, 2) - 1) << 1;
    if (keys.length < needed) {
      keys = new long[needed];
      positions = new int[needed];
      stamps = new int[needed];
      generation = 0;
    }
    generation++;
    if (generation == 0) { // wrapped after 2^32 examples: stale stamps could collide
      Arrays.fill(stamps, 0);
      generation = 1;
    }
  }

  /**
   * The position recorded for {@code id} in this generation, or -1 after recording
   * {@code position} for it.
   */
  private int findOrInsert(long id, int position) {
    int mask = keys.length - 1;
    int slot = (int) SeededInit.mix64(id) & mask;
    while (stamps[slot] == generation) {
      if (keys[slot] == id) {
        return positions[slot];
      }
      slot = (slot + 1) & mask;
    }
    stamps[slot] = generation;
    keys[slot] = id;
    positions[slot] = position;
    return -1;
  }
}
