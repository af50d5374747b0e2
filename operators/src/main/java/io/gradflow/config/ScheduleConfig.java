package io.gradflow.config;

import io.gradflow.schedule.ScheduleClock;
import io.gradflow.schedule.ScheduleSpec;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The one mapping between a schedule written in a configuration and {@link ScheduleSpec}.
 *
 * <pre>{@code
 * schedule: {type: cosine_warm_restarts, t_0: 1000, t_mult: 2, eta_min: 0.0001}
 * schedule: {type: step, clock: event_time, step_size: 6h, gamma: 0.5}
 * schedule: {type: warmup, warmup: 500, start_factor: 0.1, then: {type: cosine, t_max: 100000}}
 * }</pre>
 *
 * <p>Types: {@code constant}, {@code step} (step_size, gamma), {@code exponential} (gamma,
 * period = 1), {@code inverse_time} (gamma, power = 1, period = 1), {@code cosine} (t_max,
 * eta_min = 0), {@code cosine_warm_restarts} (t_0, t_mult = 1, eta_min = 0), {@code warmup}
 * (warmup, start_factor = 0, then = constant). Names follow PyTorch's schedulers. With
 * {@code clock: step} (the default) periods are numbers of model steps; with
 * {@code clock: event_time} they are durations ({@code 500ms}, {@code 10s}, {@code 5m},
 * {@code 6h}, {@code 2d}, or ISO-8601 such as {@code PT6H}), counted in milliseconds. Stateless.
 */
public final class ScheduleConfig {
  /** The schedule types accepted. */
  public static final List<String> TYPES = List.of(
      "constant", "step", "exponential", "inverse_time", "cosine", "cosine_warm_restarts",
      "warmup");

  private ScheduleConfig() {}

  /** A schedule and the clock that drives it. */
  public record Parsed(ScheduleSpec spec, ScheduleClock clock) {}

  /** Reads a schedule; {@code null} or an empty map is the constant schedule on model steps. */
  public static Parsed fromMap(String prefix, Map<String, ?> values) {
    if (values == null || values.isEmpty()) {
      return new Parsed(new ScheduleSpec.Constant(), ScheduleClock.MODEL_STEP);
    }
    Object clockValue = values.get("clock");
    ScheduleClock clock = ScheduleClock.MODEL_STEP;
    if (clockValue != null) {
      String text = String.valueOf(clockValue).toLowerCase(Locale.ROOT);
      if (text.equals("step") || text.equals("model_step")) {
        clock = ScheduleClock.MODEL_STEP;
      } else if (text.equals("event_time")) {
        clock = ScheduleClock.EVENT_TIME;
      } else {
        String key = prefix + ".clock";
        throw new ConfigException(key, key + " must be one of step, event_time, but was '"
            + clockValue + "'");
      }
    }
    return new Parsed(spec(prefix, values, clock, true), clock);
  }

  private static ScheduleSpec spec(
      String prefix, Map<String, ?> values, ScheduleClock clock, boolean top) {
    Reader r = new Reader(prefix, values, clock);
    if (top) {
      r.read.add("clock");
    }
    String type = r.type();
    ScheduleSpec spec = switch (type) {
      case "constant" -> new ScheduleSpec.Constant();
      case "step" -> new ScheduleSpec.StepDecay(r.period("step_size", null), r.number("gamma", 0.1));
      case "exponential" ->
          new ScheduleSpec.ExponentialDecay(r.period("period", 1L), r.number("gamma", null));
      case "inverse_time" -> new ScheduleSpec.InverseTime(
          r.period("period", 1L), r.number("gamma", null), r.number("power", 1.0));
      case "cosine" ->
          new ScheduleSpec.CosineAnnealing(r.period("t_max", null), r.number("eta_min", 0.0));
      case "cosine_warm_restarts" -> new ScheduleSpec.CosineWarmRestarts(
          r.period("t_0", null), (int) r.integer("t_mult", 1), r.number("eta_min", 0.0));
      case "warmup" -> new ScheduleSpec.LinearWarmup(r.period("warmup", null),
          r.number("start_factor", 0.0), r.then());
      default -> throw new IllegalStateException(type);
    };
    r.rejectUnknown(type);
    return spec;
  }

  /** Reads typed values from one schedule map, remembering which keys were read. */
  private static final class Reader {
    private final String prefix;
    private final Map<String, ?> values;
    private final ScheduleClock clock;
    private final Set<String> read = new LinkedHashSet<>();

    Reader(String prefix, Map<String, ?> values, ScheduleClock clock) {
      this.prefix = prefix;
      this.values = values;
      this.clock = clock;
    }

    String type() {
      read.add("type");
      Object v = values.get("type");
      String type = v == null ? null : String.valueOf(v).toLowerCase(Locale.ROOT);
      if (type == null || !TYPES.contains(type)) {
        String key = prefix + ".type";
        throw new ConfigException(key, key + " must be one of " + String.join(", ", TYPES)
            + ", but was " + (v == null ? "missing" : "'" + v + "'"));
      }
      return type;
    }

    double number(String name, Double defaultValue) {
      Object v = get(name, defaultValue);
      if (v instanceof Number n) {
        return n.doubleValue();
      }
      throw error(name, "a number", v);
    }

    long integer(String name, long defaultValue) {
      Object v = get(name, defaultValue);
      if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
        return n.longValue();
      }
      throw error(name, "a whole number", v);
    }

    /** A period in clock ticks: steps, or milliseconds of event time. */
    long period(String name, Long defaultValue) {
      Object v = get(name, defaultValue);
      String key = prefix + "." + name;
      if (clock == ScheduleClock.MODEL_STEP) {
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
          return n.longValue();
        }
        if (v instanceof String) {
          throw new ConfigException(key, key + " is a duration ('" + v + "'), which needs "
              + prefix + ".clock: event_time; with the step clock it must be a number of steps");
        }
        throw error(name, "a whole number of steps", v);
      }
      if (v instanceof String s) {
        return Durations.parse(key, s).toMillis();
      }
      throw error(name, "a duration such as 10m, 6h or PT6H (the clock is event_time)", v);
    }

    ScheduleSpec then() {
      read.add("then");
      Object v = values.get("then");
      if (v == null) {
        return new ScheduleSpec.Constant();
      }
      if (v instanceof Map<?, ?> map) {
        @SuppressWarnings("unchecked")
        Map<String, ?> nested = (Map<String, ?>) map;
        return spec(prefix + ".then", nested, clock, false);
      }
      throw error("then", "a schedule (a map with a type)", v);
    }

    private Object get(String name, Object defaultValue) {
      read.add(name);
      Object v = values.get(name);
      if (v == null) {
        if (defaultValue == null) {
          String key = prefix + "." + name;
          throw new ConfigException(key, key + " is required for this schedule type");
        }
        return defaultValue;
      }
      return v;
    }

    void rejectUnknown(String type) {
      List<String> unknown = new ArrayList<>(values.keySet());
      unknown.removeAll(read);
      if (!unknown.isEmpty()) {
        String key = prefix + "." + unknown.get(0);
        List<String> accepted = new ArrayList<>(read);
        accepted.remove("type");
        throw new ConfigException(key, key + " is not a setting of the " + type
            + " schedule; accepted: " + String.join(", ", accepted));
      }
    }

    private ConfigException error(String name, String expected, Object value) {
      String key = prefix + "." + name;
      String shown = value instanceof String s ? "'" + s + "'" : String.valueOf(value);
      return new ConfigException(key, key + " must be " + expected + ", but was " + shown);
    }
  }
}
