package io.gradflow.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The effective configuration as it was read: every declared setting under its full key with the
 * value in force and whether it was left at its default. {@code train --validate-only} prints it;
 * the audit record ({@code gradflow export}) keeps each value's typed form too. Secrets are masked
 * when entries are added. Not thread-safe; filled once at start-up.
 */
public final class ConfigReport {
  /**
   * One setting's effective value.
   *
   * @param value the value as {@code --validate-only} shows it (YAML text, with a description
   *     where the report added one, such as the loss's label domain)
   * @param isDefault whether the job file left the setting at its default
   * @param json the value as plain JSON data by the setting's declared type
   *     ({@link Setting#json}: numbers, booleans, text, unmodifiable lists and maps; secrets
   *     masked), or null when the setting has no value
   */
  public record Entry(String key, String value, boolean isDefault, Object json)
      implements java.io.Serializable {
    /** An entry whose typed value is its text (a selector such as {@code optimizer.name}). */
    public Entry(String key, String value, boolean isDefault) {
      this(key, value, isDefault, value);
    }
  }

  private final Map<String, Entry> entries = new LinkedHashMap<>();

  /** Adds (or replaces) an entry whose typed value is its text (a selector). */
  public void add(String key, String value, boolean isDefault) {
    entries.put(key, new Entry(key, value, isDefault));
  }

  /** Adds (or replaces) an entry with its typed value ({@link Entry#json}). */
  public void add(String key, String value, boolean isDefault, Object json) {
    entries.put(key, new Entry(key, value, isDefault, json));
  }

  /**
   * Sets the value in force of an entry whose default is derived from other settings (the loss
   * from the model type), with its description, keeping whether it was a default.
   */
  public void resolve(String key, Object json, String value) {
    Entry e = entries.get(key);
    if (e != null) {
      entries.put(key, new Entry(key, value, e.isDefault(), json));
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
