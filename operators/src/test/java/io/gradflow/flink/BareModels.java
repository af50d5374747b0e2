package io.gradflow.flink;

import io.gradflow.learn.ExampleLearner;
import io.gradflow.learn.LearnerSpec;
import io.gradflow.model.CompactExample;
import io.gradflow.model.FeatureMerger;
import io.gradflow.schema.FeatureHashing;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The floor of many small models without Gradflow and without Flink: one model per model key in a
 * {@code HashMap<String, Model>} (the record's key String hashed and compared per example, as any
 * keyed lookup does), each model one flat {@code float[]} of its rows (the bias row first, then
 * rows in first-touch order, {@link ExampleLearner#rowSize} floats each, grown by doubling) behind
 * an open-addressing table of its hashed row ids (linear probing, at most half full, grown by
 * doubling), and its own model step. The same {@link ExampleLearner} arithmetic as the trainer and
 * {@code ReferenceLearner} (the model-step clock, an example learned only when
 * {@link CompactExample#learnable()}), so its predictions are the trainer's bit for bit; the
 * one-key run is the same loop with one entry in the map. No pages, cache, metrics, keyed state or
 * checkpoints: what is left of a model key's cost is the memory its rows and table take and the
 * lookups that reach them.
 *
 * <p>Memory: per model, its rows' floats (capacity: up to twice the rows), a table of 12 bytes a
 * slot (up to four slots a row) and two objects; {@link #arrayBytes} counts the arrays. Not
 * thread-safe.
 */
final class BareModels {
  private final ExampleLearner learner;
  private final FeatureMerger merger = new FeatureMerger();
  private final int rowSize;
  private final Map<String, Model> models = new HashMap<>();
  private long[] ids = new long[8];
  private float[] values = new float[8];
  private float[][] arrays = new float[8][];
  private int[] offsets = new int[8];

  BareModels(LearnerSpec spec) {
    this.learner = new ExampleLearner(spec);
    this.rowSize = learner.rowSize();
  }

  /** Predicts the example with its model key's model, then learns it; returns the prediction. */
  double process(CompactExample e) {
    Model m = models.get(e.modelKey);
    if (m == null) {
      m = new Model();
      models.put(e.modelKey, m);
    }
    int n = e.rowIds.length;
    if (ids.length < n) {
      int size = Math.max(n, 2 * ids.length);
      ids = new long[size];
      values = new float[size];
      arrays = new float[size][];
      offsets = new int[size];
    }
    n = merger.merge(e.rowIds, e.values, n, ids, values);
    for (int i = 0; i < n; i++) {
      offsets[i] = m.row(ids[i]);
    }
    float[] arena = m.arena; // after every row is placed: placing one may grow the arena
    for (int i = 0; i < n; i++) {
      arrays[i] = arena;
    }
    double a = learner.activation(arrays, offsets, values, n, arena, 0);
    if (e.learnable()) {
      learner.learn(arrays, offsets, values, n, arena, 0, a, e.label, e.weight, m.step + 1,
          learner.learningRate(m.step));
      m.step++;
    }
    return learner.loss().prediction(a);
  }

  /** Models made so far. */
  int models() {
    return models.size();
  }

  /** Rows of every model, the bias rows included. */
  long rows() {
    long rows = 0;
    for (Model m : models.values()) {
      rows += m.used / rowSize;
    }
    return rows;
  }

  /** Bytes of every model's arrays (rows and id table, at their capacity), headers left out. */
  long arrayBytes() {
    long bytes = 0;
    for (Model m : models.values()) {
      bytes += 4L * m.arena.length + 8L * m.keys.length + 4L * m.slots.length;
    }
    return bytes;
  }

  /** One model: its rows in one array, the bias row at offset 0, and its id table. */
  private final class Model {
    private long[] keys = new long[16];
    private int[] slots = new int[16];
    private int size;
    private float[] arena = new float[rowSize * 8];
    private int used = rowSize;
    private long step;

    Model() {
      Arrays.fill(slots, -1);
      learner.initializeRow(FeatureHashing.BIAS_ROW, arena, 0);
    }

    /** The offset of row {@code id} in {@link #arena}, made (initialized) if new. */
    int row(long id) {
      int mask = keys.length - 1;
      int slot = (int) mix(id) & mask;
      while (slots[slot] >= 0) {
        if (keys[slot] == id) {
          return slots[slot];
        }
        slot = (slot + 1) & mask;
      }
      if (used + rowSize > arena.length) {
        arena = Arrays.copyOf(arena, arena.length * 2);
      }
      int offset = used;
      used += rowSize;
      learner.initializeRow(id, arena, offset);
      keys[slot] = id;
      slots[slot] = offset;
      if (++size * 2 > keys.length) {
        grow();
      }
      return offset;
    }

    private void grow() {
      long[] oldKeys = keys;
      int[] oldSlots = slots;
      keys = new long[oldKeys.length * 2];
      slots = new int[oldKeys.length * 2];
      Arrays.fill(slots, -1);
      int mask = keys.length - 1;
      for (int i = 0; i < oldKeys.length; i++) {
        if (oldSlots[i] >= 0) {
          int slot = (int) mix(oldKeys[i]) & mask;
          while (slots[slot] >= 0) {
            slot = (slot + 1) & mask;
          }
          keys[slot] = oldKeys[i];
          slots[slot] = oldSlots[i];
        }
      }
    }
  }

  /** A multiply-xorshift mix of an id, as the trainer bench's bare loop mixes ids. */
  private static long mix(long z) {
    z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
    return z ^ (z >>> 33);
  }
}
