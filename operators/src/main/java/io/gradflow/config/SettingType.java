package io.gradflow.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How a setting's YAML value is read: which values are accepted, what they become, and how the
 * value is shown back ({@code --validate-only}, the README). A value of the wrong shape is refused
 * with {@code "<key> must be <expected>, but was <value>"}; a secret setting's value is never
 * shown, only its kind ({@code "but was a string"}).
 *
 * <p>Stateless and thread-safe.
 *
 * @param <T> what a value becomes
 */
public abstract class SettingType<T> {
  private final String name;
  private final String expected;

  /**
   * @param name the type as the settings reference shows it ({@code "duration"})
   * @param expected what a wrong value is told it must be ({@code "a duration such as 10s"})
   */
  protected SettingType(String name, String expected) {
    this.name = name;
    this.expected = expected;
  }

  /** Reads a present (non-null) YAML value at {@code key}. */
  public abstract T parse(String key, Object raw, boolean secret);

  /** The type as the settings reference shows it. */
  public String name() {
    return name;
  }

  /** A value as the effective configuration and the reference show it; YAML reads it back. */
  public String show(T value) {
    return String.valueOf(value);
  }

  /**
   * A value as plain JSON data, for the audit record's typed configuration: numbers as
   * {@link Number}, booleans as {@link Boolean}, text as {@link String}, lists as {@link List} and
   * maps as {@link Map} (insertion order) of such data; a duration as text in the configuration's
   * spelling ({@code "10s"}, {@link Durations#format}; zero as {@code "0s"}), which
   * {@link Durations#parse} reads back; a stream position as {@code "committed"},
   * {@code {"timestamp": millis}} or {@code {"offsets": {"topic:partition": offset}}}; anything
   * else as its text. A map
   * entry whose name may hold a secret ({@link Secrets#mayHoldSecret}) is {@value #MASK}. Null
   * stays null (an optional setting without a value), and so does the position {@code none}
   * ({@code kafka.bounded: none} written out is the same as left out). Lists and maps are
   * unmodifiable, in their order, nulls kept.
   */
  public Object json(T value) {
    return plain(value);
  }

  /** What a masked value is in the audit record's typed configuration. */
  public static final String MASK = "****";

  /** {@link #json} of any value read by a declared type. */
  static Object plain(Object v) {
    if (v == null || v instanceof Number || v instanceof Boolean || v instanceof String) {
      return v;
    }
    if (v instanceof Duration d) {
      // With a unit even when zero ("0s"): a job file's text "0" is no duration, its number is.
      return d.isZero() ? "0s" : Durations.format(d);
    }
    if (v instanceof List<?> list) {
      List<Object> out = new ArrayList<>();
      list.forEach(x -> out.add(plain(x)));
      return Collections.unmodifiableList(out);
    }
    if (v instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      map.forEach((k, x) -> out.put(String.valueOf(k),
          Secrets.mayHoldSecret(String.valueOf(k)) ? MASK : plain(x)));
      return Collections.unmodifiableMap(out);
    }
    if (v instanceof StreamPosition p) {
      return switch (p.kind()) {
        case NONE -> null;
        case TIMESTAMP -> Collections.unmodifiableMap(
            new LinkedHashMap<>(Map.of("timestamp", p.timestamp())));
        case OFFSETS -> {
          Map<String, Object> offsets = new LinkedHashMap<>();
          p.offsets().forEach(o -> offsets.put(o.topic() + ":" + o.partition(), o.offset()));
          Map<String, Object> out = new LinkedHashMap<>();
          out.put("offsets", Collections.unmodifiableMap(offsets));
          yield Collections.unmodifiableMap(out);
        }
        default -> p.kind().name().toLowerCase(Locale.ROOT);
      };
    }
    return String.valueOf(v);
  }

  /** The refusal of a value of the wrong shape. */
  protected ConfigException wrong(String key, Object raw, boolean secret) {
    return new ConfigException(key, key + " must be " + expected + ", but was "
        + shown(raw, secret));
  }

  /** A raw value in a message: quoted text, or only its kind when it may be a secret. */
  public static String shown(Object raw, boolean secret) {
    if (secret) {
      return raw instanceof Map ? "a map" : raw instanceof List ? "a list"
          : raw instanceof String ? "a string" : "a " + raw.getClass().getSimpleName()
              .toLowerCase(Locale.ROOT);
    }
    return raw instanceof String s ? "'" + s + "'" : String.valueOf(raw);
  }

  /** Text, not blank; numbers and booleans are read as their text. */
  public static SettingType<String> string() {
    return new SettingType<>("string", "a non-empty string") {
      @Override
      public String parse(String key, Object raw, boolean secret) {
        if (raw instanceof String s && !s.isBlank()) {
          return s;
        }
        if (raw instanceof Number || raw instanceof Boolean) {
          return String.valueOf(raw);
        }
        throw wrong(key, raw, secret);
      }
    };
  }

