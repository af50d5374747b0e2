package io.gradflow.state;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gradflow.learn.ExampleLearner;
import io.gradflow.learn.LearnerSpec;
import io.gradflow.model.CompactExample;
import io.gradflow.model.FeatureMerger;
import io.gradflow.schema.FeatureHashing;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The bias row's place held across examples ({@link PagedLearner}): a run of one model's examples
 * finds the bias without a page lookup, and anything that changes the model's pages between two
 * examples makes the next one look it up again. The reference keeps every row in its own array
 * and calls the same {@link ExampleLearner}, so every prediction must be equal bit for bit while
 * the bias's page is evicted and written back between examples of one model, written clean by a
 * flush (a checkpoint), densified (dense features fill the bias's page), spilled out of a small
 * model's page, and while models take turns; scored-only examples are mixed in.
 */
class HeldBiasTest {
  static final LearnerSpec LINEAR = SparsePagesTest.LINEAR;

  /** Rows in a map per model, each row its own array: no pages, no cache, nothing held. */
  static final class Reference {
    final ExampleLearner learner = new ExampleLearner(LINEAR);
    final Map<String, Map<Long, float[]>> models = new HashMap<>();
    final FeatureMerger merger = new FeatureMerger();

    double process(CompactExample e, float[] dense, boolean learn, long step) {
      Map<Long, float[]> rows = models.computeIfAbsent(e.modelKey, k -> new HashMap<>());
      int n = e.rowIds.length + dense.length;
      long[] ids = new long[n];
      float[] values = new float[n];
      int merged = merger.merge(e.rowIds, e.values, e.rowIds.length, ids, values);
      for (int j = 0; j < dense.length; j++) {
        ids[merged + j] = FeatureHashing.denseRow(j);
        values[merged + j] = dense[j];
      }
      n = merged + dense.length;
      float[][] arrays = new float[n][];
      for (int i = 0; i < n; i++) {
        arrays[i] = row(rows, ids[i]);
      }
      float[] bias = row(rows, FeatureHashing.BIAS_ROW);
      int[] offsets = new int[n];
      double a = learner.activation(arrays, offsets, values, n, bias, 0);
      if (learn) {
        learner.learn(arrays, offsets, values, n, bias, 0, a, e.label, e.weight, step, 0.1);
      }
      return a;
    }

    private float[] row(Map<Long, float[]> rows, long id) {
      return rows.computeIfAbsent(id, k -> {
        float[] row = new float[learner.rowSize()];
        learner.initializeRow(k, row, 0);
        return row;
      });
    }
  }

  @ParameterizedTest(name = "capacity {0}, smallAt {1}, {2} dense features")
  @CsvSource({"1, 0, 0", "2, 0, 3", "2, 32, 3", "3, 32, 70", "1000, 32, 70", "2, 0, 70"})
  void everyPredictionEqualsRowsKeptApart(int capacity, int smallAt, int denseFeatures)
      throws Exception {
    MapPageStore store = new MapPageStore();
    ExampleLearner core = new ExampleLearner(LINEAR);
    PageCache cache = new PageCache(store, capacity, core.rowSize(), 2, false,
        PageFormat.DENSE_AT, smallAt);
    PagedLearner paged = new PagedLearner(core, cache, 6);
    Reference reference = new Reference();
    Map<String, Long> steps = new HashMap<>();
    SplittableRandom random = new SplittableRandom(capacity * 31L + smallAt + denseFeatures);
    String model = "m0";
    for (int e = 0; e < 6_000; e++) {
      if (random.nextInt(8) == 0) {
        model = "m" + random.nextInt(3); // runs of one model, then another
      }
      // Few features from a small range at first (small models stay small for a while), then
      // features over many pages, so a small cache evicts the bias's page between examples.
      int features = 1 + random.nextInt(e < 500 ? 2 : 6);
      long range = e < 500 ? 40 : 1L << 16;
      long[] ids = new long[features];
      float[] values = new float[features];
      for (int f = 0; f < features; f++) {
        ids[f] = random.nextLong(range);
        values[f] = (float) random.nextGaussian();
      }
      float[] dense = new float[denseFeatures];
      for (int j = 0; j < denseFeatures; j++) {
        dense[j] = (float) random.nextGaussian();
      }
      CompactExample example = new CompactExample("e" + e, model, e, ids, values, new float[0],
          random.nextBoolean() ? 1f : 0f, 1f);
      boolean learn = random.nextInt(5) != 0;
      long step = learn ? steps.merge(model, 1L, Long::sum) : steps.getOrDefault(model, 0L);
      double expected = reference.process(example, dense, learn, step);
      double actual = paged.process(model, example, dense, learn, step, 0.1);
      assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(actual),
          "example " + e + " of model " + model);
      if (random.nextInt(50) == 0) {
        cache.flush(); // a checkpoint: pages become clean, a later update must dirty them again
      }
    }
  }

  /**
   * The bias is looked for first in a small page's first record, where a model's first example
   * puts it; a page whose first record is another row (here stored so) finds it where it is.
   */
  @Test
  void aBiasThatIsNotTheFirstRecordIsFoundWhereItIs() throws Exception {
    ExampleLearner core = new ExampleLearner(LINEAR);
    int rowSize = core.rowSize();
    double[] activations = new double[2];
    for (int biasFirst = 0; biasFirst < 2; biasFirst++) {
      RowPage page = new RowPage(rowSize, 0, 2);
      long[] order = biasFirst == 1 ? new long[] {FeatureHashing.BIAS_ROW, 5}
          : new long[] {5, FeatureHashing.BIAS_ROW};
      for (long id : order) {
        int at = page.add(id);
        Arrays.fill(page.data(), at, at + rowSize,
            id == FeatureHashing.BIAS_ROW ? 0.5f : 0.25f);
      }
      MapPageStore store = new MapPageStore();
      store.store("m", PageFormat.MODEL_PAGE, page.toStored());
      PagedLearner paged = new PagedLearner(core, new PageCache(store, 4, rowSize, 2, false,
          PageFormat.DENSE_AT, 32), 6);
      CompactExample example = new CompactExample("e", "m", 0, new long[] {5},
          new float[] {1f}, new float[0], 1f, 1f);
      activations[biasFirst] = paged.process("m", example, new float[0], false, 0, 0.1);
    }
    assertEquals(0.75, activations[1], 1e-6);
    assertEquals(Double.doubleToLongBits(activations[1]),
        Double.doubleToLongBits(activations[0]));
  }
}
