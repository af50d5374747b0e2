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
    return isDecimal(s, 0, s.length());
  }

  /** {@link #isDecimal(String)} of {@code s.substring(from, to)}, without the substring. */
  static boolean isDecimal(String s, int from, int to) {
    int i = from;
    if (i < to && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
      i++;
    }
    int intDigits = digits(s, i, to);
    i += intDigits;
    int fracDigits = 0;
    if (i < to && s.charAt(i) == '.') {
      i++;
      fracDigits = digits(s, i, to);
      i += fracDigits;
    }
    if (intDigits == 0 && fracDigits == 0) {
      return false; // no digit before the exponent: "", "+", ".", ".e5"
    }
    if (i < to && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
      i++;
      if (i < to && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
        i++;
      }
      int expDigits = digits(s, i, to);
      if (expDigits == 0) {
        return false;
      }
      i += expDigits;
    }
    return i == to;
  }

  /** The number of ASCII digits ({@code \d}) from {@code from} on, before {@code to}. */
  private static int digits(String s, int from, int to) {
    int i = from;
    while (i < to && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
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
    float fast = exactFloat(s, 0, s.length());
    return Float.isNaN(fast) ? parseSlowly(s, what, name, lineNumber) : fast;
  }

  /**
   * The finite float written as {@code s.substring(from, to)}, read in place by the fast path
   * ({@link #exactFloat}); only a number it cannot read, or a bad one, becomes a substring. A
   * message names the value {@code what + s.substring(nameFrom, nameTo)} (a feature named in
   * the same line).
   */
  static float parse(String s, int from, int to, String what, int nameFrom, int nameTo,
      long lineNumber) throws MalformedLineException {
    float fast = exactFloat(s, from, to);
    return Float.isNaN(fast)
        ? parseSlowly(s.substring(from, to), what, s.substring(nameFrom, nameTo), lineNumber)
        : fast;
  }

  /**
   * {@link #parse(String, String, String, long)} of a value {@link #exactFloat} gave NaN for
   * (the caller tried the fast path already): {@link Float#parseFloat} of a decimal, or the
   * message.
   */
  static float parseSlowly(String s, String what, String name, long lineNumber)
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

  /** Significant digits whose mantissa is always exact as a float (10^7 < 2^24). */
  static final int EXACT_DIGITS = 7;
  /** The largest power of ten exact as a float (5^10 < 2^24). */
  static final int EXACT_POWER = 10;
  private static final float[] POWERS = {
      1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f};

  /**
   * The float of the decimal {@code s.substring(from, to)} when a fast path gives it exactly, else
   * NaN (not a decimal, too many digits, too large a power of ten): then {@link #parse} reads it
   * and writes the messages. The same float, bit for bit, as {@link Float#parseFloat}: a decimal
   * of at most {@value #EXACT_DIGITS} significant digits (a mantissa below 2^24, exact as a float)
   * and a power of ten up to 10^{@value #EXACT_POWER} (exact as a float) is one IEEE
   * multiplication or division of two exact floats, so correctly rounded: the float nearest the
   * decimal, which is what {@code parseFloat} returns (Clinger's fast path, done in float).
   */
  static float exactFloat(String s, int from, int to) {
    int i = from;
    boolean negative = false;
    if (i < to && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
      negative = s.charAt(i) == '-';
      i++;
    }
    int mantissa = 0;
    int significant = 0; // digits from the first nonzero one on
    int scale = 0; // digits after the point
    int digits = 0;
    boolean point = false;
    for (; i < to; i++) {
      char c = s.charAt(i);
      if (c >= '0' && c <= '9') {
        digits++;
        if (point) {
          scale++;
        }
        if (mantissa != 0 || c != '0') {
          if (++significant > EXACT_DIGITS) {
            return Float.NaN;
          }
          mantissa = mantissa * 10 + (c - '0');
        }
      } else if (c == '.' && !point) {
        point = true;
      } else {
        break;
      }
    }
    if (digits == 0) {
      return Float.NaN;
    }
    int exponent = 0;
    if (i < to) {
      char c = s.charAt(i);
      if (c != 'e' && c != 'E') {
        return Float.NaN;
      }
      i++;
      boolean negativeExponent = false;
      if (i < to && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
        negativeExponent = s.charAt(i) == '-';
        i++;
      }
      if (i == to) {
        return Float.NaN;
      }
      for (; i < to; i++) {
        c = s.charAt(i);
        if (c < '0' || c > '9' || exponent > 1000) {
          return Float.NaN; // not a digit, or an exponent far beyond the fast path's
        }
        exponent = exponent * 10 + (c - '0');
      }
      exponent = negativeExponent ? -exponent : exponent;
    }
    int power = exponent - scale;
    float v;
    if (mantissa == 0) {
      v = 0f;
    } else if (power >= 0 && power <= EXACT_POWER) {
      v = mantissa * POWERS[power];
    } else if (power < 0 && power >= -EXACT_POWER) {
      v = mantissa / POWERS[-power];
    } else {
      return Float.NaN;
    }
    return negative ? -v : v;
  }
}
