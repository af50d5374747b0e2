package io.gradflow.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gradflow.config.ConfigException;
import io.gradflow.config.MemoryAmount;
import io.gradflow.config.TrainSettings;
import org.apache.flink.configuration.MemorySize;
import org.junit.jupiter.api.Test;

/**
 * The page cache's size from {@code state.cache_memory} (a share of the heap over the slots that
 * share it and the candidates, or a size over the candidates, in pages of {@link
 * PageCache#pageBytes}), and {@code state.cache_pages} taken as given.
 */
class CacheSizeTest {
  private static final long GB = 1L << 30;
  /** AdaGrad's rows: weight, accumulator, step, last step. */
  private static final int ADAGRAD = 4;

  @Test
  void aPageIsADirectPageWithItsBookkeeping() {
    // 512 rows of 4 floats and the header, padded to 64-byte lines, and 52 floats.
    assertEquals(8_464, PageCache.pageBytes(ADAGRAD, false));
    assertEquals(10_512, PageCache.pageBytes(ADAGRAD, true));
  }

  @Test
  void aFractionOfTheHeapIsSharedBySlotsAndCandidates() {
    CacheSize tenth = CacheSize.of(MemoryAmount.ofHeap(0.1));
    assertEquals(tenth, CacheSize.DEFAULT);
    long bytes = (long) (0.1 * GB);
    assertEquals(bytes / 8_464, tenth.pages(ADAGRAD, false, 1, 1, GB));
    assertEquals(12_685, tenth.pages(ADAGRAD, false, 1, 1, GB));
    assertEquals(bytes / 4 / 8_464, tenth.pages(ADAGRAD, false, 1, 4, GB));
    assertEquals(bytes / 3 / 8_464, tenth.pages(ADAGRAD, false, 3, 1, GB));
    assertEquals(bytes / 2 / 3 / 10_512, tenth.pages(ADAGRAD, true, 3, 2, GB));
    assertEquals((long) (0.1 * 8 * GB) / 8_464, tenth.pages(ADAGRAD, false, 1, 1, 8 * GB));
    // Never less than a page.
    assertEquals(1, tenth.pages(ADAGRAD, false, 1_000, 64, 64L << 20));
  }

  @Test
  void aSizeIsPerSubtaskWhateverTheHeapAndSharedByCandidates() {
    CacheSize size = CacheSize.of(MemoryAmount.ofBytes(256L << 20));
    assertEquals((256L << 20) / 8_464, size.pages(ADAGRAD, false, 1, 1, GB));
    assertEquals((256L << 20) / 8_464, size.pages(ADAGRAD, false, 1, 8, 64 * GB));
    assertEquals((256L << 20) / 2 / 8_464, size.pages(ADAGRAD, false, 2, 8, 64 * GB));
  }

  @Test
  void givenPagesAreTakenAsGiven() {
    CacheSize pages = CacheSize.ofPages(4096);
    assertEquals(4096, pages.pages(ADAGRAD, false, 3, 4, GB));
    assertEquals(4096, pages.pages(ADAGRAD, true, 1, 1, 64 * GB));
    assertEquals("state.cache_pages", pages.describe());
    assertEquals("state.cache_memory 0.1 of the heap", CacheSize.DEFAULT.describe());
    assertEquals("state.cache_memory 256mb",
        CacheSize.of(MemoryAmount.ofBytes(256L << 20)).describe());
    assertEquals("state.cache_pages must be > 0, but was 0",
        assertThrows(ConfigException.class, () -> CacheSize.ofPages(0)).getMessage());
  }

  /** Sizes are read as Flink reads them ({@code MemorySize}), fractions as fractions. */
  @Test
  void sizesReadAsFlinksMemorySize() {
    for (String text : new String[] {"256mb", "256m", "256 MB", "1g", "2gb", "512kb", "512 KB",
        "100", "100b", "100 bytes", "3t", "7mebibytes"}) {
      MemoryAmount m = MemoryAmount.parse("k", text);
      assertEquals(MemorySize.parse(text).getBytes(), m.bytes(), text);
      assertEquals(m, MemoryAmount.parse("k", m.toString()), text + " shown as " + m);
    }
    assertThrows(ConfigException.class, () -> MemoryAmount.parse("k", "512 kib"));
    assertEquals(MemoryAmount.ofHeap(0.1), MemoryAmount.parse("k", 0.1));
    assertEquals(MemoryAmount.ofHeap(0.1), MemoryAmount.parse("k", "0.1"));
    assertEquals("0.1", TrainSettings.STATE_CACHE_MEMORY.defaultText());
    assertEquals("1000b", MemoryAmount.ofBytes(1000).toString());
    assertEquals("3gb", MemoryAmount.ofBytes(3L << 30).toString());
    assertEquals("33.1 MB", MemoryAmount.human(4096 * 8_464L));
  }

  /**
   * A size larger than a slot's share of the heap is refused, naming the setting and the
   * numbers; a fraction and a page count are not checked.
   */
  @Test
  void aSizeTheHeapCannotGiveIsRefused() {
    long heap = 4L << 30;
    assertEquals("state.cache_memory 64gb per trainer subtask is more than the heap can give:"
        + " this JVM's heap is 4.0 GB; give a size well below it (keyed state, its snapshots and"
        + " Flink need the heap too) or a fraction of the heap, such as the default 0.1",
        CacheSize.of(MemoryAmount.ofBytes(64L << 30)).refusal(heap, 1, "this JVM"));
    // 3 GB fits the heap, but not the share of each of two slots.
    assertEquals("state.cache_memory 3gb per trainer subtask is more than the heap can give:"
        + " the TaskManager's heap is 4.0 GB, shared by 2 slots (2.0 GB each); give a size well"
        + " below it (keyed state, its snapshots and Flink need the heap too) or a fraction of"
        + " the heap, such as the default 0.1",
        CacheSize.of(MemoryAmount.ofBytes(3L << 30)).refusal(heap, 2, "the TaskManager"));
    assertNull(CacheSize.of(MemoryAmount.ofBytes(3L << 30)).refusal(heap, 1, "this JVM"));
    assertNull(CacheSize.of(MemoryAmount.ofBytes(2L << 30)).refusal(heap, 2, "this JVM"));
    assertNull(CacheSize.of(MemoryAmount.ofHeap(0.9)).refusal(heap, 64, "this JVM"));
    assertNull(CacheSize.ofPages(Integer.MAX_VALUE).refusal(heap, 1, "this JVM"));
  }
}
