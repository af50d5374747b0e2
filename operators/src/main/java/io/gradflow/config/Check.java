package io.gradflow.config;

/**
 * Validation helpers for configuration values: each names the key, the constraint and the value.
 *
 * <p>Used by the compact constructors of the {@code *Spec} records, so every refused value
 * produces the same shape of message: {@code "<key> must be <constraint>, but was <value>"}.
 * Stateless and thread-safe.
 */
public final class Check {
  private Check() {}

  public static double finite(String key, double value) {
    if (!Double.isFinite(value)) {
      throw new ConfigException(key, key + " must be a finite number, but was " + value);
    }
    return value;
  }

  public static double positive(String key, double value) {
    finite(key, value);
    if (value <= 0) {
      throw new ConfigException(key, key + " must be > 0, but was " + value);
    }
    return value;
  }

  public static double nonNegative(String key, double value) {
    finite(key, value);
    if (value < 0) {
      throw new ConfigException(key, key + " must be >= 0, but was " + value);
    }
    return value;
  }

  /** Checks {@code low <= value < high}. */
  public static double inRangeExclusive(String key, double value, double low, double high) {
    finite(key, value);
    if (value < low || value >= high) {
      throw new ConfigException(
          key, key + " must be in [" + fmt(low) + ", " + fmt(high) + "), but was " + value);
    }
    return value;
  }

  /** Checks {@code low <= value <= high}. */
  public static double inRange(String key, double value, double low, double high) {
    finite(key, value);
    if (value < low || value > high) {
      throw new ConfigException(
          key, key + " must be in [" + fmt(low) + ", " + fmt(high) + "], but was " + value);
    }
    return value;
  }

  public static long positive(String key, long value) {
    if (value <= 0) {
      throw new ConfigException(key, key + " must be > 0, but was " + value);
    }
    return value;
  }

  public static long nonNegative(String key, long value) {
    if (value < 0) {
      throw new ConfigException(key, key + " must be >= 0, but was " + value);
    }
    return value;
  }

  /** Fails naming both settings when a combination of two settings is not allowed. */
  public static void conflict(boolean conflicting, String key, String otherKey, String why) {
    if (conflicting) {
      throw new ConfigException(key, key + " conflicts with " + otherKey + ": " + why);
    }
  }

  /** A bound as a message shows it: whole numbers without a decimal point. */
  static String format(double v) {
    return fmt(v);
  }

  private static String fmt(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
  }
}
