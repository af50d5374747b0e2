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
import io.gradflow.state.PageCache;
import io.gradflow.state.PageStore;
import io.gradflow.state.PagedLearner;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

  /** Pages kept in a map, as the heap state backend keeps them. */
  static final class MapStore implements PageStore {
    final Map<String, float[]> pages = new HashMap<>();

    @Override
    public float[] load(String modelKey, long pageId) {
      return pages.get(modelKey + "/" + pageId);
    }

    @Override
    public void store(String modelKey, long pageId, float[] page) {
      pages.put(modelKey + "/" + pageId, page);
    }
  }

  /** What a session emitted. */
  static final class Collected implements ModelSession.Output {
    final List<DriftEvent> drifts = new ArrayList<>();
    final List<Long> reportSteps = new ArrayList<>();

    @Override
    public void report(String modelKey, long modelStep, long windowStart, long eventTime,
        MetricsSnapshot snapshot, List<DriftEvent> d) {
      reportSteps.add(modelStep);
      drifts.addAll(d);
    }

    @Override
    public void rowChanged(String modelKey, long rowId, float[] weights, long rowStep,
        long modelStep, long eventTime) {}
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
        shared(spec(adwin(DriftAction.RESTART_SCHEDULE, DriftAction.BOOST_LR)), new MapStore()),
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
    ModelSession watched = new ModelSession("m", shared(spec(adwin()), new MapStore()),
        SessionState.NEW);
    ModelSession plain = new ModelSession("m", shared(spec(DriftPolicy.NONE), new MapStore()),
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
    ModelSession whole = new ModelSession("m", shared(spec(policy), new MapStore()),
        SessionState.NEW);
    List<Double> expected = run(whole, ABRUPT, through);
    whole.finish(through);
    // Split right after the first detection, before the report that would carry it.
    int split = (int) through.drifts.get(0).example();
    assertTrue(split % 1_000 != 0, "the split leaves the event pending");

    Collected parts = new Collected();
    ModelSession.Shared shared = shared(spec(policy), new MapStore());
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

  @Test
  void theBoostDecaysBackWithItsHalfLife() {
    DriftPolicy p = adwin(DriftAction.BOOST_LR);
    assertEquals(3.0, p.boostFactor(0), 1e-12);
    assertEquals(2.0, p.boostFactor(500), 1e-12);
    assertEquals(1.5, p.boostFactor(1_000), 1e-12);
    assertEquals(1.0, adwin(DriftAction.RESTART_SCHEDULE).boostFactor(0), 0);
  }
}
