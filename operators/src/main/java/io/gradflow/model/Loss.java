package io.gradflow.model;

import io.gradflow.config.ConfigException;
import io.gradflow.metrics.LogLoss;
import java.util.Locale;

/**
 * The loss a model minimises, as a function of the model's activation {@code a} (the combined
 * output of {@link Model#forward}) and the example's label {@code y}.
 *
 * <ul>
 *   <li>{@link #LOGISTIC}: binary cross-entropy of {@code p = sigmoid(a)}, the loss of logistic
 *       regression and of click-through-rate models. Labels in [0, 1] (soft labels allowed).
 *       {@code loss = log(1 + e^a) - y a}, computed as {@code max(a, 0) - y a + log1p(e^-|a|)},
 *       which neither overflows nor loses precision for large {@code |a|};
 *       {@code dLoss/da = p - y}.
 *   <li>{@link #SQUARED}: {@code loss = (a - y)^2 / 2}, {@code dLoss/da = a - y}, the prediction
 *       is {@code a}. Any finite label.
 * </ul>
 *
 * <p>The trainer calls {@link #gradient} once per example, multiplies it by the example's
 * importance weight and hands it to {@link Model#backward}: the loss is chosen once, outside the
 * per-weight loop. Reference: Bishop, <i>Pattern Recognition and Machine Learning</i> (2006),
 * sections 4.3.2 and 3.1.1 (the canonical link: both gradients are {@code prediction - label}).
 *
 * <p>Configuration names: {@code logistic}, {@code squared} ({@link #configName()},
 * {@link #parse}). Stateless and thread-safe; no memory beyond the constant.
 */
public enum Loss {
  LOGISTIC("logistic", "in [0, 1]", true) {
    @Override
    public double prediction(double activation) {
      return sigmoid(activation);
    }

    @Override
    public double loss(double activation, double label) {
      return Math.max(activation, 0) - label * activation
          + Math.log1p(Math.exp(-Math.abs(activation)));
    }

    @Override
    public double gradient(double activation, double label) {
      return sigmoid(activation) - label;
    }

    @Override
    public boolean acceptsLabel(double label) {
      return label >= 0 && label <= 1;
    }

    /**
     * The log loss of always predicting {@code meanLabel}: the binary entropy
     * {@code -(m log m + (1 - m) log(1 - m))} in nats (0 when m is 0 or 1). The log loss is linear
     * in the label, so this is exact for soft labels too and {@code meanSquaredLabel} is unused.
     * He et al. 2014 ("Practical lessons from predicting clicks on ads at Facebook") divide the
     * model's log loss by it: the normalized entropy.
     */
    @Override
    public double baseRateLoss(double meanLabel, double meanSquaredLabel) {
      return LogLoss.binaryEntropy(meanLabel);
    }
  },

  SQUARED("squared", "a finite number", false) {
    @Override
    public double prediction(double activation) {
      return activation;
    }

    @Override
    public double loss(double activation, double label) {
      double e = activation - label;
      return 0.5 * e * e;
    }

    @Override
    public double gradient(double activation, double label) {
      return activation - label;
    }

    @Override
    public boolean acceptsLabel(double label) {
      return Double.isFinite(label);
    }

    /**
     * The squared loss of always predicting the mean label: half the label variance,
     * {@code (E[y^2] - E[y]^2) / 2} (never negative, clamped against rounding).
     */
    @Override
    public double baseRateLoss(double meanLabel, double meanSquaredLabel) {
      return 0.5 * Math.max(0, meanSquaredLabel - meanLabel * meanLabel);
    }
  };

  private final String configName;
  private final String labelDomain;
  private final boolean probabilistic;

  Loss(String configName, String labelDomain, boolean probabilistic) {
    this.configName = configName;
    this.labelDomain = labelDomain;
    this.probabilistic = probabilistic;
  }

  /** The prediction served for an activation: a probability for LOGISTIC, {@code a} itself else. */
  public abstract double prediction(double activation);

  /** The loss of one example (not multiplied by its importance weight). */
  public abstract double loss(double activation, double label);

  /** {@code dLoss/dActivation} for one example (not multiplied by its importance weight). */
  public abstract double gradient(double activation, double label);

  /** Whether {@code label} is in this loss's domain; NaN never is (NaN means "unlabeled"). */
  public abstract boolean acceptsLabel(double label);

  /**
   * The average loss of the best constant prediction in hindsight, from the label's first two
   * moments (importance-weighted means): the base rate a model must beat. The demo shows the
   * prequential loss next to it.
   */
  public abstract double baseRateLoss(double meanLabel, double meanSquaredLabel);

  /** The label domain in words, for error messages: {@code "in [0, 1]"}. */
  public String labelDomain() {
    return labelDomain;
  }

  /** Whether predictions are probabilities (so log loss, AUC and reliability bins apply). */
  public boolean predictsProbability() {
    return probabilistic;
  }

  /** The name used in configuration files: {@code logistic} or {@code squared}. */
  public String configName() {
    return configName;
  }

  /**
   * Why {@code label} is refused, for a dead-letter record, or an empty string if it is accepted:
   * {@code "label must be in [0, 1] for the logistic loss, but was 1.5"}.
   */
  public String labelProblem(double label) {
    if (acceptsLabel(label)) {
      return "";
    }
    return "label must be " + labelDomain + " for the " + configName + " loss, but was " + label;
  }

  /**
   * The loss named {@code value} in configuration key {@code key}.
   *
   * @throws ConfigException naming the key and the accepted values
   */
  public static Loss parse(String key, String value) {
    if (value != null) {
      String name = value.trim().toLowerCase(Locale.ROOT);
      for (Loss loss : values()) {
        if (loss.configName.equals(name)) {
          return loss;
        }
      }
    }
    throw new ConfigException(key, key + " must be one of [logistic, squared], but was "
        + (value == null ? "null" : "'" + value + "'"));
  }

  /** {@code 1 / (1 + e^-a)}, evaluated so that neither branch overflows. */
  public static double sigmoid(double a) {
    if (a >= 0) {
      return 1 / (1 + Math.exp(-a));
    }
    double e = Math.exp(a);
    return e / (1 + e);
  }
}
