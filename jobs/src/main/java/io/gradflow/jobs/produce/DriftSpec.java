package io.gradflow.jobs.produce;

import java.util.Locale;
import java.util.random.RandomGenerator;

/**
 * How a synthetic stream's concept (its ground truth) changes over the example index {@code t}:
 * <ul>
 *   <li>{@code NONE}: concept 0 throughout;
 *   <li>{@code ABRUPT}: concept 0 before {@code at}, concept 1 from {@code at} on;
 *   <li>{@code GRADUAL}: from {@code at}, each example follows concept 1 with a probability that
 *       rises linearly from 0 to 1 over {@code width} examples (the two concepts mix);
 *   <li>{@code RECURRING}: concepts 0 and 1 alternate every {@code period} examples.
 * </ul>
 * Independently, {@code newIdsEvery > 0} makes {@code newIdsCount} brand-new ids enter at the head
 * of each vocabulary's popularity ranking every {@code newIdsEvery} examples (the oldest ids fall
 * off its tail), as new items and ads do: rank {@code r} at epoch {@code e = t / newIdsEvery} is
 * id {@code e * newIdsCount + (V - 1 - r)}.
 */
public record DriftSpec(Kind kind, long at, long width, long period, long newIdsEvery,
    int newIdsCount) {

  public enum Kind { NONE, ABRUPT, GRADUAL, RECURRING;

    public static Kind parse(String s) {
      try {
        return valueOf(s.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("drift must be none, abrupt, gradual or recurring,"
            + " but was " + s);
      }
    }
  }

  public static final DriftSpec NONE = new DriftSpec(Kind.NONE, 0, 0, 0, 0, 0);

  public DriftSpec {
    if (at < 0 || width < 0 || period < 0 || newIdsEvery < 0 || newIdsCount < 0) {
      throw new IllegalArgumentException("drift positions must be >= 0");
    }
    if (kind == Kind.GRADUAL && width <= 0) {
      throw new IllegalArgumentException("gradual drift needs a width > 0 (--drift-width)");
    }
    if (kind == Kind.RECURRING && period <= 0) {
      throw new IllegalArgumentException("recurring drift needs a period > 0 (--drift-period)");
    }
    if (newIdsEvery > 0 && newIdsCount <= 0) {
      throw new IllegalArgumentException("--new-ids-every needs --new-ids-count > 0");
    }
  }

  /** The concept of example {@code t}; draws from {@code random} only in a gradual transition. */
  public int concept(long t, RandomGenerator random) {
    return switch (kind) {
      case NONE -> 0;
      case ABRUPT -> t < at ? 0 : 1;
      case GRADUAL -> t < at ? 0 : t >= at + width ? 1
          : random.nextDouble() < (double) (t - at) / width ? 1 : 0;
      case RECURRING -> (int) ((t / period) % 2);
    };
  }

  /** The id of popularity rank {@code rank} in a vocabulary of {@code size} at example {@code t}. */
  public long id(int rank, int size, long t) {
    long epoch = newIdsEvery > 0 ? t / newIdsEvery : 0;
    return epoch * newIdsCount + (size - 1 - rank);
  }
}
