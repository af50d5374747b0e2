package io.gradflow.drift;

/**
 * DDM, the drift detection method of Gama, Medas, Castillo and Rodrigues 2004 ("Learning with
 * Drift Detection"), as River's {@code drift.binary.DDM} runs it: it watches a stream of errors
 * (1 for a wrong prediction, 0 for a right one) and signals a change when the error rate rises
 * significantly above the lowest rate seen since the last reset.
 *
 * <pre>
 *   p = the mean of the observations since the last reset, s = sqrt(p * (1 - p) / n)
 *   after warm_start observations: when p + s <= p_min + s_min, (p_min, s_min) = (p, s)
 *   warning while p + s > p_min + warning_threshold * s_min
 *   change  when  p + s > p_min + drift_threshold * s_min; then reset
 * </pre>
 *
 * <p>The observations must lie in [0, 1]; the bound assumes 0/1 errors (a Bernoulli rate), so a
 * value in between is read as a probability of error. False alarms: each observation is a
 * one-sided test at {@code drift_threshold} standard deviations (3 by default, about 0.1% per
 * test under a normal approximation), repeated at every observation, so a stationary error rate
 * rarely but not never signals (measured with the defaults: 10 false alarms in 1,000,000 draws
 * of a 0/1 value of mean 0.5, 37 of mean 0.2); a falling rate never signals. Since {@code p} is
 * the mean of everything since the last reset, it moves more slowly after a change the longer
 * the history before it was: the delay grows with that history, and a small rise in the error
 * rate takes hundreds of observations (DDM's known weakness on gradual change).
 *
 * <p>Memory: six numbers. Not thread-safe. Snapshot layout: {@code [3 (tag), 1 (version), n, p,
 * p_min, s_min, warning (0 or 1)]}; {@code p_min} and {@code s_min} are infinite until the warm
 * start has passed.
 */
public final class Ddm implements DriftDetector {
  static final double TAG = 3;
  static final double VERSION = 1;
  private static final int SNAPSHOT_LENGTH = 7;

  private final DdmSpec spec;
  private long observations;
  private double errorRate;
  private double minimumRate;
  private double minimumDeviation;
  private boolean warning;

  Ddm(DdmSpec spec) {
    this.spec = spec;
    reset();
  }

  @Override
  public boolean update(double x) {
    DriftChecks.finiteObservation(x);
    if (x < 0 || x > 1) {
      throw new IllegalArgumentException("DDM observes errors in [0, 1], but was " + x);
    }
    observations++;
    errorRate += (x - errorRate) / observations;
    if (observations <= spec.warmStart()) {
      return false;
    }
    double deviation = Math.sqrt(errorRate * (1 - errorRate) / observations);
    if (errorRate + deviation <= minimumRate + minimumDeviation) {
      minimumRate = errorRate;
      minimumDeviation = deviation;
    }
    if (errorRate + deviation > minimumRate + spec.driftThreshold() * minimumDeviation) {
      reset();
      return true;
    }
    warning = errorRate + deviation > minimumRate + spec.warningThreshold() * minimumDeviation;
    return false;
  }

  /** Whether the error rate is in the warning zone (cleared by a detection). */
  public boolean warning() {
    return warning;
  }

  @Override
  public long observations() {
    return observations;
  }

  /** The error rate since the last reset. */
  @Override
  public double estimate() {
    return errorRate;
  }

  @Override
  public DdmSpec spec() {
    return spec;
  }

  @Override
  public void reset() {
    observations = 0;
    errorRate = 0;
    minimumRate = Double.POSITIVE_INFINITY;
    minimumDeviation = Double.POSITIVE_INFINITY;
    warning = false;
  }

  @Override
  public double[] snapshot() {
    return new double[] {TAG, VERSION, observations, errorRate, minimumRate, minimumDeviation,
        warning ? 1 : 0};
  }

  @Override
  public void restore(double[] state) {
    String name = "DDM";
    DriftChecks.snapshotHead(state, name, SNAPSHOT_LENGTH, TAG, VERSION);
    DriftChecks.snapshotCheck(state[3] >= 0 && state[3] <= 1, name, "error rate " + state[3]);
    DriftChecks.snapshotCheck(!Double.isNaN(state[4]) && !Double.isNaN(state[5])
        && (state[6] == 0 || state[6] == 1), name, "minimum or warning");
    observations = (long) state[2];
    errorRate = state[3];
    minimumRate = state[4];
    minimumDeviation = state[5];
    warning = state[6] == 1;
  }

  @Override
  public String toString() {
    return "Ddm" + spec.parameters() + "{n=" + observations + ", p=" + errorRate + "}";
  }
}
