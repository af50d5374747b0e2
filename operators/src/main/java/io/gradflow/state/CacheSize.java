package io.gradflow.state;

import io.gradflow.config.Check;
import io.gradflow.config.MemoryAmount;
import io.gradflow.config.TrainSettings;
import java.io.Serializable;

/**
 * How large a trainer's {@link PageCache} is: a given number of pages ({@code state.cache_pages})
 * or memory ({@code state.cache_memory}: a fraction of the JVM's maximum heap, or a size), from
 * which the pages follow where the trainer runs ({@link #pages}), as Flink sizes its network and
 * RocksDB memory from the TaskManager's.
 *
 * <p>The rule: a fraction's bytes are {@code fraction x max heap / slots} (the slots that share
 * the JVM), a size's are its own; they are divided equally among the race's candidates, and a
 * candidate's pages are its share over {@link PageCache#pageBytes} (a direct page of its rows
 * with its bookkeeping), at least 1. The page count changes how often pages go to keyed state and
 * back, never a prediction.
 *
 * <p>Immutable and thread-safe.
 *
 * @param pages the given pages, or 0 when {@code memory} sizes the cache
 * @param memory the memory that sizes the cache, or null when {@code pages} are given
 */
public record CacheSize(int pages, MemoryAmount memory) implements Serializable {
  /** The declared default: {@code state.cache_memory}'s default, {@code cache_pages} unset. */
  public static final CacheSize DEFAULT = of(TrainSettings.STATE_CACHE_MEMORY.defaultValue());

  public CacheSize {
    if ((pages == 0) == (memory == null)) {
      throw new IllegalArgumentException("a cache size is pages or memory, but was " + pages
          + " pages and memory " + memory);
    }
    if (memory == null) {
      Check.positive("state.cache_pages", pages);
    }
  }

  /** {@code state.cache_pages}: this many pages per operator instance and candidate. */
  public static CacheSize ofPages(int pages) {
    Check.positive("state.cache_pages", pages);
    return new CacheSize(pages, null);
  }

  /** {@code state.cache_memory}. */
  public static CacheSize of(MemoryAmount memory) {
    return new CacheSize(0, java.util.Objects.requireNonNull(memory, "memory"));
  }

  /** The setting that sizes the cache: {@code state.cache_pages} or {@code state.cache_memory}. */
  public String setting() {
    return "state." + (memory == null ? TrainSettings.STATE_CACHE_PAGES
        : TrainSettings.STATE_CACHE_MEMORY).name();
  }

  /**
   * A candidate's pages (see the class comment).
   *
   * @param rowSize floats per row of the candidate's optimizer
   * @param stamped whether its rows carry stamps ({@link RowPolicy#stamped()})
   * @param candidates the candidates of the trainer (1 without a race)
   * @param slots the task slots that share this JVM's heap (at least 1)
   * @param maxHeap the JVM's maximum heap in bytes ({@link Runtime#maxMemory()})
   */
  public int pages(int rowSize, boolean stamped, int candidates, int slots, long maxHeap) {
    if (memory == null) {
      return pages;
    }
    long bytes = memory.isFraction() ? memory.bytesOf(maxHeap) / Math.max(1, slots)
        : memory.bytes();
    long share = bytes / Math.max(1, candidates) / PageCache.pageBytes(rowSize, stamped);
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, share));
  }

  /**
   * Why this JVM cannot give a trainer subtask the cache, or null if it can: a {@code
   * state.cache_memory} size larger than a slot's share of the heap ({@code maxHeap / slots}),
   * which would end in an OutOfMemoryError as the cache fills. A fraction always fits; {@code
   * state.cache_pages} is the user's own count and is not checked.
   *
   * @param maxHeap the JVM's maximum heap in bytes ({@link Runtime#maxMemory()})
   * @param slots the task slots that share this JVM's heap (at least 1)
   * @param where whose heap it is, for the message ({@code "this JVM"}, {@code "the
   *     TaskManager"})
   */
  public String refusal(long maxHeap, int slots, String where) {
    if (memory == null || memory.isFraction()) {
      return null;
    }
    int n = Math.max(1, slots);
    long share = maxHeap / n;
    if (memory.bytes() <= share) {
      return null;
    }
    return setting() + " " + memory + " per trainer subtask is more than the heap can give: "
        + where + "'s heap is " + MemoryAmount.human(maxHeap) + (n > 1 ? ", shared by " + n
            + " slots (" + MemoryAmount.human(share) + " each)" : "") + "; give a size well below"
        + " it (keyed state, its snapshots and Flink need the heap too) or a fraction of the heap,"
        + " such as the default 0.1";
  }

  /**
   * What sizes the cache, in words for a log or a summary: {@code state.cache_pages} or {@code
   * state.cache_memory 0.1} (of the heap) or {@code state.cache_memory 256mb}.
   */
  public String describe() {
    return memory == null ? setting()
        : setting() + " " + memory + (memory.isFraction() ? " of the heap" : "");
  }
}
