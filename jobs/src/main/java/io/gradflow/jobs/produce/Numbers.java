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

  /**
   * Whether {@code s} is a number in decimal notation: whether {@link #DECIMAL} matches it, checked
   * by hand (once per value of every line, so without a regular expression's matcher).
   */
  static boolean isDecimal(String s) {
    int n = s.length();
    int i = 0;
    if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
      i++;
    }
    int intDigits = digits(s, i);
    i += intDigits;
    int fracDigits = 0;
    if (i < n && s.charAt(i) == '.') {
      i++;
      fracDigits = digits(s, i);
      i += fracDigits;
    }
    if (intDigits == 0 && fracDigits == 0) {
      return false; // no digit before the exponent: "", "+", ".", ".e5"
    }
    if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
      i++;
      if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
        i++;
      }
      int expDigits = digits(s, i);
      if (expDigits == 0) {
        return false;
      }
      i += expDigits;
    }
    return i == n;
  }

  /** The number of ASCII digits ({@code \d}) from {@code from} on. */
  private static int digits(String s, int from) {
    int i = from;
    while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
      i++;
    }
    return i - from;
  }

  /** {@link #isDecimal} as the regular expression it follows, for tests. */
  static boolean matchesDecimalPattern(String s) {
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
    return parse(s, what, "", lineNumber);
  }

  /**
   * {@link #parse(String, String, long)} naming the value {@code what + name} in a message; the
   * two are joined only for a message, not for every value read.
   */
  static float parse(String s, String what, String name, long lineNumber)
      throws MalformedLineException {
    if (!isDecimal(s)) { // a decimal is never a non-finite name: one test in the common case
      if (isNotFinite(s)) {
        throw new MalformedLineException(lineNumber, what + name + " '" + s + "' is not finite");
      }
      throw new MalformedLineException(lineNumber, what + name + " '" + s + "' is not a number");
    }
    float v = Float.parseFloat(s);
    if (!Float.isFinite(v)) {
      throw new MalformedLineException(lineNumber, what + name + " '" + s
          + "' is too large for a float");
    }
    return v;
  }
}
