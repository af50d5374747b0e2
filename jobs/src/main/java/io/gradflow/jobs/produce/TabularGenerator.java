package io.gradflow.jobs.produce;

import io.gradflow.model.Loss;
import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Tabular data: {@code numeric} dense columns, standard normal, and {@code categorical} columns
 * ({@code c0, c1, ...}) with Zipf-skewed vocabularies. The truth is a linear part, linear in the
 * numeric columns and additive in the categories, plus {@code interactions} (γ) times three
 * non-linear terms ({@link #nonLinear}):
 *
 * <pre>
 *   z = bias + Σ_j β_c[j] x_j + Σ_k w_c(k, id_k)
 *         + γ (1.5 s_c sign(x_0) sign(x_1)         XOR of two dense columns      (numeric ≥ 2)
 *              + (|x_2| - sqrt(2/π))              a U-shape, mean 0             (numeric ≥ 3)
 *              + 0.5 v_c(id_0) x_3)               category-by-dense slope       (numeric ≥ 4,
 *                                                                             categorical ≥ 1)
 * </pre>
 *
 * with coefficients β, w, v ~ N(0, 1)-scaled draws per concept c ({@link Truth}, nothing stored)
 * and s_c = +1 for even concepts, -1 for odd ones (a drift flips the XOR). A term whose columns
 * do not exist is left out; γ = 0 is the purely linear truth of earlier releases. The XOR and the
 * U-shape are out of reach of a linear model and, being no pairwise products, of a factorization
 * machine too (an FM fits x_0 x_1, which explains 41% of the XOR's variance: corr² = (2/π)²); an
 * MLP over the dense columns fits them, and a wide-and-deep model also fits the category-by-dense
 * slope and the categories. Classification labels are Bernoulli of {@code sigmoid(z)},
 * regression labels {@code z + N(0, noise²)}. Not thread-safe.
 */
public final class TabularGenerator implements SyntheticGenerator {

  /** γ of {@link Spec#defaults} and of the constructor without it: the non-linear truth. */
  public static final double DEFAULT_INTERACTIONS = 1.0;

  /** E|x| for a standard normal x: the U-shape's offset, so the term has mean 0. */
  private static final double HALF_NORMAL_MEAN = Math.sqrt(2 / Math.PI);

  /**
   * @param interactions γ, the scale of the non-linear terms; 0 for a linear truth
   */
  public record Spec(long seed, int numeric, int categorical, int vocabulary,
      double zipfExponent, double weightScale, double bias, double interactions,
      boolean regression, double noise, DriftSpec drift, String modelKey, long startMillis,
      long intervalMillis) {
    /**
     * Defaults with a fixed start time (2023-11-14T22:13:20Z), so a seed gives the same stream
     * everywhere. Records that old are deleted by a broker with time retention (7 days by
     * default) on its next retention pass: give a current start time when writing to a real
     * broker, as {@code gradflow produce} does.
     */
    public static Spec defaults(long seed) {
      return new Spec(seed, 8, 4, 100, 1.0, 0.7, -0.5, DEFAULT_INTERACTIONS, false, 0.5,
          DriftSpec.NONE, null, 1_700_000_000_000L, 10);
    }

    /** A spec with the default non-linear truth ({@link #DEFAULT_INTERACTIONS}). */
    public Spec(long seed, int numeric, int categorical, int vocabulary, double zipfExponent,
        double weightScale, double bias, boolean regression, double noise, DriftSpec drift,
        String modelKey, long startMillis, long intervalMillis) {
      this(seed, numeric, categorical, vocabulary, zipfExponent, weightScale, bias,
          DEFAULT_INTERACTIONS, regression, noise, drift, modelKey, startMillis, intervalMillis);
    }

    public Spec {
      if (numeric < 0 || categorical < 0 || numeric + categorical == 0) {
        throw new IllegalArgumentException("a table needs at least one numeric or categorical"
            + " column, but had " + numeric + " and " + categorical);
      }
      if (!(interactions >= 0) || Double.isInfinite(interactions)) {
        throw new IllegalArgumentException("interactions must be finite and >= 0, but was "
            + interactions);
      }
      if (drift == null) {
        drift = DriftSpec.NONE;
      }
    }

    public Spec withDrift(DriftSpec d) {
      return new Spec(seed, numeric, categorical, vocabulary, zipfExponent, weightScale, bias,
          interactions, regression, noise, d, modelKey, startMillis, intervalMillis);
    }

    /** The same stream with real-valued labels ({@code true}) or 0/1 labels. */
    public Spec withRegression(boolean realValued) {
      return new Spec(seed, numeric, categorical, vocabulary, zipfExponent, weightScale, bias,
          interactions, realValued, noise, drift, modelKey, startMillis, intervalMillis);
    }

    /** The same stream with γ = {@code gamma} (0: a linear truth). */
    public Spec withInteractions(double gamma) {
      return new Spec(seed, numeric, categorical, vocabulary, zipfExponent, weightScale, bias,
          gamma, regression, noise, drift, modelKey, startMillis, intervalMillis);
    }
  }

  private final Spec spec;
  private final Zipf zipf;
  private final SplittableRandom random;
  private long t;

  public TabularGenerator(Spec spec) {
    this.spec = spec;
    this.zipf = new Zipf(spec.vocabulary(), spec.zipfExponent());
    this.random = new SplittableRandom(spec.seed());
  }

  @Override
  public Loss labelLoss() {
    return spec.regression() ? Loss.SQUARED : Loss.LOGISTIC;
  }

  /** The true predictor under {@code concept}: {@link #linear} plus {@link #nonLinear}. */
  public double score(int concept, float[] x, long[] ids) {
    return linear(concept, x, ids) + nonLinear(concept, x, ids);
  }

  /**
   * The truth's non-linear terms under {@code concept} (see the class comment): 0 when
   * {@code interactions} is 0.
   */
  public double nonLinear(int concept, float[] x, long[] ids) {
    double gamma = spec.interactions();
    if (gamma == 0) {
      return 0;
    }
    double z = 0;
    if (x.length >= 2) {
      double s = concept % 2 == 0 ? 1 : -1;
      z += 1.5 * s * Math.signum(x[0]) * Math.signum(x[1]);
    }
    if (x.length >= 3) {
      z += Math.abs(x[2]) - HALF_NORMAL_MEAN;
    }
    if (x.length >= 4 && ids.length >= 1) {
      z += 0.5 * Truth.gaussian(Truth.key(spec.seed(), 300 + concept, 0, ids[0])) * x[3];
    }
    return gamma * z;
  }

  /** The truth's linear part under {@code concept}. */
  public double linear(int concept, float[] x, long[] ids) {
    double z = spec.bias();
    double scale = spec.weightScale() / Math.sqrt(Math.max(1, x.length));
    for (int j = 0; j < x.length; j++) {
      z += scale * Truth.gaussian(Truth.key(spec.seed(), 100 + concept, -1, j)) * x[j];
    }
    for (int k = 0; k < ids.length; k++) {
      z += spec.weightScale() * Truth.gaussian(Truth.key(spec.seed(), 200 + concept, k, ids[k]));
    }
    return z;
  }

  @Override
  public SyntheticExample next() {
    long n = t++;
    int concept = spec.drift().concept(n, random);
    float[] x = new float[spec.numeric()];
    List<Float> dense = new ArrayList<>(x.length);
    for (int j = 0; j < x.length; j++) {
      x[j] = (float) random.nextGaussian();
      dense.add(x[j]);
    }
    long[] ids = new long[spec.categorical()];
    List<Feature> features = new ArrayList<>(ids.length);
    for (int k = 0; k < ids.length; k++) {
      ids[k] = spec.drift().id(zipf.sample(random), zipf.size(), n);
      features.add(new Feature("c" + k, Long.toString(ids[k]), null, 1f));
    }
    double z = score(concept, x, ids);
    double truth;
    float label;
    if (spec.regression()) {
      truth = z;
      label = (float) (z + spec.noise() * random.nextGaussian());
    } else {
      truth = Truth.sigmoid(z);
      label = random.nextDouble() < truth ? 1f : 0f;
    }
    // The all-fields constructor (no entities, weight 1): the builder deep-copies the schema's
    // defaults at each build.
    Example e = new Example("tab-" + spec.seed() + "-" + n,
        Instant.ofEpochMilli(spec.startMillis() + n * spec.intervalMillis()), spec.modelKey(),
        List.of(), features, dense, label, 1f);
    return new SyntheticExample(e, truth, concept);
  }
}
