package io.gradflow.flink;

import io.gradflow.session.SessionState;

/**
 * The keyed-state form of a model's {@link SessionState} ({@code "model.v1"}): a Flink POJO, so
 * that fields can be added with Flink's POJO schema evolution (a field a savepoint lacks restores
 * as its Java default: 0, or null for an array, which {@link #toState()} reads as empty). Every
 * field means what the {@link SessionState} component of the same name means.
 */
public final class ModelMeta {
  public long step;
  public long scored;
  public long scheduleStartStep;
  public long scheduleStartMillis = Long.MIN_VALUE;
  public double[] standardizer = new double[0];
  public double[] metrics = new double[0];
  public long sinceReport;
  public long windowStartMillis = Long.MIN_VALUE;
  public long lastEventTime = Long.MIN_VALUE;
  /** Added with drift detection: absent in older savepoints. */
  public double[] detector = new double[0];
  public long boostStartStep;
  public long drifts;
  public long[] pendingDrifts = new long[0];
  /**
   * Added when a batch in flight became part of the state: absent (null, 0, false) in older
   * savepoints, which were taken with every batch stepped.
   */
  public double[] batch = new double[0];
  public long[] batchRows = new long[0];
  public double batchRate;
  public boolean changesDue;

  public ModelMeta() {}

  /** The POJO of a session's state (arrays shared: the state is immutable). */
  static ModelMeta of(SessionState s) {
    ModelMeta m = new ModelMeta();
    m.step = s.step();
    m.scored = s.scored();
    m.scheduleStartStep = s.scheduleStartStep();
    m.scheduleStartMillis = s.scheduleStartMillis();
    m.standardizer = s.standardizer();
    m.metrics = s.metrics();
    m.sinceReport = s.sinceReport();
    m.windowStartMillis = s.windowStartMillis();
    m.lastEventTime = s.lastEventTime();
    m.detector = s.detector();
    m.boostStartStep = s.boostStartStep();
    m.drifts = s.drifts();
    m.pendingDrifts = s.pendingDrifts();
    m.batch = s.batch();
    m.batchRows = s.batchRows();
    m.batchRate = s.batchRate();
    m.changesDue = s.changesDue();
    return m;
  }

  /** The session state this POJO holds (arrays copied). */
  SessionState toState() {
    return new SessionState(step, scored, scheduleStartStep, scheduleStartMillis,
        copy(standardizer), copy(metrics), sinceReport, windowStartMillis, lastEventTime,
        copy(detector), boostStartStep, drifts,
        pendingDrifts == null ? new long[0] : pendingDrifts.clone(), copy(batch),
        batchRows == null ? new long[0] : batchRows.clone(), batchRate, changesDue);
  }

  private static double[] copy(double[] a) {
    return a == null ? new double[0] : a.clone();
  }
}
