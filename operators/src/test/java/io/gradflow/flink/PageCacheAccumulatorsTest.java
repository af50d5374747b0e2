package io.gradflow.flink;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.model.CompactExample;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.accumulators.Accumulator;
import org.junit.jupiter.api.Test;

/**
 * The trainer's page cache accumulators ({@link TrainerOperator#PAGE_CACHE}), which the console's
 * summary reads: after end of input they hold the cache's lookups and evictions, none evicted
 * when the cache holds every page and evictions when it is far too small.
 */
class PageCacheAccumulatorsTest {
  @Test
  void endOfInputLeavesTheCachesCountsInTheAccumulators() throws Exception {
    List<CompactExample> examples = ManyKeysBench.examples(200, 3_000, 3);
    int defaultPages = ManyKeysBench.cachePages;
    try {
      for (int pages : new int[] {defaultPages, 10}) { // all in memory; most evicted
        ManyKeysBench.cachePages = pages;
        try (var h = ManyKeysBench.harness()) {
          h.open();
          ManyKeysBench.run(h, examples);
          h.endInput();
          Map<String, Accumulator<?, ?>> a =
              h.getEnvironment().getAccumulatorRegistry().getUserMap();
          long hits = (Long) a.get(TrainerOperator.PAGE_CACHE + "hits.").getLocalValue();
          long misses = (Long) a.get(TrainerOperator.PAGE_CACHE + "misses.").getLocalValue();
          long evictions =
              (Long) a.get(TrainerOperator.PAGE_CACHE + "evictions.").getLocalValue();
          String what = "a cache of " + pages + " pages: " + hits + " hits, " + misses
              + " misses, " + evictions + " evictions";
          assertTrue(hits > 0 && misses > 0, what);
          assertTrue(pages == 10 ? evictions > 0 : evictions == 0, what);
        }
      }
    } finally {
      ManyKeysBench.cachePages = defaultPages;
    }
  }
}
