package io.gradflow.config;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A position in Kafka topics as a configuration writes it, before the Kafka wiring turns it into
 * offsets: where a source starts ({@code kafka.starting_offsets}) or where a bounded replay ends
 * ({@code kafka.bounded}). Plain Java, so the declarations need no Kafka types. Immutable.
 *
 * @param kind which position
 * @param timestamp epoch milliseconds, for {@link Kind#TIMESTAMP}
 * @param offsets the offsets by partition, for {@link Kind#OFFSETS}
 */
public record StreamPosition(Kind kind, long timestamp, List<PartitionOffset> offsets) {

  /** The kinds of positions. */
  public enum Kind { NONE, EARLIEST, LATEST, COMMITTED, TIMESTAMP, OFFSETS }

  /** An offset of one partition of a topic. */
  public record PartitionOffset(String topic, int partition, long offset) {}

  public StreamPosition {
    offsets = List.copyOf(offsets == null ? List.of() : offsets);
  }

  public static StreamPosition of(Kind kind) {
    return new StreamPosition(kind, 0, List.of());
  }

  @Override
  public String toString() {
    return switch (kind) {
      case TIMESTAMP -> "{timestamp: " + timestamp + "}";
      case OFFSETS -> {
        List<String> parts = new ArrayList<>();
        for (PartitionOffset o : offsets) {
          parts.add("\"" + o.topic() + ":" + o.partition() + "\": " + o.offset());
        }
        yield "{offsets: {" + String.join(", ", parts) + "}}";
      }
      default -> kind.name().toLowerCase(Locale.ROOT);
    };
  }

  /**
   * Reads a position; null when the value has none of the accepted shapes (the caller says which
   * those are).
   *
   * @param end whether the position ends a replay: then {@code none} is accepted, and it is
   *     refused otherwise
   */
  static StreamPosition parse(String key, Object value, boolean end) {
    if (value instanceof String s) {
      return switch (s.trim().toLowerCase(Locale.ROOT)) {
        case "earliest" -> of(Kind.EARLIEST);
        case "latest" -> of(Kind.LATEST);
        case "committed" -> of(Kind.COMMITTED);
        case "none" -> end ? of(Kind.NONE) : null;
        default -> null;
      };
    }
    if (value instanceof Map<?, ?> m && m.size() == 1) {
      Object k = m.keySet().iterator().next();
      Object v = m.values().iterator().next();
      if ("timestamp".equals(k)) {
        return new StreamPosition(Kind.TIMESTAMP, epochMillis(key + ".timestamp", v), null);
      }
      if ("offsets".equals(k) && v instanceof Map<?, ?> offsets && !offsets.isEmpty()) {
        List<PartitionOffset> parsed = new ArrayList<>();
        for (Map.Entry<?, ?> e : offsets.entrySet()) {
          String tp = String.valueOf(e.getKey());
          String entryKey = key + ".offsets." + tp;
          int colon = tp.lastIndexOf(':');
          int partition;
          try {
            partition = colon > 0 ? Integer.parseInt(tp.substring(colon + 1)) : -1;
          } catch (NumberFormatException ex) {
            partition = -1;
          }
          if (partition < 0) {
            throw new ConfigException(entryKey, entryKey + " must be named topic:partition"
                + " (for example examples:0), but was '" + tp + "'");
          }
          if (!(e.getValue() instanceof Number n) || n.longValue() < 0
              || n.doubleValue() != n.longValue()) {
            throw new ConfigException(entryKey, entryKey + " must be an offset >= 0, but was "
                + SettingType.shown(e.getValue(), false));
          }
          parsed.add(new PartitionOffset(tp.substring(0, colon), partition, n.longValue()));
        }
        return new StreamPosition(Kind.OFFSETS, 0, parsed);
      }
    }
    return null;
  }

  private static long epochMillis(String key, Object v) {
    if (v instanceof Number n && n.longValue() >= 0 && n.doubleValue() == n.longValue()) {
      return n.longValue();
    }
    if (v instanceof String s) {
      try {
        return Instant.parse(s).toEpochMilli();
      } catch (DateTimeParseException e) {
        // refused below
      }
    }
    throw new ConfigException(key, key + " must be epoch milliseconds or an ISO-8601 instant"
        + " (2024-01-31T12:00:00Z), but was " + SettingType.shown(v, false));
  }
}
