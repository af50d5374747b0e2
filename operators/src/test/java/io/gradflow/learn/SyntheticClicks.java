package io.gradflow.learn;

import io.gradflow.model.CompactExample;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A seeded click stream with a known logistic ground truth, for tests: each example draws
 * {@code features} ids from a Zipf-like vocabulary and is labeled 1 with probability
 * sigmoid(sum of the ids' true weights + bias).
 */
public final class SyntheticClicks {
  private SyntheticClicks() {}

  public static List<CompactExample> generate(long seed, int count, int features, int vocabulary,
      String... modelKeys) {
    return generate(seed, count, features, vocabulary, Integer.MAX_VALUE, modelKeys);
  }

  /**
   * The same stream with an abrupt concept change: from example {@code changeAt} on, every true
   * weight has the opposite sign (the bias stays), so what the model learned before now hurts.
   */
  public static List<CompactExample> generate(long seed, int count, int features, int vocabulary,
      int changeAt, String... modelKeys) {
    SplittableRandom random = new SplittableRandom(seed);
    double[] truth = new double[vocabulary];
    SplittableRandom truthRandom = new SplittableRandom(seed ^ 0x5DEECE66DL);
    for (int i = 0; i < vocabulary; i++) {
      truth[i] = truthRandom.nextDouble(-1, 1);
    }
    List<CompactExample> out = new ArrayList<>(count);
    for (int e = 0; e < count; e++) {
      long[] ids = new long[features];
      float[] values = new float[features];
      double z = -1.0;
      for (int f = 0; f < features; f++) {
        // Zipf-like: the inverse of a power law on a uniform draw.
        int id = (int) Math.min(vocabulary - 1, Math.pow(random.nextDouble(), 3) * vocabulary);
        ids[f] = id; // Zipf draws repeat ids within an example: merged by the learner
        values[f] = 1f;
        z += (e < changeAt ? truth[id] : -truth[id]) * 0.5;
      }
      float label = random.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1f : 0f;
      String key = modelKeys.length == 0 ? "m" : modelKeys[e % modelKeys.length];
      out.add(new CompactExample("e" + e, key, 1_000L * e, ids, values, new float[0], label, 1f));
    }
    return out;
  }
}
