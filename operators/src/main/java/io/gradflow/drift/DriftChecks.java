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

  /**
   * Checks the head of a fixed-length snapshot {@code [tag, version, observations, ...]}: its
   * length, tag and layout version, and a whole, non-negative observation count.
   */
  static void snapshotHead(double[] state, String detector, int length, double tag,
      double version) {
    snapshotCheck(state != null && state.length == length, detector,
        "expected " + length + " values");
    snapshotCheck(state[0] == tag, detector, "tag " + state[0] + ", expected " + tag);
    snapshotCheck(state[1] == version, detector, "layout version " + state[1]);
    snapshotCheck(state[2] >= 0 && state[2] == Math.rint(state[2]), detector,
        "observations " + state[2]);
  }

  private static String fmt(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
  }
}
