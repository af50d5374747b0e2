package io.gradflow.state;

import io.gradflow.config.Check;
import java.io.Serializable;
import java.time.Duration;

/**
 * How a model keeps its row count bounded on a stream whose ids never stop coming (the
 * {@code rows:} section): expiry of rows not updated for a while, and admission of a new sparse
 * row only after its feature has been seen a few times or by chance per sighting (McMahan et al.
 * 2013, "Ad Click Prediction: a View from the Trenches", section 5.1, probabilistic inclusion).
 * The bias row and the dense features' rows are always admitted and never expire.
 *
 * <p>Admission counts a feature's sightings in a count-min sketch ({@link CountMinSketch}) of
 * {@code sketchWidth} x {@value #SKETCH_DEPTH} counters kept with the model
 * ({@link RowBook}); a count can only be over-estimated, so a feature is never admitted later
 * than {@code admitAfter} sightings. The probabilistic rule draws from a hash of (row id, sighting
 * count, a fixed seed), so a replay decides exactly as the first run did.
 *
 * <p>Immutable, serializable, thread-safe.
 *
 * @param expireAfter a row not updated for this long in event time (its own last update against
 *     the time the model's owner sweeps at) expires: its weights and slots are reset and it stops
 *     counting; resolution one hour ({@link PageFormat#stamp}); zero never expires
 * @param admitAfter a new sparse row is created at its feature's {@code admitAfter}-th sighting in
 *     a learned example; 1 admits at once
 * @param admitProbability a new sparse row is created with this probability per sighting; 1
 *     admits at once. Cannot be combined with {@code admitAfter > 1}
 * @param sketchWidth counters per row of the admission sketch, a power of two
 */
public record RowPolicy(Duration expireAfter, int admitAfter, double admitProbability,
    int sketchWidth) implements Serializable {
  /** Rows of the admission sketch (independent hashes). */
  public static final int SKETCH_DEPTH = 4;
  public static final int DEFAULT_SKETCH_WIDTH = 1 << 16;
  /** Keeps every row: no expiry, no admission control. */
  public static final RowPolicy NONE = new RowPolicy(Duration.ZERO, 1, 1.0, DEFAULT_SKETCH_WIDTH);
  private static final long SEED = 0x5EED_0F_AD_1155L;

  public RowPolicy {
    if (expireAfter == null || expireAfter.isNegative()
        || !expireAfter.isZero() && expireAfter.toMillis() < PageFormat.STAMP_MILLIS) {
      throw new io.gradflow.config.ConfigException("rows.expire_after",
          "rows.expire_after must be 0 (off) or at least 1h (expiry's resolution), but was "
              + expireAfter);
    }
    Check.positive("rows.admit_after", admitAfter);
    if (!(admitProbability > 0 && admitProbability <= 1)) {
      throw new io.gradflow.config.ConfigException("rows.admit_probability",
          "rows.admit_probability must be in (0, 1], but was " + admitProbability);
    }
    Check.conflict(admitAfter > 1 && admitProbability < 1, "rows.admit_after",
        "rows.admit_probability", "admit a row either after a number of sightings or by chance"
            + " per sighting, not both");
    if (sketchWidth < 16 || sketchWidth > (1 << 24) || Integer.bitCount(sketchWidth) != 1) {
      throw new io.gradflow.config.ConfigException("rows.sketch_width",
          "rows.sketch_width must be a power of two in [16, 2^24], but was " + sketchWidth);
    }
  }

  /**
   * Every setting under its configuration name ({@code rows.expire_after} as a
   * {@link java.time.Duration}, which the audit record spells as the configuration does,
   * {@code admit_after}, {@code admit_probability}, {@code sketch_width}), in a stable order: the
   * audit record's form.
   */
  public java.util.Map<String, Object> parameters() {
    java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("expire_after", expireAfter);
    m.put("admit_after", admitAfter);
    m.put("admit_probability", admitProbability);
    m.put("sketch_width", sketchWidth);
    return m;
  }

  public boolean expires() {
    return !expireAfter.isZero();
  }

  /**
   * Whether rows need stamps (page format 2): with expiry or admission control. Without, pages
   * stay in format 1, which is faster ({@link PageFormat}).
   */
  public boolean stamped() {
    return expires() || !admitsAll();
  }

  /** The page format of this policy's models: 2 with stamps, else 1. */
  public int pageFormat() {
    return PageFormat.version(stamped() ? 1 : 0);
  }

  /** Whether every new row is admitted at once (no sketch is kept). */
  public boolean admitsAll() {
    return admitAfter == 1 && admitProbability == 1.0;
  }

  /**
   * Whether the feature of row {@code rowId}, at its {@code sightings}-th sighting, is admitted.
   * Deterministic: the probabilistic rule draws a uniform number from a hash of the row id, the
   * count and a fixed seed.
   */
  public boolean admits(long rowId, int sightings) {
    if (admitAfter > 1) {
      return sightings >= admitAfter;
    }
    long h = PageFormat.mix(PageFormat.mix(rowId ^ SEED) + sightings);
    return (h >>> 11) * 0x1.0p-53 < admitProbability;
  }

  /**
   * The sweep interval this policy suggests: an eighth of {@code expireAfter}, at least the stamp
   * resolution (one hour), so the row count overshoots its steady state by at most about 1/8.
   */
  public Duration suggestedSweepInterval() {
    Duration eighth = expireAfter.dividedBy(8);
    Duration hour = Duration.ofMillis(PageFormat.STAMP_MILLIS);
    return eighth.compareTo(hour) < 0 ? hour : eighth;
  }
}
