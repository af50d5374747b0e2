package io.gradflow.optim;

import io.gradflow.config.Check;
import io.gradflow.config.OptimizerConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Configuration of {@link RmsProp}: PyTorch's {@code torch.optim.RMSprop} hyper-parameters.
 *
 * @param learningRate {@code lr} (default 0.01)
 * @param alpha {@code alpha}, the smoothing constant of the squared-gradient average (0.99)
 * @param epsilon {@code eps} (1e-8), added outside the square root; > 0 and not
 *     0 as a float32
 * @param weightDecay {@code weight_decay}, coupled L2
 * @param momentum {@code momentum}; 0 disables the momentum buffer
 * @param centered {@code centered}: normalise by the estimated variance instead of the raw
 *     second moment
 */
public record RmsPropSpec(
    double learningRate, double alpha, double epsilon, double weightDecay, double momentum,
    boolean centered) implements OptimizerSpec {

  public RmsPropSpec {
    Check.nonNegative("optimizer.lr", learningRate);
    Check.inRange("optimizer.alpha", alpha, 0, 1);
    SpecChecks.epsilon(epsilon);
    Check.nonNegative("optimizer.weight_decay", weightDecay);
    Check.nonNegative("optimizer.momentum", momentum);
  }

  /** PyTorch's defaults with the given learning rate. */
  public static RmsPropSpec of(double learningRate) {
    return (RmsPropSpec) OptimizerConfig.withDefaults("RMSprop", learningRate);
  }

  @Override
  public String configName() {
    return "RMSprop";
  }

  @Override
  public Map<String, Object> parameters() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("lr", learningRate);
    m.put("alpha", alpha);
    m.put("eps", epsilon);
    m.put("weight_decay", weightDecay);
    m.put("momentum", momentum);
    m.put("centered", centered);
    return m;
  }

  @Override
  public Optimizer create() {
    return new RmsProp(this);
  }
}
