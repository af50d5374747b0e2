package io.gradflow.drift;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Configuration of {@link PageHinkley}, with River's parameter names and defaults.
 *
 * @param minInstances {@code drift.min_instances}: observations after a reset before a change can
 *     be signalled, >= 1 (default 30)
 * @param delta {@code drift.delta}: the magnitude of increase tolerated, subtracted from every
 *     deviation, >= 0 (default 0.005), in the units of the watched value
 * @param threshold {@code drift.threshold}: the paper's lambda, > 0 (default 50), in the units of
 *     the watched value: a change is signalled when the cumulative deviation above the running
 *     mean reaches it. Larger means fewer false alarms and later detections.
 * @param alpha {@code drift.alpha}: forgetting factor of the cumulative deviation, in (0, 1]
 *     (default 1 - 0.0001); 1 forgets nothing
 */
public record PageHinkleySpec(int minInstances, double delta, double threshold, double alpha)
    implements DriftDetectorSpec {

  public static final int DEFAULT_MIN_INSTANCES = 30;
  public static final double DEFAULT_DELTA = 0.005;
  public static final double DEFAULT_THRESHOLD = 50;
  public static final double DEFAULT_ALPHA = 1 - 0.0001;

  public PageHinkleySpec {
    DriftChecks.atLeast("drift.min_instances", minInstances, 1);
    io.gradflow.config.Check.nonNegative("drift.delta", delta);
    io.gradflow.config.Check.positive("drift.threshold", threshold);
    DriftChecks.inHalfOpenRange("drift.alpha", alpha, 0, 1);
  }

  /** River's defaults: 30 instances, delta 0.005, threshold 50, alpha 1 - 0.0001. */
  public static PageHinkleySpec defaults() {
    return new PageHinkleySpec(
        DEFAULT_MIN_INSTANCES, DEFAULT_DELTA, DEFAULT_THRESHOLD, DEFAULT_ALPHA);
  }

  @Override
  public String configName() {
    return "page_hinkley";
  }

  @Override
  public Map<String, Object> parameters() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("min_instances", minInstances);
    m.put("delta", delta);
    m.put("threshold", threshold);
    m.put("alpha", alpha);
    return m;
  }

  @Override
  public PageHinkley create() {
    return new PageHinkley(this);
  }
}
