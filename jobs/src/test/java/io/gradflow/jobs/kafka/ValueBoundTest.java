package io.gradflow.jobs.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.learn.ExampleLearner;
import io.gradflow.learn.LearnerSpec;
import io.gradflow.model.CompactExample;
import io.gradflow.model.FeatureMerger;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import io.gradflow.schema.FeatureHashing;
import io.gradflow.schema.RecordCodec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Issue 9: one example with a finite feature value of 1e30 destroyed an SGD model for good (log
 * loss from 0.53 to 17 on every later example). With the default {@code input.max_abs_value}
 * (1e6) the example is a dead letter, and the model's later log loss is exactly that of a run
 * without it; with the bound off, the same stream wrecks the model, which is why the bound is on
 * by default.
 */
class ValueBoundTest {
  static final RecordCodec<Example> CODEC = Codecs.codec(Example.class);
  static final int N = 6_000;
  static final int HOSTILE_AT = 1_000;

  /** A seeded logistic stream: 5 of 50 features and a feature every example has. */
  static List<byte[]> stream(boolean withHostile) {
    Random random = new Random(7);
    double[] truth = new double[50];
    for (int j = 0; j < truth.length; j++) {
      truth[j] = random.nextGaussian();
    }
    List<byte[]> out = new ArrayList<>();
    Instant t = Instant.parse("2026-11-30T00:00:00Z");
    for (int i = 0; i < N; i++) {
      List<Feature> features = new ArrayList<>();
      double z = 0.3;
      for (int k = 0; k < 5; k++) {
        int j = random.nextInt(truth.length);
        features.add(new Feature("f", "k" + j, null, 1f));
        z += truth[j];
      }
      float label = random.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1f : 0f;
      features.add(new Feature("c", "always", null, 1f));
      Example e = Example.newBuilder().setExampleId("e" + i).setEventTime(t.plusSeconds(i))
          .setFeatures(features).setLabel(label).build();
      out.add(CODEC.encode(e));
      if (withHostile && i == HOSTILE_AT) {
        List<Feature> hostile = new ArrayList<>(features);
        hostile.set(hostile.size() - 1, new Feature("c", "always", null, 1e30f));
        out.add(CODEC.encode(Example.newBuilder(e).setExampleId("hostile")
            .setFeatures(hostile).build()));
      }
    }
    return out;
  }

  /**
   * Decodes and learns the stream in order (the trainer's arithmetic, rows in a map), counting
   * dead letters; returns the mean log loss of the last half's predictions.
   */
  static double laterLogLoss(List<byte[]> stream, InputLimits limits, int[] deadLetters)
      throws Exception {
    TrainConfig config = TrainConfig.fromYaml("kafka: {bootstrap_servers: localhost:9092}\n"
        + "optimizer: {name: SGD, lr: 0.1}\n");
    LearnerSpec spec = config.candidates().get("");
    ExampleLearner learner = new ExampleLearner(spec);
    ExampleDecoder decoder = new ExampleDecoder(new FeatureHashing(config.hashBits()),
        spec.loss(), "m", limits);
    FeatureMerger merger = new FeatureMerger();
    Map<Long, float[]> rows = new HashMap<>();
    long now = Instant.parse("2026-11-30T12:00:00Z").toEpochMilli();
    long step = 0;
    double sum = 0;
    int counted = 0;
    int seen = 0;
    for (byte[] bytes : stream) {
      CompactExample e;
      try {
        e = decoder.decodeExample(bytes, now);
      } catch (RejectedRecordException r) {
        deadLetters[0]++;
        continue;
      }
      long[] ids = new long[e.rowIds.length];
      float[] values = new float[e.rowIds.length];
      int n = merger.merge(e.rowIds, e.values, ids.length, ids, values);
      float[][] arrays = new float[n][];
      int[] offsets = new int[n];
      for (int i = 0; i < n; i++) {
        arrays[i] = row(learner, rows, ids[i]);
      }
      float[] bias = row(learner, rows, FeatureHashing.BIAS_ROW);
      double activation = learner.activation(arrays, offsets, values, n, bias, 0);
      if (++seen > N / 2) {
        sum += spec.loss().loss(activation, e.label);
        counted++;
      }
      learner.learn(arrays, offsets, values, n, bias, 0, activation, e.label, e.weight,
          step + 1, learner.learningRate(step));
      step++;
    }
    return sum / counted;
  }

  private static float[] row(ExampleLearner learner, Map<Long, float[]> rows, long id) {
    return rows.computeIfAbsent(id, k -> {
      float[] r = new float[learner.rowSize()];
      learner.initializeRow(k, r, 0);
      return r;
    });
  }

  @Test
  void oneHugeValueIsADeadLetterAndLeavesTheModelAsWithoutIt() throws Exception {
    int[] none = new int[1];
    double clean = laterLogLoss(stream(false), InputLimits.DEFAULT, none);
    assertEquals(0, none[0]);
    assertTrue(clean < 0.6, "the stream is learnable: " + clean);

    int[] dead = new int[1];
    double bounded = laterLogLoss(stream(true), InputLimits.DEFAULT, dead);
    assertEquals(1, dead[0], "the 1e30 example is one dead letter");
    assertEquals(clean, bounded, 0.0, "later log loss exactly as without it");

    int[] off = new int[1];
    double unbounded = laterLogLoss(stream(true), new InputLimits(Duration.ofDays(1), 0), off);
    assertEquals(0, off[0]);
    assertTrue(unbounded > 5 * clean, "with input.max_abs_value: 0 the model is wrecked: "
        + unbounded + " against " + clean);
  }

  @Test
  void theBoundIsTheDeclaredDefault() {
    assertEquals(1e6, InputLimits.DEFAULT.maxAbsValue());
    assertEquals(Duration.ofDays(1), InputLimits.DEFAULT.maxEventTimeAhead());
    assertThrows(IllegalArgumentException.class, () -> new InputLimits(Duration.ZERO, -1));
  }
}
