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
 * ({@code c0, c1, ...}) with Zipf-skewed vocabularies. The truth is linear in the numeric columns
 * and additive in the categories, {@code z = bias + Σ_j β_c[j] x_j + Σ_k w_c(k, id_k)} with
 * coefficients drawn deterministically per concept; classification labels are Bernoulli of
 * {@code sigmoid(z)}, regression labels {@code z + N(0, noise²)}. Not thread-safe.
 */
public final class TabularGenerator implements SyntheticGenerator {

  public record Spec(long seed, int numeric, int categorical, int vocabulary,
      double zipfExponent, double weightScale, double bias, boolean regression, double noise,
      DriftSpec drift, String modelKey, long startMillis, long intervalMillis) {
    /**
     * Defaults with a fixed start time (2023-11-14T22:13:20Z), so a seed gives the same stream
     * everywhere. Records that old are deleted by a broker with time retention (7 days by
     * default) on its next retention pass: give a current start time when writing to a real
     * broker, as {@code gradflow produce} does.
     */
    public static Spec defaults(long seed) {
      return new Spec(seed, 8, 4, 100, 1.0, 0.7, -0.5, false, 0.5, DriftSpec.NONE, null,
          1_700_000_000_000L, 10);
    }

    public Spec {
      if (numeric < 0 || categorical < 0 || numeric + categorical == 0) {
        throw new IllegalArgumentException("a table needs at least one numeric or categorical"
            + " column, but had " + numeric + " and " + categorical);
      }
      if (drift == null) {
        drift = DriftSpec.NONE;
      }
    }

    public Spec withDrift(DriftSpec d) {
      return new Spec(seed, numeric, categorical, vocabulary, zipfExponent, weightScale, bias,
          regression, noise, d, modelKey, startMillis, intervalMillis);
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

  /** The true linear predictor under {@code concept}. */
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
    double z = linear(concept, x, ids);
    double truth;
    float label;
    if (spec.regression()) {
      truth = z;
      label = (float) (z + spec.noise() * random.nextGaussian());
    } else {
      truth = Truth.sigmoid(z);
      label = random.nextDouble() < truth ? 1f : 0f;
    }
    Example e = Example.newBuilder()
        .setExampleId("tab-" + spec.seed() + "-" + n)
        .setEventTime(Instant.ofEpochMilli(spec.startMillis() + n * spec.intervalMillis()))
        .setModelKey(spec.modelKey())
        .setFeatures(features)
        .setDense(dense)
        .setLabel(label)
        .build();
    return new SyntheticExample(e, truth, concept);
  }
}
