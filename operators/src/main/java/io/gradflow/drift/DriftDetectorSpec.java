package io.gradflow.drift;

import java.util.Map;

/**
 * A drift detector's validated, immutable configuration.
 *
 * <p>Each implementation is a record whose compact constructor rejects out-of-range values with a
 * message naming the configuration key under the {@code drift} section ({@code drift.delta},
 * {@code drift.threshold}, ...), in the shape {@code "drift.delta must be in (0, 1), but was
 * 2.0"}, so {@code equals}, {@code toString} and the audit record cannot drift from the fields.
 * Thread-safe (immutable).
 */
public sealed interface DriftDetectorSpec extends java.io.Serializable
    permits AdwinSpec, PageHinkleySpec, DdmSpec {

  /** The detector's name in a configuration ({@code drift.detector}): {@code "adwin"}. */
  String configName();

  /**
   * Every parameter under its configuration name (defaults included), in a stable order: what an
   * audit record stores. Values are {@link Double} or {@link Integer}.
   */
  Map<String, Object> parameters();

  /** A fresh detector with no observations. */
  DriftDetector create();

  /**
   * A detector continuing from a {@link DriftDetector#snapshot()} of a detector of this spec: it
   * makes the same decisions as the detector that was snapshotted.
   *
   * @throws IllegalArgumentException if the array is not such a snapshot
   */
  default DriftDetector restore(double[] state) {
    DriftDetector detector = create();
    detector.restore(state);
    return detector;
  }
}
