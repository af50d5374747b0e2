package io.gradflow.config;

import static io.gradflow.config.Constraint.atLeast;
import static io.gradflow.config.Constraint.greaterThan;
import static io.gradflow.config.Constraint.inRange;

import io.gradflow.schedule.ScheduleClock;
import io.gradflow.schedule.ScheduleSpec;
import java.util.List;
import java.util.Map;

/**
 * The declarations of the schedules' settings, one {@link Section} per schedule type, and the one
 * reader from a schedule written in a configuration to a {@link ScheduleSpec}.
 *
 * <pre>{@code
 * schedule: {type: cosine_warm_restarts, t_0: 1000, t_mult: 2, eta_min: 0.0001}
 * schedule: {type: step, clock: event_time, step_size: 6h, gamma: 0.5}
 * schedule: {type: warmup, warmup: 500, start_factor: 0.1, then: {type: cosine, t_max: 100000}}
 * }</pre>
 *
 * <p>Types: {@code constant}, {@code step} (step_size, gamma), {@code exponential} (gamma,
 * period), {@code inverse_time} (gamma, power, period), {@code cosine} (t_max, eta_min),
 * {@code cosine_warm_restarts} (t_0, t_mult, eta_min), {@code warmup} (warmup, start_factor,
 * then). Names follow PyTorch's schedulers. With {@code clock: step} (the default) periods are
 * numbers of model steps; with {@code clock: event_time} they are durations ({@code 500ms},
 * {@code 10s}, {@code 5m}, {@code 6h}, {@code 2d}, or ISO-8601 such as {@code PT6H}), counted in
 * milliseconds. Stateless.
 */
public final class ScheduleConfig {
  /** The schedule types accepted. */
  public static final List<String> TYPES = List.of(
      "constant", "step", "exponential", "inverse_time", "cosine", "cosine_warm_restarts",
      "warmup");

  public static final Setting<String> TYPE = Setting.of("type", SettingType.choice(TYPES,
      Map.of()), "constant", null, "the shape of the learning rate over the clock");
  public static final Setting<String> CLOCK = Setting.of("clock",
      SettingType.choice(List.of("step", "event_time"), Map.of("model_step", "step")), "step",
      null, "what the schedule's t counts: step (model steps; periods are numbers of steps) or"
          + " event_time (periods are durations such as 6h)");

  private static final SettingType<Object> PERIOD = SettingType.period();
  private static final SettingType<Double> NUMBER = SettingType.number();
  private static final Constraint<Number> POSITIVE = greaterThan(0);

  /** "> 0" for a number of steps; a duration is checked once the clock converts it. */
  private static final Constraint<Object> POSITIVE_PERIOD = new Constraint<>() {
    @Override
    public void check(String key, Object value) {
      if (value instanceof Long n) {
        POSITIVE.check(key, n);
      }
    }

    @Override
    public String describe() {
      return "> 0";
    }
  };

  public static final Setting<Object> STEP_SIZE = period("step_size", null,
      "the rate is multiplied by gamma every step_size ticks");
  public static final Setting<Double> STEP_GAMMA = Setting.of("gamma", NUMBER, 0.1, POSITIVE,
      "factor per step_size");
  public static final Setting<Object> EXPONENTIAL_PERIOD = period("period", 1L,
      "ticks per factor gamma");
  public static final Setting<Double> EXPONENTIAL_GAMMA = Setting.required("gamma", NUMBER,
      POSITIVE, "factor per period: base * gamma^(t / period)");
  public static final Setting<Object> INVERSE_TIME_PERIOD = period("period", 1L,
      "ticks that t is counted in");
  public static final Setting<Double> INVERSE_TIME_GAMMA = Setting.required("gamma", NUMBER,
      atLeast(0), "base * (1 + gamma t / period)^-power");
  public static final Setting<Double> INVERSE_TIME_POWER = Setting.of("power", NUMBER, 1.0,
      POSITIVE, "the power of the decay");
  public static final Setting<Object> COSINE_T_MAX = period("t_max", null,
      "ticks from the base rate to eta_min; the rate stays at eta_min after");
  public static final Setting<Double> COSINE_ETA_MIN = etaMin();
  public static final Setting<Object> RESTARTS_T_0 = period("t_0", null,
      "the first period's length");
  public static final Setting<Integer> RESTARTS_T_MULT = Setting.of("t_mult",
      SettingType.integer(), 1, atLeast(1), "each period is t_mult times longer than the last");
  public static final Setting<Double> RESTARTS_ETA_MIN = etaMin();
  public static final Setting<Object> WARMUP_WARMUP = period("warmup", null,
      "ticks of linear warm-up");
  public static final Setting<Double> WARMUP_START_FACTOR = Setting.of("start_factor", NUMBER,
      0.0, inRange(0, 1), "the warm-up starts at start_factor times the following rate");

