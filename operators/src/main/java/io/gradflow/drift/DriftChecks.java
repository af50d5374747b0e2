package io.gradflow.drift;

import io.gradflow.config.Check;
import io.gradflow.config.ConfigException;

/** The range checks the detector specs need beyond {@link Check}, in the same message shape. */
final class DriftChecks {
  private DriftChecks() {}

  /** Checks {@code low < value < high}. */
  static double inOpenRange(String key, double value, double low, double high) {
    Check.finite(key, value);
    if (value <= low || value >= high) {
      throw new ConfigException(key,
          key + " must be in (" + fmt(low) + ", " + fmt(high) + "), but was " + value);
    }
    return value;
  }

  /** Checks {@code low < value <= high}. */
  static double inHalfOpenRange(String key, double value, double low, double high) {
    Check.finite(key, value);
    if (value <= low || value > high) {
      throw new ConfigException(key,
          key + " must be in (" + fmt(low) + ", " + fmt(high) + "], but was " + value);
    }
    return value;
  }

  /** Checks {@code value >= min} for a count. */
  static int atLeast(String key, int value, int min) {
    if (value < min) {
      throw new ConfigException(key, key + " must be >= " + min + ", but was " + value);
    }
    return value;
  }

  static void finiteObservation(double x) {
    if (!Double.isFinite(x)) {
      throw new IllegalArgumentException(
          "a drift detector observes finite values only, but was " + x);
    }
  }

  static void snapshotCheck(boolean ok, String detector, String what) {
    if (!ok) {
      throw new IllegalArgumentException("not a " + detector + " snapshot: " + what);
    }
  }

  private static String fmt(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
  }
}
