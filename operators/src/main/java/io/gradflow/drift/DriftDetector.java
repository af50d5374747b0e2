package io.gradflow.drift;

/**
 * A change detector watching one stream of numbers, for example a model's prequential loss or
 * error: each {@link #update(double)} adds one observation and says whether the distribution of
 * the stream has just changed.
 *
 * <p>Contract shared by every detector:
 *
 * <ul>
 *   <li>{@link #update(double)} returns {@code true} exactly at the observation where a change is
 *       detected, and the detector then resets itself (as River's detectors do): the next
 *       observation starts a fresh watch, so one change is reported once and the counts of
 *       {@link #observations()} restart at 0.
 *   <li>Deterministic: the same observations give the same decisions. No clock, no randomness.
 *   <li>{@link #snapshot()} returns the whole mutable state as a fresh {@code double[]} (a plain
 *       array that a Flink operator can keep in keyed state with Flink's primitive-array
 *       serializer); {@link #restore(double[])} on a detector created from an equal
 *       {@link DriftDetectorSpec} makes the same decisions afterwards as the detector that was
 *       snapshotted. The array's first two entries are the detector's tag and the layout version;
 *       counts are stored as doubles, exact up to 2^53.
 * </ul>
 *
 * <p>Implementations are mutable and not thread-safe: one detector per watched stream, used by
 * one thread (in Flink, the task thread of the model's key).
 */
public interface DriftDetector {

  /**
   * Adds one observation; {@code true} when it completes the detection of a change, after which
   * the detector has already reset itself.
   *
   * @throws IllegalArgumentException if {@code x} is NaN or infinite: a watched loss must be
   *     finite (clip it before, as the log loss does)
   */
  boolean update(double x);

  /**
   * Whether the change just detected ({@link #update} returned {@code true}) raised the stream's
   * mean: a watched loss went up. Page-Hinkley and DDM detect only increases; ADWIN detects a
   * change either way, and says which. Meaningful only right after a detection.
   */
  default boolean lastChangeIncreased() {
    return true;
  }

  /** Observations since creation or since the last reset (a detection resets it). */
  long observations();

  /**
   * The detector's current estimate of the stream's mean (ADWIN: the mean of its window;
   * Page-Hinkley: the running mean since the last reset); 0 before any observation.
   */
  double estimate();

  /** The configuration this detector was created from. */
  DriftDetectorSpec spec();

  /** Forgets every observation, as after a detection. */
  void reset();

  /** The whole mutable state, as a fresh array that this detector does not keep. */
  double[] snapshot();

  /**
   * Replaces this detector's state with one taken by {@link #snapshot()} of a detector of the same
   * kind and configuration. The array is copied, not kept.
   *
   * @throws IllegalArgumentException if the array is not such a snapshot (another detector's,
   *     another layout version, or inconsistent); the detector is then left unchanged
   */
  void restore(double[] state);
}
