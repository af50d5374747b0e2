package io.gradflow.jobs.produce;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.TemporalAccessor;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Reads a timestamp column into epoch milliseconds. Without a pattern it accepts the forms tables
 * are written in: epoch milliseconds ({@code 978311640000}), an ISO-8601 instant or date-time
 * with an offset ({@code 2001-01-01T01:14:00Z}, {@code 2001-01-01T02:14:00+01:00}), a local
 * date-time with {@code T} or a space ({@code 2001-01-01T01:14:00}, {@code 2001-01-01 01:14:00},
 * {@code 2001-01-01 01:14}, with optional fractions of a second) and a date
 * ({@code 2001-01-01}, its start). A pattern is a {@link DateTimeFormatter} pattern
 * ({@code dd/MM/yyyy HH:mm}) or {@code epoch-seconds} or {@code epoch-millis}. Local times and
 * dates are in {@code zone} (UTC unless given). Immutable and thread-safe.
 */
public final class Timestamps {
  /** The pattern name for epoch seconds (MovieLens' ratings, Unix tools). */
  public static final String EPOCH_SECONDS = "epoch-seconds";
  /** The pattern name for epoch milliseconds. */
  public static final String EPOCH_MILLIS = "epoch-millis";

  private static final Pattern INTEGER = Pattern.compile("-?\\d+");
  private static final Pattern DECIMAL = Pattern.compile("-?\\d+(\\.\\d+)?");
  private final String pattern;
  private final DateTimeFormatter formatter;
  private final ZoneId zone;

  /**
   * @param pattern null for the common forms, else a {@link DateTimeFormatter} pattern,
   *     {@link #EPOCH_SECONDS} or {@link #EPOCH_MILLIS}
   * @param zone the zone of local times and dates
   * @throws IllegalArgumentException for a pattern that is not a valid pattern
   */
  public Timestamps(String pattern, ZoneId zone) {
    this.pattern = pattern;
    this.zone = zone;
    if (pattern == null || pattern.equals(EPOCH_SECONDS) || pattern.equals(EPOCH_MILLIS)) {
      this.formatter = null;
    } else {
      this.formatter = DateTimeFormatter.ofPattern(pattern, Locale.ROOT);
    }
  }

  /** Common forms, local times in UTC. */
  public static Timestamps common() {
    return new Timestamps(null, ZoneId.of("UTC"));
  }

  /**
   * Epoch milliseconds of {@code text} (trimmed, not empty).
   *
   * @throws IllegalArgumentException naming the accepted forms
   */
  public long parse(String text) {
    if (pattern == null) {
      return common(text);
    }
    try {
      if (pattern.equals(EPOCH_MILLIS)) {
        return Long.parseLong(text);
      }
      if (pattern.equals(EPOCH_SECONDS)) {
        if (!DECIMAL.matcher(text).matches()) {
          throw new NumberFormatException(text);
        }
        return new BigDecimal(text).movePointRight(3).setScale(0, RoundingMode.HALF_EVEN)
            .longValueExact();
      }
      return fromTemporal(formatter.parseBest(text, ZonedDateTime::from, LocalDateTime::from,
          LocalDate::from));
    } catch (DateTimeException | NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException("timestamp '" + text
          + "' does not match --csv-timestamp-format '" + pattern + "'");
    }
  }

  private long common(String text) {
    try {
      if (INTEGER.matcher(text).matches()) {
        return Long.parseLong(text);
      }
      String t = text.length() > 10 && text.charAt(10) == ' '
          ? text.substring(0, 10) + 'T' + text.substring(11) : text;
      if (t.length() == 10) {
        return LocalDate.parse(t, DateTimeFormatter.ISO_LOCAL_DATE).atStartOfDay(zone).toInstant()
            .toEpochMilli();
      }
      return fromTemporal(DateTimeFormatter.ISO_DATE_TIME.parseBest(t, ZonedDateTime::from,
          LocalDateTime::from));
    } catch (DateTimeException | NumberFormatException e) {
      throw new IllegalArgumentException("timestamp '" + text + "' is not a time: expected epoch"
          + " milliseconds, an ISO-8601 date-time (2001-01-01T01:14:00Z, 2001-01-01 01:14:00) or"
          + " a date (2001-01-01); --csv-timestamp-format sets another form");
    }
  }

  private long fromTemporal(TemporalAccessor t) {
    if (t instanceof ZonedDateTime z) {
      return z.toInstant().toEpochMilli();
    }
    if (t instanceof LocalDateTime l) {
      return l.atZone(zone).toInstant().toEpochMilli();
    }
    return ((LocalDate) t).atStartOfDay(zone).toInstant().toEpochMilli();
  }

  /** The accepted forms in words, for the summary: {@code "common forms, local times in UTC"}. */
  @Override
  public String toString() {
    return (pattern == null ? "common forms" : "'" + pattern + "'") + ", local times in " + zone;
  }
}
