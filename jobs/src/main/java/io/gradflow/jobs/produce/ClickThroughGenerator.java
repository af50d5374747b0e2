package io.gradflow.jobs.produce;

import io.gradflow.model.Loss;
import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Sparse click-through data: {@code fields} categorical fields ({@code f0, f1, ...}), each value
 * drawn from a Zipf-like vocabulary of {@code vocabulary} ids with exponent {@code zipfExponent},
 * and a logistic ground truth: {@code P(click) = sigmoid(bias + Σ_f w_c(f, id_f))} where the
 * weights {@code w_c ~ N(0, weightScale²)} are drawn deterministically per (concept, field, id).
 * A hashed logistic regression can represent this truth exactly, so its log loss approaches the
 * truth's (reported as {@link SyntheticExample#truth()}) and stays clearly below the base rate's.
 *
 * <p>Drift ({@link DriftSpec}) switches between concepts with independent weights and brings new
 * ids. Memory: the Zipf tables (8 bytes per vocabulary entry). Not thread-safe.
 */
public final class ClickThroughGenerator implements SyntheticGenerator {

  /**
   * @param fields categorical fields per example
   * @param vocabulary ids per field
   * @param zipfExponent popularity skew (0 = uniform; about 1 for real categorical data)
   * @param weightScale standard deviation of a true weight
   * @param bias the true bias (logit of the base click rate without features)
   */
  public record Spec(long seed, int fields, int vocabulary, double zipfExponent,
      double weightScale, double bias, DriftSpec drift, String modelKey, long startMillis,
      long intervalMillis) {
    /**
     * Defaults with a fixed start time (2023-11-14T22:13:20Z), so a seed gives the same stream
     * everywhere. Records that old are deleted by a broker with time retention (7 days by
     * default) on its next retention pass: give a current start time when writing to a real
     * broker, as {@code gradflow produce} does.
     */
    public static Spec defaults(long seed) {
      return new Spec(seed, 10, 1000, 1.05, 0.6, -1.4, DriftSpec.NONE, null,
          1_700_000_000_000L, 10);
    }

    public Spec {
      if (fields < 1) {
        throw new IllegalArgumentException("fields must be >= 1, but was " + fields);
      }
      if (drift == null) {
        drift = DriftSpec.NONE;
      }
    }

    public Spec withDrift(DriftSpec d) {
      return new Spec(seed, fields, vocabulary, zipfExponent, weightScale, bias, d, modelKey,
          startMillis, intervalMillis);
    }
  }

  private final Spec spec;
  private final Zipf zipf;
  private final SplittableRandom random;
  private final String[] namespaces;
  /** Decimal names of the vocabulary's ids, made on first use (at most 1M). */
  private final String[] names;
  private long t;

  public ClickThroughGenerator(Spec spec) {
    this.spec = spec;
    this.zipf = new Zipf(spec.vocabulary(), spec.zipfExponent());
    this.random = new SplittableRandom(spec.seed());
    this.namespaces = new String[spec.fields()];
    this.names = new String[Math.min(spec.vocabulary(), 1 << 20)];
    for (int f = 0; f < namespaces.length; f++) {
      namespaces[f] = "f" + f;
    }
  }

  @Override
  public Loss labelLoss() {
    return Loss.LOGISTIC;
  }

  /** The true weight of id {@code id} of field {@code field} under {@code concept}. */
  public double weight(int concept, int field, long id) {
    return spec.weightScale() * Truth.gaussian(Truth.key(spec.seed(), concept, field, id));
  }

  /** The true click probability of one id per field under {@code concept}. */
  public double probability(int concept, long[] ids) {
    double logit = spec.bias();
    for (int f = 0; f < ids.length; f++) {
      logit += weight(concept, f, ids[f]);
    }
    return Truth.sigmoid(logit);
  }

  /** The name of an id: the decimal string, shared for ids of the vocabulary. */
  private String name(long id) {
    if (id < 0 || id >= names.length) {
      return Long.toString(id);
    }
    String name = names[(int) id];
    if (name == null) {
      name = Long.toString(id);
      names[(int) id] = name;
    }
    return name;
  }

  @Override
  public SyntheticExample next() {
    long n = t++;
    int concept = spec.drift().concept(n, random);
    long[] ids = new long[spec.fields()];
    List<Feature> features = new ArrayList<>(spec.fields());
    for (int f = 0; f < ids.length; f++) {
      ids[f] = spec.drift().id(zipf.sample(random), zipf.size(), n);
      features.add(new Feature(namespaces[f], name(ids[f]), null, 1f));
    }
    double p = probability(concept, ids);
    float label = random.nextDouble() < p ? 1f : 0f;
    // The all-fields constructor, not the builder: the builder deep-copies every default it fills
    // in, which cost the producer more than Avro's encoding. Defaults: no entities, no dense
    // values, weight 1.
    Example e = new Example("ctr-" + spec.seed() + "-" + n,
        Instant.ofEpochMilli(spec.startMillis() + n * spec.intervalMillis()), spec.modelKey(),
        List.of(), features, List.of(), label, 1f);
    return new SyntheticExample(e, p, concept);
  }
}
