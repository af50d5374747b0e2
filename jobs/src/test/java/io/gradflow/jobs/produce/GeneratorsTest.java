package io.gradflow.jobs.produce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.kafka.ExampleDecoder;
import io.gradflow.model.CompactExample;
import io.gradflow.model.Loss;
import io.gradflow.schema.Example;
import io.gradflow.schema.FeatureHashing;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class GeneratorsTest {

  static List<SyntheticGenerator> all(long seed, DriftSpec drift) {
    return List.of(
        new ClickThroughGenerator(ClickThroughGenerator.Spec.defaults(seed).withDrift(drift)),
        new RecommendationGenerator(RecommendationGenerator.Spec.defaults(seed).withDrift(drift)),
        new TabularGenerator(TabularGenerator.Spec.defaults(seed).withDrift(drift)));
  }

  @Test
  void sameSeedSameStreamOtherSeedOtherStream() {
    DriftSpec drift = new DriftSpec(DriftSpec.Kind.GRADUAL, 100, 200, 0, 50, 3);
    for (int g = 0; g < 3; g++) {
      List<Example> a = all(7, drift).get(g).examples(500).toList();
      List<Example> b = all(7, drift).get(g).examples(500).toList();
      List<Example> c = all(8, drift).get(g).examples(500).toList();
      assertEquals(a, b, "generator " + g);
      assertNotEquals(a.subList(0, 10).stream().map(e -> e.getFeatures().toString()
          + e.getEntities()).toList(), c.subList(0, 10).stream().map(e -> e.getFeatures()
          .toString() + e.getEntities()).toList(), "generator " + g);
    }
  }

  @Test
  void everyGeneratedExampleIsValidForItsLoss() throws Exception {
    for (SyntheticGenerator g : all(3, DriftSpec.NONE)) {
      ExampleDecoder decoder = new ExampleDecoder(new FeatureHashing(20), g.labelLoss(), "m");
      for (SyntheticExample s : g.stream(200).toList()) {
        decoder.toCompact(s.example());
      }
    }
    ExampleDecoder real = new ExampleDecoder(new FeatureHashing(20), Loss.SQUARED, "m");
    RecommendationGenerator ratings = new RecommendationGenerator(new RecommendationGenerator.Spec(
        1, 100, 100, 4, 0.8, 1, 1, 0, true, 0.5, null, null, 0, 1));
    for (SyntheticExample s : ratings.stream(200).toList()) {
      float l = real.toCompact(s.example()).label;
      assertTrue(l >= 1 && l <= 5, "rating " + l);
    }
  }

  @Test
  void zipfSkew() {
    Zipf zipf = new Zipf(1000, 1.0);
    SplittableRandom r = new SplittableRandom(1);
    int[] counts = new int[1000];
    int n = 200_000;
    for (int i = 0; i < n; i++) {
      counts[zipf.sample(r)]++;
    }
    // P(0) / P(9) = 10 for exponent 1; counts of about 26k and 2.6k, so +-10% is 4+ sd.
    double ratio = (double) counts[0] / counts[9];
    assertTrue(ratio > 9 && ratio < 11, "ratio " + ratio);
    assertEquals(zipf.probability(0) * n, counts[0], 0.05 * zipf.probability(0) * n);
    // Click-through field values follow it: the most frequent value is far above the median.
    Map<String, Long> freq = new ClickThroughGenerator(ClickThroughGenerator.Spec.defaults(1))
        .examples(20_000).map(e -> e.getFeatures().get(0).getName())
        .collect(Collectors.groupingBy(s -> s, Collectors.counting()));
    long top = freq.values().stream().mapToLong(Long::longValue).max().orElseThrow();
    assertTrue(top > 0.1 * 20_000, "top value count " + top);
  }

  @Test
  void abruptDriftChangesTheConcept() {
    ClickThroughGenerator g = new ClickThroughGenerator(ClickThroughGenerator.Spec.defaults(5)
        .withDrift(new DriftSpec(DriftSpec.Kind.ABRUPT, 1000, 0, 0, 0, 0)));
    List<SyntheticExample> s = g.stream(2000).toList();
    assertTrue(s.subList(0, 1000).stream().allMatch(x -> x.concept() == 0));
    assertTrue(s.subList(1000, 2000).stream().allMatch(x -> x.concept() == 1));
    // The same features have different truths under the two concepts.
    double diff = 0;
    for (SyntheticExample x : s.subList(0, 1000)) {
      long[] ids = x.example().getFeatures().stream().mapToLong(f -> Long.parseLong(f.getName()))
          .toArray();
      diff += Math.abs(g.probability(0, ids) - g.probability(1, ids));
    }
    assertTrue(diff / 1000 > 0.1, "mean |p0 - p1| " + diff / 1000);
    for (int concept = 0; concept < 2; concept++) {
      RecommendationGenerator rec = new RecommendationGenerator(
          RecommendationGenerator.Spec.defaults(5));
      assertNotEquals(rec.score(0, 3, 4), rec.score(1, 3, 4));
      TabularGenerator tab = new TabularGenerator(TabularGenerator.Spec.defaults(5));
      float[] x = {1, 1, 1, 1, 1, 1, 1, 1};
      assertNotEquals(tab.linear(0, x, new long[] {1, 2, 3, 4}),
          tab.linear(1, x, new long[] {1, 2, 3, 4}));
    }
  }

  @Test
  void gradualAndRecurringDrift() {
    DriftSpec gradual = new DriftSpec(DriftSpec.Kind.GRADUAL, 1000, 1000, 0, 0, 0);
    SplittableRandom r = new SplittableRandom(1);
    int early = 0;
    int late = 0;
    for (int t = 1000; t < 1200; t++) {
      early += gradual.concept(t, r);
    }
    for (int t = 1800; t < 2000; t++) {
      late += gradual.concept(t, r);
    }
    assertTrue(early < 40 && late > 160, early + " then " + late);
    assertEquals(0, gradual.concept(999, r));
    assertEquals(1, gradual.concept(2000, r));
    DriftSpec recurring = new DriftSpec(DriftSpec.Kind.RECURRING, 0, 0, 100, 0, 0);
    assertEquals(List.of(0, 0, 1, 1, 0), List.of(recurring.concept(0, r), recurring.concept(99, r),
        recurring.concept(100, r), recurring.concept(199, r), recurring.concept(200, r)));
  }

  @Test
  void newIdsAppearOverTime() {
    DriftSpec d = new DriftSpec(DriftSpec.Kind.NONE, 0, 0, 0, 1000, 5);
    assertEquals(99, d.id(0, 100, 0));
    assertEquals(104, d.id(0, 100, 1000));
    assertEquals(99, d.id(5, 100, 1000), "old ids move down the ranking");
    ClickThroughGenerator g = new ClickThroughGenerator(ClickThroughGenerator.Spec.defaults(2)
        .withDrift(new DriftSpec(DriftSpec.Kind.NONE, 0, 0, 0, 1000, 50)));
    List<Example> s = g.examples(5000).toList();
    Set<String> first = new HashSet<>();
    s.subList(0, 1000).forEach(e -> first.add(e.getFeatures().get(0).getName()));
    long unseen = s.subList(4000, 5000).stream().map(e -> e.getFeatures().get(0).getName())
        .filter(v -> !first.contains(v)).count();
    assertTrue(unseen > 300, "examples with ids unseen in the first epoch: " + unseen);
  }

  /**
   * The click-through truth is learnable: a plain hashed logistic regression (AdaGrad-like SGD,
   * written here as a test oracle) on 60k examples reaches a progressive log loss clearly below
   * the base rate's entropy. This is the property the trainer's end-to-end test relies on.
   */
  @Test
  void clickThroughIsLearnable() throws Exception {
    ClickThroughGenerator g = new ClickThroughGenerator(ClickThroughGenerator.Spec.defaults(11));
    ExampleDecoder decoder = new ExampleDecoder(new FeatureHashing(18), Loss.LOGISTIC,
        "m");
    Map<Long, double[]> w = new HashMap<>(); // weight, squared-gradient sum
    double bias = 0;
    double biasAcc = 0;
    double loss = 0;
    double clicks = 0;
    double truthLoss = 0;
    int n = 60_000;
    int measured = 0;
    for (SyntheticExample s : g.stream(n).toList()) {
      CompactExample c = decoder.toCompact(s.example());
      double z = bias;
      for (long row : c.rowIds) {
        z += w.computeIfAbsent(row, k -> new double[2])[0];
      }
      double p = 1 / (1 + Math.exp(-z));
      double y = c.label;
      if (measured++ >= n / 2) { // second half: progressive loss after warm-up
        loss -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
        truthLoss -= y * Math.log(s.truth()) + (1 - y) * Math.log(1 - s.truth());
        clicks += y;
      }
      double grad = p - y;
      for (long row : c.rowIds) {
        double[] a = w.get(row);
        a[1] += grad * grad;
        a[0] -= 0.1 * grad / Math.sqrt(a[1] + 1e-8);
      }
      biasAcc += grad * grad;
      bias -= 0.1 * grad / Math.sqrt(biasAcc + 1e-8);
    }
    int half = n / 2;
    double rate = clicks / half;
    double baseLoss = -(rate * Math.log(rate) + (1 - rate) * Math.log(1 - rate));
    double learned = loss / half;
    double best = truthLoss / half;
    assertTrue(rate > 0.1 && rate < 0.5, "click rate " + rate);
    assertTrue(learned < 0.9 * baseLoss, "learned " + learned + ", base rate " + baseLoss
        + ", truth " + best);
    assertTrue(best < learned, "the truth is the best possible model");
  }

  /**
   * The tabular truth is the documented formula: with real-valued labels the truth is z itself,
   * and the same seed draws the same columns at every γ, so z(γ = 1) - z(γ = 0) must be the three
   * non-linear terms, written out here: 1.5 sign(x0) sign(x1) + |x2| - sqrt(2/π) + 0.5 v(id0) x3.
   * A second concept flips the XOR. Tolerance 1e-12: the same doubles, summed in another order.
   */
  @Test
  void tabularTruthIsTheDocumentedNonLinearFormula() {
    TabularGenerator.Spec regression = TabularGenerator.Spec.defaults(9).withRegression(true);
    assertEquals(1.0, regression.interactions());
    List<SyntheticExample> nonLinear = new TabularGenerator(regression).stream(2000).toList();
    List<SyntheticExample> linear = new TabularGenerator(regression.withInteractions(0))
        .stream(2000).toList();
    double spread = 0;
    for (int i = 0; i < nonLinear.size(); i++) {
      Example e = nonLinear.get(i).example();
      assertEquals(e.getDense(), linear.get(i).example().getDense());
      float[] x = new float[8];
      for (int j = 0; j < 8; j++) {
        x[j] = e.getDense().get(j);
      }
      long id0 = Long.parseLong(e.getFeatures().get(0).getName().toString());
      double expected = 1.5 * Math.signum(x[0]) * Math.signum(x[1])
          + Math.abs(x[2]) - Math.sqrt(2 / Math.PI)
          + 0.5 * Truth.gaussian(Truth.key(9, 300, 0, id0)) * x[3];
      double got = nonLinear.get(i).truth() - linear.get(i).truth();
      assertEquals(expected, got, 1e-12, "example " + i);
      spread += got * got;
    }
    assertTrue(spread / nonLinear.size() > 2, "mean square of the terms " + spread / 2000);
    TabularGenerator g = new TabularGenerator(regression);
    float[] x = {1, 1, 0, 0, 0, 0, 0, 0};
    long[] ids = {1, 2, 3, 4};
    assertEquals(1.5 - Math.sqrt(2 / Math.PI), g.nonLinear(0, x, ids), 1e-12);
    assertEquals(-1.5 - Math.sqrt(2 / Math.PI), g.nonLinear(1, x, ids), 1e-12);
    assertEquals(0, new TabularGenerator(regression.withInteractions(0)).nonLinear(0, x, ids));
  }

  /**
   * The non-linear truth is out of a linear model's reach, and only for its non-linear terms:
   * an online AdaGrad logistic regression (a test oracle) on the dense columns and one-hot
   * categories comes close to the truth's own log loss when γ = 0 and stays far from it when
   * γ = 1, and the same oracle given the three terms' features (sign(x0) sign(x1), |x2|, and x3
   * per id of c0) comes close again. Progressive loss over the second half of 60k examples.
   */
  @Test
  void tabularNonLinearTruthDefeatsALinearModel() {
    double[] linearTruth = linearOracleRegret(0, false);
    double[] nonLinear = linearOracleRegret(1, false);
    double[] withTerms = linearOracleRegret(1, true);
    String figures = "regret (log loss minus the truth's): linear truth " + linearTruth[0]
        + ", non-linear truth " + nonLinear[0] + ", with the terms' features " + withTerms[0]
        + "; truth's log loss " + linearTruth[1] + ", " + nonLinear[1];
    System.out.println(figures);
    assertTrue(linearTruth[0] < 0.03, figures);
    assertTrue(nonLinear[0] > 0.08, figures);
    assertTrue(withTerms[0] < 0.03, figures);
  }

  /** {regret, truth's log loss} of the oracle on the second half of 60k tabular examples. */
  private static double[] linearOracleRegret(double gamma, boolean termFeatures) {
    TabularGenerator g = new TabularGenerator(TabularGenerator.Spec.defaults(13)
        .withInteractions(gamma));
    Map<String, double[]> w = new HashMap<>(); // weight, squared-gradient sum
    int n = 60_000;
    double loss = 0;
    double truthLoss = 0;
    List<String> names = new java.util.ArrayList<>();
    List<Double> values = new java.util.ArrayList<>();
    for (int t = 0; t < n; t++) {
      SyntheticExample s = g.next();
      Example e = s.example();
      names.clear();
      values.clear();
      names.add("bias");
      values.add(1.0);
      for (int j = 0; j < e.getDense().size(); j++) {
        names.add("x" + j);
        values.add((double) e.getDense().get(j));
      }
      for (var f : e.getFeatures()) {
        names.add(f.getNamespace() + "=" + f.getName());
        values.add(1.0);
      }
      if (termFeatures) {
        List<Float> x = e.getDense();
        names.add("xor");
        values.add((double) (Math.signum(x.get(0)) * Math.signum(x.get(1))));
        names.add("|x2|");
        values.add((double) Math.abs(x.get(2)));
        names.add("x3*c0=" + e.getFeatures().get(0).getName());
        values.add((double) x.get(3));
      }
      double z = 0;
      for (int i = 0; i < names.size(); i++) {
        z += w.computeIfAbsent(names.get(i), k -> new double[2])[0] * values.get(i);
      }
      double p = Math.min(Math.max(1 / (1 + Math.exp(-z)), 1e-12), 1 - 1e-12);
      double y = e.getLabel();
      if (t >= n / 2) {
        loss -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
        truthLoss -= y * Math.log(s.truth()) + (1 - y) * Math.log(1 - s.truth());
      }
      for (int i = 0; i < names.size(); i++) {
        double grad = (p - y) * values.get(i);
        double[] a = w.get(names.get(i));
        a[1] += grad * grad;
        a[0] -= 0.1 * grad / Math.sqrt(a[1] + 1e-8);
      }
    }
    int half = n / 2;
    return new double[] {(loss - truthLoss) / half, truthLoss / half};
  }
}
