package io.gradflow.flink;

import io.gradflow.drift.DriftEvent;
import io.gradflow.metrics.MetricsSnapshot;
import io.gradflow.metrics.MetricsSnapshot.ReliabilityBin;
import io.gradflow.state.RowCounts;
import java.util.ArrayList;
import java.util.List;

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
  /** The window's expected calibration error over its bins; NaN without bins. */
  public double expectedCalibrationError = Double.NaN;
  /**
   * The window's reliability bins ({@code metrics.calibration_bins}, empty for a real-valued
   * model), one entry per bin in each array: bounds, weight, mean prediction and mean label (NaN
   * in an empty bin). Primitive arrays, as the drifts: a Flink POJO without Kryo.
   */
  public double[] binLower = new double[0];
  public double[] binUpper = new double[0];
  public double[] binWeight = new double[0];
  public double[] binMeanPrediction = new double[0];
  public double[] binMeanLabel = new double[0];
  /** The model's live rows at the report, rows expired and sightings refused since it began. */
  public long rows;
  public long rowsExpired;
  public long rowsRefused;
  /** Drift detections since the previous report: model steps, event times, detectors, actions. */
  public long[] driftExamples = new long[0];
  public long[] driftEventTimes = new long[0];
  public String[] driftDetectors = new String[0];
  public String[] driftActions = new String[0];

  public MetricsEvent() {}

  public static MetricsEvent of(String modelKey, long modelStep, long windowStart, long eventTime,
      MetricsSnapshot s, List<DriftEvent> drifts, RowCounts rows) {
    MetricsEvent e = new MetricsEvent();
    e.rows = rows.live();
    e.rowsExpired = rows.expired();
    e.rowsRefused = rows.refused();
    int n = drifts.size();
    e.driftExamples = new long[n];
    e.driftEventTimes = new long[n];
    e.driftDetectors = new String[n];
    e.driftActions = new String[n];
    for (int i = 0; i < n; i++) {
      DriftEvent d = drifts.get(i);
      e.driftExamples[i] = d.example();
      e.driftEventTimes[i] = d.eventTime();
      e.driftDetectors[i] = d.detector();
      e.driftActions[i] = d.action();
    }
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
    e.expectedCalibrationError = s.windowed().expectedCalibrationError();
    List<ReliabilityBin> bins = s.windowed().bins();
    int b = bins.size();
    e.binLower = new double[b];
    e.binUpper = new double[b];
    e.binWeight = new double[b];
    e.binMeanPrediction = new double[b];
    e.binMeanLabel = new double[b];
    for (int i = 0; i < b; i++) {
      ReliabilityBin bin = bins.get(i);
      e.binLower[i] = bin.lower();
      e.binUpper[i] = bin.upper();
      e.binWeight[i] = bin.weight();
      e.binMeanPrediction[i] = bin.meanPrediction();
      e.binMeanLabel[i] = bin.meanLabel();
    }
    return e;
  }

  /** The drift detections of this report, oldest first. */
  public List<DriftEvent> drifts() {
    List<DriftEvent> out = new ArrayList<>();
    int n = driftExamples == null ? 0 : driftExamples.length;
    for (int i = 0; i < n; i++) {
      out.add(new DriftEvent(driftExamples[i], driftEventTimes[i], driftDetectors[i],
          driftActions[i]));
    }
    return out;
  }

  /** The window's reliability bins, lowest first (empty without bins). */
  public List<ReliabilityBin> bins() {
    List<ReliabilityBin> out = new ArrayList<>();
    int n = binWeight == null ? 0 : binWeight.length;
    for (int i = 0; i < n; i++) {
      out.add(new ReliabilityBin(binLower[i], binUpper[i], binWeight[i], binMeanPrediction[i],
          binMeanLabel[i]));
    }
    return out;
  }

  @Override
  public String toString() {
    return String.format("MetricsEvent{%s @%d: n=%.0f log loss %.4f (base %.4f), AUC %.4f,"
        + " RMSE %.4f, calibration %.3f}", modelKey, modelStep, windowCount, logLoss,
        baseRateLogLoss, auc, rmse, calibration);
  }
}
