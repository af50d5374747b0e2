package io.gradflow.optim;

import io.gradflow.config.Check;
import io.gradflow.config.OptimizerConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Configuration of {@link AdaDelta}: PyTorch's {@code torch.optim.Adadelta} hyper-parameters.
 *
 * @param learningRate {@code lr}, a factor on the delta (default 1.0)
 * @param rho {@code rho}, the smoothing constant of both running averages (0.9)
 * @param epsilon {@code eps} (1e-6), added inside both square roots; > 0 and not
 *     0 as a float32
 * @param weightDecay {@code weight_decay}, coupled L2
 */
public record AdaDeltaSpec(double learningRate, double rho, double epsilon, double weightDecay)
    implements OptimizerSpec {

  public AdaDeltaSpec {
    Check.nonNegative("optimizer.lr", learningRate);
    Check.inRange("optimizer.rho", rho, 0, 1);
    SpecChecks.epsilon(epsilon);
    Check.nonNegative("optimizer.weight_decay", weightDecay);
  }

  /** PyTorch's defaults with the given learning rate. */
  public static AdaDeltaSpec of(double learningRate) {
    return (AdaDeltaSpec) OptimizerConfig.withDefaults("Adadelta", learningRate);
  }

  @Override
  public String configName() {
    return "Adadelta";
  }

  @Override
  public Map<String, Object> parameters() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("lr", learningRate);
    m.put("rho", rho);
    m.put("eps", epsilon);
    m.put("weight_decay", weightDecay);
    return m;
  }

  @Override
  public Optimizer create() {
    return new AdaDelta(this);
  }
}
