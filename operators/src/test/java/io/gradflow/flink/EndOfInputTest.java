package io.gradflow.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.model.CompactExample;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * At end of input every model, in memory or evicted, has its state written to keyed state after
 * its last report ({@code TrainerOperator.endInput} writes each session back as it finishes it):
 * its step counts its examples and its report counter is back to 0.
 */
class EndOfInputTest {
  @Test
  void everyModelIsStoredAfterItsLastReport() throws Exception {
    List<CompactExample> examples = ManyKeysBench.examples(200, 3_000, 3);
    Map<String, Long> counts = new TreeMap<>();
    for (CompactExample e : examples) {
      counts.merge(e.modelKey, 1L, Long::sum);
    }
    int defaultPages = ManyKeysBench.cachePages;
    try {
      for (int pages : new int[] {defaultPages, 10}) { // all in memory; most evicted
        ManyKeysBench.cachePages = pages;
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
        }
      }
    } finally {
      ManyKeysBench.cachePages = defaultPages;
    }
  }
}
