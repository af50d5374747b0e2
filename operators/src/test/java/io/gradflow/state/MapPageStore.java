package io.gradflow.state;

import java.util.HashMap;
import java.util.Map;

/** A page store that keeps what it is given, as the heap state backend does; for tests. */
public final class MapPageStore implements PageStore {
  public final Map<String, float[]> pages = new HashMap<>();
  public int stores;

  @Override
  public float[] load(String modelKey, long pageId) {
    return pages.get(modelKey + "/" + pageId);
  }

  @Override
  public void store(String modelKey, long pageId, float[] page) {
    pages.put(modelKey + "/" + pageId, page);
    stores++;
  }

  @Override
  public long[] pageKeys(String modelKey) {
    return pages.keySet().stream().filter(k -> k.startsWith(modelKey + "/"))
        .mapToLong(k -> Long.parseLong(k.substring(modelKey.length() + 1))).toArray();
  }

  @Override
  public void remove(String modelKey, long pageId) {
    pages.remove(modelKey + "/" + pageId);
  }
}
