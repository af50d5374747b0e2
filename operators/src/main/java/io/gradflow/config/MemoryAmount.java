package io.gradflow.config;

import java.io.Serializable;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An amount of memory as a setting gives it: a share of the JVM's maximum heap ({@code 0.1}),
 * or a size ({@code 256mb}, {@code 2g}, {@code 512 kb}), in the spelling of
 * Flink's {@code MemorySize} (b, k, kb, m, mb, g, gb, t, tb and the units' long names, each a
 * power of 1024; the case and a space before the unit do not matter). A share is what a setting that must scale with the TaskManager uses, as Flink's
 * own memory fractions do; a size is for a user who knows the bytes.
 *
 * <p>Exactly one of {@code fraction} (in (0, 1)) and {@code bytes} (> 0) is set, the other 0.
 * Immutable and thread-safe; serializable, as part of the trainer's settings in a job graph.
 */
public record MemoryAmount(double fraction, long bytes) implements Serializable {
  private static final Pattern SIZE = Pattern.compile(
      "(\\d+)\\s*(b|bytes|k|kb|kibibytes|m|mb|mebibytes|g|gb|gibibytes|t|tb|tebibytes)?");
  private static final String[] UNITS = {"tb", "gb", "mb", "kb"};

  public MemoryAmount {
    if ((fraction == 0) == (bytes == 0) || bytes < 0 || !(fraction >= 0 && fraction < 1)) {
      throw new IllegalArgumentException("a memory amount is a fraction in (0, 1) or a size"
          + " > 0, but was fraction " + fraction + " and " + bytes + " bytes");
    }
  }

  /** A share of the JVM's maximum heap, in (0, 1). */
  public static MemoryAmount ofHeap(double fraction) {
    return new MemoryAmount(fraction, 0);
  }

  /** A size in bytes, > 0. */
  public static MemoryAmount ofBytes(long bytes) {
    return new MemoryAmount(0, bytes);
  }

  /** Whether this is a share of the heap (not a size). */
  public boolean isFraction() {
    return fraction > 0;
  }

  /** The bytes this amount stands for in a JVM whose maximum heap is {@code maxHeap} bytes. */
  public long bytesOf(long maxHeap) {
    return isFraction() ? (long) (fraction * maxHeap) : bytes;
  }

  /**
   * Reads a setting's value at key {@code key}: a number in (0, 1) is a share of the heap; text
   * of a whole number and a unit is a size (without a unit, bytes, as Flink reads it). A YAML
   * number of 1 or more is refused: {@code 256} is more likely meant as megabytes than bytes.
   *
   * @throws ConfigException naming the key and what is accepted
   */
  public static MemoryAmount parse(String key, Object raw) {
    if (raw instanceof Number n) {
      double v = n.doubleValue();
      if (v > 0 && v < 1) {
        return ofHeap(v);
      }
      throw refused(key, raw);
    }
    if (raw instanceof String s) {
      String text = s.trim().toLowerCase(Locale.ROOT);
      Matcher m = SIZE.matcher(text);
      if (m.matches()) {
        long shift = switch (m.group(2) == null ? "b" : m.group(2).substring(0, 1)) {
          case "k" -> 10;
          case "m" -> 20;
          case "g" -> 30;
          case "t" -> 40;
          default -> 0;
        };
        try {
          long n = Long.parseLong(m.group(1));
          if (n > 0 && n <= Long.MAX_VALUE >> shift) {
            return ofBytes(n << shift);
          }
        } catch (NumberFormatException tooLong) {
          // refused below
        }
        throw refused(key, raw);
      }
      try {
        return parse(key, Double.valueOf(text));
      } catch (NumberFormatException notANumber) {
        throw refused(key, raw);
      }
    }
    throw refused(key, raw);
  }

  private static ConfigException refused(String key, Object raw) {
    return new ConfigException(key, key + " must be a fraction of the heap in (0, 1) such as"
        + " 0.1, or a size such as 256mb or 2g, but was " + SettingType.shown(raw, false));
  }

  /**
   * As a setting shows it, and {@link #parse} reads it back: the fraction ({@code 0.1}), or the
   * size in the largest unit that holds it whole ({@code 256mb}, {@code 1000b}).
   */
  @Override
  public String toString() {
    if (isFraction()) {
      return Double.toString(fraction);
    }
    for (int i = 0; i < UNITS.length; i++) {
      int shift = 10 * (UNITS.length - i);
      if (bytes % (1L << shift) == 0) {
        return (bytes >> shift) + UNITS[i];
      }
    }
    return bytes + "b";
  }

  /** Bytes for a person: {@code 33.8 MB}, {@code 7.9 GB}, {@code 512 B} (powers of 1024). */
  public static String human(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"kB", "MB", "GB", "TB"};
    double v = bytes;
    int i = -1;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[i]);
  }
}
