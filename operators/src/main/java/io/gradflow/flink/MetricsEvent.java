package io.gradflow.flink;

import io.gradflow.drift.DriftEvent;
import io.gradflow.metrics.MetricsSnapshot;
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

  static MetricsEvent of(String modelKey, long modelStep, long windowStart, long eventTime,
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

  @Override
  public String toString() {
    return String.format("MetricsEvent{%s @%d: n=%.0f log loss %.4f (base %.4f), AUC %.4f,"
        + " RMSE %.4f, calibration %.3f}", modelKey, modelStep, windowCount, logLoss,
        baseRateLogLoss, auc, rmse, calibration);
  }
}