  /** A whole number that fits an {@code int}. */
  public static SettingType<Integer> integer() {
    return new SettingType<>("integer", "a whole number") {
      @Override
      public Integer parse(String key, Object raw, boolean secret) {
        if (raw instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
            && Math.abs(n.doubleValue()) <= Integer.MAX_VALUE) {
          return n.intValue();
        }
        throw wrong(key, raw, secret);
      }
    };
  }

  /** A whole number. */
  public static SettingType<Long> longInteger() {
    return new SettingType<>("integer", "a whole number") {
      @Override
      public Long parse(String key, Object raw, boolean secret) {
        if (raw instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
            && Math.abs(n.doubleValue()) < 0x1p63) {
          return n.longValue();
        }
        throw wrong(key, raw, secret);
      }
    };
  }

  /** A real number. */
  public static SettingType<Double> number() {
    return new SettingType<>("number", "a number") {
      @Override
      public Double parse(String key, Object raw, boolean secret) {
        if (raw instanceof Number n) {
          return n.doubleValue();
        }
        throw wrong(key, raw, secret);
      }
    };
  }

  /** {@code true} or {@code false}. */
  public static SettingType<Boolean> bool() {
    return new SettingType<>("boolean", "true or false") {
      @Override
      public Boolean parse(String key, Object raw, boolean secret) {
        if (raw instanceof Boolean b) {
          return b;
        }
        throw wrong(key, raw, secret);
      }
    };
  }

  /** One of {@code values}, matched without regard to case, returned in its declared spelling. */
  public static SettingType<String> choice(String... values) {
    return choice(List.of(values), Map.of());
  }

  /**
   * One of {@code values}, or an alias of one ({@code model_step} for {@code step}), matched
   * without regard to case.
   */
  public static SettingType<String> choice(List<String> values, Map<String, String> aliases) {
    String all = String.join(", ", values);
    return new SettingType<>("one of " + all, "one of " + all) {
      @Override
      public String parse(String key, Object raw, boolean secret) {
        String text = String.valueOf(raw).trim();
        for (String v : values) {
          if (v.equalsIgnoreCase(text)) {
            return v;
          }
        }
        for (Map.Entry<String, String> a : aliases.entrySet()) {
          if (a.getKey().equalsIgnoreCase(text)) {
            return a.getValue();
          }
        }
        ConfigException e = wrong(key, raw instanceof String ? raw : String.valueOf(raw), secret);
        String near = secret ? null : Suggestion.closestValue(text, values);
        if (near != null) { // a misspelt value, as a misspelt key, names the closest (trial 23 L3)
          throw new ConfigException(key, e.getMessage() + "; did you mean " + near + "?");
        }
        throw e;
      }
    };
  }

  /**
   * A list of distinct values, each one of {@code values} (matched without regard to case and
   * returned in its declared spelling): {@code [restart_schedule, boost_lr]}. A single value
   * without brackets is a list of one.
   */
  public static SettingType<List<String>> choices(List<String> values) {
    String all = String.join(", ", values);
    SettingType<String> one = choice(values, Map.of());
    return new SettingType<>("list of " + all, "a list of " + all) {
      @Override
      public List<String> parse(String key, Object raw, boolean secret) {
        List<?> items = raw instanceof List<?> list ? list : List.of(raw);
        List<String> out = new ArrayList<>();
        for (Object item : items) {
          if (item == null || item instanceof Map || item instanceof List) {
            throw wrong(key, raw, secret);
          }
          String v = one.parse(key, item, secret);
          if (out.contains(v)) {
            throw new ConfigException(key, key + " lists " + v + " twice");
          }
          out.add(v);
        }
        return List.copyOf(out);
      }

      @Override
      public String show(List<String> value) {
        return "[" + String.join(", ", value) + "]";
      }
    };
  }

  /**
   * An amount of memory ({@link MemoryAmount}): a fraction of the JVM's heap ({@code 0.1}) or a
   * size ({@code 256mb}). In the audit record's typed configuration a fraction is a number and
   * a size its text.
   */
  public static SettingType<MemoryAmount> memory() {
    return new SettingType<>("fraction of the heap or size", "a fraction of the heap in (0, 1)"
        + " such as 0.1, or a size such as 256mb or 2g") {
      @Override
      public MemoryAmount parse(String key, Object raw, boolean secret) {
        return MemoryAmount.parse(key, raw);
      }

      @Override
      public Object json(MemoryAmount value) {
        return value.isFraction() ? (Object) value.fraction() : value.toString();
      }
    };
  }

