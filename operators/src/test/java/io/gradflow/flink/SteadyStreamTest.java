package io.gradflow.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.state.CacheSize;
import io.gradflow.learn.ReferenceLearner;
import io.gradflow.model.CompactExample;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link ManyKeysBench}'s steady stream: passes of new examples of the same keys fed to one kept
 * operator (no end of input), with checkpoints between some passes, predict exactly what the
 * bare-loop reference predicts over the passes one after another, with the default cache and
 * with one that evicts models between their examples; each pass is later in event time than the
 * one before, and gives every record its own key String.
 */
class SteadyStreamTest {
  @Test
  void steadyPassesOfTheSameKeysLearnExactlyThroughCheckpointsAndEvictions() throws Exception {
    int keys = 500;
    List<List<CompactExample>> streams = new ArrayList<>();
    for (int s = 0; s < ManyKeysBench.STEADY_STREAMS; s++) {
      streams.add(ManyKeysBench.examples(keys, 2_000, 42 + s));
    }
    int passes = 6;
    CacheSize defaultCache = ManyKeysBench.cache;
    try {
      for (CacheSize size : new CacheSize[] {defaultCache, CacheSize.ofPages(16)}) {
        ManyKeysBench.cache = size;
        int pages = ManyKeysBench.cachePages();
        ReferenceLearner reference = new ReferenceLearner(ManyKeysBench.SPEC);
        long lastTime = Long.MIN_VALUE;
        try (var h = ManyKeysBench.harness()) {
          h.open();
          for (int p = 0; p < passes; p++) {
            List<CompactExample> pass = ManyKeysBench.steadyPass(streams, p, false);
            assertTrue(pass.get(0).eventTime > lastTime, "pass " + p + " is later in event time");
            lastTime = pass.get(pass.size() - 1).eventTime;
            assertNotSame(streams.get(p % streams.size()).get(0).modelKey, pass.get(0).modelKey);
            assertEquals(streams.get(p % streams.size()).get(0).modelKey, pass.get(0).modelKey);
            double[] got = ManyKeysBench.feed(h, pass, new double[2]);
            for (int i = 0; i < got.length; i++) {
              assertEquals(reference.process(pass.get(i)), got[i],
                  "cache of " + pages + " pages, pass " + p + ", example " + i);
            }
            if (p % 2 == 1) {
              assertTrue(ManyKeysBench.checkpoint(h, p, new double[2]) > 0);
            }
          }
        }
      }
    } finally {
      ManyKeysBench.cache = defaultCache;
    }
  }
}
