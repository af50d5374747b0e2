package io.gradflow.flink;

/**
 * What the trainer keeps per model key beside its rows: the model's clock and its online
 * standardizer, state version 1 ({@code "model.v1"}). A Flink POJO.
 */
public final class ModelMeta {
  /** Examples learned (the model step). */
  public long step;
  /** Examples only scored. */
  public long scored;
  /** The model step at which the schedule (re)started. */
  public long scheduleStartStep;
  /**
   * The event time at which the schedule (re)started; Long.MIN_VALUE until the first learned
   * example (unlabeled and weight-0 examples do not start it).
   */
  public long scheduleStartMillis = Long.MIN_VALUE;
  /** The online standardizer's state ({@code io.gradflow.model.OnlineStandardizer}). */
  public double[] standardizer = new double[0];
  /** The prequential metrics' state ({@code io.gradflow.metrics.PrequentialMetrics}). */
  public double[] metrics = new double[0];
  /** Labeled examples since the last metrics report. */
  public long sinceReport;
  /** Event time of the first labeled example since the last report; Long.MIN_VALUE if none. */
  public long windowStartMillis = Long.MIN_VALUE;
  /** The latest event time seen. */
  public long lastEventTime = Long.MIN_VALUE;

  public ModelMeta() {}

  ModelMeta copy() {
    ModelMeta m = new ModelMeta();
    m.step = step;
    m.scored = scored;
    m.scheduleStartStep = scheduleStartStep;
    m.scheduleStartMillis = scheduleStartMillis;
    m.standardizer = standardizer.clone();
    m.metrics = metrics.clone();
    m.sinceReport = sinceReport;
    m.windowStartMillis = windowStartMillis;
    m.lastEventTime = lastEventTime;
    return m;
  }
}
