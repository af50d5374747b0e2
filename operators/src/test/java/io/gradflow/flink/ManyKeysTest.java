package io.gradflow.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.learn.ReferenceLearner;
import io.gradflow.model.CompactExample;
import io.gradflow.state.CacheSize;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * 10,000 model keys (a tenant per key) on one trainer subtask ({@link ManyKeysBench}'s stream and
 * operator): every prediction equals the bare-loop reference's, with the declared default cache
 * ({@code state.cache_memory}: a share of the test JVM's heap, which holds every tenant: a small
 * model's page of about 15 rows weighs a fifth of a page) and with a cache of 409 pages, which
 * evicts models and their sessions and brings them back; the sessions in
 * memory stay within what the cache holds; every model, evicted or not, gets its last report at
 * end of input; a restore from a checkpoint taken half way continues bit for bit; the checkpoint
 * costs a few kilobytes per key.
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
    assertEquals(KEYS, keys.size());
    CacheSize defaultCache = ManyKeysBench.cache;
    try {
      // The declared default (state.cache_memory), and a tenth of the earlier default (4,096
      // pages), which evicts models and their sessions and brings them back.
      for (CacheSize size : new CacheSize[] {defaultCache, CacheSize.ofPages(409)}) {
        ManyKeysBench.cache = size;
        int pages = ManyKeysBench.cachePages();
        try (var h = ManyKeysBench.harness()) {
          h.open();
          TrainerOperator operator = (TrainerOperator) h.getOperator();
          double[] got = ManyKeysBench.run(h, examples);
          for (int i = 0; i < got.length; i++) {
            assertEquals(expected[i], got[i], "cache of " + pages + " pages, example " + i);
          }
          // A small model's page weighs its memory and an eighth of a page (PageCache): at least
          // 9/64 of a page, so the cache holds at most 7 per page (about 5 of these tenants).
          int held = Math.min(KEYS, 64 * pages / 9);
          int models = operator.pagedLearner("").cache().models();
          assertTrue(models <= held && models > held / 2, models + " models held in a cache of "
              + pages + " pages");
          assertTrue(operator.sessionsInMemory() <= held && operator.sessionsInMemory() > 0,
              operator.sessionsInMemory() + " sessions in memory for a cache of " + pages
              + " pages");
          h.endInput();
          Set<String> reported = new TreeSet<>();
          h.getSideOutput(TrainerOperator.METRICS).forEach(r ->
              reported.add(r.getValue().modelKey));
          assertEquals(keys, reported, "a last report for every model, evicted or not");
        }
      }
      ManyKeysBench.cache = CacheSize.ofPages(409);
      long[] evicting = ManyKeysBench.restore(examples);
      assertEquals(1, evicting[0], "a restore from half way continues bit for bit (evicting)");
    } finally {
      ManyKeysBench.cache = defaultCache;
    }
    long[] restore = ManyKeysBench.restore(examples);
    assertEquals(1, restore[0], "a restore from half way continues bit for bit");
    assertTrue(restore[1] / KEYS < 8_000, restore[1] / KEYS + " checkpoint bytes per key");
  }

  /**
   * Runs of consecutive records of one model (the operator and the page cache skip their look-ups
   * then) with each record's key a new String, taking turns among more models than a cache of one
   * page holds, so that a model is evicted between its runs and comes back: every prediction
   * equals the reference's, and a restore from half way continues bit for bit.
   */
  @Test
  void runsOfOneKeyInNewStringsLearnExactlyThroughEvictions() throws Exception {
    List<CompactExample> examples = new java.util.ArrayList<>();
    for (CompactExample e : ManyKeysBench.examples(1, 6_000, 11)) {
      // Runs of 5 records, the 9 models in turn: 4 small models fill a page.
      long run = e.eventTime / 1_000 / 5;
      examples.add(new CompactExample(e.exampleId, new String("m" + run % 9), e.eventTime,
          e.rowIds, e.values, e.dense, e.label, e.weight));
    }
    ReferenceLearner reference = new ReferenceLearner(ManyKeysBench.SPEC);
    CacheSize defaultCache = ManyKeysBench.cache;
    try {
      ManyKeysBench.cache = CacheSize.ofPages(1);
      try (var h = ManyKeysBench.harness()) {
        h.open();
        TrainerOperator operator = (TrainerOperator) h.getOperator();
        double[] got = ManyKeysBench.run(h, examples);
        for (int i = 0; i < got.length; i++) {
          assertEquals(reference.process(examples.get(i)), got[i], "example " + i);
        }
        assertTrue(operator.pagedLearner("").cache().evictions() > 100,
            operator.pagedLearner("").cache().evictions() + " evictions");
      }
      assertEquals(1, ManyKeysBench.restore(examples)[0],
          "a restore from half way continues bit for bit");
    } finally {
      ManyKeysBench.cache = defaultCache;
    }
  }
}
