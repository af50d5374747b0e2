package io.gradflow.schedule;

import io.gradflow.config.Check;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A validated learning-rate schedule. Periods are in ticks of the schedule's
 * {@link ScheduleClock} (steps, or milliseconds of event time). {@link #create(double)} applies
 * the shape to an optimizer's base learning rate.
 *
 * <p>The shapes follow the closed forms of PyTorch's {@code torch.optim.lr_scheduler}
 * (StepLR, ExponentialLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, LinearLR followed by
 * another schedule as in SequentialLR), evaluated at any {@code t} without history.
 */
public sealed interface ScheduleSpec extends java.io.Serializable {

  /** The schedule for an optimizer whose base learning rate is {@code baseLearningRate}. */
  Schedule create(double baseLearningRate);

  /** The schedule's type in a configuration ({@code "cosine_warm_restarts"}). */
  String configName();

  /**
   * Every parameter under its configuration name, periods in clock ticks (steps, or milliseconds
   * of event time), a warm-up's {@code then} as a nested map with its {@code type}: what an audit
   * record stores; with {@code type: configName()} it reads back to an equal spec.
   */
  default Map<String, Object> parameters() {
    return Map.of();
  }

  /** The base rate, unchanged. */
  record Constant() implements ScheduleSpec {
    @Override
    public String configName() {
      return "constant";
    }

    @Override
    public Schedule create(double base) {
      return Schedule.constant(base);
    }
  }

  /** {@code base * gamma^floor(t / stepSize)}: PyTorch's StepLR. */
  record StepDecay(long stepSize, double gamma) implements ScheduleSpec {
    public StepDecay {
      Check.positive("schedule.step_size", stepSize);
      Check.positive("schedule.gamma", gamma);
    }

    @Override
    public String configName() {
      return "step";
    }

    @Override
    public Map<String, Object> parameters() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("step_size", stepSize);
      m.put("gamma", gamma);
      return m;
    }

    @Override
    public Schedule create(double base) {
      return t -> base * Math.pow(gamma, (double) (t / stepSize));
    }
  }

  /** {@code base * gamma^(t / period)}: PyTorch's ExponentialLR when the period is one step. */
  record ExponentialDecay(long period, double gamma) implements ScheduleSpec {
    public ExponentialDecay {
      Check.positive("schedule.period", period);
      Check.positive("schedule.gamma", gamma);
    }

    @Override
    public String configName() {
      return "exponential";
    }

    @Override
    public Map<String, Object> parameters() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("period", period);
      m.put("gamma", gamma);
      return m;
    }

    @Override
    public Schedule create(double base) {
      return t -> base * Math.pow(gamma, (double) t / period);
    }
  }

  /**
   * {@code base * (1 + gamma * t / period)^-power}: inverse-time decay (Caffe's "inv"; with power
   * 1 the inverse-time decay of TensorFlow and of Bottou's SGD).
   */
  record InverseTime(long period, double gamma, double power) implements ScheduleSpec {
    public InverseTime {
      Check.positive("schedule.period", period);
      Check.nonNegative("schedule.gamma", gamma);
      Check.positive("schedule.power", power);
    }

    @Override
    public String configName() {
      return "inverse_time";
    }

    @Override
    public Map<String, Object> parameters() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("period", period);
      m.put("gamma", gamma);
      m.put("power", power);
      return m;
    }

    @Override
    public Schedule create(double base) {
      return t -> base * Math.pow(1 + gamma * ((double) t / period), -power);
    }
  }

  /**
   * {@code etaMin + (base - etaMin) (1 + cos(pi t / tMax)) / 2} for {@code t <= tMax}: PyTorch's
   * CosineAnnealingLR. After {@code tMax} the rate stays at {@code etaMin} (PyTorch's closed form
   * would climb back up; an endless stream wants a floor, and restarts are
   * {@link CosineWarmRestarts}).
   */
  record CosineAnnealing(long tMax, double etaMin) implements ScheduleSpec {
    public CosineAnnealing {
      Check.positive("schedule.t_max", tMax);
      Check.nonNegative("schedule.eta_min", etaMin);
    }

    @Override
    public String configName() {
      return "cosine";
    }

    @Override
    public Map<String, Object> parameters() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("t_max", tMax);
      m.put("eta_min", etaMin);
      return m;
    }

    @Override
    public Schedule create(double base) {
      return t -> t >= tMax ? etaMin : cosine(base, etaMin, t, tMax);
    }
  }

  /**
   * SGDR, cosine annealing with warm restarts (Loshchilov and Hutter, 2017): PyTorch's
   * CosineAnnealingWarmRestarts. The first period is {@code t0}; each next is {@code tMult}
   * times longer.
   */
  record CosineWarmRestarts(long t0, int tMult, double etaMin) implements ScheduleSpec {
    public CosineWarmRestarts {
      Check.positive("schedule.t_0", t0);
      Check.positive("schedule.t_mult", tMult);
      Check.nonNegative("schedule.eta_min", etaMin);
    }

    @Override
    public String configName() {
      return "cosine_warm_restarts";
    }

    @Override
    public Map<String, Object> parameters() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("t_0", t0);
      m.put("t_mult", tMult);
      m.put("eta_min", etaMin);
      return m;
    }

    @Override
    public Schedule create(double base) {
      return t -> {
        long current = t;
        long period = t0;
        while (current >= period) {
          current -= period;
          if (period > Long.MAX_VALUE / tMult) {
            break;
          }
          period *= tMult;
        }
        return cosine(base, etaMin, current, period);
      };
    }
  }

  /**
   * Linear warm-up from {@code startFactor * r(0)} to {@code r(0)} over {@code warmup} ticks, then
   * {@code then}, whose clock starts when the warm-up ends: PyTorch's LinearLR followed by another
   * scheduler in a SequentialLR.
   */
  record LinearWarmup(long warmup, double startFactor, ScheduleSpec then) implements ScheduleSpec {
    public LinearWarmup {
      Check.positive("schedule.warmup", warmup);
      Check.inRange("schedule.start_factor", startFactor, 0, 1);
      if (then == null) {
        throw new io.gradflow.config.ConfigException(
            "schedule.then", "schedule.then must name the schedule that follows the warm-up");
      }
    }

    @Override
    public String configName() {
      return "warmup";
    }

    @Override
    public Map<String, Object> parameters() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("warmup", warmup);
      m.put("start_factor", startFactor);
      m.put("then", then.configuration());
      return m;
    }

    @Override
    public Schedule create(double base) {
      Schedule after = then.create(base);
      double start = after.learningRate(0);
      return t -> t >= warmup
          ? after.learningRate(t - warmup)
          : start * (startFactor + (1 - startFactor) * ((double) t / warmup));
    }
  }

  /** {@link #parameters()} with the {@code type}: the map a configuration writes. */
  default Map<String, Object> configuration() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", configName());
    m.putAll(parameters());
    return m;
  }

  private static double cosine(double base, double etaMin, long t, long period) {
    return etaMin + (base - etaMin) * (1 + Math.cos(Math.PI * t / period)) / 2;
  }
}
