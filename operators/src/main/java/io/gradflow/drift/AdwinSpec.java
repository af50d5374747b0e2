package io.gradflow.drift;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Configuration of {@link Adwin}, with the parameters and defaults of MOA's and River's ADWIN.
 *
 * @param delta {@code drift.delta}: confidence, in (0, 1) (default 0.002). A cut is declared when
 *     two sub-windows' means differ by more than the bound that holds with probability
 *     {@code 1 - delta}: smaller means fewer false alarms and later detections.
 * @param clock {@code drift.clock}: check for a cut every {@code clock} observations, >= 1
 *     (default 32). A detection comes at a multiple of the clock after the last reset.
 * @param maxBuckets {@code drift.max_buckets}: the paper's M, buckets kept per row of the
 *     exponential histogram, >= 1 (default 5). Memory is about {@code 2 * M * log2(W)} doubles
 *     for a window of {@code W} observations; a larger M places cuts more finely.
 * @param minWindowLength {@code drift.min_window_length}: observations each side of a cut needs,
 *     >= 1 (default 5)
 */
public record AdwinSpec(double delta, int clock, int maxBuckets, int minWindowLength)
    implements DriftDetectorSpec {

  public static final double DEFAULT_DELTA = 0.002;
  public static final int DEFAULT_CLOCK = 32;
  public static final int DEFAULT_MAX_BUCKETS = 5;
  public static final int DEFAULT_MIN_WINDOW_LENGTH = 5;

  public AdwinSpec {
    DriftChecks.inOpenRange("drift.delta", delta, 0, 1);
    DriftChecks.atLeast("drift.clock", clock, 1);
    DriftChecks.atLeast("drift.max_buckets", maxBuckets, 1);
    DriftChecks.atLeast("drift.min_window_length", minWindowLength, 1);
  }

  /** MOA's and River's defaults: delta 0.002, clock 32, M 5, minimum sub-window 5. */
  public static AdwinSpec defaults() {
    return withDelta(DEFAULT_DELTA);
  }

  /** The defaults with the given confidence. */
  public static AdwinSpec withDelta(double delta) {
    return new AdwinSpec(delta, DEFAULT_CLOCK, DEFAULT_MAX_BUCKETS, DEFAULT_MIN_WINDOW_LENGTH);
  }

  @Override
  public String configName() {
    return "adwin";
  }

  @Override
  public Map<String, Object> parameters() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("delta", delta);
    m.put("clock", clock);
    m.put("max_buckets", maxBuckets);
    m.put("min_window_length", minWindowLength);
    return m;
  }

  @Override
  public Adwin create() {
    return new Adwin(this);
  }
}
