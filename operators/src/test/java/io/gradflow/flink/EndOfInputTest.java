package io.gradflow.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.model.CompactExample;
import io.gradflow.state.CacheSize;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.accumulators.Accumulator;
import org.junit.jupiter.api.Test;

/**
 * At end of input every model, in memory or evicted, has its state written to keyed state after
 * its last report ({@code TrainerOperator.endInput} writes each session back as it finishes it):
 * its step counts its examples and its report counter is back to 0. The page cache accumulators
 * then hold the cache's lookups, and evictions only when the cache is too small.
 */
class EndOfInputTest {
  @Test
  void everyModelIsStoredAfterItsLastReport() throws Exception {
    List<CompactExample> examples = ManyKeysBench.examples(200, 3_000, 3);
    Map<String, Long> counts = new TreeMap<>();
    for (CompactExample e : examples) {
      counts.merge(e.modelKey, 1L, Long::sum);
    }
    CacheSize defaultCache = ManyKeysBench.cache;
    try {
      for (CacheSize size : new CacheSize[] {defaultCache, CacheSize.ofPages(10)}) {
        // all in memory; most evicted
        ManyKeysBench.cache = size;
        int pages = ManyKeysBench.cachePages();
        try (var h = ManyKeysBench.harness()) {
          h.open();
          TrainerOperator operator = (TrainerOperator) h.getOperator();
          ManyKeysBench.run(h, examples);
          h.endInput();
          assertEquals(counts.size(), h.getSideOutput(TrainerOperator.METRICS).size(),
              "one last report per model");
          for (Map.Entry<String, Long> c : counts.entrySet()) {
            operator.setCurrentKey(c.getKey());
            ModelMeta meta = operator.metaOfCurrentKey();
            String what = "model " + c.getKey() + ", cache of " + pages + " pages";
            assertEquals(c.getValue(), meta.step, what);
            assertEquals(0, meta.sinceReport, what + ": stored after its last report");
          }
          assertTrue(pages > 100 || operator.sessionsInMemory() < counts.size());
          // The page cache accumulators the console's summary reads (TrainerOperator.PAGE_CACHE).
          Map<String, Accumulator<?, ?>> a =
              h.getEnvironment().getAccumulatorRegistry().getUserMap();
          long hits = (Long) a.get(TrainerOperator.PAGE_CACHE + "hits.").getLocalValue();
          long misses = (Long) a.get(TrainerOperator.PAGE_CACHE + "misses.").getLocalValue();
          long evictions =
              (Long) a.get(TrainerOperator.PAGE_CACHE + "evictions.").getLocalValue();
          String counted = hits + " hits, " + misses + " misses, " + evictions + " evictions";
          assertTrue(hits > 0 && misses > 0, counted);
          assertTrue(pages > 100 ? evictions == 0 : evictions > 0, counted);
        }
      }
    } finally {
      ManyKeysBench.cache = defaultCache;
    }
  }
}
