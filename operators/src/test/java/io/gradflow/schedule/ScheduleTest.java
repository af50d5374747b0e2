package io.gradflow.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gradflow.config.ConfigException;
import io.gradflow.config.ScheduleConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScheduleTest {
  @Test
  void cosineAnnealingHoldsItsFloorAfterTMax() {
    Schedule s = new ScheduleSpec.CosineAnnealing(10, 0.001).create(0.1);
    assertEquals(0.001, s.learningRate(10), 1e-15);
    assertEquals(0.001, s.learningRate(1_000_000), 1e-15);
  }

  @Test
  void warmRestartsSurviveHugeClocks() {
    Schedule s = new ScheduleSpec.CosineWarmRestarts(1, 2, 0).create(1.0);
    double rate = s.learningRate(Long.MAX_VALUE);
    assertEquals(true, rate >= 0 && rate <= 1.0);
  }

  @Test
  void inverseTimeDecay() {
    Schedule s = new ScheduleSpec.InverseTime(100, 1.0, 1.0).create(0.5);
    assertEquals(0.5, s.learningRate(0), 0);
    assertEquals(0.25, s.learningRate(100), 1e-15);
    assertEquals(0.5 / 11, s.learningRate(1000), 1e-15);
  }

  @Test
  void eventTimeClockReadsDurations() {
    ScheduleConfig.Parsed parsed = ScheduleConfig.fromMap("schedule",
        Map.of("type", "step", "clock", "event_time", "step_size", "6h", "gamma", 0.5));
    assertEquals(ScheduleClock.EVENT_TIME, parsed.clock());
    assertEquals(new ScheduleSpec.StepDecay(6 * 3_600_000L, 0.5), parsed.spec());
    Schedule s = parsed.spec().create(0.1);
    long start = 1_700_000_000_000L;
    long elapsed = parsed.clock().elapsed(123, start + 13 * 3_600_000L, 0, start);
    assertEquals(0.025, s.learningRate(elapsed), 1e-15);
    // A late event never runs the clock back before the schedule's start.
    assertEquals(0, parsed.clock().elapsed(0, start - 5, 0, start));
    assertEquals(new ScheduleSpec.CosineAnnealing(90 * 60_000L, 0),
        ScheduleConfig.fromMap("schedule",
            Map.of("type", "cosine", "clock", "event_time", "t_max", "PT1H30M")).spec());
  }

  @Test
  void modelStepClockCountsStepsSinceTheStart() {
    assertEquals(40, ScheduleClock.MODEL_STEP.elapsed(140, 0, 100, 0));
  }

  @Test
  void warmupThenAnySchedule() {
    ScheduleSpec spec = ScheduleConfig.fromMap("schedule", Map.of("type", "warmup", "warmup", 4,
        "start_factor", 0.5, "then", Map.of("type", "step", "step_size", 2, "gamma", 0.1))).spec();
    Schedule s = spec.create(1.0);
    double[] expected = {0.5, 0.625, 0.75, 0.875, 1.0, 1.0, 0.1, 0.1, 0.01};
    for (int t = 0; t < expected.length; t++) {
      assertEquals(expected[t], s.learningRate(t), 1e-12, "t=" + t);
    }
  }

  @Test
  void aMissingOrEmptyScheduleIsConstant() {
    assertEquals(new ScheduleSpec.Constant(), ScheduleConfig.fromMap("schedule", null).spec());
    assertEquals(0.3, Schedule.constant(0.3).learningRate(99), 0);
  }

  @Test
  void badSchedulesNameTheKey() {
    assertEquals("schedule.type must be one of constant, step, exponential, inverse_time,"
        + " cosine, cosine_warm_restarts, warmup, but was 'linear'",
        refused(Map.of("type", "linear")).getMessage());
    assertEquals("schedule.step_size must be set for the step schedule, but was missing",
        refused(Map.of("type", "step")).getMessage());
    assertEquals("schedule.step_size must be > 0, but was 0",
        refused(Map.of("type", "step", "step_size", 0)).getMessage());
    assertEquals("schedule.t_max is a duration ('2h'), which needs schedule.clock: event_time;"
        + " with the step clock it must be a number of steps",
        refused(Map.of("type", "cosine", "t_max", "2h")).getMessage());
    assertEquals("schedule.t_0 must be a duration such as 500ms, 10s, 5m, 6h, 2d or PT6H,"
        + " but was 'soon'", refused(Map.of("type", "cosine_warm_restarts",
            "clock", "event_time", "t_0", "soon")).getMessage());
    assertEquals("schedule.period must be set with schedule.clock: event_time (a duration such"
        + " as 1h), but was missing", refused(Map.of("type", "exponential", "clock",
            "event_time", "gamma", 0.5)).getMessage());
    assertEquals("schedule.clock must be one of step, event_time, but was 'wall'",
        refused(Map.of("type", "constant", "clock", "wall")).getMessage());
    assertEquals("schedule.then.gamma must be set for the exponential schedule, but was missing",
        refused(Map.of("type", "warmup", "warmup", 3, "then", Map.of("type", "exponential")))
            .getMessage());
    assertEquals("schedule.gama is not a setting of the step schedule; did you mean gamma?"
        + " accepted: clock,"
        + " step_size, gamma", refused(Map.of("type", "step", "step_size", 3, "gama", 0.5))
            .getMessage());
  }

  private static ConfigException refused(Map<String, ?> map) {
    return assertThrows(ConfigException.class, () -> ScheduleConfig.fromMap("schedule", map));
  }
}
