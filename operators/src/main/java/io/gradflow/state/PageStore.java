package io.gradflow.state;

/**
 * Where pages live between cache residencies: keyed state in the trainer, a map in tests and in
 * the bare-loop reference. Pages are addressed by model key and page number.
 */
public interface PageStore {
  /** The stored page, or null if the model has no such page yet. Must not be modified. */
  float[] load(String modelKey, long pageId) throws Exception;

  /** Stores a page (a fresh array the store may keep). */
  void store(String modelKey, long pageId, float[] page) throws Exception;
}
