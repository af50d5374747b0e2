package io.gradflow.flink;

import io.gradflow.metrics.MetricsSnapshot;

/**
 * A prequential metrics report of one model: the windowed view (examples since the previous
 * report) and the fading-factor view. A Flink POJO; NaN where a value does not apply (log loss
 * and AUC of a real-valued model).
 */
public final class MetricsEvent {
  public String modelKey;
  public long modelStep;
  public long windowStart;
  public long eventTime;
  public long examples;
  public double windowCount;
  /** The window's sum of importance weights: what its means are weighted by. */
  public double windowWeight;
  public double logLoss;
  public double baseRateLogLoss;
  public double auc;
  public double rmse;
  public double calibration;
  public double meanPrediction;
  public double meanLabel;
  public double fadingLogLoss;
  public double fadingAuc;
  public double fadingRmse;
  public double fadingCalibration;

  public MetricsEvent() {}

  static MetricsEvent of(String modelKey, long modelStep, long windowStart, long eventTime,
      MetricsSnapshot s) {
    MetricsEvent e = new MetricsEvent();
    e.modelKey = modelKey;
    e.modelStep = modelStep;
    e.windowStart = windowStart;
    e.eventTime = eventTime;
    e.examples = s.examples();
    e.windowCount = s.windowed().count();
    e.windowWeight = s.windowed().weight();
    e.logLoss = s.windowed().logLoss();
    e.baseRateLogLoss = s.windowed().baseRateLogLoss();
    e.auc = s.windowed().auc();
    e.rmse = s.windowed().rmse();
    e.calibration = s.windowed().calibration();
    e.meanPrediction = s.windowed().meanPrediction();
    e.meanLabel = s.windowed().meanLabel();
    e.fadingLogLoss = s.fading().logLoss();
    e.fadingAuc = s.fading().auc();
    e.fadingRmse = s.fading().rmse();
    e.fadingCalibration = s.fading().calibration();
    return e;
  }

  @Override
  public String toString() {
    return String.format("MetricsEvent{%s @%d: n=%.0f log loss %.4f (base %.4f), AUC %.4f,"
        + " RMSE %.4f, calibration %.3f}", modelKey, modelStep, windowCount, logLoss,
        baseRateLogLoss, auc, rmse, calibration);
  }
}
