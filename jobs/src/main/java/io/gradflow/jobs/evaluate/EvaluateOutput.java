package io.gradflow.jobs.evaluate;

import io.gradflow.flink.MetricsEvent;
import io.gradflow.flink.Scored;

/**
 * One output of the evaluation job, as the client collects it: a prediction, a metrics report, a
 * changed row (its model key and id) or a dead letter's reason, exactly one of them set. The
 * outputs of the trainer and of the decoding step are funnelled into this one type so that one
 * collecting sink brings them all back. A Flink POJO; a value, not thread-safe.
 */
public final class EvaluateOutput {
  public Scored prediction;
  public MetricsEvent metrics;
  /** The model key of a changed row, or null. */
  public String rowModelKey;
  public long rowId;
  /** The changed row expired (the changelog's removal): it no longer counts as a row. */
  public boolean rowRemoved;
  /** The reason of a dead letter, or null. */
  public String deadLetterReason;

  public EvaluateOutput() {}

  static EvaluateOutput of(Scored s) {
    EvaluateOutput o = new EvaluateOutput();
    o.prediction = s;
    return o;
  }

  static EvaluateOutput of(MetricsEvent m) {
    EvaluateOutput o = new EvaluateOutput();
    o.metrics = m;
    return o;
  }

  static EvaluateOutput row(String modelKey, long rowId, boolean removed) {
    EvaluateOutput o = new EvaluateOutput();
    o.rowModelKey = modelKey;
    o.rowId = rowId;
    o.rowRemoved = removed;
    return o;
  }

  static EvaluateOutput deadLetter(String reason) {
    EvaluateOutput o = new EvaluateOutput();
    o.deadLetterReason = reason;
    return o;
  }
}
