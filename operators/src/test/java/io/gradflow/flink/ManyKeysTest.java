package io.gradflow.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.config.TrainSettings;
import io.gradflow.learn.ReferenceLearner;
import io.gradflow.model.CompactExample;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * 10,000 model keys (a tenant per key) on one trainer subtask ({@link ManyKeysBench}'s stream and
 * operator, the declared defaults): every prediction equals the bare-loop reference's while the
 * cache evicts models and their sessions and brings them back; the sessions in memory stay within
 * the cache; every model, evicted or not, gets its last report at end of input; a restore from a
 * checkpoint taken half way continues bit for bit; the checkpoint costs a few kilobytes per key.
 */
class ManyKeysTest {
  static final int KEYS = 10_000;

  @Test
  void tenThousandKeysLearnExactlyWithinTheCacheAndRestoreExactly() throws Exception {
    List<CompactExample> examples = ManyKeysBench.examples(KEYS, 50_000, 7);
    ReferenceLearner reference = new ReferenceLearner(ManyKeysBench.SPEC);
    double[] expected = new double[examples.size()];
    Set<String> keys = new TreeSet<>();
    for (int i = 0; i < expected.length; i++) {
      expected[i] = reference.process(examples.get(i));
      keys.add(examples.get(i).modelKey);
    }
    try (var h = ManyKeysBench.harness()) {
      h.open();
      TrainerOperator operator = (TrainerOperator) h.getOperator();
      double[] got = ManyKeysBench.run(h, examples);
      for (int i = 0; i < got.length; i++) {
        assertEquals(expected[i], got[i], "example " + i);
      }
      int pages = TrainSettings.STATE_CACHE_PAGES.defaultValue();
      assertTrue(operator.sessionsInMemory() <= pages && operator.sessionsInMemory() > 0,
          operator.sessionsInMemory() + " sessions in memory for a cache of " + pages + " pages");
      assertTrue(operator.pagedLearner("").cache().models() <= pages);
      h.endInput();
      Set<String> reported = new TreeSet<>();
      h.getSideOutput(TrainerOperator.METRICS).forEach(r -> reported.add(r.getValue().modelKey));
      assertEquals(keys, reported, "a last report for every model, evicted or not");
      assertEquals(KEYS, keys.size());
    }
    long[] restore = ManyKeysBench.restore(examples);
    assertEquals(1, restore[0], "a restore from half way continues bit for bit");
    assertTrue(restore[1] / KEYS < 8_000, restore[1] / KEYS + " checkpoint bytes per key");
  }
}
