package io.gradflow.session;

/**
 * Everything one model keeps besides its rows, as one immutable value: what a Flink operator
 * stores in the model's keyed state and a {@link ModelSession} continues from. Arrays are never
 * written into once in a state: {@link ModelSession#state()} copies them out and
 * {@link ModelSession#ModelSession} copies them in, except the metrics' compact form, which a
 * session keeps as it is while its metrics are not expanded and only ever reads.
 *
 * @param step examples learned (the model step)
 * @param scored examples only scored (unlabeled or of importance weight 0)
 * @param scheduleStartStep the model step at which the schedule (re)started
 * @param scheduleStartMillis the event time at which the schedule (re)started;
 *     {@code Long.MIN_VALUE} until the first learned example
 * @param standardizer the online standardizer's state ({@code OnlineStandardizer}); empty is new
 * @param metrics the prequential metrics' state ({@code PrequentialMetrics}, in the compact form
 *     of {@code compactState()}; the full form restores as well); empty is new
 * @param sinceReport labeled examples since the last metrics report
 * @param windowStartMillis event time of the first labeled example since the last report;
 *     {@code Long.MIN_VALUE} if none
 * @param lastEventTime the latest event time seen; {@code Long.MIN_VALUE} if none
 * @param detector the drift detector's snapshot ({@code DriftDetector#snapshot()}); empty is a
 *     fresh detector
 * @param boostStartStep the model step of the detection that started the current learning-rate
 *     boost; 0 if none
 * @param drifts detections since the model began
 * @param pendingDrifts detections not yet in a metrics report, as pairs (model step, event time)
 * @param batch the mini-batch in flight's examples ({@code BatchGradient#stateNumbers()}); empty
 *     if none (and in state written before batches were kept)
 * @param batchRows the mini-batch in flight's row ids ({@code BatchGradient#stateRows()}); empty
 *     if none
 * @param batchRate the learning rate of the batch in flight (the schedule's at its first
 *     example); 0 if none
 * @param changesDue whether a changelog emission came due during the batch in flight (it is
 *     made after the batch's step)
 */
public record SessionState(long step, long scored, long scheduleStartStep,
    long scheduleStartMillis, double[] standardizer, double[] metrics, long sinceReport,
    long windowStartMillis, long lastEventTime, double[] detector, long boostStartStep,
    long drifts, long[] pendingDrifts, double[] batch, long[] batchRows, double batchRate,
    boolean changesDue) {

  /** A model that has seen nothing. */
  public static final SessionState NEW = new SessionState(0, 0, 0, Long.MIN_VALUE, new double[0],
      new double[0], 0, Long.MIN_VALUE, Long.MIN_VALUE, new double[0], 0, 0, new long[0],
      new double[0], new long[0], 0, false);

  public SessionState {
    standardizer = standardizer == null ? new double[0] : standardizer;
    metrics = metrics == null ? new double[0] : metrics;
    detector = detector == null ? new double[0] : detector;
    pendingDrifts = pendingDrifts == null ? new long[0] : pendingDrifts;
    batch = batch == null ? new double[0] : batch;
    batchRows = batchRows == null ? new long[0] : batchRows;
    if (pendingDrifts.length % 2 != 0) {
      throw new IllegalArgumentException("pendingDrifts holds pairs, but has "
          + pendingDrifts.length + " values");
    }
  }
}
