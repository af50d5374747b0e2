package io.gradflow.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.drift.AdwinSpec;
import io.gradflow.drift.DriftAction;
import io.gradflow.drift.DriftEvent;
import io.gradflow.drift.DriftPolicy;
import io.gradflow.learn.ExampleLearner;
import io.gradflow.learn.LearnerSpec;
import io.gradflow.learn.SyntheticClicks;
import io.gradflow.metrics.MetricsSnapshot;
import io.gradflow.metrics.MetricsSpec;
import io.gradflow.model.CompactExample;
import io.gradflow.model.LinearSpec;
import io.gradflow.model.Loss;
import io.gradflow.optim.AdaGradSpec;
import io.gradflow.optim.GradientSpec;
import io.gradflow.schedule.ScheduleClock;
import io.gradflow.schedule.ScheduleSpec;
import io.gradflow.state.MapPageStore;
import io.gradflow.state.PageCache;
import io.gradflow.state.PageStore;
import io.gradflow.state.PagedLearner;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelSessionTest {
  static final int CHANGE_AT = 4_000;
  static final List<CompactExample> ABRUPT =
      SyntheticClicks.generate(11, 8_000, 12, 400, CHANGE_AT);

  static LearnerSpec spec(DriftPolicy drift) {
    return new LearnerSpec(new LinearSpec(), Loss.LOGISTIC, AdaGradSpec.of(0.1),
        GradientSpec.NONE, new ScheduleSpec.CosineAnnealing(20_000, 0.001),
        ScheduleClock.MODEL_STEP, false, 0, drift);
  }

  static DriftPolicy adwin(DriftAction... actions) {
    EnumSet<DriftAction> set = EnumSet.noneOf(DriftAction.class);
    set.addAll(List.of(actions));
    return new DriftPolicy(AdwinSpec.defaults(), DriftPolicy.Watch.LOSS, set, 0.1, 3.0, 500, 1.0);
  }

  /** What a session emitted. */
  static class Collected implements ModelSession.Output {
    final List<DriftEvent> drifts = new ArrayList<>();
    final List<Long> reportSteps = new ArrayList<>();

    @Override
    public void report(String modelKey, long modelStep, long windowStart, long eventTime,
        MetricsSnapshot snapshot, List<DriftEvent> d, io.gradflow.state.RowCounts rows) {
      reportSteps.add(modelStep);
      drifts.addAll(d);
    }

    @Override
    public void rowChanged(String modelKey, long rowId, float[] weights, long rowStep,
        long modelStep, long eventTime) {}

    @Override
    public void rowRemoved(String modelKey, long rowId, long modelStep, long eventTime) {}
  }

  static ModelSession.Shared shared(LearnerSpec spec, PageStore store) {
    ExampleLearner learner = new ExampleLearner(spec);
    PageCache cache = new PageCache(store, 64, learner.rowSize(), 16);
    return new ModelSession.Shared(new PagedLearner(learner, cache, 6), 1_000, 0,
        MetricsSpec.DEFAULT, message -> {
          throw new AssertionError(message);
        });
  }

  static List<Double> run(ModelSession session, List<CompactExample> examples,
      ModelSession.Output out) throws Exception {
    List<Double> scores = new ArrayList<>();
    for (CompactExample e : examples) {
      scores.add(session.process(e, out));
    }
    return scores;
  }

  @Test
  void aDetectionAfterTheChangeRestartsTheScheduleAndBoostsTheRate() throws Exception {
    Collected out = new Collected();
    ModelSession session = new ModelSession("m",
        shared(spec(adwin(DriftAction.RESTART_SCHEDULE, DriftAction.BOOST_LR)), new MapPageStore()),
        SessionState.NEW);
    run(session, ABRUPT, out);
    session.finish(out);
    assertFalse(out.drifts.isEmpty(), "the change is detected");
    DriftEvent first = out.drifts.get(0);
    assertTrue(first.example() > CHANGE_AT && first.example() < CHANGE_AT + 1_000,
        "detected within 1,000 examples of the change, not before it: " + out.drifts);
    assertEquals("adwin", first.detector());
    assertEquals("restart_schedule+boost_lr", first.action());
    assertEquals(1_000L * (first.example() - 1), first.eventTime(),
        "the event time of the example that completed the detection");
    DriftEvent last = out.drifts.get(out.drifts.size() - 1);
    SessionState state = session.state();
    assertEquals(out.drifts.size(), state.drifts());
    assertEquals(last.example(), state.scheduleStartStep(), "the schedule restarted at it");
    assertEquals(last.eventTime(), state.scheduleStartMillis());
    assertEquals(last.example(), state.boostStartStep(), "the boost started at it");
    assertEquals(0, state.pendingDrifts().length, "every event was reported");
  }

  @Test
  void withoutActionsADetectionIsReportedAndChangesNothing() throws Exception {
    Collected out = new Collected();
    ModelSession watched = new ModelSession("m", shared(spec(adwin()), new MapPageStore()),
        SessionState.NEW);
    ModelSession plain = new ModelSession("m", shared(spec(DriftPolicy.NONE), new MapPageStore()),
        SessionState.NEW);
    assertEquals(run(plain, ABRUPT, new Collected()), run(watched, ABRUPT, out),
        "a detector that acts on nothing changes no prediction");
    watched.finish(out);
    assertFalse(out.drifts.isEmpty());
    assertEquals("none", out.drifts.get(0).action());
    assertEquals(0, watched.state().scheduleStartStep());
  }

  @Test
  void aSessionContinuedFromItsStateDecidesExactlyAsOneThatRanThrough() throws Exception {
    DriftPolicy policy = adwin(DriftAction.RESTART_SCHEDULE, DriftAction.BOOST_LR);
    Collected through = new Collected();
    ModelSession whole = new ModelSession("m", shared(spec(policy), new MapPageStore()),
        SessionState.NEW);
    List<Double> expected = run(whole, ABRUPT, through);
    whole.finish(through);
    // Split right after the first detection, before the report that would carry it.
    int split = (int) through.drifts.get(0).example();
    assertTrue(split % 1_000 != 0, "the split leaves the event pending");

    Collected parts = new Collected();
    ModelSession.Shared shared = shared(spec(policy), new MapPageStore());
    ModelSession first = new ModelSession("m", shared, SessionState.NEW);
    List<Double> got = new ArrayList<>(run(first, ABRUPT.subList(0, split), parts));
    SessionState state = first.state();
    assertEquals(2, state.pendingDrifts().length, "one event waits for its report");
    assertArrayEquals(new long[] {through.drifts.get(0).example(),
        through.drifts.get(0).eventTime()}, state.pendingDrifts());
    ModelSession second = new ModelSession("m", shared, state);
    got.addAll(run(second, ABRUPT.subList(split, ABRUPT.size()), parts));
    second.finish(parts);
    assertEquals(expected, got);
    assertEquals(through.drifts, parts.drifts);
    assertEquals(through.reportSteps, parts.reportSteps);
  }

  /** Metrics reports per model key. */
  static class Reports extends Collected {
    final java.util.Map<String, List<MetricsSnapshot>> byKey = new java.util.HashMap<>();

    @Override
    public void report(String modelKey, long modelStep, long windowStart, long eventTime,
        MetricsSnapshot snapshot, List<DriftEvent> d, io.gradflow.state.RowCounts rows) {
      byKey.computeIfAbsent(modelKey, k -> new ArrayList<>()).add(snapshot);
    }
  }

  /**
   * 191 sessions taking turns at random on one learner, their state taken now and then (which
   * stores their metrics compact until they measure again): each must measure, report and store
   * exactly what it would alone.
   */
  @Test
  void sessionsTakingTurnsMeasureExactlyAsEachAlone() throws Exception {
    int keys = 191;
    LearnerSpec spec = spec(DriftPolicy.NONE);
    ModelSession.Shared together = reporting(spec);
    Reports turns = new Reports();
    java.util.Map<String, ModelSession> sessions = new java.util.HashMap<>();
    java.util.Map<String, List<CompactExample>> ofKey = new java.util.HashMap<>();
    java.util.Map<String, List<Double>> scores = new java.util.HashMap<>();
    java.util.SplittableRandom random = new java.util.SplittableRandom(5);
    for (CompactExample e : ABRUPT) {
      String key = "k" + random.nextInt(keys);
      ofKey.computeIfAbsent(key, k -> new ArrayList<>()).add(e);
      ModelSession session = sessions.computeIfAbsent(key,
          k -> new ModelSession(k, together, SessionState.NEW));
      scores.computeIfAbsent(key, k -> new ArrayList<>()).add(session.process(e, turns));
      if (random.nextInt(5) == 0) {
        session.state(); // as a checkpoint or an eviction takes it
      }
    }
    Reports alone = new Reports();
    for (String key : ofKey.keySet()) {
      ModelSession single = new ModelSession(key, reporting(spec), SessionState.NEW);
      List<Double> expected = new ArrayList<>();
      for (CompactExample e : ofKey.get(key)) {
        expected.add(single.process(e, alone));
      }
      assertEquals(expected, scores.get(key), key);
      assertArrayEquals(full(single.state()), full(sessions.get(key).state()), key);
      single.finish(alone);
      sessions.get(key).finish(turns);
      assertTrue(alone.byKey.get(key).size() > 1, "reports while the keys take turns");
      assertEquals(alone.byKey.get(key), turns.byKey.get(key), key);
    }
  }

  /** A learner whose sessions report every 7 labeled examples. */
  static ModelSession.Shared reporting(LearnerSpec spec) {
    ExampleLearner learner = new ExampleLearner(spec);
    PageCache cache = new PageCache(new MapPageStore(), 64, learner.rowSize(), 16);
    return new ModelSession.Shared(new PagedLearner(learner, cache, 6), 7, 0,
        MetricsSpec.DEFAULT, message -> {
          throw new AssertionError(message);
        });
  }

  /** The whole metrics state (format 2) a session state holds. */
  static double[] full(SessionState state) {
    return io.gradflow.metrics.PrequentialMetrics.restore(MetricsSpec.DEFAULT, true,
        state.metrics()).copyState();
  }

  /** Mean log loss of the predictions in [from, to). */
  static double logLoss(List<Double> scores, List<CompactExample> examples, int from, int to) {
    double sum = 0;
    for (int i = from; i < to; i++) {
      sum += io.gradflow.metrics.LogLoss.of(scores.get(i), examples.get(i).label);
    }
    return sum / (to - from);
  }

  @Test
  void resettingTheSlotsAtTheDetectionRecoversSoonerAndKeepsTheWeights() throws Exception {
    List<Double> plain = run(new ModelSession("m", shared(spec(DriftPolicy.NONE),
        new MapPageStore()), SessionState.NEW), ABRUPT, new Collected());
    MapPageStore store = new MapPageStore();
    ModelSession.Shared shared = shared(spec(adwin(DriftAction.RESET_SLOTS)), store);
    Collected out = new Collected();
    ModelSession reset = new ModelSession("m", shared, SessionState.NEW);
    long first = -1;
    List<Double> adapted = new ArrayList<>();
    for (CompactExample e : ABRUPT) {
      // Just before the detecting example, remember a learned row's weight.
      adapted.add(reset.process(e, out));
      if (first < 0 && reset.state().drifts() > 0) {
        first = reset.step();
        // Every row's AdaGrad accumulator is back to its initial 0 and its step count to 0.
        io.gradflow.optim.RowLayout layout = shared.paged().learner().layout();
        long[] visited = {0};
        shared.paged().sweep("m", (rowId, data, offset, before) -> {
          assertEquals(0f, data[offset + layout.slot(0, 0)], "row " + rowId);
          assertEquals(0, layout.step(data, offset), "row " + rowId);
          visited[0]++;
          return io.gradflow.state.RowVisitor.Result.KEEP;
        });
        assertTrue(visited[0] > 400, "every row was visited: " + visited[0]);
      }
    }
    assertTrue(first > CHANGE_AT, "detected after the change: " + first);
    assertEquals(plain.subList(0, (int) first), adapted.subList(0, (int) first),
        "nothing changes before the detection");
    double without = logLoss(plain, ABRUPT, CHANGE_AT, CHANGE_AT + 2_000);
    double with = logLoss(adapted, ABRUPT, CHANGE_AT, CHANGE_AT + 2_000);
    assertTrue(with < without, "log loss over the 2,000 examples after the change: " + with
        + " with reset_slots, " + without + " without");
  }

  @Test
  void aFrozenSessionScoresAndMeasuresButChangesNoRow() throws Exception {
    MapPageStore store = new MapPageStore();
    ModelSession.Shared learning = shared(spec(adwin(DriftAction.RESET_SLOTS)), store);
    ModelSession trained = new ModelSession("m", learning, SessionState.NEW);
    run(trained, ABRUPT.subList(0, CHANGE_AT), new Collected());
    learning.paged().cache().flush();
    SessionState state = trained.state();
    java.util.Map<String, float[]> before = new java.util.HashMap<>();
    store.pages.forEach((k, v) -> before.put(k, v.clone()));

    ExampleLearner learner = new ExampleLearner(spec(adwin(DriftAction.RESET_SLOTS)));
    ModelSession.Shared frozenShared = new ModelSession.Shared(
        new PagedLearner(learner, new PageCache(store, 64, learner.rowSize(), 16), 6), 1_000, 0,
        MetricsSpec.DEFAULT, message -> {
          throw new AssertionError(message);
        }, ModelSession.Replay.FROZEN);
    ModelSession frozen = new ModelSession("m", frozenShared, state);
    Collected out = new Collected();
    List<Double> scores = run(frozen, ABRUPT.subList(CHANGE_AT, ABRUPT.size()), out);
    frozen.finish(out);
    frozenShared.paged().cache().flush();
    assertEquals(before.keySet(), store.pages.keySet());
    before.forEach((k, v) -> assertArrayEquals(v, store.pages.get(k), "page " + k));
    assertEquals(state.step(), frozen.step(), "nothing learned");
    assertEquals(4, out.reportSteps.size(), "4,000 labeled examples measured, a report per 1,000");
    assertFalse(out.drifts.isEmpty(), "the detector still watches the frozen model's loss");
    assertTrue(out.drifts.stream().allMatch(d -> d.action().equals("none")), "and acts not");
    // The frozen model's predictions are those of the model as it was at the split.
    ModelSession again = new ModelSession("m", frozenShared, state);
    assertEquals(scores, run(again, ABRUPT.subList(CHANGE_AT, ABRUPT.size()), new Collected()));
  }

  @Test
  void aChangedRowThatExpiredBeforeItsEmissionIsNotBroughtBack() throws Exception {
    long hour = 3_600_000L;
    io.gradflow.state.RowPolicy expiring = new io.gradflow.state.RowPolicy(
        java.time.Duration.ofHours(2), 1, 1.0, io.gradflow.state.RowPolicy.DEFAULT_SKETCH_WIDTH);
    MapPageStore store = new MapPageStore();
    ExampleLearner learner = new ExampleLearner(spec(DriftPolicy.NONE));
    PageCache cache = new PageCache(store, 64, learner.rowSize(), 16, expiring.stamped());
    ModelSession.Shared shared = new ModelSession.Shared(
        new PagedLearner(learner, cache, 6, expiring), 1_000, 1_000, MetricsSpec.DEFAULT,
        message -> {
          throw new AssertionError(message);
        });
    List<long[]> emitted = new ArrayList<>();
    ModelSession.Output out = new Collected() {
      @Override
      public void rowChanged(String modelKey, long rowId, float[] weights, long rowStep,
          long modelStep, long eventTime) {
        emitted.add(new long[] {rowId, rowStep});
      }
    };
    ModelSession session = new ModelSession("m", shared, SessionState.NEW);
    long old = 5L * 512; // a direct page of its own
    session.process(new CompactExample("1", "m", 0, new long[] {old}, new float[] {1},
        new float[0], 1f, 1f), out);
    // Ten hours later: the first page's row expires (and the page goes) before this example.
    session.process(new CompactExample("2", "m", 10 * hour, new long[] {1}, new float[] {1},
        new float[0], 0f, 1f), out);
    session.emitChanges(out);
    cache.flush();
    assertTrue(emitted.stream().noneMatch(r -> r[0] == old), "the expired row is not emitted");
    assertTrue(emitted.stream().anyMatch(r -> r[0] == 1 && r[1] == 1), "the live one is");
    assertFalse(store.pages.containsKey("m/" + io.gradflow.state.PageFormat.pageKey(old, 6)),
        "the expired page stays gone: " + store.pages.keySet());
  }

  @Test
  void theBoostDecaysBackWithItsHalfLife() {
    DriftPolicy p = adwin(DriftAction.BOOST_LR);
    assertEquals(3.0, p.boostFactor(0), 1e-12);
    assertEquals(2.0, p.boostFactor(500), 1e-12);
    assertEquals(1.5, p.boostFactor(1_000), 1e-12);
    assertEquals(1.0, adwin(DriftAction.RESTART_SCHEDULE).boostFactor(0), 0);
  }
}
