package io.gradflow.drift;

/**
 * The Page-Hinkley test (Page 1954, "Continuous Inspection Schemes"), as Gama et al. 2013 ("On
 * evaluating stream learning algorithms") and River's {@code drift.PageHinkley} run it: it
 * detects an <em>increase</em> of the mean, such as a model's loss going up. A decrease (a loss
 * going down) is never signalled.
 *
 * <pre>
 *   n    = n + 1
 *   mean = mean + (x - mean) / n                      the running mean since the last reset
 *   m    = max(0, alpha * m + (x - mean - delta))     cumulative deviation above the mean
 *   change when n >= min_instances and m >= threshold (lambda); then reset n, mean and m
 * </pre>
 *
 * <p>{@code min_instances} counts from 1 at the first observation after a reset; River's
 * counter starts one ahead, so River may signal one observation earlier. Keeping {@code m} at
 * or above 0 is the usual form of {@code m_T - min_t m_t}. False alarms:
 * {@code threshold} and {@code delta} are in the units of the watched value, so they must suit its
 * scale. On a stationary stream {@code m} behaves like a random walk reflected at 0 with a drift
 * of {@code -delta} per observation, so with a value of standard deviation {@code s} the chance
 * of a false alarm within {@code n} observations grows with {@code s * sqrt(n) / threshold}; a
 * noisy value needs a larger threshold (or a larger {@code delta}), and the early observations
 * after a reset, while the running mean is still rough, are the likeliest to raise one (hence
 * {@code min_instances}). Measured with the defaults ({@code DetectionQualityTest}): 23 false
 * alarms in 1,000,000 draws uniform on {0, 1}, 7 for a 0/1 value of mean 0.2, but 281 for unit
 * normal draws: for a value of standard deviation 1, raise the threshold. A detection needs
 * about {@code threshold / shift} observations after a shift of the mean by {@code shift}.
 *
 * <p>Memory: three numbers. Not thread-safe. Snapshot layout: {@code [2 (tag), 1 (version), n,
 * mean, m]}.
 */
public final class PageHinkley implements DriftDetector {
  static final double TAG = 2;
  static final double VERSION = 1;
  private static final int SNAPSHOT_LENGTH = 5;

  private final PageHinkleySpec spec;
  private long observations;
  private double mean;
  private double cumulativeDeviation;

  PageHinkley(PageHinkleySpec spec) {
    this.spec = spec;
  }

  @Override
  public boolean update(double x) {
    DriftChecks.finiteObservation(x);
    observations++;
    mean += (x - mean) / observations;
    cumulativeDeviation =
        Math.max(0, spec.alpha() * cumulativeDeviation + (x - mean - spec.delta()));
    if (observations >= spec.minInstances() && cumulativeDeviation >= spec.threshold()) {
      reset();
      return true;
    }
    return false;
  }

  @Override
  public long observations() {
    return observations;
  }

  @Override
  public double estimate() {
    return mean;
  }

  /** The cumulative deviation above the running mean, compared with the threshold. */
  public double cumulativeDeviation() {
    return cumulativeDeviation;
  }

  @Override
  public PageHinkleySpec spec() {
    return spec;
  }

  @Override
  public void reset() {
    observations = 0;
    mean = 0;
    cumulativeDeviation = 0;
  }

  @Override
  public double[] snapshot() {
    return new double[] {TAG, VERSION, observations, mean, cumulativeDeviation};
  }

  @Override
  public void restore(double[] state) {
    String name = "Page-Hinkley";
    DriftChecks.snapshotHead(state, name, SNAPSHOT_LENGTH, TAG, VERSION);
    DriftChecks.snapshotCheck(Double.isFinite(state[3]) && state[4] >= 0
        && Double.isFinite(state[4]), name, "mean " + state[3] + ", deviation " + state[4]);
    observations = (long) state[2];
    mean = state[3];
    cumulativeDeviation = state[4];
  }

  @Override
  public String toString() {
    return "PageHinkley" + spec.parameters() + "{n=" + observations + ", mean=" + mean
        + ", m=" + cumulativeDeviation + "}";
  }
}
