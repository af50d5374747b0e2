package io.gradflow.learn;

import io.gradflow.model.CompactExample;
import io.gradflow.model.FeatureMerger;
import io.gradflow.schema.FeatureHashing;
import java.util.HashMap;
import java.util.Map;

/**
 * The bare-loop reference: the same {@link ExampleLearner} arithmetic with every row in its own
 * array in a hash map, no pages, no cache, no Flink. The trainer must end bit-identical to it.
 * Model-step clock only; no standardization.
 */
public final class ReferenceLearner {
  private final ExampleLearner learner;
  private final FeatureMerger merger = new FeatureMerger();
  private final Map<String, Map<Long, float[]>> rows = new HashMap<>();
  private final Map<String, Long> steps = new HashMap<>();

  public ReferenceLearner(LearnerSpec spec) {
    this.learner = new ExampleLearner(spec);
  }

  /** Returns the prediction, learning the example if it has a label and a non-zero weight. */
  public double process(CompactExample example) {
    Map<Long, float[]> model = rows.computeIfAbsent(example.modelKey, k -> new HashMap<>());
    long[] ids = new long[example.rowIds.length];
    float[] values = new float[example.rowIds.length];
    int n = merger.merge(example.rowIds, example.values, ids.length, ids, values);
    float[][] arrays = new float[n][];
    int[] offsets = new int[n];
    for (int i = 0; i < n; i++) {
      arrays[i] = row(model, ids[i]);
    }
    float[] bias = row(model, FeatureHashing.BIAS_ROW);
    double activation = learner.activation(arrays, offsets, values, n, bias, 0);
    if (example.learnable()) {
      long step = steps.getOrDefault(example.modelKey, 0L);
      learner.learn(arrays, offsets, values, n, bias, 0, activation, example.label,
          example.weight, step + 1, learner.learningRate(step));
      steps.put(example.modelKey, step + 1);
    }
    return learner.loss().prediction(activation);
  }

  private float[] row(Map<Long, float[]> model, long id) {
    float[] row = model.get(id);
    if (row == null) {
      row = new float[learner.rowSize()];
      learner.initializeRow(id, row, 0);
      model.put(id, row);
    }
    return row;
  }

  /** The row of a model (weights, slots, step count), or null. */
  public float[] row(String modelKey, long id) {
    Map<Long, float[]> model = rows.get(modelKey);
    return model == null ? null : model.get(id);
  }

  public Map<Long, float[]> rows(String modelKey) {
    return rows.getOrDefault(modelKey, Map.of());
  }
}
