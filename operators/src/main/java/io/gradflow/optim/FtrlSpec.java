package io.gradflow.optim;

import io.gradflow.config.Check;
import io.gradflow.config.OptimizerConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Configuration of {@link Ftrl}: FTRL-Proximal with per-coordinate learning rates, McMahan et al.,
 * "Ad Click Prediction: a View from the Trenches", KDD 2013, Algorithm 1.
 *
 * @param alpha {@code alpha}: the per-coordinate rate is alpha / (beta + sqrt(n)); it is also the
 *     base learning rate that a schedule scales
 * @param beta {@code beta} (1.0), > 0: with beta 0, a coordinate whose {@code n} is still 0 (its
 *     squared gradients rounded to 0) would divide by zero
 * @param l1 {@code l1}: weights with |z| <= l1 are exactly zero (sparsity)
 * @param l2 {@code l2}
 */
public record FtrlSpec(double alpha, double beta, double l1, double l2) implements OptimizerSpec {

  public FtrlSpec {
    Check.positive("optimizer.alpha", alpha);
    Check.positive("optimizer.beta", beta);
    Check.nonNegative("optimizer.l1", l1);
    Check.nonNegative("optimizer.l2", l2);
  }

  /** The paper's usual defaults with the given alpha: beta 1, no regularization. */
  public static FtrlSpec of(double alpha) {
    return (FtrlSpec) OptimizerConfig.withDefaults("Ftrl", alpha);
  }

  @Override
  public double learningRate() {
    return alpha;
  }

  @Override
  public String configName() {
    return "Ftrl";
  }

  @Override
  public Map<String, Object> parameters() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("alpha", alpha);
    m.put("beta", beta);
    m.put("l1", l1);
    m.put("l2", l2);
    return m;
  }

  @Override
  public Optimizer create() {
    return new Ftrl(this);
  }
}
