package io.gradflow.drift;

import io.gradflow.config.Check;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Configuration of {@link Ddm}, with River's parameter names and defaults.
 *
 * @param warmStart {@code drift.warm_start}: observations after a reset before the minimum is
 *     tracked and a change can be signalled, >= 1 (default 30)
 * @param warningThreshold {@code drift.warning_threshold}: standard deviations above the
 *     minimum that raise the warning, > 0 (default 2, about 95% confidence)
 * @param driftThreshold {@code drift.drift_threshold}: standard deviations above the minimum
 *     that signal a change, >= the warning threshold (default 3, about 99% confidence)
 */
public record DdmSpec(int warmStart, double warningThreshold, double driftThreshold)
    implements DriftDetectorSpec {

  public static final int DEFAULT_WARM_START = 30;
  public static final double DEFAULT_WARNING_THRESHOLD = 2;
  public static final double DEFAULT_DRIFT_THRESHOLD = 3;

  public DdmSpec {
    DriftChecks.atLeast("drift.warm_start", warmStart, 1);
    Check.positive("drift.warning_threshold", warningThreshold);
    Check.positive("drift.drift_threshold", driftThreshold);
    Check.conflict(driftThreshold < warningThreshold, "drift.drift_threshold",
        "drift.warning_threshold", "a change must need at least the deviation of a warning, but "
            + driftThreshold + " < " + warningThreshold);
  }

  /** River's defaults: warm start 30, warning at 2, change at 3 standard deviations. */
  public static DdmSpec defaults() {
    return new DdmSpec(DEFAULT_WARM_START, DEFAULT_WARNING_THRESHOLD, DEFAULT_DRIFT_THRESHOLD);
  }

  @Override
  public String configName() {
    return "ddm";
  }

  @Override
  public Map<String, Object> parameters() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("warm_start", warmStart);
    m.put("warning_threshold", warningThreshold);
    m.put("drift_threshold", driftThreshold);
    return m;
  }

  @Override
  public Ddm create() {
    return new Ddm(this);
  }
}
