package io.gradflow.optim;

import io.gradflow.config.Check;
import io.gradflow.config.OptimizerConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Configuration of {@link AdaGrad}: PyTorch's {@code torch.optim.Adagrad} hyper-parameters.
 *
 * @param learningRate {@code lr} (PyTorch's default 0.01)
 * @param learningRateDecay {@code lr_decay}: the rate at row step t is lr / (1 + (t - 1) lr_decay)
 * @param weightDecay {@code weight_decay}, coupled L2
 * @param initialAccumulatorValue {@code initial_accumulator_value}
 * @param epsilon {@code eps} (default 1e-10), added to the root of the accumulator;
 *     > 0 and not 0 as a float32
 */
public record AdaGradSpec(
    double learningRate, double learningRateDecay, double weightDecay,
    double initialAccumulatorValue, double epsilon) implements OptimizerSpec {

  public AdaGradSpec {
    Check.nonNegative("optimizer.lr", learningRate);
    Check.nonNegative("optimizer.lr_decay", learningRateDecay);
    Check.nonNegative("optimizer.weight_decay", weightDecay);
    Check.nonNegative("optimizer.initial_accumulator_value", initialAccumulatorValue);
    SpecChecks.epsilon(epsilon);
  }

  /** PyTorch's defaults with the given learning rate. */
  public static AdaGradSpec of(double learningRate) {
    return (AdaGradSpec) OptimizerConfig.withDefaults("Adagrad", learningRate);
  }

  @Override
  public String configName() {
    return "Adagrad";
  }

  @Override
  public Map<String, Object> parameters() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("lr", learningRate);
    m.put("lr_decay", learningRateDecay);
    m.put("weight_decay", weightDecay);
    m.put("initial_accumulator_value", initialAccumulatorValue);
    m.put("eps", epsilon);
    return m;
  }

  @Override
  public Optimizer create() {
    return new AdaGrad(this);
  }
}
