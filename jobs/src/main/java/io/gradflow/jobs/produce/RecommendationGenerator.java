package io.gradflow.jobs.produce;

import io.gradflow.model.Loss;
import io.gradflow.schema.Entity;
import io.gradflow.schema.Example;
import java.time.Instant;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Recommendation interactions from latent factors: users (activity Zipf-skewed) meet items
 * (popularity Zipf-skewed); each has a bias and a {@code factors}-dimensional latent vector drawn
 * deterministically per id (user vectors also per concept: drift is a change of taste). The score
 * is {@code s = bias + b_u + b_i + <p_u, q_i>} with {@code <p_u, q_i>} of standard deviation about
 * {@code factorScale}. Implicit feedback: label 1 with probability {@code sigmoid(s)}. Ratings:
 * label {@code clamp(3 + s + N(0, noise²), 1, 5)}, truth the noiseless, clamped rating.
 *
 * <p>Each example carries the entities {@code user} and {@code item} only: a matrix factorization
 * (an FM over those two fields) can represent the truth. Not thread-safe.
 */
public final class RecommendationGenerator implements SyntheticGenerator {

  public record Spec(long seed, int users, int items, int factors, double userZipf,
      double itemZipf, double factorScale, double bias, boolean ratings, double noise,
      DriftSpec drift, String modelKey, long startMillis, long intervalMillis) {
    /**
     * Defaults with a fixed start time (2023-11-14T22:13:20Z), so a seed gives the same stream
     * everywhere. Records that old are deleted by a broker with time retention (7 days by
     * default) on its next retention pass: give a current start time when writing to a real
     * broker, as {@code gradflow produce} does.
     */
    public static Spec defaults(long seed) {
      return new Spec(seed, 1000, 2000, 8, 0.8, 1.0, 1.0, -1.0, false, 0.5, DriftSpec.NONE,
          null, 1_700_000_000_000L, 10);
    }

    public Spec {
      if (factors < 1) {
        throw new IllegalArgumentException("factors must be >= 1, but was " + factors);
      }
      if (drift == null) {
        drift = DriftSpec.NONE;
      }
    }

    public Spec withDrift(DriftSpec d) {
      return new Spec(seed, users, items, factors, userZipf, itemZipf, factorScale, bias, ratings,
          noise, d, modelKey, startMillis, intervalMillis);
    }
  }

  private static final int USER = 1;
  private static final int ITEM = 2;
  private final Spec spec;
  private final Zipf users;
  private final Zipf items;
  private final SplittableRandom random;
  private long t;

  public RecommendationGenerator(Spec spec) {
    this.spec = spec;
    this.users = new Zipf(spec.users(), spec.userZipf());
    this.items = new Zipf(spec.items(), spec.itemZipf());
    this.random = new SplittableRandom(spec.seed());
  }

  @Override
  public Loss labelLoss() {
    return spec.ratings() ? Loss.SQUARED : Loss.LOGISTIC;
  }

  /** The true score {@code bias + b_u + b_i + <p_u, q_i>} under {@code concept}. */
  public double score(int concept, long user, long item) {
    double s = spec.bias() + 0.5 * Truth.gaussian(Truth.key(spec.seed(), USER, user, -1))
        + 0.5 * Truth.gaussian(Truth.key(spec.seed(), ITEM, item, -1));
    double perDim = spec.factorScale() / Math.sqrt(spec.factors());
    double dot = 0;
    for (int f = 0; f < spec.factors(); f++) {
      double p = Truth.gaussian(Truth.key(spec.seed(), USER + 16L * concept, user, f));
      double q = Truth.gaussian(Truth.key(spec.seed(), ITEM, item, f));
      dot += p * q;
    }
    return s + perDim * dot;
  }

  @Override
  public SyntheticExample next() {
    long n = t++;
    int concept = spec.drift().concept(n, random);
    long user = spec.drift().id(users.sample(random), users.size(), n);
    long item = spec.drift().id(items.sample(random), items.size(), n);
    double s = score(concept, user, item);
    double truth;
    float label;
    if (spec.ratings()) {
      truth = Math.max(1, Math.min(5, 3 + s));
      label = (float) Math.max(1, Math.min(5, 3 + s + spec.noise() * random.nextGaussian()));
    } else {
      truth = Truth.sigmoid(s);
      label = random.nextDouble() < truth ? 1f : 0f;
    }
    // The all-fields constructor (no features, no dense values, weight 1): the builder
    // deep-copies the schema's defaults at each build.
    Example e = new Example("rec-" + spec.seed() + "-" + n,
        Instant.ofEpochMilli(spec.startMillis() + n * spec.intervalMillis()), spec.modelKey(),
        List.of(new Entity("user", Long.toString(user)), new Entity("item", Long.toString(item))),
        List.of(), List.of(), label, 1f);
    return new SyntheticExample(e, truth, concept);
  }
}
