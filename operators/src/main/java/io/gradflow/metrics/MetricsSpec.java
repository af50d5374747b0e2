package io.gradflow.metrics;

import io.gradflow.config.Check;
import io.gradflow.config.ConfigException;
import io.gradflow.config.TrainSettings;

/**
 * Settings of {@link PrequentialMetrics}. Immutable and thread-safe; the state these settings
 * imply costs {@code 9 + 2 (7 + 3 bins) + 512 + 3 window} doubles per model key (4.8 kB with the
 * defaults).
 *
 * @param window {@code metrics.window}: N, how many of the latest (prediction, label, weight)
 *     records are kept for an exact AUC (>= 0; 3 doubles each in the state); 0, the default,
 *     keeps none and computes the AUC from a histogram within a reported bound
 *     ({@link AucHistogram})
 * @param fadingFactor {@code metrics.fading_factor}: alpha in (0, 1], the weight of a record
 *     relative to the next one in the fading-factor view (Gama et al. 2013); 1 never forgets, an
 *     effective memory of about {@code 1 / (1 - alpha)} records
 * @param calibrationBins {@code metrics.calibration_bins}: equal-width prediction bins of the
 *     reliability diagram (>= 0; 0 disables it; 6 doubles each in the state)
 */
public record MetricsSpec(int window, double fadingFactor, int calibrationBins)
    implements java.io.Serializable {
  /**
   * The declared defaults ({@code metrics.window}, {@code metrics.fading_factor},
   * {@code metrics.calibration_bins}): no window (the AUC from a histogram), alpha 0.999 (memory
   * about 1,000 records), 10 bins.
   */
  public static final MetricsSpec DEFAULT = new MetricsSpec(
      TrainSettings.METRICS_WINDOW.defaultValue(),
      TrainSettings.METRICS_FADING_FACTOR.defaultValue(),
      TrainSettings.METRICS_CALIBRATION_BINS.defaultValue());

  /** Bounds the state (3 doubles per record) at 240 MB per model key. */
  public static final int MAX_WINDOW = 10_000_000;

  public MetricsSpec {
    Check.nonNegative("metrics.window", window);
    if (window > MAX_WINDOW) {
      throw new ConfigException("metrics.window", "metrics.window must be <= " + MAX_WINDOW
          + ", but was " + window);
    }
    if (!(fadingFactor > 0 && fadingFactor <= 1)) {
      throw new ConfigException("metrics.fading_factor",
          "metrics.fading_factor must be in (0, 1], but was " + fadingFactor);
    }
    Check.nonNegative("metrics.calibration_bins", calibrationBins);
    if (calibrationBins > 1000) {
      throw new ConfigException("metrics.calibration_bins",
          "metrics.calibration_bins must be <= 1000, but was " + calibrationBins);
    }
  }
}
