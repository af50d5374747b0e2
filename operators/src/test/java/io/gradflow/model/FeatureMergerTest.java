package io.gradflow.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Repeated row ids become one feature with the summed value, in order of first appearance. */
class FeatureMergerTest {
  private static CompactExample example(long[] ids, float[] values) {
    return new CompactExample("e1", "m", 5L, ids, values, new float[] {1f, 2f}, 1f, 0.5f);
  }

  @Test
  void mergesRepeatedIdsKeepingFirstAppearanceOrder() {
    long[] ids = {7, 3, 7, 9, 3, 7};
    float[] values = {1f, 2f, 0.5f, 4f, -2f, 0.25f};
    long[] idsBefore = ids.clone();
    float[] valuesBefore = values.clone();
    FeatureMerger merger = new FeatureMerger();
    assertEquals(3, merger.distinct(ids, ids.length));
    long[] outIds = new long[ids.length];
    float[] outValues = new float[ids.length];
    int m = merger.merge(ids, values, ids.length, outIds, outValues);
    assertEquals(3, m);
    assertArrayEquals(new long[] {7, 3, 9}, Arrays.copyOf(outIds, m));
    assertArrayEquals(new float[] {1.75f, 0f, 4f}, Arrays.copyOf(outValues, m));
    assertArrayEquals(idsBefore, ids);
    assertArrayEquals(valuesBefore, values);

    CompactExample e = example(ids, values);
    CompactExample merged = merger.merged(e);
    assertArrayEquals(new long[] {7, 3, 9}, merged.rowIds);
    assertArrayEquals(new float[] {1.75f, 0f, 4f}, merged.values);
    assertSame(e.dense, merged.dense);
    assertEquals(e.exampleId, merged.exampleId);
    assertEquals(e.label, merged.label);
    assertEquals(e.weight, merged.weight);
    assertEquals(e.eventTime, merged.eventTime);
    assertArrayEquals(idsBefore, e.rowIds);
  }

  @Test
  void anExampleWithoutRepeatsIsReturnedAsIs() {
    CompactExample e = example(new long[] {1, 2, 3}, new float[] {1f, 1f, 1f});
    assertSame(e, new FeatureMerger().merged(e));
    CompactExample empty = example(new long[0], new float[0]);
    assertSame(empty, new FeatureMerger().merged(empty));
  }

  @Test
  void agreesWithAMapOnRandomExamplesOfEverySize() {
    FeatureMerger merger = new FeatureMerger(); // reused: stale entries must not leak
    Random random = new Random(3);
    for (int trial = 0; trial < 500; trial++) {
      int n = random.nextInt(trial < 450 ? 60 : 3000);
      long[] ids = new long[n];
      float[] values = new float[n];
      int vocabulary = 1 + random.nextInt(2 * n + 1);
      for (int i = 0; i < n; i++) {
        ids[i] = random.nextInt(vocabulary) * 0x100000000L; // same low bits: probing collides
        values[i] = random.nextInt(9) - 4;
      }
      Map<Long, Float> expected = new LinkedHashMap<>();
      for (int i = 0; i < n; i++) {
        expected.merge(ids[i], values[i], Float::sum);
      }
      long[] outIds = new long[n];
      float[] outValues = new float[n];
      int m = merger.merge(ids, values, n, outIds, outValues);
      assertEquals(expected.size(), m);
      assertEquals(expected.size(), merger.distinct(ids, n));
      int k = 0;
      for (Map.Entry<Long, Float> entry : expected.entrySet()) {
        assertEquals(entry.getKey(), outIds[k]);
        assertEquals(entry.getValue(), outValues[k]);
        k++;
      }
    }
  }

  @Test
  void mergedInputIsWhatAFactorizationMachineNeeds() {
    // Two entries of one row are not the same as one entry with the summed value: the pair term
    // <v, v> x1 x2 appears. After merging, the activation is the summed-value one.
    Model fm = new FactorizationMachineSpec(3, 0.5, 1).create();
    float[] row = new float[4];
    fm.initializeRow(11, row, 0, 1);
    float[] other = new float[4];
    fm.initializeRow(12, other, 0, 1);
    float[] bias = new float[4];
    double[] acc = new double[3];
    double duplicated = fm.forward(new float[][] {row, other, row}, new int[3],
        new float[] {1f, 1f, 2f}, 3, bias, 0, 1, acc);
    FeatureMerger merger = new FeatureMerger();
    long[] ids = {11, 12, 11};
    long[] outIds = new long[3];
    float[] outValues = new float[3];
    int m = merger.merge(ids, new float[] {1f, 1f, 2f}, 3, outIds, outValues);
    double merged = fm.forward(new float[][] {row, other}, new int[2], outValues, m, bias, 0, 1,
        acc);
    double expected = fm.forward(new float[][] {row, other}, new int[2], new float[] {3f, 1f}, 2,
        bias, 0, 1, acc);
    assertEquals(expected, merged, 0.0);
    assertNotEquals(expected, duplicated);
  }

  @Test
  void refusesToMergeInPlace() {
    long[] ids = {1, 1};
    float[] values = {1f, 1f};
    assertThrows(IllegalArgumentException.class,
        () -> new FeatureMerger().merge(ids, values, 2, ids, new float[2]));
  }
}
