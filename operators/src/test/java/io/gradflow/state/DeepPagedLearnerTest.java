package io.gradflow.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.learn.ExampleLearner;
import io.gradflow.learn.LearnerSpec;
import io.gradflow.model.CompactExample;
import io.gradflow.model.DeepModelSpec;
import io.gradflow.model.DeepModelSpec.Activation;
import io.gradflow.model.DeepModelSpec.Pooling;
import io.gradflow.model.Loss;
import io.gradflow.model.ModelSpec;
import io.gradflow.optim.AdamSpec;
import io.gradflow.optim.GradientSpec;
import io.gradflow.schedule.ScheduleClock;
import io.gradflow.schedule.ScheduleSpec;
import io.gradflow.schema.FeatureHashing;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The mlp and wide_and_deep models behind the page cache (batch size 1): bit for bit the core
 * learner over plain arrays, which gets the dense features as the MLP's inputs and no dense-feature
 * rows; an mlp creates no feature row; the dense blocks are stored under {@link PageFormat#DENSE_PAGE} at a flush and a
 * learner restored from the store continues exactly like the one that was not interrupted, with a
 * cache small enough to evict.
 */
class DeepPagedLearnerTest {
  private static final String KEY = "m";

  static Stream<ModelSpec> models() {
    return Stream.of(
        new DeepModelSpec(false, List.of(6, 3), Activation.RELU, 4, 0, 0.1, Pooling.SUM, 1, 7),
        new DeepModelSpec(true, List.of(5), Activation.TANH, 4, 3, 0.2, Pooling.MEAN, 1, 8));
  }

  static LearnerSpec spec(ModelSpec model) {
    return new LearnerSpec(model, Loss.LOGISTIC, AdamSpec.of(0.02), GradientSpec.NONE,
        new ScheduleSpec.Constant(), ScheduleClock.MODEL_STEP, false);
  }

  static List<CompactExample> stream(int count, long seed) {
    Random random = new Random(seed);
    List<CompactExample> out = new ArrayList<>();
    for (int e = 0; e < count; e++) {
      int n = 1 + random.nextInt(3);
      long[] ids = new long[n];
      float[] values = new float[n];
      for (int i = 0; i < n; i++) {
        ids[i] = 1000L * i + random.nextInt(40) * 37L; // distinct within an example
        values[i] = 1f;
      }
      float[] dense = new float[4];
      for (int j = 0; j < 4; j++) {
        dense[j] = (float) random.nextGaussian();
      }
      out.add(new CompactExample("e" + e, KEY, e, ids, values, dense,
          random.nextBoolean() ? 1f : 0f, 1f));
    }
    return out;
  }

  /** A learner over a store with a cache of {@code pages} pages. */
  static PagedLearner paged(ModelSpec model, MapPageStore store, int pages) {
    ExampleLearner core = new ExampleLearner(spec(model));
    // As the trainer makes it: a model with dense blocks weighs a page more for them.
    return new PagedLearner(core, new PageCache(store, pages, core.rowSize(), 16, false,
        PageFormat.DENSE_AT, 0, core.model().denseInputs() >= 0), 6);
  }

  static float[][] dense(PagedLearner learner) throws Exception {
    PageCache cache = learner.cache();
    return cache.dense(cache.pagesOf(KEY), KEY, learner.learner()::newDenseBlocks);
  }

  @ParameterizedTest
  @MethodSource("models")
  void behindTheCacheItIsTheCoreLearnerBitForBit(ModelSpec model) throws Exception {
    PagedLearner paged = paged(model, new MapPageStore(), 2);
    ExampleLearner core = new ExampleLearner(spec(model));
    boolean sparse = core.model().readsSparseFeatures();
    Map<Long, float[]> rows = new HashMap<>();
    float[][] blocks = core.newDenseBlocks();
    long step = 0;
    for (CompactExample e : stream(120, 1)) {
      step++;
      double lr = core.learningRate(step);
      double actual = paged.process(KEY, e, e.dense, true, step, lr);
      int n = sparse ? e.rowIds.length : 0;
      float[][] pages = new float[n][];
      for (int i = 0; i < n; i++) {
        pages[i] = rows.computeIfAbsent(e.rowIds[i], id -> row(core, id));
      }
      float[] bias = rows.computeIfAbsent(FeatureHashing.BIAS_ROW, id -> row(core, id));
      double expected = core.activation(pages, new int[n], e.values, n, bias, 0, e.dense,
          blocks);
      core.learn(pages, new int[n], e.values, n, bias, 0, e.dense, blocks, expected, e.label,
          e.weight, step, lr);
      assertEquals(expected, actual, 0.0, "example " + e.exampleId);
    }
    float[][] stored = dense(paged);
    for (int b = 0; b < blocks.length; b++) {
      assertArrayEquals(blocks[b], stored[b], "dense block " + b);
    }
    for (Map.Entry<Long, float[]> row : rows.entrySet()) {
      RowPage page = paged.existingPage(KEY, row.getKey());
      int at = page.find(row.getKey());
      float[] actual = java.util.Arrays.copyOfRange(page.data(), at, at + core.rowSize());
      assertArrayEquals(row.getValue(), actual, "row " + row.getKey());
    }
    if (!sparse) {
      assertNull(paged.existingPage(KEY, 37), "an mlp makes no feature row");
    }
  }

  private static float[] row(ExampleLearner core, long id) {
    float[] row = new float[core.rowSize()];
    core.initializeRow(id, row, 0);
    return row;
  }

  @ParameterizedTest
  @MethodSource("models")
  void flushedAndRestoredItContinuesExactly(ModelSpec model) throws Exception {
    List<CompactExample> stream = stream(100, 2);
    PagedLearner whole = paged(model, new MapPageStore(), 2);
    MapPageStore store = new MapPageStore();
    PagedLearner first = paged(model, store, 2);
    List<Double> expected = new ArrayList<>();
    List<Double> actual = new ArrayList<>();
    for (int t = 0; t < 100; t++) {
      expected.add(whole.process(KEY, stream.get(t), stream.get(t).dense, true, t + 1, 0.02));
    }
    for (int t = 0; t < 50; t++) {
      actual.add(first.process(KEY, stream.get(t), stream.get(t).dense, true, t + 1, 0.02));
    }
    first.cache().flush();
    assertNotNull(store.load(KEY, PageFormat.DENSE_PAGE), "the dense blocks are stored");
    PagedLearner restored = paged(model, store, 2);
    for (int t = 50; t < 100; t++) {
      actual.add(restored.process(KEY, stream.get(t), stream.get(t).dense, true, t + 1, 0.02));
    }
    assertEquals(expected, actual);
    float[][] a = dense(whole);
    float[][] b = dense(restored);
    for (int i = 0; i < a.length; i++) {
      assertArrayEquals(a[i], b[i]);
    }
  }

  /**
   * Two models taking turns in a cache of one page: each turn evicts the other model whole (its
   * pages, book and dense blocks leave memory), and it comes back from the store exactly as a
   * model that never left: dense blocks are written back when a model leaves the cache.
   */
  @ParameterizedTest
  @MethodSource("models")
  void modelsLeavingTheCacheKeepTheirDenseBlocks(ModelSpec model) throws Exception {
    MapPageStore store = new MapPageStore();
    PagedLearner shared = paged(model, store, 1);
    Map<String, PagedLearner> alone = Map.of("a", paged(model, new MapPageStore(), 64),
        "b", paged(model, new MapPageStore(), 64));
    Map<String, Long> steps = new HashMap<>();
    List<CompactExample> stream = stream(160, 4);
    int evictions = 0;
    for (int t = 0; t < stream.size(); t++) {
      String key = (t / 20) % 2 == 0 ? "a" : "b";
      CompactExample e = stream.get(t);
      long step = steps.merge(key, 1L, Long::sum);
      double expected = alone.get(key).process(key, e, e.dense, true, step, 0.02);
      double actual = shared.process(key, e, e.dense, true, step, 0.02);
      assertEquals(expected, actual, 0.0, "example " + t + " of model " + key);
      String other = key.equals("a") ? "b" : "a";
      evictions += steps.containsKey(other) && shared.cache().pagesIfHeld(other) == null ? 1 : 0;
    }
    assertTrue(evictions > 0, "the models evicted each other");
  }

  @ParameterizedTest
  @MethodSource("models")
  void anExampleWithAnotherNumberOfDenseFeaturesIsRefusedBeforeAnythingChanges(ModelSpec model)
      throws Exception {
    MapPageStore store = new MapPageStore();
    PagedLearner paged = paged(model, store, 2);
    CompactExample e = stream(1, 3).get(0);
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> paged.process(KEY, e, new float[3], true, 1, 0.02));
    assertEquals("the model reads 4 dense features (model.inputs), but example e0 has 3",
        refused.getMessage());
    paged.cache().flush();
    assertEquals(0, store.pages.size(), "nothing was written");
  }
}
