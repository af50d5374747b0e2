package io.gradflow.metrics;

import java.util.List;

/**
 * The values of a {@link PrequentialMetrics} at one moment: immutable.
 *
 * <p>The bins are an unmodifiable list: convert to the Avro {@code MetricsReport} (or another
 * POJO) before sending a snapshot through Flink, since Kryo cannot rebuild unmodifiable lists.
 *
 * @param examples records accepted since the metrics were created (or restored from their start)
 * @param rejected records refused: a non-finite value, a negative weight, or for probabilities a
 *     prediction or label outside [0, 1]
 * @param windowed the view over the records since the last report (reset by
 *     {@link PrequentialMetrics#report()})
 * @param fading the fading-factor view (never reset)
 */
public record MetricsSnapshot(long examples, long rejected, View windowed, View fading) {

  /**
   * One view of the prequential metrics. Every mean is importance-weighted; a view without weight
   * has NaN means. A value that is undefined is NaN, never infinite: the AUC without both classes,
   * the calibration when the mean label is 0. Values that need probabilities (log loss, AUC, the
   * base rate's log loss, the calibration error and the bins) are NaN or empty for real-valued
   * predictions.
   *
   * @param count records in the view: an integer for the windowed view, the effective count
   *     {@code sum alpha^age} for the fading view
   * @param weight the sum of importance weights (faded likewise)
   * @param logLoss the mean log loss in nats ({@link LogLoss})
   * @param baseRateLogLoss the log loss of always predicting {@link #meanLabel}: the binary
   *     entropy of the mean label; {@code logLoss / baseRateLogLoss} is the normalized entropy of
   *     He et al. 2014
   * @param auc the {@link Auc} of the view's records among the last {@code metrics.window}; for
   *     the fading view each is weighted by {@code alpha^age} as well
   * @param rmse the root of the mean squared error {@code (prediction - label)^2}
   * @param baseRateRmse the RMSE of always predicting {@link #meanLabel}: the label's standard
   *     deviation
   * @param meanPrediction the mean prediction
   * @param meanLabel the mean label
   * @param calibration {@code meanPrediction / meanLabel}: 1 when calibrated in the large, above 1
   *     when over-predicting (He et al. 2014); NaN (undefined) when the mean label is 0
   * @param expectedCalibrationError the bins' weighted mean of |mean prediction - mean label|
   *     (Naeini et al. 2015), NaN without bins
   * @param bins the reliability diagram (Niculescu-Mizil and Caruana 2005), empty when disabled
   */
  public record View(double count, double weight, double logLoss, double baseRateLogLoss,
      double auc, double rmse, double baseRateRmse, double meanPrediction, double meanLabel,
      double calibration, double expectedCalibrationError, List<ReliabilityBin> bins) {
    public View {
      bins = List.copyOf(bins);
    }
  }

  /**
   * One bin of the reliability diagram: predictions in {@code [lower, upper)} (the last bin
   * includes 1), their total weight, and their mean prediction and mean label (NaN when empty).
   */
  public record ReliabilityBin(double lower, double upper, double weight, double meanPrediction,
      double meanLabel) {}
}
