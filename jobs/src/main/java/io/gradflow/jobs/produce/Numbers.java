package io.gradflow.jobs.produce;

import java.util.regex.Pattern;

/**
 * Numbers as text files write them: plain decimal notation ({@code 1}, {@code -0.5}, {@code .5},
 * {@code 1e-3}) and nothing else, so that {@code 1f}, {@code 0x10} or {@code Infinity} (which
 * {@link Float#parseFloat} accepts) are never read as numbers by accident. Stateless.
 */
final class Numbers {
  private static final Pattern DECIMAL =
      Pattern.compile("[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?");
  private static final Pattern NOT_FINITE =
      Pattern.compile("[+-]?(?:nan|inf|infinity)", Pattern.CASE_INSENSITIVE);

  private Numbers() {}

  /** Whether {@code s} is a number in decimal notation. */
  static boolean isDecimal(String s) {
    return DECIMAL.matcher(s).matches();
  }

  /** Whether {@code s} names a non-finite value ({@code NaN}, {@code inf}, {@code -Infinity}). */
  static boolean isNotFinite(String s) {
    return NOT_FINITE.matcher(s).matches();
  }

  /**
   * The finite float written as {@code s}.
   *
   * @param what names the value in the message: {@code "label"}, {@code "column price"}
   */
  static float parse(String s, String what, long lineNumber) throws MalformedLineException {
    if (isNotFinite(s)) {
      throw new MalformedLineException(lineNumber, what + " '" + s + "' is not finite");
    }
    if (!isDecimal(s)) {
      throw new MalformedLineException(lineNumber, what + " '" + s + "' is not a number");
    }
    float v = Float.parseFloat(s);
    if (!Float.isFinite(v)) {
      throw new MalformedLineException(lineNumber, what + " '" + s
          + "' is too large for a float");
    }
    return v;
  }
}
