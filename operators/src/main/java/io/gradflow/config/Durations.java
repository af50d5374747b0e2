package io.gradflow.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses and prints durations in configurations: {@code 500ms}, {@code 10s}, {@code 5m},
 * {@code 6h}, {@code 2d} or ISO-8601 ({@code PT6H}). Stateless.
 */
public final class Durations {
  private static final Pattern SHORT = Pattern.compile("(\\d+)\\s*(ms|s|m|min|h|d)");

  private Durations() {}

  /** The duration {@code text} at configuration key {@code key}, or a message naming the key. */
  public static Duration parse(String key, String text) {
    Matcher m = SHORT.matcher(text.trim());
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m", "min" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
    }
    try {
      return Duration.parse(text.trim());
    } catch (RuntimeException e) {
      throw new ConfigException(key, key + " must be a duration such as 500ms, 10s, 5m, 6h, 2d"
          + " or PT6H, but was '" + text + "'");
    }
  }

  /**
   * The shortest of the configuration spellings that is exact: {@code 15m}, {@code 300ms},
   * {@code 0}; {@link #parse} reads it back to the same duration.
   */
  public static String format(Duration d) {
    if (d.isZero()) {
      return "0";
    }
    if (d.isNegative() || d.getNano() % 1_000_000 != 0) {
      return d.toString();
    }
    long ms = d.toMillis();
    long[] units = {86_400_000L, 3_600_000L, 60_000L, 1000L};
    String[] names = {"d", "h", "m", "s"};
    for (int i = 0; i < units.length; i++) {
      if (ms % units[i] == 0) {
        return ms / units[i] + names[i];
      }
    }
    return ms + "ms";
  }
}
