package io.gradflow.config;

import io.gradflow.optim.AdaDeltaSpec;
import io.gradflow.optim.AdaGradSpec;
import io.gradflow.optim.AdamSpec;
import io.gradflow.optim.AdamWSpec;
import io.gradflow.optim.BiasCorrection;
import io.gradflow.optim.FtrlSpec;
import io.gradflow.optim.OptimizerSpec;
import io.gradflow.optim.RmsPropSpec;
import io.gradflow.optim.SgdSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The one mapping between optimizer configurations written with PyTorch's names (class names
 * {@code SGD}, {@code Adagrad}, {@code RMSprop}, {@code Adadelta}, {@code Adam}, {@code AdamW},
 * plus {@code Ftrl}; hyper-parameters {@code lr}, {@code betas}, {@code eps}, ...) and the
 * {@link OptimizerSpec} records.
 *
 * <p>Defaults are PyTorch's. Unknown names fail with the list of accepted ones. PyTorch's
 * implementation switches that do not change the arithmetic ({@code foreach}, {@code capturable},
 * {@code differentiable}, {@code fused}) are accepted and ignored. {@code maximize} is returned
 * beside the spec because the gradient driver, not the optimizer, applies it. Stateless.
 */
public final class OptimizerConfig {
  /** The optimizer names accepted, in PyTorch's spelling. */
  public static final List<String> NAMES =
      List.of("SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Ftrl");

  private static final Set<String> IGNORED_SWITCHES =
      Set.of("foreach", "capturable", "differentiable", "fused");

  private OptimizerConfig() {}

  /** An optimizer spec and PyTorch's {@code maximize} flag, as read from a configuration. */
  public record Parsed(OptimizerSpec spec, boolean maximize) {}

  /**
   * Builds a spec from PyTorch's class name and hyper-parameter names. Values are {@link Number},
   * {@link Boolean}, or a {@link List} of two numbers for {@code betas}.
   *
   * @param prefix the configuration path of the optimizer, used in messages ({@code "optimizer"})
   * @throws ConfigException naming the key, the constraint and the value
   */
  public static Parsed fromPytorch(String prefix, String name, Map<String, ?> hyperParameters) {
    Params p = new Params(prefix, hyperParameters == null ? Map.of() : hyperParameters);
    String canonical = canonicalName(prefix, name);
    OptimizerSpec spec = switch (canonical) {
      case "SGD" -> new SgdSpec(p.number("lr", 1e-3), p.number("momentum", 0),
          p.number("dampening", 0), p.flag("nesterov", false), p.number("weight_decay", 0));
      case "Adagrad" -> new AdaGradSpec(p.number("lr", 1e-2), p.number("lr_decay", 0),
          p.number("weight_decay", 0), p.number("initial_accumulator_value", 0),
          p.number("eps", 1e-10));
      case "RMSprop" -> new RmsPropSpec(p.number("lr", 1e-2), p.number("alpha", 0.99),
          p.number("eps", 1e-8), p.number("weight_decay", 0), p.number("momentum", 0),
          p.flag("centered", false));
      case "Adadelta" -> new AdaDeltaSpec(p.number("lr", 1.0), p.number("rho", 0.9),
          p.number("eps", 1e-6), p.number("weight_decay", 0));
      case "Adam" -> {
        double lr = p.number("lr", 1e-3);
        double[] betas = p.pair("betas", 0.9, 0.999);
        yield new AdamSpec(lr, betas[0], betas[1], p.number("eps", 1e-8),
            p.number("weight_decay", 0), p.flag("amsgrad", false), p.biasCorrection());
      }
      case "AdamW" -> {
        double lr = p.number("lr", 1e-3);
        double[] betas = p.pair("betas", 0.9, 0.999);
        yield new AdamWSpec(lr, betas[0], betas[1], p.number("eps", 1e-8),
            p.number("weight_decay", 1e-2), p.flag("amsgrad", false), p.biasCorrection());
      }
      case "Ftrl" -> new FtrlSpec(p.number("alpha", 0.1), p.number("beta", 1.0),
          p.number("l1", 0), p.number("l2", 0));
      default -> throw new IllegalStateException(canonical);
    };
    boolean maximize = canonical.equals("Ftrl") ? false : p.flag("maximize", false);
    if (!canonical.equals("Ftrl")) {
      IGNORED_SWITCHES.forEach(p::ignore);
    }
    p.rejectUnknown(canonical);
    return new Parsed(spec, maximize);
  }

  /** PyTorch's class name of the optimizer a spec configures. */
  public static String pytorchName(OptimizerSpec spec) {
    if (spec instanceof SgdSpec) {
      return "SGD";
    } else if (spec instanceof AdaGradSpec) {
      return "Adagrad";
    } else if (spec instanceof RmsPropSpec) {
      return "RMSprop";
    } else if (spec instanceof AdaDeltaSpec) {
      return "Adadelta";
    } else if (spec instanceof AdamSpec) {
      return "Adam";
    } else if (spec instanceof AdamWSpec) {
      return "AdamW";
    }
    return "Ftrl";
  }

