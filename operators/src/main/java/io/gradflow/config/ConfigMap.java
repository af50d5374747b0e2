package io.gradflow.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One section of a configuration (a YAML or JSON map) read with typed getters that name the full
 * key in every message and remember what was read, so that {@link #rejectUnknown()} can refuse a
 * misspelled key and list the accepted ones.
 *
 * <pre>{@code
 * ConfigMap state = ConfigMap.of("state", yaml.get("state"));
 * int pages = state.integer("cache_pages", 4096);
 * state.rejectUnknown();   // "state.cahce_pages is not a setting; accepted: cache_pages, ..."
 * }</pre>
 *
 * Not thread-safe; used once at start-up.
 */
public final class ConfigMap {
  private final String prefix;
  private final Map<String, ?> values;
  private final Set<String> read = new LinkedHashSet<>();

  private ConfigMap(String prefix, Map<String, ?> values) {
    this.prefix = prefix;
    this.values = values == null ? Map.of() : values;
  }

  /** The section at {@code prefix}; null is an empty section; anything but a map is refused. */
  @SuppressWarnings("unchecked")
  public static ConfigMap of(String prefix, Object section) {
    if (section != null && !(section instanceof Map)) {
      throw new ConfigException(prefix, prefix + " must be a map of settings, but was "
          + shown(section));
    }
    return new ConfigMap(prefix, (Map<String, ?>) section);
  }

  /** The full key of a setting of this section. */
  public String key(String name) {
    return prefix.isEmpty() ? name : prefix + "." + name;
  }

  public boolean has(String name) {
    return values.get(name) != null;
  }

  /** The raw value (marked as read), or null. */
  public Object raw(String name) {
    read.add(name);
    return values.get(name);
  }

  /** A nested section. */
  public ConfigMap section(String name) {
    return of(key(name), raw(name));
  }

  /** The nested map as it is (marked as read), or null. */
  @SuppressWarnings("unchecked")
  public Map<String, ?> map(String name) {
    Object v = raw(name);
    if (v != null && !(v instanceof Map)) {
      throw error(name, "a map of settings", v);
    }
    return (Map<String, ?>) v;
  }

  public List<?> list(String name) {
    Object v = raw(name);
    if (v == null) {
      return List.of();
    }
    if (v instanceof List<?> l) {
      return l;
    }
    throw error(name, "a list", v);
  }

  public String string(String name, String defaultValue) {
    Object v = raw(name);
    if (v == null) {
      return defaultValue;
    }
    if (v instanceof String s && !s.isBlank()) {
      return s;
    }
    if (v instanceof Number || v instanceof Boolean) {
      return String.valueOf(v);
    }
    throw error(name, "a non-empty string", v);
  }

  /** One of {@code accepted} (case-insensitive), returned in its lower-case spelling. */
  public String choice(String name, String defaultValue, String... accepted) {
    String v = string(name, defaultValue).toLowerCase(Locale.ROOT);
    for (String a : accepted) {
      if (a.equals(v)) {
        return a;
      }
    }
    throw new ConfigException(key(name), key(name) + " must be one of "
        + String.join(", ", accepted) + ", but was '" + values.get(name) + "'");
  }

  public double number(String name, double defaultValue) {
    Object v = raw(name);
    if (v == null) {
      return defaultValue;
    }
    if (v instanceof Number n) {
      return n.doubleValue();
    }
    throw error(name, "a number", v);
  }

  public long integer(String name, long defaultValue) {
    Object v = raw(name);
    if (v == null) {
      return defaultValue;
    }
    if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
      return n.longValue();
    }
    throw error(name, "a whole number", v);
  }

  public boolean flag(String name, boolean defaultValue) {
    Object v = raw(name);
    if (v == null) {
      return defaultValue;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    throw error(name, "true or false", v);
  }

  /** A duration: {@code 500ms}, {@code 10s}, {@code 5m}, {@code 6h}, {@code 2d} or ISO-8601. */
  public Duration duration(String name, Duration defaultValue) {
    Object v = raw(name);
    if (v == null) {
      return defaultValue;
    }
    if (v instanceof String s) {
      return Durations.parse(key(name), s);
    }
    throw error(name, "a duration such as 500ms, 10s, 5m, 6h or PT6H", v);
  }

  /** Refuses every key of the section that no getter read, listing the accepted ones. */
  public void rejectUnknown() {
    List<String> unknown = new ArrayList<>(values.keySet());
    unknown.removeAll(read);
    if (!unknown.isEmpty()) {
      String key = key(unknown.get(0));
      throw new ConfigException(key, key + " is not a setting; accepted: "
          + String.join(", ", read));
    }
  }

  public ConfigException error(String name, String expected, Object value) {
    return new ConfigException(key(name), key(name) + " must be " + expected + ", but was "
        + shown(value));
  }

  private static String shown(Object value) {
    return value instanceof String s ? "'" + s + "'" : String.valueOf(value);
  }
}
