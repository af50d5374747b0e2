package io.gradflow.jobs.cli;

import java.util.List;
import java.util.Locale;

/**
 * Count phrases for the commands' messages, so that none reads "1 lines" or "2 example(s)":
 * {@code Counts.of(1, "malformed line")} is {@code "1 malformed line"}, {@code Counts.of(20000,
 * "example")} is {@code "20,000 examples"} (grouped as {@code %,d} in {@link Locale#ROOT}). The
 * plural adds an {@code s} to the phrase unless it is given. Stateless; thread-safe.
 */
public final class Counts {
  private Counts() {}

  /** {@code n} and {@code singular}, or its plural with an {@code s}, when {@code n != 1}. */
  public static String of(long n, String singular) {
    return of(n, singular, singular + "s");
  }

  /** {@code n} and {@code singular} when {@code n == 1}, else {@code plural}. */
  public static String of(long n, String singular, String plural) {
    return String.format(Locale.ROOT, "%,d %s", n, n == 1 ? singular : plural);
  }

  /** {@link #of(long, String)} of a count held as a double (a metrics accumulator), rounded. */
  public static String of(double n, String singular) {
    return of(Math.round(n), singular);
  }

  /** The phrases joined as a list is written: {@code a}, {@code a and b}, {@code a, b and c}. */
  public static String list(List<String> phrases) {
    int n = phrases.size();
    if (n <= 1) {
      return n == 0 ? "" : phrases.get(0);
    }
    return String.join(", ", phrases.subList(0, n - 1)) + " and " + phrases.get(n - 1);
  }
}
