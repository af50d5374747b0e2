package io.gradflow.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A group of declared settings that a YAML map holds: {@code state}, {@code kafka.topics}, or one
 * variant of a section chosen by a selector key ({@code optimizer} with {@code name: Adam}, a
 * {@code schedule} with {@code type: step}). Reading a map through a section refuses a key it
 * does not declare, listing the accepted ones after the nearest ({@code "state.cahce_pages is not
 * a setting; did you mean cache_pages? accepted: backend, cache_memory, cache_pages, page_bits,
 * compression"}), reads every
 * setting (default, type, constraint) and records the effective values in a {@link ConfigReport}.
 *
 * <p>Immutable and thread-safe.
 */
public final class Section {
  private final String path;
  private final String variant;
  private final String doc;
  private final List<Setting<?>> settings;
  private final List<String> children;

  /**
   * @param path the section's key in the job file ({@code "kafka.topics"}; "" for the root)
   * @param variant the selector value this section applies to ({@code "Adam"}), or null
   * @param doc what the section configures
   * @param children keys of nested sections, read by their own sections
   */
  public Section(String path, String variant, String doc, List<Setting<?>> settings,
      List<String> children) {
    this.path = Objects.requireNonNull(path);
    this.variant = variant;
    this.doc = Objects.requireNonNull(doc);
    this.settings = List.copyOf(settings);
    this.children = List.copyOf(children);
    Set<String> names = new HashSet<>(children);
    for (Setting<?> s : settings) {
      if (!names.add(s.name())) {
        throw new IllegalArgumentException(path + "." + s.name() + " is declared twice");
      }
    }
  }

  public Section(String path, String doc, List<Setting<?>> settings) {
    this(path, null, doc, settings, List.of());
  }

  public String path() {
    return path;
  }

  /** The selector value this section applies to, or null. */
  public String variant() {
    return variant;
  }

  public String doc() {
    return doc;
  }

  public List<Setting<?>> settings() {
    return settings;
  }

  public List<String> children() {
    return children;
  }

  /** The declared setting named {@code name}, or null. */
  public Setting<?> setting(String name) {
    for (Setting<?> s : settings) {
      if (s.name().equals(name)) {
        return s;
      }
    }
    return null;
  }

  /** Reads a map at key {@code prefix} (null is an empty map). */
  public Values read(String prefix, Object raw, ConfigReport report) {
    return read(prefix, raw, report, List.of(), List.of());
  }

  /**
   * Reads a map at key {@code prefix} (null is an empty map).
   *
   * @param handled keys of the map the caller reads itself (selectors such as {@code name})
   * @param listed keys, among {@code handled}, to list as accepted in an unknown-key message
   * @throws ConfigException naming the key, the constraint and the value
   */
  public Values read(String prefix, Object raw, ConfigReport report, Collection<String> handled,
      Collection<String> listed) {
    Map<String, ?> map = asMap(prefix, raw);
    Set<String> accepted = new LinkedHashSet<>(listed);
    for (Setting<?> s : settings) {
      if (!s.isIgnored()) {
        accepted.add(s.name());
      }
    }
    accepted.addAll(children);
    for (String k : map.keySet()) {
      if (!accepted.contains(k) && !handled.contains(k) && setting(k) == null) {
        String key = key(prefix, k);
        String near = Suggestion.closest(k, accepted);
        throw new ConfigException(key, key + " is not a setting" + context() + (near == null
            ? "; accepted: " : "; did you mean " + near + "? accepted: ")
            + String.join(", ", accepted));
      }
    }
    Map<Setting<?>, Object> values = new HashMap<>();
    for (Setting<?> s : settings) {
      Object value = s.read(key(prefix, s.name()), map.get(s.name()),
          context().replace(" of ", " for "));
      values.put(s, value);
      if (report != null && !s.isIgnored()) {
        report.add(key(prefix, s.name()), show(s, value), map.get(s.name()) == null,
            json(s, value));
      }
    }
    return new Values(prefix, map, values);
  }

  @SuppressWarnings("unchecked")
  private static <T> String show(Setting<T> s, Object value) {
    return s.show((T) value);
  }

  @SuppressWarnings("unchecked")
  private static <T> Object json(Setting<T> s, Object value) {
    return s.json((T) value);
  }

  /** Words added to messages about this section: {@code " of the step schedule"}. */
  private String context() {
    if (variant == null) {
      return "";
    }
    return path.equals("schedule") ? " of the " + variant + " schedule" : " of " + variant;
  }

  /** A YAML value that must be a map of settings; null is an empty map. */
  @SuppressWarnings("unchecked")
  public static Map<String, ?> asMap(String key, Object raw) {
    if (raw == null) {
      return Map.of();
    }
    if (raw instanceof Map<?, ?> m) {
      for (Object k : m.keySet()) {
        if (!(k instanceof String)) {
          String shownKey = key(key, String.valueOf(k));
          throw new ConfigException(shownKey, shownKey + " is not a setting; setting names are"
              + " text");
        }
      }
      return (Map<String, ?>) m;
    }
    // The whole file's value is never shown: it may be anything, a secret among it.
    throw new ConfigException(key.isEmpty() ? "(file)" : key, (key.isEmpty()
        ? "the configuration" : key) + " must be a map of settings, but was "
        + SettingType.shown(raw, key.isEmpty()));
  }

  /** The full key of {@code name} under {@code prefix}. */
  public static String key(String prefix, String name) {
    return prefix.isEmpty() ? name : prefix + "." + name;
  }

  /** The settings of one map as read: typed values, and the nested sections' raw values. */
  public static final class Values {
    private final String prefix;
    private final Map<String, ?> raw;
    private final Map<Setting<?>, Object> values;

    Values(String prefix, Map<String, ?> raw, Map<Setting<?>, Object> values) {
      this.prefix = prefix;
      this.raw = raw;
      this.values = values;
    }

    /** The value of a setting (its default when absent; null when it has none). */
    @SuppressWarnings("unchecked")
    public <T> T get(Setting<T> setting) {
      if (!values.containsKey(setting)) {
        throw new IllegalArgumentException(setting + " is not a setting of " + prefix);
      }
      return (T) values.get(setting);
    }

    /** Whether the map gave the setting a value. */
    public boolean isSet(Setting<?> setting) {
      return raw.get(setting.name()) != null;
    }

    /** The raw value of a nested section or a key the caller reads itself, or null. */
    public Object raw(String name) {
      return raw.get(name);
    }

    /** The full key of a setting or nested section of this map. */
    public String key(String name) {
      return Section.key(prefix, name);
    }

    public String key(Setting<?> setting) {
      return key(setting.name());
    }

    public String prefix() {
      return prefix;
    }

    /** The keys the map holds. */
    public List<String> keys() {
      return new ArrayList<>(raw.keySet());
    }
  }
}
