package io.gradflow.state;

/**
 * Where pages live between cache residencies: keyed state in the trainer, a map in tests and in
 * the bare-loop reference. Pages are addressed by model key and page key ({@link PageFormat}).
 */
public interface PageStore {
  /** The stored page, or null if the model has no such page yet. Must not be modified. */
  float[] load(String modelKey, long pageId) throws Exception;

  /**
   * Stores a page: a fresh array the store may keep, which the caller never changes afterwards
   * (the trainer's heap state shares it with running snapshots).
   */
  void store(String modelKey, long pageId, float[] page) throws Exception;

  /**
   * The keys of every stored page of a model, {@link PageFormat#BOOK_PAGE} included, as a new
   * array (the caller may store and remove pages while it walks it). Needed by
   * {@link PagedLearner#sweep}; a store that cannot list its pages does not support sweeps.
   */
  default long[] pageKeys(String modelKey) throws Exception {
    throw new UnsupportedOperationException(getClass().getName() + " cannot list a model's"
        + " pages, which sweeping and expiring rows need");
  }

  /** Removes a stored page; nothing happens if there is none. */
  default void remove(String modelKey, long pageId) throws Exception {
    throw new UnsupportedOperationException(getClass().getName() + " cannot remove pages,"
        + " which expiring rows needs");
  }
}