  /** The selector section: the type and the clock, beside the type's own settings. */
  public static final Section SELECTOR = new Section("schedule", "the learning-rate schedule",
      List.of(TYPE, CLOCK));

  /** The sections, one per type, in the order of {@link #TYPES}. */
  public static final List<Section> SECTIONS = List.of(
      variant("constant", "the base rate, unchanged"),
      variant("step", "PyTorch's StepLR: base * gamma^floor(t / step_size)", STEP_SIZE,
          STEP_GAMMA),
      variant("exponential", "PyTorch's ExponentialLR when the period is one step",
          EXPONENTIAL_PERIOD, EXPONENTIAL_GAMMA),
      variant("inverse_time", "inverse-time decay (Caffe's inv; TensorFlow's with power 1)",
          INVERSE_TIME_PERIOD, INVERSE_TIME_GAMMA, INVERSE_TIME_POWER),
      variant("cosine", "PyTorch's CosineAnnealingLR, with a floor at eta_min after t_max",
          COSINE_T_MAX, COSINE_ETA_MIN),
      variant("cosine_warm_restarts", "SGDR, PyTorch's CosineAnnealingWarmRestarts",
          RESTARTS_T_0, RESTARTS_T_MULT, RESTARTS_ETA_MIN),
      new Section("schedule", "warmup", "linear warm-up, then the schedule under then (whose"
          + " clock starts when the warm-up ends): PyTorch's LinearLR in a SequentialLR",
          List.of(WARMUP_WARMUP, WARMUP_START_FACTOR), List.of("then")));

  private ScheduleConfig() {}

  /** A schedule and the clock that drives it. */
  public record Parsed(ScheduleSpec spec, ScheduleClock clock) {}

  /** Reads a schedule; {@code null} or an empty map is the constant schedule on model steps. */
  public static Parsed fromMap(String prefix, Map<String, ?> values) {
    return read(prefix, values, null);
  }

  /** Reads a schedule, recording the effective settings; null is the constant schedule. */
  public static Parsed read(String prefix, Object raw, ConfigReport report) {
    Map<String, ?> map = Section.asMap(prefix, raw);
    Object clockValue = map.get(CLOCK.name());
    String clockName = CLOCK.read(Section.key(prefix, CLOCK.name()), clockValue, "");
    ScheduleClock clock = clockName.equals("event_time") ? ScheduleClock.EVENT_TIME
        : ScheduleClock.MODEL_STEP;
    ScheduleSpec spec = spec(prefix, map, clock, true, report);
    if (report != null) {
      report.add(Section.key(prefix, CLOCK.name()), clockName, clockValue == null);
    }
    return new Parsed(spec, clock);
  }

