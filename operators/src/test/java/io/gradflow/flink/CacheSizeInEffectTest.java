package io.gradflow.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.config.ConfigException;
import io.gradflow.config.MemoryAmount;
import io.gradflow.learn.ExampleLearner;
import io.gradflow.state.CacheSize;
import io.gradflow.state.PageCache;
import java.util.Map;
import org.apache.flink.api.common.accumulators.Accumulator;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.junit.jupiter.api.Test;

/**
 * The trainer sizes its page cache where it runs: {@code state.cache_memory} over this JVM's heap
 * and the slots sharing it, {@code state.cache_pages} as given; the size in effect goes to the
 * accumulators the client's summary reads.
 */
class CacheSizeInEffectTest {
  @Test
  void theTrainerSizesItsCacheFromTheHeapItRunsIn() throws Exception {
    int rowSize = new ExampleLearner(ManyKeysBench.SPEC).rowSize();
    long maxHeap = Runtime.getRuntime().maxMemory();
    CacheSize before = ManyKeysBench.cache;
    try {
      for (CacheSize size : new CacheSize[] {CacheSize.DEFAULT, CacheSize.ofPages(77),
          CacheSize.of(MemoryAmount.ofBytes(1L << 20))}) {
        ManyKeysBench.cache = size;
        int expected = size.pages(rowSize, false, 1, 1, maxHeap);
        try (var h = ManyKeysBench.harness()) {
          h.open();
          TrainerOperator operator = (TrainerOperator) h.getOperator();
          assertEquals(expected, operator.pagedLearner("").cache().capacity(), size.describe());
          Map<String, Accumulator<?, ?>> a =
              h.getEnvironment().getAccumulatorRegistry().getUserMap();
          assertEquals((long) expected,
              a.get(TrainerOperator.PAGE_CACHE + "pages-min.").getLocalValue());
          assertEquals((long) expected,
              a.get(TrainerOperator.PAGE_CACHE + "pages-max.").getLocalValue());
          assertEquals(PageCache.pageBytes(rowSize, false),
              a.get(TrainerOperator.PAGE_CACHE + "page-bytes.").getLocalValue());
        }
      }
    } finally {
      ManyKeysBench.cache = before;
    }
    assertEquals(123, CacheSize.of(MemoryAmount.ofBytes(1L << 20)).pages(4, false, 1, 9,
        1L << 40), "1 MB is 123 pages of 8,464 bytes, whatever the heap and slots");
  }

  /**
   * A state.cache_memory size larger than the heap's share of a slot fails the job where the
   * trainer opens, without restarts, with the one line the command line prints (a
   * ConfigException naming the setting and the heap), instead of an OutOfMemoryError as the
   * cache fills.
   */
  @Test
  void aCacheTheTaskManagersHeapCannotGiveFailsTheJobWithOneLine() throws Exception {
    CacheSize before = ManyKeysBench.cache;
    long maxHeap = Runtime.getRuntime().maxMemory();
    try {
      ManyKeysBench.cache = CacheSize.of(MemoryAmount.ofBytes(maxHeap + (1L << 20)));
      try (var h = ManyKeysBench.harness()) {
        Exception e = assertThrows(Exception.class, h::open);
        assertTrue(e instanceof SuppressRestartsException, e.toString());
        String message = ConfigException.messageIn(e).orElseThrow();
        assertTrue(message.startsWith("state.cache_memory " + ManyKeysBench.cache.memory()
            + " per trainer subtask is more than the heap can give: the TaskManager's heap is "
            + MemoryAmount.human(maxHeap) + ";"), message);
      }
      // As a cluster's client sees it: Flink's stand-in for the exception, recognized by its text.
      assertEquals(ConfigException.messageIn(new ConfigException("state.cache_memory", "m")),
          ConfigException.messageIn(new RuntimeException(new org.apache.flink.util
              .SerializedThrowable(new ConfigException("state.cache_memory", "m")))));
      // What fits the heap opens.
      ManyKeysBench.cache = CacheSize.of(MemoryAmount.ofBytes(maxHeap / 4));
      try (var h = ManyKeysBench.harness()) {
        h.open();
      }
    } finally {
      ManyKeysBench.cache = before;
    }
  }

  @Test
  void theSlotsSharingTheHeapAreTheTaskManagersOrAMiniClustersAll() {
    Configuration tm = new Configuration();
    assertEquals(1, TrainerOperator.slotsSharingHeap(tm));
    tm.set(TaskManagerOptions.NUM_TASK_SLOTS, 4);
    assertEquals(4, TrainerOperator.slotsSharingHeap(tm));
    tm.set(TaskManagerOptions.MINI_CLUSTER_NUM_TASK_MANAGERS, 3);
    assertEquals(12, TrainerOperator.slotsSharingHeap(tm));
  }
}
