package io.gradflow.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.learn.ReferenceLearner;
import io.gradflow.model.CompactExample;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link ManyKeysBench}'s floor: the bare loops ({@link BareModels}, one flat model per tenant)
 * predict what the bare-loop reference predicts, bit for bit, over steady passes of many keys and
 * of one key (so over tables and arenas that grow), and the bench's short check against the
 * trainer agrees; the RESULT fields read as documented.
 */
class BareModelsTest {
  @Test
  void bareModelsPredictAsTheReferenceForManyKeysAndForOne() {
    int keys = 300;
    List<List<CompactExample>> streams = new ArrayList<>();
    for (int s = 0; s < ManyKeysBench.STEADY_STREAMS; s++) {
      streams.add(ManyKeysBench.examples(keys, 3_000, 42 + s));
    }
    for (boolean oneKey : new boolean[] {false, true}) {
      ReferenceLearner reference = new ReferenceLearner(ManyKeysBench.SPEC);
      BareModels bare = new BareModels(ManyKeysBench.SPEC);
      for (int p = 0; p < 5; p++) {
        List<CompactExample> pass = ManyKeysBench.steadyPass(streams, p, oneKey);
        for (int i = 0; i < pass.size(); i++) {
          assertEquals(reference.process(pass.get(i)), bare.process(pass.get(i)),
              (oneKey ? "one key" : keys + " keys") + ", pass " + p + ", example " + i);
        }
      }
      assertEquals(oneKey ? 1 : keys, bare.models());
      long rows = 0;
      for (int k = 0; k < (oneKey ? 1 : keys); k++) {
        rows += reference.rows(oneKey ? "one" : "t" + k).size();
      }
      assertEquals(rows, bare.rows());
      assertTrue(bare.arrayBytes() >= 12 * rows, "arrays hold every row: " + bare.arrayBytes());
    }
  }

  @Test
  void theBenchFindsTheBareLoopsPredictingAsTheTrainer() throws Exception {
    double[] b = ManyKeysBench.bareSteady(200, 2_000, 1, 1);
    assertEquals(1, b[7], "bare loops predicted as the trainer");
    assertTrue(b[6] > 200, "rows of 200 tenants: " + b[6]);
  }

  @Test
  void theFieldsAreTheFiguresOverKeysAndTheTrainersOverTheBareLoops() {
    double[] b = {0.5, 0.6, 0.2, 0.1, 2_000_000, 1_000_000, 960_000, 1};
    double[] s = {0, 0, 1.0, 0.3};
    assertEquals("bare_steady_rate_many_vs_one=0.50 bare_steady_cpu_rate_many_vs_one=0.60"
        + " bare_steady_cpu_us_per_example=0.200 bare_steady_one_key_cpu_us_per_example=0.100"
        + " bare_heap_bytes_per_key=200 bare_array_bytes_per_key=100 bare_rows_per_key=96.0"
        + " steady_cpu_vs_bare_many=5.00 steady_one_key_cpu_vs_bare_one_key=3.00"
        + " bare_matches_trainer=true", ManyKeysBench.bareFields(b, s, 10_000));
  }
}
