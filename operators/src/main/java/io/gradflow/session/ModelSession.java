package io.gradflow.session;

import io.gradflow.drift.DriftAction;
import io.gradflow.drift.DriftDetector;
import io.gradflow.drift.DriftEvent;
import io.gradflow.drift.DriftPolicy;
import io.gradflow.learn.BatchGradient;
import io.gradflow.learn.ExampleLearner;
import io.gradflow.learn.LearnerSpec;
import io.gradflow.metrics.LogLoss;
import io.gradflow.metrics.MetricsSnapshot;
import io.gradflow.metrics.PrequentialMetrics;
import io.gradflow.model.CompactExample;
import io.gradflow.model.OnlineStandardizer;
import io.gradflow.schema.FeatureHashing;
import io.gradflow.state.PageFormat;
import io.gradflow.state.PagedLearner;
import io.gradflow.state.RowCounts;
import io.gradflow.state.RowPage;
import io.gradflow.state.RowVisitor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One model key's learning session: everything a model keeps besides its rows, and the order in
 * which an example goes through it. For each example, in arrival order:
 *
 * <ol>
 *   <li>expire the rows not updated for {@code rows.expire_after}, when a sweep is due;
 *   <li>standardize the dense features with the statistics of earlier examples;
 *   <li>take the learning rate from the schedule at the model's clock, times the drift boost;
 *   <li>predict, then learn (only a {@link CompactExample#learnable() learnable} example) through
 *       the {@link PagedLearner} (progressive validation: the prediction is made before the
 *       example is learned);
 *   <li>record the prediction in the prequential metrics and feed the drift detector the
 *       example's loss or error; on a detection apply the policy's actions (Gama et al. 2014, "A
 *       survey on concept drift adaptation", the "informed" adaptation of a detector-driven
 *       learner);
 *   <li>every {@code metrics.every} labeled examples emit a metrics report with the drift events
 *       since the last one, and every {@code changelog.every} learned examples the rows changed
 *       (and the removal of those that expired).
 * </ol>
 *
 * <p><b>Mini-batches</b> ({@code model.batch_size} B > 1; mlp and wide_and_deep). A learned
 * example is predicted with the current weights and measured at once, as at B = 1 (prequential:
 * the metrics measure the model before it learned the batch), and kept in the model's batch
 * ({@link BatchGradient}: its layer outputs, {@code w dLoss/da} and sparse rows); when B examples
 * are in it, their gradients are formed and the model takes one optimizer step on their mean
 * ({@link PagedLearner#step}). A partial batch is stepped by {@link #flushBatch()}: at end of
 * input ({@link #finish}), before an expiry sweep or a drift action visits the rows (points fixed
 * by event time and data order), and when the owner's timeout says so. The batch in flight is
 * part of {@link #state()}, with its learning rate and whether a changelog emission waits for its
 * step, so a checkpoint or an eviction of the session does not cut it and a restore continues bit
 * for bit. Counting: the model step counts examples learned, those of the batch in flight
 * included (so a step-clock schedule means the same at any batch size, and {@code Scored.step} is
 * the example's); the batch's learning rate is the schedule's at its first example; the optimizer
 * is given the model step after the batch (Adam's global bias correction counts examples; per-row
 * bias correction counts a row's own steps, one per batch that touched it). With a changelog, the
 * rows a batch stepped are recorded as changed at its step and emitted at the next emission after
 * it. B = 1 is plain online learning, the same bits as before batches existed.
 *
 * <p>The session's whole persistent state is one immutable {@link SessionState} ({@link #state()}),
 * taken before every checkpoint: a restore continues with the same clock, standardizer, metrics
 * and detector, so a replay from a savepoint makes the same decisions. The set of rows changed
 * (stepped, or expired: the changelog's tombstones) since the last changelog emission is not
 * state: it is emitted before every checkpoint ({@link #emitChanges}).
 *
 * <p>Drift actions: {@link DriftAction#RESTART_SCHEDULE} restarts the schedule's clock at the
 * detection (step and event time); {@link DriftAction#BOOST_LR} multiplies the rate by
 * {@link DriftPolicy#boostFactor}; {@link DriftAction#RESET_SLOTS} and
 * {@link DriftAction#DECAY_SLOTS} visit every row of the model once, at the detection.
 *
 * <p><b>Memory.</b> A session keeps its metrics as keyed state holds them (the compact form,
 * a few hundred bytes for a model that has seen a few examples) until it measures, and again once
 * its state is stored; while it measures, {@link PrequentialMetrics} keeps its histograms sparse
 * until many of their bins are filled (about a kilobyte for a tenant that measured a few
 * examples, 4.8 kB for a busy model with the default metrics). So thousands of tenants in memory
 * cost little more than their stored state, and no example copies a 4.8 kB array.
 *
 * <p>Not thread-safe: one session per model key, used by the task thread that owns the key.
 */
public final class ModelSession {
  /**
   * How a session runs: live (training), or replaying a range from a savepoint to validate it
   * ({@code validate --mode frozen|prequential}). A replay's metrics measure the replay alone:
   * the metrics restored with the model are set aside (and the reports' drift events are the
   * replay's), so its windows and totals cover exactly the replayed examples.
   */
  public enum Replay {
    /** Training: predict, then learn. */
    NONE,
    /**
     * Score only: no example is learned, no row expires and no drift action is taken, while every
     * labeled example is still measured and watched by the detector.
     */
    FROZEN,
    /** Predict, then learn, as training does, with the replay's own metrics. */
    PREQUENTIAL
  }

  /** Where a session's reports and changed rows go (the Flink operator's side outputs). */
  public interface Output {
    /**
     * A prequential metrics report.
     *
     * @param windowStart event time of the window's first labeled example
     * @param eventTime event time of the example that closed the window
     * @param drifts detections since the last report, oldest first
     * @param rows the model's rows at the report
     */
    void report(String modelKey, long modelStep, long windowStart, long eventTime,
        MetricsSnapshot snapshot, List<DriftEvent> drifts, RowCounts rows);

    /** A changed row: its weights, its own step count, the model step and event time. */
    void rowChanged(String modelKey, long rowId, float[] weights, long rowStep, long modelStep,
        long eventTime);

    /**
     * A row that is no longer live (it expired, {@code rows.expire_after}): the changelog's
     * tombstone, so a reader drops the row and treats it as one never learned, as the model now
     * does. Given the model step and event time of the emission, as {@link #rowChanged} is.
     */
    void rowRemoved(String modelKey, long rowId, long modelStep, long eventTime);
  }

  /**
   * What every session of one learner (one candidate) shares: the learner on its pages, the
   * standardizer, the reporting settings, scratch and subtask-wide counters. One per candidate
   * per operator instance.
   */
  public static final class Shared {
    private final PagedLearner paged;
    private final LearnerSpec spec;
    private final ExampleLearner learner;
    private final DriftPolicy policy;
    private final boolean probabilities;
    private final int batchSize;
    private final OnlineStandardizer standardizer;
    private final long metricsEvery;
    private final long changelogEvery;
    private final io.gradflow.metrics.MetricsSpec metrics;
    private final java.util.function.Consumer<String> warnings;
    private final Replay replay;
    private final boolean frozen;
    private float[] denseScratch = new float[0];
    private long drifts;

    /**
     * @param metricsEvery emit a metrics report after this many labeled examples, > 0
     * @param changelogEvery emit changed rows after this many learned examples; 0 is off
     * @param warnings where a session says it could not continue some state (logged by the
     *     operator)
     */
    public Shared(PagedLearner paged, long metricsEvery, long changelogEvery,
        io.gradflow.metrics.MetricsSpec metrics, java.util.function.Consumer<String> warnings) {
      this(paged, metricsEvery, changelogEvery, metrics, warnings, Replay.NONE);
    }

    /** @param replay live training, or a replay to validate a savepoint ({@link Replay}) */
    public Shared(PagedLearner paged, long metricsEvery, long changelogEvery,
        io.gradflow.metrics.MetricsSpec metrics, java.util.function.Consumer<String> warnings,
        Replay replay) {
      this.replay = replay;
      this.frozen = replay == Replay.FROZEN;
      this.paged = paged;
      this.spec = paged.learner().spec();
      this.learner = paged.learner();
      this.policy = spec.drift();
      this.probabilities = learner.loss().predictsProbability();
      this.batchSize = spec.model().batchSize();
      this.standardizer = spec.standardizer();
      this.metricsEvery = metricsEvery;
      this.changelogEvery = changelogEvery;
      this.metrics = metrics;
      this.warnings = warnings;
    }

    public PagedLearner paged() {
      return paged;
    }

    /** Detections by every session of this learner since it was made. */
    public long drifts() {
      return drifts;
    }
  }

  /**
   * The standardizer's state of a model without dense statistics: shared, since
   * {@link OnlineStandardizer#update} returns a new array rather than grow one.
   */
  private static final double[] NO_STATISTICS = OnlineStandardizer.newState();

  // A session is per model key, and thousands of tenants keep one each: what every session of a
  // learner has in common stays in Shared, and what most sessions never use is made on first use.
  private final String key;
  private final Shared shared;
  /**
   * The metrics, once the session measured since it was loaded or its state was taken; else
   * null, and {@link #storedMetrics} holds them.
   */
  private PrequentialMetrics metrics;
  /**
   * The metrics while {@link #metrics} is null, as keyed state holds them
   * ({@link PrequentialMetrics#compactState()}, or an older form, or empty for new metrics):
   * never written into, so {@link #state()} hands it out as it is.
   */
  private double[] storedMetrics;
  private final DriftDetector detector;
  /** Detections not yet reported, oldest first: an immutable empty list until the first. */
  private List<DriftEvent> pending = List.of();
  /**
   * Ids stepped since the last changelog emission (an example's features, dense inputs and bias;
   * a batch's rows); null without a changelog. An emission writes the weights of those that are
   * live rows and skips the others (a feature admission refused, an MLP's dense inputs).
   */
  private final Set<Long> changed;
  /**
   * Rows expired since the last changelog emission; null without a changelog. An emission writes
   * the removal of each one not live again by then (the changelog's tombstone).
   */
  private final Set<Long> expired;
  /** Adds an expired row to {@link #expired}; null without a changelog. Made once, not per sweep. */
  private final java.util.function.LongConsumer onExpired;
  /** The batch in progress, null at {@code model.batch_size} 1. */
  private final BatchGradient batch;
  /** The learning rate of the batch in progress (the schedule's at its first example). */
  private double batchRate;
  /** A changelog emission came due during the batch in progress. */
  private boolean changesDue;

  private long step;
  private long scored;
  private long scheduleStartStep;
  private long scheduleStartMillis;
  private double[] standardizer;
  private long sinceReport;
  private long windowStartMillis;
  private long lastEventTime;
  private long boostStartStep;
  private long drifts;
  private boolean lastLearned;
  private boolean lastMeasured;
  /** Nesting of {@link #process} and {@link #flushBatch}: not evictable while above 0. */
  private int busy;

  /** Continues model {@code key} from {@code state} (or {@link SessionState#NEW}). */
  public ModelSession(String key, Shared shared, SessionState state) {
    this.key = key;
    this.shared = shared;
    this.changed = shared.changelogEvery > 0 ? new HashSet<>() : null;
    this.expired = changed == null ? null : new HashSet<>();
    this.onExpired = expired == null ? null : expired::add;
    // A batch restored at a batch size since set to 1 is stepped before the next example.
    boolean restoredBatch = state.batch().length > 0 || state.batchRows().length > 0;
    this.batch = shared.batchSize > 1 || restoredBatch
        ? new BatchGradient(shared.learner.model()) : null;
    if (restoredBatch) {
      try {
        batch.restore(state.batch(), state.batchRows());
      } catch (IllegalArgumentException e) {
        // The signature check refuses another model shape before this: a bug, not a user error.
        throw new IllegalStateException("the batch in flight of model " + key + " does not fit"
            + " the model: " + e.getMessage(), e);
      }
    }
    this.batchRate = state.batchRate();
    this.changesDue = state.changesDue();
    this.step = state.step();
    this.scored = state.scored();
    this.scheduleStartStep = state.scheduleStartStep();
    this.scheduleStartMillis = state.scheduleStartMillis();
    this.standardizer = state.standardizer().length == 0 ? NO_STATISTICS
        : state.standardizer().clone();
    boolean replay = shared.replay != Replay.NONE;
    this.sinceReport = replay ? 0 : state.sinceReport();
    this.windowStartMillis = replay ? Long.MIN_VALUE : state.windowStartMillis();
    this.lastEventTime = state.lastEventTime();
    this.boostStartStep = state.boostStartStep();
    this.drifts = state.drifts();
    // Expanded when first used: a session loaded for an example of another kind, or evicted
    // before it measures anything, never pays for it.
    this.storedMetrics = replay ? new double[0] : state.metrics();
    this.detector = restoreDetector(state.detector());
    long[] p = replay ? new long[0] : state.pendingDrifts();
    for (int i = 0; i < p.length; i += 2) {
      pendingDrift(new DriftEvent(p[i], p[i + 1], shared.policy.detectorName(),
          shared.policy.actionName()));
    }
  }

  private void pendingDrift(DriftEvent event) {
    if (pending.isEmpty()) {
      pending = new ArrayList<>();
    }
    pending.add(event);
  }

  /** The metrics, restored from {@link #storedMetrics} on the first use since they were stored. */
  private PrequentialMetrics metrics() {
    if (metrics == null) {
      metrics = restoreMetrics(storedMetrics);
      storedMetrics = null;
    }
    return metrics;
  }

  /**
   * The metrics in the form keyed state holds, kept instead of the live metrics until the session
   * measures again: one array for memory and keyed state, not two.
   */
  private double[] storedMetrics() {
    if (metrics != null) {
      storedMetrics = metrics.compactState();
      metrics = null;
    }
    return storedMetrics;
  }

  private PrequentialMetrics restoreMetrics(double[] stored) {
    if (stored.length > 0) {
      try {
        return PrequentialMetrics.restore(shared.metrics, shared.probabilities, stored);
      } catch (IllegalArgumentException e) {
        shared.warnings.accept("metrics state of model " + key + " does not fit the configured"
            + " metrics (" + e.getMessage() + "); starting new metrics");
      }
    }
    return new PrequentialMetrics(shared.metrics, shared.probabilities);
  }

  private DriftDetector restoreDetector(double[] stored) {
    if (!shared.policy.detects()) {
      return null;
    }
    if (stored.length > 0) {
      try {
        return shared.policy.detector().restore(stored);
      } catch (IllegalArgumentException e) {
        shared.warnings.accept("drift detector state of model " + key + " does not fit the"
            + " configured detector " + shared.policy.detectorName() + " (" + e.getMessage()
            + "); starting a new detector");
      }
    }
    return shared.policy.detector().create();
  }

  /**
   * Predicts, then (if it is learnable) learns one example, and emits what is due.
   *
   * @return the prediction, made before the example was learned (the loss's link of the
   *     activation: a probability for the logistic loss)
   */
  public double process(CompactExample example, Output out) throws Exception {
    busy++;
    try {
      return learn(example, out);
    } finally {
      busy--;
    }
  }

  private double learn(CompactExample example, Output out) throws Exception {
    lastEventTime = Math.max(lastEventTime, example.eventTime);
    // Unlabeled and weight-0 examples are scored only: they change no row, no slot, no step
    // count, no schedule clock (its event-time origin is the first learned example), no
    // standardizer (VW's rule for importance weight 0), no metrics and no detector.
    boolean labeled = example.learnable();
    boolean learn = labeled && !shared.frozen;
    lastLearned = learn;
    lastMeasured = false;
    if (batch != null && batch.examples() >= shared.batchSize) {
      flushBatch(); // restored with more examples than model.batch_size now allows
    }
    if (!shared.frozen) {
      // Rows not updated for rows.expire_after expire at the first example of each sweep
      // interval of event time (the interval is kept with the rows, so a replay sweeps alike).
      if (batchInFlight() && shared.paged.expiryDue(key, example.eventTime)) {
        flushBatch();
      }
      shared.paged.expireIfDue(key, example.eventTime, onExpired);
    }
    float[] dense = dense(example.dense, learn);
    double rate = 0;
    boolean batched = shared.batchSize > 1;
    if (learn) {
      if (!batched) {
        rate = learningRate(example.eventTime);
      } else if (batch.examples() == 0) {
        batchRate = learningRate(example.eventTime);
      }
    }
    double activation = shared.paged.process(key, example, dense, learn, step + 1, rate,
        batched ? batch : null);
    double score = shared.learner.loss().prediction(activation);
    if (learn) {
      step++;
      if (batch != null && batch.examples() >= shared.batchSize) {
        flushBatch();
      }
    } else {
      scored++;
    }
    if (!labeled) {
      return score;
    }
    boolean accepted = metrics().record(score, example.label, example.weight);
    lastMeasured = accepted;
    if (windowStartMillis == Long.MIN_VALUE) {
      windowStartMillis = example.eventTime;
    }
    // A prediction the metrics refuse (not finite) is not shown to the detector either: a
    // detector takes finite values only, and one infinite value would blind ADWIN for good.
    // Without a detector the watched value (a second log for the log loss) is not computed.
    if (detector != null && accepted) {
      double watched = watched(score, example.label);
      if (Double.isFinite(watched) && detector.update(watched)
          && shared.policy.counts(detector.lastChangeIncreased())) {
        drift(example.eventTime);
      }
    }
    if (++sinceReport >= shared.metricsEvery) {
      report(example.eventTime, out);
    }
    if (learn && shared.changelogEvery > 0) {
      if (!batched) {
        recordChanges(example, dense.length);
      }
      changesDue |= step % shared.changelogEvery == 0;
    }
    // Rows are emitted once stepped: at the end of the batch that reached the interval.
    if (changesDue && !batchInFlight()) {
      emitChanges(out);
    }
    return score;
  }

  private float[] dense(float[] raw, boolean learn) {
    if (!shared.spec.standardize() || raw.length == 0) {
      return raw;
    }
    if (shared.denseScratch.length != raw.length) {
      shared.denseScratch = new float[raw.length];
    }
    // Standardize with the statistics of earlier examples only, then count this one.
    shared.standardizer.standardize(standardizer, raw, shared.denseScratch);
    if (learn) {
      standardizer = shared.standardizer.update(standardizer, raw);
    }
    return shared.denseScratch;
  }

  private double learningRate(long eventTime) {
    if (scheduleStartMillis == Long.MIN_VALUE) {
      scheduleStartMillis = eventTime;
    }
    long t = shared.spec.clock().elapsed(step, eventTime, scheduleStartStep, scheduleStartMillis);
    double rate = shared.learner.learningRate(t);
    return boostStartStep > 0 ? rate * shared.policy.boostFactor(step - boostStartStep) : rate;
  }

  /** What the detector observes: the example's loss (clipped log loss, squared error) or error. */
  private double watched(double score, float label) {
    if (shared.policy.watch() == DriftPolicy.Watch.ERROR) {
      return (score >= 0.5) == (label >= 0.5f) ? 0 : 1;
    }
    if (shared.probabilities) {
      return LogLoss.of(score, label);
    }
    double e = score - label;
    return e * e;
  }

  /** A detection at the current step: record it and apply the policy's actions. */
  private void drift(long eventTime) throws Exception {
    drifts++;
    shared.drifts++;
    // A frozen model's step stands still: its events are placed by the examples measured.
    pendingDrift(new DriftEvent(shared.frozen ? metrics().examples() : step, eventTime,
        shared.policy.detectorName(), shared.frozen ? "none" : shared.policy.actionName()));
    if (shared.frozen) {
      return;
    }
    if (shared.policy.has(DriftAction.RESTART_SCHEDULE)) {
      scheduleStartStep = step;
      scheduleStartMillis = eventTime;
    }
    if (shared.policy.has(DriftAction.BOOST_LR)) {
      boostStartStep = step;
    }
    if (shared.policy.has(DriftAction.RESET_SLOTS)) {
      forgetSlots(0);
    } else if (shared.policy.has(DriftAction.DECAY_SLOTS)) {
      forgetSlots(shared.policy.decay());
    }
  }

  private void forgetSlots(double keep) throws Exception {
    flushBatch();
    shared.paged.sweep(key, (rowId, data, offset, lastUpdateBefore) ->
        shared.learner.forgetRow(data, offset, keep) ? RowVisitor.Result.CHANGED
            : RowVisitor.Result.KEEP);
  }

  private void report(long eventTime, Output out) throws Exception {
    MetricsSnapshot snapshot = metrics().report();
    sinceReport = 0;
    List<DriftEvent> drifts = pending.isEmpty() ? List.of() : List.copyOf(pending);
    pending = List.of();
    out.report(key, step, windowStartMillis, eventTime, snapshot, drifts,
        shared.paged.rowCounts(key));
    windowStartMillis = Long.MIN_VALUE;
  }

  private void recordChanges(CompactExample example, int denseCount) {
    for (long id : example.rowIds) {
      changed.add(id);
    }
    for (int j = 0; j < denseCount; j++) {
      changed.add(FeatureHashing.denseRow(j));
    }
    changed.add(FeatureHashing.BIAS_ROW);
  }

  /**
   * Whether the session may be dropped from memory once its {@link #state()} is stored, to be
   * continued from it later: not while changed rows wait for {@link #emitChanges} (they are not
   * part of the state), nor in a replay (whose metrics are set aside, not stored). A batch in
   * flight is part of the state and does not keep a session in memory; but a session is never
   * dropped while it processes an example or steps its batch (its own pages may leave the cache
   * meanwhile).
   */
  public boolean evictable() {
    return busy == 0 && (changed == null || changed.isEmpty() && expired.isEmpty())
        && shared.replay == Replay.NONE;
  }

  /** Whether learned examples wait in a batch for their step. */
  public boolean batchInFlight() {
    return batch != null && batch.examples() > 0;
  }

  /**
   * Steps the batch in progress, if any, on its mean gradient however few examples it holds (see
   * the class comment for when). The step count already counts its examples; with a changelog,
   * the rows it stepped are recorded as changed.
   */
  public void flushBatch() throws Exception {
    if (!batchInFlight() || shared.frozen) {
      return; // a frozen replay learns nothing, a restored batch included
    }
    busy++;
    try {
      shared.paged.step(key, batch, step, batchRate);
      if (shared.changelogEvery > 0) {
        for (int i = 0; i < batch.rows(); i++) {
          changed.add(batch.rowId(i));
        }
      }
      batch.clear();
    } finally {
      busy--;
    }
  }

  /**
   * Emits every row changed (stepped or expired) since the last emission, each once, as it is now,
   * and forgets them: a live row's weights ({@link Output#rowChanged}), or the removal of a row
   * that is not live ({@link Output#rowRemoved}: it expired, and was not updated again since). So
   * an expired row updated again before the emission is a changed row as any other, and one
   * updated again after it comes back with its next changed-row record. The rows of a batch in
   * flight have not changed yet: they are recorded at its step, and an emission that came due
   * during the batch still waits for its step.
   */
  public void emitChanges(Output out) throws Exception {
    if (!batchInFlight()) {
      changesDue = false;
    }
    if (changed == null || changed.isEmpty() && expired.isEmpty()) {
      return;
    }
    PagedLearner.ExistingRows rows = shared.paged.existingRows(key);
    for (long rowId : changed) {
      emitRow(out, rows, rowId);
    }
    for (long rowId : expired) {
      if (!changed.contains(rowId)) {
        emitRow(out, rows, rowId);
      }
    }
    changed.clear();
    expired.clear();
  }

  /**
   * Writes row {@code rowId} as it is now: its weights if it is a live row; its removal if it
   * expired since the last emission and is not live (its page or record is gone, or a direct page
   * holds its initial values); nothing otherwise (an id that never was a row: a feature admission
   * refused, an MLP's dense input).
   */
  private void emitRow(Output out, PagedLearner.ExistingRows rows, long rowId) throws Exception {
    RowPage page = rows.page(rowId);
    int at = page == null ? -1 : page.find(rowId);
    if (at < 0 || !shared.paged.isLive(page, rowId, at)) {
      if (expired.contains(rowId)) {
        out.rowRemoved(key, rowId, step, lastEventTime);
      }
      return;
    }
    float[] weights = new float[shared.learner.layout().width()];
    shared.learner.layout().copyWeights(page.data(), at, weights, 0);
    out.rowChanged(key, rowId, weights, shared.learner.layout().step(page.data(), at), step,
        lastEventTime);
  }

  /**
   * At end of input: steps the batch in flight, emits the changed rows, and a last report if
   * labeled examples are unreported.
   */
  public void finish(Output out) throws Exception {
    flushBatch();
    emitChanges(out);
    if (sinceReport > 0 || !pending.isEmpty()) {
      report(lastEventTime, out);
    }
  }

  /** The session's whole persistent state, as an immutable value (arrays copied). */
  public SessionState state() {
    long[] p = new long[2 * pending.size()];
    for (int i = 0; i < pending.size(); i++) {
      p[2 * i] = pending.get(i).example();
      p[2 * i + 1] = pending.get(i).eventTime();
    }
    return new SessionState(step, scored, scheduleStartStep, scheduleStartMillis,
        standardizer.clone(), storedMetrics(), sinceReport, windowStartMillis, lastEventTime,
        detector == null ? new double[0] : detector.snapshot(), boostStartStep, drifts, p,
        batch == null ? new double[0] : batch.stateNumbers(),
        batch == null ? new long[0] : batch.stateRows(), batchRate, changesDue);
  }

  /** Examples learned: the model step. */
  public long step() {
    return step;
  }

  /** Whether the last processed example was learned. */
  public boolean lastLearned() {
    return lastLearned;
  }

  /**
   * Whether the last processed example's prediction entered the prequential metrics: it was
   * labeled with a non-zero weight and the metrics accepted it (they refuse a non-finite value,
   * for probabilities one outside [0, 1], or one whose sums would overflow). So the measured
   * examples are exactly those a report's {@code examples} count.
   */
  public boolean lastMeasured() {
    return lastMeasured;
  }

  /** Detections of this model since it began. */
  public long drifts() {
    return drifts;
  }

  public String key() {
    return key;
  }

  /** What this session shares with the other sessions of its learner (its row learner, ...). */
  public Shared shared() {
    return shared;
  }

  @Override
  public String toString() {
    return "ModelSession{" + key + " @" + step + ", drifts " + drifts + ", pending "
        + Arrays.toString(pending.toArray()) + "}";
  }
}
