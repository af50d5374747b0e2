package io.gradflow.config;

import static io.gradflow.config.Constraint.atLeast;
import static io.gradflow.config.Constraint.each;
import static io.gradflow.config.Constraint.greaterThan;
import static io.gradflow.config.Constraint.inRange;
import static io.gradflow.config.Constraint.inRangeExclusiveHigh;

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
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The declarations of every optimizer's settings, one {@link Section} per optimizer, and the one
 * reader from a configuration written with PyTorch's names (class names {@code SGD},
 * {@code Adagrad}, {@code RMSprop}, {@code Adadelta}, {@code Adam}, {@code AdamW}, plus
 * {@code Ftrl}; hyper-parameters {@code lr}, {@code betas}, {@code eps}, ...) to the
 * {@link OptimizerSpec} records. A spec states its own name and parameters
 * ({@link OptimizerSpec#configName()}, {@link OptimizerSpec#parameters()}), which read back here
 * give an equal spec.
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

  /** The optimizer a configuration without one uses. */
  public static final String DEFAULT_NAME = "Adagrad";

  /** The selector of the optimizer section: PyTorch's class name, or Ftrl. */
  public static final Setting<String> NAME = Setting.of("name",
      SettingType.choice(NAMES, Map.of()), DEFAULT_NAME, null,
      "the optimizer: PyTorch's class name, or Ftrl; its hyper-parameters sit beside it");

  private static final SettingType<Double> NUMBER = SettingType.number();
  private static final SettingType<Boolean> BOOL = SettingType.bool();

  public static final Setting<Double> SGD_LR = lr(1e-3);
  public static final Setting<Double> SGD_MOMENTUM = Setting.of("momentum", NUMBER, 0.0,
      atLeast(0), "momentum factor; 0 keeps no momentum buffer (and no slot)");
  public static final Setting<Double> SGD_DAMPENING = Setting.of("dampening", NUMBER, 0.0,
      inRange(0, 1), "dampening of the momentum");
  public static final Setting<Boolean> SGD_NESTEROV = Setting.of("nesterov", BOOL, false, null,
      "Nesterov momentum (needs momentum > 0 and dampening 0)");
  public static final Setting<Double> SGD_WEIGHT_DECAY = weightDecay(0.0, "coupled L2");

  public static final Setting<Double> ADAGRAD_LR = lr(1e-2);
  public static final Setting<Double> ADAGRAD_LR_DECAY = Setting.of("lr_decay", NUMBER, 0.0,
      atLeast(0), "the rate at row step t is lr / (1 + (t - 1) lr_decay)");
  public static final Setting<Double> ADAGRAD_WEIGHT_DECAY = weightDecay(0.0, "coupled L2");
  public static final Setting<Double> ADAGRAD_INITIAL_ACCUMULATOR = Setting.of(
      "initial_accumulator_value", NUMBER, 0.0, atLeast(0),
      "the starting value of the squared-gradient sum");
  public static final Setting<Double> ADAGRAD_EPS = eps(1e-10, "added to the root of the sum");

  public static final Setting<Double> RMSPROP_LR = lr(1e-2);
  public static final Setting<Double> RMSPROP_ALPHA = Setting.of("alpha", NUMBER, 0.99,
      inRange(0, 1), "smoothing constant of the squared-gradient average");
  public static final Setting<Double> RMSPROP_EPS = eps(1e-8, "added outside the square root");
  public static final Setting<Double> RMSPROP_WEIGHT_DECAY = weightDecay(0.0, "coupled L2");
  public static final Setting<Double> RMSPROP_MOMENTUM = Setting.of("momentum", NUMBER, 0.0,
      atLeast(0), "momentum factor; 0 keeps no momentum buffer");
  public static final Setting<Boolean> RMSPROP_CENTERED = Setting.of("centered", BOOL, false,
      null, "normalise by the estimated variance instead of the raw second moment");

  public static final Setting<Double> ADADELTA_LR = lr(1.0);
  public static final Setting<Double> ADADELTA_RHO = Setting.of("rho", NUMBER, 0.9,
      inRange(0, 1), "smoothing constant of both running averages");
  public static final Setting<Double> ADADELTA_EPS = eps(1e-6, "added inside both square roots");
  public static final Setting<Double> ADADELTA_WEIGHT_DECAY = weightDecay(0.0, "coupled L2");

  public static final Setting<Double> ADAM_LR = lr(1e-3);
  public static final Setting<List<Double>> ADAM_BETAS = betas();
  public static final Setting<Double> ADAM_EPS = eps(1e-8, "added to the root of the second moment");
  public static final Setting<Double> ADAM_WEIGHT_DECAY =
      weightDecay(0.0, "coupled L2, added to the gradient before the moments");
  public static final Setting<Boolean> ADAM_AMSGRAD = amsgrad();
  public static final Setting<String> ADAM_BIAS_CORRECTION = biasCorrection();

  public static final Setting<Double> ADAMW_LR = lr(1e-3);
  public static final Setting<List<Double>> ADAMW_BETAS = betas();
  public static final Setting<Double> ADAMW_EPS = eps(1e-8, "added to the root of the second moment");
  public static final Setting<Double> ADAMW_WEIGHT_DECAY = weightDecay(1e-2,
      "decoupled: the weight is multiplied by (1 - lr wd) at each of the row's own steps");
  public static final Setting<Boolean> ADAMW_AMSGRAD = amsgrad();
  public static final Setting<String> ADAMW_BIAS_CORRECTION = biasCorrection();

  public static final Setting<Double> FTRL_ALPHA = Setting.of("alpha", NUMBER, 0.1,
      greaterThan(0), "the per-coordinate rate is alpha / (beta + sqrt(n)); the base rate a"
          + " schedule scales");
  public static final Setting<Double> FTRL_BETA = Setting.of("beta", NUMBER, 1.0, greaterThan(0),
      "beta of the per-coordinate rate");
  public static final Setting<Double> FTRL_L1 = Setting.of("l1", NUMBER, 0.0, atLeast(0),
      "L1 strength: weights with |z| <= l1 are exactly zero");
  public static final Setting<Double> FTRL_L2 = Setting.of("l2", NUMBER, 0.0, atLeast(0),
      "L2 strength");

  /** PyTorch's {@code maximize}: ascend instead of descend (the gradient driver applies it). */
  public static final Setting<Boolean> MAXIMIZE = Setting.of("maximize", BOOL, false, null,
      "ascend instead of descend (PyTorch's maximize)");

  private static final List<Setting<?>> IGNORED_SWITCHES = List.of(
      ignoredSwitch("foreach"), ignoredSwitch("capturable"), ignoredSwitch("differentiable"),
      ignoredSwitch("fused"));

  /** The sections, one per optimizer, in the order of {@link #NAMES}. */
  public static final List<Section> SECTIONS = List.of(
      section("SGD", "torch.optim.SGD: momentum, dampening, Nesterov, coupled weight decay",
          SGD_LR, SGD_MOMENTUM, SGD_DAMPENING, SGD_NESTEROV, SGD_WEIGHT_DECAY),
      section("Adagrad", "torch.optim.Adagrad: eps outside the root",
          ADAGRAD_LR, ADAGRAD_LR_DECAY, ADAGRAD_WEIGHT_DECAY, ADAGRAD_INITIAL_ACCUMULATOR,
          ADAGRAD_EPS),
      section("RMSprop", "torch.optim.RMSprop: eps outside the root",
          RMSPROP_LR, RMSPROP_ALPHA, RMSPROP_EPS, RMSPROP_WEIGHT_DECAY, RMSPROP_MOMENTUM,
          RMSPROP_CENTERED),
      section("Adadelta", "torch.optim.Adadelta: eps inside both roots",
          ADADELTA_LR, ADADELTA_RHO, ADADELTA_EPS, ADADELTA_WEIGHT_DECAY),
      section("Adam", "torch.optim.Adam (coupled L2); with bias_correction: global,"
          + " torch.optim.SparseAdam's bias correction",
          ADAM_LR, ADAM_BETAS, ADAM_EPS, ADAM_WEIGHT_DECAY, ADAM_AMSGRAD, ADAM_BIAS_CORRECTION),
      section("AdamW", "torch.optim.AdamW (decoupled weight decay, Loshchilov and Hutter 2019)",
          ADAMW_LR, ADAMW_BETAS, ADAMW_EPS, ADAMW_WEIGHT_DECAY, ADAMW_AMSGRAD,
          ADAMW_BIAS_CORRECTION),
      new Section("optimizer", "Ftrl", "FTRL-Proximal, McMahan et al. 2013, Algorithm 1",
          List.of(FTRL_ALPHA, FTRL_BETA, FTRL_L1, FTRL_L2), List.of()));

  private OptimizerConfig() {}

  /** An optimizer spec and PyTorch's {@code maximize} flag, as read from a configuration. */
  public record Parsed(OptimizerSpec spec, boolean maximize) {}

  /** The section of the optimizer named {@code name} (PyTorch's spelling, any case), or null. */
  public static Section section(String name) {
    for (Section s : SECTIONS) {
      if (s.variant().equalsIgnoreCase(name)) {
        return s;
      }
    }
    return null;
  }

  /**
   * Reads an optimizer map as a job file writes it: {@code name} beside the hyper-parameters
   * ({@code {name: Adam, lr: 0.01}}); no map is the default optimizer with its defaults.
   *
   * @param prefix the key of the map ({@code "optimizer"}, {@code "race[1].optimizer"})
   */
  public static Parsed read(String prefix, Object raw, ConfigReport report) {
    Map<String, ?> map = Section.asMap(prefix, raw);
    if (map.containsKey("type") && !map.containsKey(NAME.name())) {
      // type selects a model or a schedule; an optimizer is selected by name (PyTorch's).
      String key = Section.key(prefix, "type");
      throw new ConfigException(key, key + " is not a setting; an optimizer is chosen by its"
          + " name: name: " + closestName(map.get("type")) + " (one of " + String.join(", ", NAMES)
          + ")");
    }
    String name = NAME.read(Section.key(prefix, NAME.name()), map.get(NAME.name()), "");
    if (report != null) {
      report.add(Section.key(prefix, NAME.name()), name, map.get(NAME.name()) == null);
    }
    return read(prefix, name, map, report, List.of(NAME.name()));
  }

  /**
   * The optimizer name nearest {@code written} (at most two letters' edits, any case), or
   * {@code NAME} when none is that near.
   */
  static String closestName(Object written) {
    String best = Suggestion.closest(String.valueOf(written), NAMES);
    return best == null ? "NAME" : best;
  }

  /**
   * Builds a spec from PyTorch's class name and hyper-parameter names. Values are {@link Number},
   * {@link Boolean}, text, or a {@link List} of two numbers for {@code betas}.
   *
   * @param prefix the configuration path of the optimizer, used in messages ({@code "optimizer"})
   * @throws ConfigException naming the key, the constraint and the value
   */
  public static Parsed fromPytorch(String prefix, String name, Map<String, ?> hyperParameters) {
    String key = Section.key(prefix, NAME.name());
    if (name == null) {
      throw new ConfigException(key, key + " must be one of " + String.join(", ", NAMES)
          + ", but was missing");
    }
    String canonical = NAME.read(key, name, "");
    return read(prefix, canonical, hyperParameters, null, List.of());
  }

  /**
   * The spec of optimizer {@code name} with every setting at its declared default but the base
   * learning rate ({@code lr}, or {@code alpha} for FTRL): what the specs' {@code of(rate)}
   * factories return.
   */
  public static OptimizerSpec withDefaults(String name, double learningRate) {
    String rate = name.equals("Ftrl") ? FTRL_ALPHA.name() : "lr";
    return fromPytorch("optimizer", name, Map.of(rate, learningRate)).spec();
  }

  private static Parsed read(String prefix, String name, Map<String, ?> hyperParameters,
      ConfigReport report, List<String> handled) {
    Section section = section(name);
    Section.Values v = section.read(prefix, hyperParameters, report, handled, handled);
    OptimizerSpec spec = switch (section.variant()) {
      case "SGD" -> new SgdSpec(v.get(SGD_LR), v.get(SGD_MOMENTUM), v.get(SGD_DAMPENING),
          v.get(SGD_NESTEROV), v.get(SGD_WEIGHT_DECAY));
      case "Adagrad" -> new AdaGradSpec(v.get(ADAGRAD_LR), v.get(ADAGRAD_LR_DECAY),
          v.get(ADAGRAD_WEIGHT_DECAY), v.get(ADAGRAD_INITIAL_ACCUMULATOR), v.get(ADAGRAD_EPS));
      case "RMSprop" -> new RmsPropSpec(v.get(RMSPROP_LR), v.get(RMSPROP_ALPHA),
          v.get(RMSPROP_EPS), v.get(RMSPROP_WEIGHT_DECAY), v.get(RMSPROP_MOMENTUM),
          v.get(RMSPROP_CENTERED));
      case "Adadelta" -> new AdaDeltaSpec(v.get(ADADELTA_LR), v.get(ADADELTA_RHO),
          v.get(ADADELTA_EPS), v.get(ADADELTA_WEIGHT_DECAY));
      case "Adam" -> new AdamSpec(v.get(ADAM_LR), v.get(ADAM_BETAS).get(0),
          v.get(ADAM_BETAS).get(1), v.get(ADAM_EPS), v.get(ADAM_WEIGHT_DECAY),
          v.get(ADAM_AMSGRAD), biasCorrection(v.get(ADAM_BIAS_CORRECTION)));
      case "AdamW" -> new AdamWSpec(v.get(ADAMW_LR), v.get(ADAMW_BETAS).get(0),
          v.get(ADAMW_BETAS).get(1), v.get(ADAMW_EPS), v.get(ADAMW_WEIGHT_DECAY),
          v.get(ADAMW_AMSGRAD), biasCorrection(v.get(ADAMW_BIAS_CORRECTION)));
      default -> new FtrlSpec(v.get(FTRL_ALPHA), v.get(FTRL_BETA), v.get(FTRL_L1),
          v.get(FTRL_L2));
    };
    boolean maximize = section.setting(MAXIMIZE.name()) != null && v.get(MAXIMIZE);
    return new Parsed(spec, maximize);
  }

  private static BiasCorrection biasCorrection(String configName) {
    return BiasCorrection.valueOf(configName.toUpperCase(Locale.ROOT));
  }

  private static Section section(String name, String doc, Setting<?>... hyperParameters) {
    List<Setting<?>> settings = new ArrayList<>(List.of(hyperParameters));
    settings.add(MAXIMIZE);
    settings.addAll(IGNORED_SWITCHES);
    return new Section("optimizer", name, doc, settings, List.of());
  }

  private static Setting<Double> lr(double defaultValue) {
    return Setting.of("lr", NUMBER, defaultValue, atLeast(0),
        "learning rate, the base rate a schedule scales");
  }

  private static Setting<Double> eps(double defaultValue, String doc) {
    return Setting.of("eps", NUMBER, defaultValue, greaterThan(0), "term added for stability, "
        + doc + "; 0 would let a zero gradient write 0/0 into a row");
  }

  private static Setting<Double> weightDecay(double defaultValue, String doc) {
    return Setting.of("weight_decay", NUMBER, defaultValue, atLeast(0),
        "weight decay, " + doc);
  }

  private static Setting<List<Double>> betas() {
    return Setting.of("betas", SettingType.pair(), List.of(0.9, 0.999),
        each(inRangeExclusiveHigh(0, 1)),
        "decay rates of the first and second moment estimates");
  }

  private static Setting<Boolean> amsgrad() {
    return Setting.of("amsgrad", BOOL, false, null,
        "normalise by the running maximum of the second moment (AMSGrad)");
  }

  private static Setting<String> biasCorrection() {
    return Setting.of("bias_correction", SettingType.choice("row", "global"), "row", null,
        "which step count the bias corrections use: row (the row's own, as torch.optim.Adam on"
            + " that row) or global (the model's, as torch.optim.SparseAdam and LazyAdam)");
  }

  private static Setting<Boolean> ignoredSwitch(String name) {
    return Setting.of(name, BOOL, false, null,
        "PyTorch implementation switch; accepted and ignored").ignored();
  }

  /** The parameters map an audit record stores, with its name: a spec's configuration. */
  public static Map<String, Object> configuration(OptimizerSpec spec) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(NAME.name(), spec.configName());
    m.putAll(spec.parameters());
    return m;
  }
}
