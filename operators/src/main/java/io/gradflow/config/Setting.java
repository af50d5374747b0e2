package io.gradflow.config;

import java.util.Objects;

/**
 * One declared setting: its name within its {@link Section}, its {@link SettingType}, its default,
 * the {@link Constraint} its value must meet and its documentation, in the manner of Kafka's
 * {@code ConfigDef}. The YAML reader, the error messages, {@code --validate-only} and the README's
 * settings reference all come from these declarations, so a default is written once, here.
 *
 * <pre>{@code
 * static final Setting<Integer> CACHE_PAGES = Setting.of("cache_pages", SettingType.integer(),
 *     4096, Constraint.atLeast(1), "pages kept in memory per operator instance and candidate");
 * }</pre>
 *
 * Immutable and thread-safe.
 *
 * @param <T> the value's type once read
 */
public final class Setting<T> {
  private final String name;
  private final SettingType<T> type;
  private final T defaultValue;
  private final boolean required;
  private final String defaultText;
  private final Constraint<? super T> constraint;
  private final String doc;
  private final boolean secret;
  private final boolean ignored;

  private Setting(String name, SettingType<T> type, T defaultValue, boolean required,
      String defaultText, Constraint<? super T> constraint, String doc, boolean secret,
      boolean ignored) {
    this.name = Objects.requireNonNull(name, "name");
    this.type = Objects.requireNonNull(type, "type");
    this.defaultValue = defaultValue;
    this.required = required;
    this.defaultText = defaultText;
    this.constraint = constraint == null ? Constraint.none() : constraint;
    this.doc = Objects.requireNonNull(doc, "doc");
    this.secret = secret;
    this.ignored = ignored;
    if (defaultValue != null) {
      this.constraint.check(name, defaultValue);
    }
  }

  /** A setting with a default value. */
  public static <T> Setting<T> of(String name, SettingType<T> type, T defaultValue,
      Constraint<? super T> constraint, String doc) {
    return new Setting<>(name, type, Objects.requireNonNull(defaultValue, name), false, null,
        constraint, doc, false, false);
  }

  /** A setting without a value unless one is given; {@code defaultText} says what that means. */
  public static <T> Setting<T> optional(String name, SettingType<T> type, String defaultText,
      Constraint<? super T> constraint, String doc) {
    return new Setting<>(name, type, null, false, defaultText, constraint, doc, false, false);
  }

  /** A setting that must be given. */
  public static <T> Setting<T> required(String name, SettingType<T> type,
      Constraint<? super T> constraint, String doc) {
    return new Setting<>(name, type, null, true, null, constraint, doc, false, false);
  }

  /** The same setting, whose value no message and no printout shows. */
  public Setting<T> secret() {
    return new Setting<>(name, type, defaultValue, required, defaultText, constraint, doc, true,
        ignored);
  }

  /** The same setting, accepted for compatibility and ignored (not listed as accepted). */
  public Setting<T> ignored() {
    return new Setting<>(name, type, defaultValue, required, defaultText, constraint, doc, secret,
        true);
  }

  public String name() {
    return name;
  }

  public SettingType<T> type() {
    return type;
  }

  /** The default value, or null when the setting is required or has no value by default. */
  public T defaultValue() {
    return defaultValue;
  }

  public boolean required() {
    return required;
  }

  public String doc() {
    return doc;
  }

  public boolean isSecret() {
    return secret;
  }

  public boolean isIgnored() {
    return ignored;
  }

  /** The constraint in words, or an empty string. */
  public String constraintText() {
    return constraint.describe();
  }

  /** The default as the reference shows it: the value, the derived default, or "required". */
  public String defaultText() {
    if (required) {
      return "required";
    }
    if (defaultValue != null) {
      return type.show(defaultValue);
    }
    return defaultText == null ? "none" : defaultText;
  }

  /** The value as the effective configuration shows it (secrets masked). */
  public String show(T value) {
    if (value == null) {
      return defaultText();
    }
    return secret ? "'****'" : type.show(value);
  }

  /**
   * The value as plain JSON data for the audit record's typed configuration
   * ({@link SettingType#json}); a secret setting's value is {@value SettingType#MASK}; null (no
   * value) stays null.
   */
  public Object json(T value) {
    if (value == null) {
      return null;
    }
    return secret ? SettingType.MASK : type.json(value);
  }

  /**
   * Reads the YAML value {@code raw} (null when absent) at configuration key {@code key}: the
   * default when absent, else the parsed value, checked against the constraint.
   *
   * @param context added to a missing required setting's message ({@code " for the step
   *     schedule"}), or empty
   * @throws ConfigException naming the key, the constraint and the value
   */
  public T read(String key, Object raw, String context) {
    if (raw == null) {
      if (required) {
        throw new ConfigException(key, key + " must be set" + context + ", but was missing");
      }
      return defaultValue;
    }
    T value = type.parse(key, raw, secret);
    constraint.check(key, value);
    return value;
  }

  @Override
  public String toString() {
    return name;
  }
}
