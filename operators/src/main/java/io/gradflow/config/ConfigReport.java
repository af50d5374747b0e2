package io.gradflow.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The effective configuration as it was read: every declared setting under its full key with the
 * value in force and whether it was left at its default. {@code train --validate-only} prints it.
 * Secrets are masked when entries are added. Not thread-safe; filled once at start-up.
 */
public final class ConfigReport {
  /** One setting's effective value. */
  public record Entry(String key, String value, boolean isDefault)
      implements java.io.Serializable {}

  private final Map<String, Entry> entries = new LinkedHashMap<>();

  /** Adds (or replaces) an entry. */
  public void add(String key, String value, boolean isDefault) {
    entries.put(key, new Entry(key, value, isDefault));
  }

  /** Replaces the shown value of an entry, keeping whether it was a default. */
  public void describe(String key, String value) {
    Entry e = entries.get(key);
    if (e != null) {
      entries.put(key, new Entry(key, value, e.isDefault()));
    }
  }

  /** Removes an entry (a setting that does not apply, such as a factorization machine's). */
  public void remove(String key) {
    entries.remove(key);
  }

  public List<Entry> entries() {
    return new ArrayList<>(entries.values());
  }

  /**
   * The configuration as lines of {@code key: value}, with {@code (default)} after each value left
   * at its default.
   */
  public List<String> lines() {
    List<String> lines = new ArrayList<>();
    for (Entry e : entries.values()) {
      lines.add(e.key() + ": " + e.value() + (e.isDefault() ? "  (default)" : ""));
    }
    return lines;
  }
}