  private static ScheduleSpec spec(String prefix, Map<String, ?> map, ScheduleClock clock,
      boolean top, ConfigReport report) {
    String type = TYPE.read(Section.key(prefix, TYPE.name()), map.get(TYPE.name()), "");
    if (report != null) {
      report.add(Section.key(prefix, TYPE.name()), type, map.get(TYPE.name()) == null);
    }
    Section section = SECTIONS.get(TYPES.indexOf(type));
    List<String> listed = top ? List.of(CLOCK.name()) : List.of();
    Section.Values v = section.read(prefix, map, report,
        top ? List.of(TYPE.name(), CLOCK.name()) : List.of(TYPE.name()), listed);
    return switch (type) {
      case "constant" -> new ScheduleSpec.Constant();
      case "step" -> new ScheduleSpec.StepDecay(ticks(v, STEP_SIZE, clock), v.get(STEP_GAMMA));
      case "exponential" -> new ScheduleSpec.ExponentialDecay(
          ticks(v, EXPONENTIAL_PERIOD, clock), v.get(EXPONENTIAL_GAMMA));
      case "inverse_time" -> new ScheduleSpec.InverseTime(ticks(v, INVERSE_TIME_PERIOD, clock),
          v.get(INVERSE_TIME_GAMMA), v.get(INVERSE_TIME_POWER));
      case "cosine" ->
          new ScheduleSpec.CosineAnnealing(ticks(v, COSINE_T_MAX, clock), v.get(COSINE_ETA_MIN));
      case "cosine_warm_restarts" -> new ScheduleSpec.CosineWarmRestarts(
          ticks(v, RESTARTS_T_0, clock), v.get(RESTARTS_T_MULT), v.get(RESTARTS_ETA_MIN));
      default -> {
        long warmup = ticks(v, WARMUP_WARMUP, clock);
        Object then = v.raw("then");
        ScheduleSpec next = then == null ? new ScheduleSpec.Constant()
            : spec(v.key("then"), Section.asMap(v.key("then"), then), clock, false, report);
        yield new ScheduleSpec.LinearWarmup(warmup, v.get(WARMUP_START_FACTOR), next);
      }
    };
  }

  /** A period in clock ticks: steps, or milliseconds of event time. */
  private static long ticks(Section.Values v, Setting<Object> setting, ScheduleClock clock) {
    Object value = v.get(setting);
    String key = v.key(setting);
    long ticks;
    if (clock == ScheduleClock.MODEL_STEP) {
      if (value instanceof String) {
        String clockKey = Section.key(v.prefix().replaceAll("(\\.then)+$", ""), CLOCK.name());
        throw new ConfigException(key, key + " is a duration ('" + value + "'), which needs "
            + clockKey + ": event_time; with the step clock it must be a number of steps");
      }
      ticks = (Long) value;
    } else {
      if (v.raw(setting.name()) == null) {
        // The declared default (1) counts steps; event time has no natural unit to default to.
        throw new ConfigException(key, key + " must be set with " + Section.key(
            v.prefix().replaceAll("(\\.then)+$", ""), CLOCK.name()) + ": event_time (a duration"
            + " such as 1h), but was missing");
      }
      if (!(value instanceof String s)) {
        throw new ConfigException(key, key + " must be a duration such as 10m, 6h or PT6H (the"
            + " clock is event_time), but was " + value);
      }
      ticks = Durations.parse(key, s).toMillis();
    }
    POSITIVE.check(key, ticks);
    return ticks;
  }

  private static Setting<Object> period(String name, Long defaultValue, String doc) {
    String unit = "; a number of steps, or a duration with clock: event_time";
    return defaultValue == null ? Setting.required(name, PERIOD, POSITIVE_PERIOD, doc + unit)
        : Setting.of(name, PERIOD, defaultValue, POSITIVE_PERIOD, doc + unit);
  }

  private static Setting<Double> etaMin() {
    return Setting.of("eta_min", NUMBER, 0.0, atLeast(0), "the lowest rate");
  }

  private static Section variant(String type, String doc, Setting<?>... settings) {
    return new Section("schedule", type, doc, List.of(settings), List.of());
  }
}