  /**
   * The hyper-parameters of a spec under PyTorch's names, every one of them (defaults included),
   * in a stable order: what an audit record stores and {@link #fromPytorch} reads back.
   */
  public static Map<String, Object> toPytorch(OptimizerSpec spec) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (spec instanceof SgdSpec s) {
      m.put("lr", s.learningRate());
      m.put("momentum", s.momentum());
      m.put("dampening", s.dampening());
      m.put("nesterov", s.nesterov());
      m.put("weight_decay", s.weightDecay());
    } else if (spec instanceof AdaGradSpec s) {
      m.put("lr", s.learningRate());
      m.put("lr_decay", s.learningRateDecay());
      m.put("weight_decay", s.weightDecay());
      m.put("initial_accumulator_value", s.initialAccumulatorValue());
      m.put("eps", s.epsilon());
    } else if (spec instanceof RmsPropSpec s) {
      m.put("lr", s.learningRate());
      m.put("alpha", s.alpha());
      m.put("eps", s.epsilon());
      m.put("weight_decay", s.weightDecay());
      m.put("momentum", s.momentum());
      m.put("centered", s.centered());
    } else if (spec instanceof AdaDeltaSpec s) {
      m.put("lr", s.learningRate());
      m.put("rho", s.rho());
      m.put("eps", s.epsilon());
      m.put("weight_decay", s.weightDecay());
    } else if (spec instanceof AdamSpec s) {
      putAdam(m, s.learningRate(), s.beta1(), s.beta2(), s.epsilon(), s.weightDecay(), s.amsgrad());
      m.put("bias_correction", s.biasCorrection().configName());
    } else if (spec instanceof AdamWSpec s) {
      putAdam(m, s.learningRate(), s.beta1(), s.beta2(), s.epsilon(), s.weightDecay(), s.amsgrad());
      m.put("bias_correction", s.biasCorrection().configName());
    } else if (spec instanceof FtrlSpec s) {
      m.put("alpha", s.alpha());
      m.put("beta", s.beta());
      m.put("l1", s.l1());
      m.put("l2", s.l2());
    }
    return m;
  }

  private static void putAdam(Map<String, Object> m, double lr, double beta1, double beta2,
      double eps, double weightDecay, boolean amsgrad) {
    m.put("lr", lr);
    m.put("betas", List.of(beta1, beta2));
    m.put("eps", eps);
    m.put("weight_decay", weightDecay);
    m.put("amsgrad", amsgrad);
  }

  private static String canonicalName(String prefix, String name) {
    if (name != null) {
      for (String candidate : NAMES) {
        if (candidate.toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
          return candidate;
        }
      }
    }
    String key = prefix + ".name";
    throw new ConfigException(key, key + " must be one of " + String.join(", ", NAMES)
        + ", but was " + (name == null ? "missing" : "'" + name + "'"));
  }

  /** Reads typed values from a map, remembering which keys were read. */
  private static final class Params {
    private final String prefix;
    private final Map<String, ?> values;
    private final Set<String> read = new LinkedHashSet<>();

    Params(String prefix, Map<String, ?> values) {
      this.prefix = prefix;
      this.values = values;
    }

    double number(String name, double defaultValue) {
      read.add(name);
      Object v = values.get(name);
      if (v == null) {
        return defaultValue;
      }
      if (v instanceof Number n) {
        return n.doubleValue();
      }
      throw typeError(name, "a number", v);
    }

    boolean flag(String name, boolean defaultValue) {
      read.add(name);
      Object v = values.get(name);
      if (v == null) {
        return defaultValue;
      }
      if (v instanceof Boolean b) {
        return b;
      }
      throw typeError(name, "true or false", v);
    }

    double[] pair(String name, double first, double second) {
      read.add(name);
      Object v = values.get(name);
      if (v == null) {
        return new double[] {first, second};
      }
      if (v instanceof List<?> list && list.size() == 2
          && list.get(0) instanceof Number a && list.get(1) instanceof Number b) {
        return new double[] {a.doubleValue(), b.doubleValue()};
      }
      throw typeError(name, "a list of two numbers", v);
    }

    /** Adam's {@code bias_correction}: {@code row} (the default) or {@code global}. */
    BiasCorrection biasCorrection() {
      read.add("bias_correction");
      Object v = values.get("bias_correction");
      if (v == null) {
        return BiasCorrection.ROW;
      }
      for (BiasCorrection b : BiasCorrection.values()) {
        if (b.configName().equals(String.valueOf(v).toLowerCase(Locale.ROOT))) {
          return b;
        }
      }
      throw typeError("bias_correction", "one of row, global", v);
    }

    void ignore(String name) {
      read.add(name);
    }

    void rejectUnknown(String optimizer) {
      List<String> unknown = new ArrayList<>();
      for (String key : values.keySet()) {
        if (!read.contains(key)) {
          unknown.add(key);
        }
      }
      if (!unknown.isEmpty()) {
        String key = prefix + "." + unknown.get(0);
        List<String> accepted = new ArrayList<>(read);
        accepted.removeAll(IGNORED_SWITCHES);
        throw new ConfigException(key, key + " is not a hyper-parameter of " + optimizer
            + "; accepted: " + String.join(", ", accepted));
      }
    }

    private ConfigException typeError(String name, String expected, Object value) {
      String key = prefix + "." + name;
      String shown = value instanceof String s ? "'" + s + "'" : String.valueOf(value);
      return new ConfigException(key, key + " must be " + expected + ", but was " + shown);
    }
  }
}