  /**
   * A duration: {@code 500ms}, {@code 10s}, {@code 5m}, {@code 6h}, {@code 2d}, ISO-8601
   * ({@code PT6H}), or a whole number of milliseconds ({@code 0}).
   */
  public static SettingType<Duration> duration() {
    return new SettingType<>("duration",
        "a duration such as 500ms, 10s, 5m, 6h, 2d or PT6H") {
      @Override
      public Duration parse(String key, Object raw, boolean secret) {
        if (raw instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
          return Duration.ofMillis(n.longValue());
        }
        if (raw instanceof String s) {
          return Durations.parse(key, s);
        }
        throw wrong(key, raw, secret);
      }

      @Override
      public String show(Duration value) {
        return Durations.format(value);
      }
    };
  }

  /**
   * A list of positive whole numbers, such as an MLP's {@code hidden: [32, 16]}; may be empty. A
   * single number without brackets is a list of one.
   */
  public static SettingType<List<Integer>> positiveIntegers() {
    return new SettingType<>("list of integers > 0", "a list of whole numbers > 0") {
      @Override
      public List<Integer> parse(String key, Object raw, boolean secret) {
        List<?> items = raw instanceof List<?> list ? list : List.of(raw);
        List<Integer> out = new ArrayList<>();
        for (Object item : items) {
          if (!(item instanceof Integer i) || i <= 0) {
            throw wrong(key, raw, secret);
          }
          out.add(i);
        }
        return List.copyOf(out);
      }

      @Override
      public String show(List<Integer> value) {
        return value.toString();
      }
    };
  }

  /** A list of two numbers, such as Adam's {@code betas: [0.9, 0.999]}. */
  public static SettingType<List<Double>> pair() {
    return new SettingType<>("[number, number]", "a list of two numbers") {
      @Override
      public List<Double> parse(String key, Object raw, boolean secret) {
        if (raw instanceof List<?> list && list.size() == 2
            && list.get(0) instanceof Number a && list.get(1) instanceof Number b) {
          return List.of(a.doubleValue(), b.doubleValue());
        }
        throw wrong(key, raw, secret);
      }
    };
  }

  /**
   * A map of names to scalar values, read as text (Kafka client properties). The values are
   * never shown in a message, whatever the setting says: a property may hold a password.
   */
  public static SettingType<Map<String, String>> stringMap() {
    return new SettingType<>("map", "a map of names to values") {
      @Override
      public Map<String, String> parse(String key, Object raw, boolean secret) {
        if (!(raw instanceof Map<?, ?> map)) {
          throw wrong(key, raw, true);
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
          Object v = e.getValue();
          String entryKey = key + "." + e.getKey();
          if (v == null || v instanceof Map || v instanceof List) {
            throw new ConfigException(entryKey, entryKey + " must be a string, number or"
                + " boolean, but was " + (v == null ? "empty" : shown(v, true)));
          }
          out.put(String.valueOf(e.getKey()), String.valueOf(v));
        }
        return out;
      }

      @Override
      public String show(Map<String, String> value) {
        List<String> parts = new ArrayList<>();
        value.forEach((k, v) -> parts.add(k + ": " + (Secrets.mayHoldSecret(k) ? "'****'" : v)));
        return "{" + String.join(", ", parts) + "}";
      }
    };
  }

  /**
   * A schedule period: a whole number of steps, or a duration for the event-time clock; kept as
   * written ({@link Long} or {@link String}) for the schedule's reader, which knows the clock.
   */
  public static SettingType<Object> period() {
    return new SettingType<>("steps or duration",
        "a whole number of steps or a duration such as 10m, 6h or PT6H") {
      @Override
      public Object parse(String key, Object raw, boolean secret) {
        if (raw instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
          return n.longValue();
        }
        if (raw instanceof String s) {
          return s;
        }
        throw wrong(key, raw, secret);
      }
    };
  }

  /**
   * A position in Kafka topics: {@code earliest}, {@code latest}, {@code committed},
   * {@code {timestamp: MILLIS or ISO-8601}} or {@code {offsets: {"topic:partition": offset}}};
   * {@code none} too when the position ends a bounded replay ({@code end}).
   */
  public static SettingType<StreamPosition> position(boolean end) {
    String accepted = end
        ? "none, latest, {timestamp: ...} or {offsets: {\"topic:partition\": offset}}"
        : "earliest, latest, committed, {timestamp: ...} or {offsets: {\"topic:partition\":"
            + " offset}}";
    return new SettingType<>(end ? "none, latest, {timestamp}, {offsets}"
        : "earliest, latest, committed, {timestamp}, {offsets}", accepted) {
      @Override
      public String show(StreamPosition value) {
        return value.toString();
      }

      @Override
      public StreamPosition parse(String key, Object raw, boolean secret) {
        StreamPosition p = StreamPosition.parse(key, raw, end);
        if (p == null) {
          throw wrong(key, raw, secret);
        }
        return p;
      }
    };
  }
}
