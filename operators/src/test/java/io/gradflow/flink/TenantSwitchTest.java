package io.gradflow.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gradflow.model.CompactExample;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The trainer holds the model of the last record and decides a key switch by the keys' hashes
 * first ({@code TrainerOperator.Tenant.is}): keys whose Strings hash alike but differ are still
 * different models.
 */
class TenantSwitchTest {
  /** "Aa" and "BB" have the same {@code String.hashCode()}. */
  private static final String[] COLLIDING = {"Aa", "BB"};

  @Test
  void keysWithTheSameHashTrainTheirOwnModels() throws Exception {
    assertEquals(COLLIDING[0].hashCode(), COLLIDING[1].hashCode());
    List<CompactExample> all = new ArrayList<>();
    List<List<CompactExample>> alone = List.of(new ArrayList<>(), new ArrayList<>());
    List<Integer> owner = new ArrayList<>();
    for (CompactExample e : ManyKeysBench.examples(2, 600, 17)) {
      int k = e.modelKey.equals("t0") ? 0 : 1;
      // A fresh String per record, as a deserializer gives them: no identity to go by.
      CompactExample renamed = new CompactExample(e.exampleId, new String(COLLIDING[k]),
          e.eventTime, e.rowIds, e.values, e.dense, e.label, e.weight);
      all.add(renamed);
      alone.get(k).add(renamed);
      owner.add(k);
    }
    double[] together;
    try (var h = ManyKeysBench.harness()) {
      h.open();
      together = ManyKeysBench.run(h, all);
    }
    for (int k = 0; k < 2; k++) {
      double[] expected;
      try (var h = ManyKeysBench.harness()) {
        h.open();
        expected = ManyKeysBench.run(h, alone.get(k));
      }
      List<Double> got = new ArrayList<>();
      for (int i = 0; i < all.size(); i++) {
        if (owner.get(i) == k) {
          got.add(together[i]);
        }
      }
      assertArrayEquals(expected, got.stream().mapToDouble(Double::doubleValue).toArray(),
          "the predictions of " + COLLIDING[k] + " interleaved with a key of the same hash");
    }
  }
}
