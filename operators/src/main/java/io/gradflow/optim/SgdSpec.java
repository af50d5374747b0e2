package io.gradflow.optim;

import io.gradflow.config.Check;
import io.gradflow.config.OptimizerConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Configuration of {@link Sgd}: PyTorch's {@code torch.optim.SGD} hyper-parameters.
 *
 * @param learningRate {@code lr}
 * @param momentum {@code momentum}; 0 disables the momentum buffer (and its slot)
 * @param dampening {@code dampening}
 * @param nesterov {@code nesterov}; needs momentum > 0 and zero dampening
 * @param weightDecay {@code weight_decay}, coupled L2 added to the gradient
 */
public record SgdSpec(
    double learningRate, double momentum, double dampening, boolean nesterov, double weightDecay)
    implements OptimizerSpec {

  public SgdSpec {
    Check.nonNegative("optimizer.lr", learningRate);
    Check.nonNegative("optimizer.momentum", momentum);
    Check.inRange("optimizer.dampening", dampening, 0, 1);
    Check.nonNegative("optimizer.weight_decay", weightDecay);
    Check.conflict(nesterov && (momentum <= 0 || dampening != 0), "optimizer.nesterov",
        "optimizer.momentum and optimizer.dampening",
        "Nesterov momentum needs momentum > 0 and dampening = 0, but momentum was " + momentum
            + " and dampening " + dampening);
  }

  /** Plain SGD at a fixed rate, no momentum, no decay. */
  public static SgdSpec of(double learningRate) {
    return (SgdSpec) OptimizerConfig.withDefaults("SGD", learningRate);
  }

  @Override
  public String configName() {
    return "SGD";
  }

  @Override
  public Map<String, Object> parameters() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("lr", learningRate);
    m.put("momentum", momentum);
    m.put("dampening", dampening);
    m.put("nesterov", nesterov);
    m.put("weight_decay", weightDecay);
    return m;
  }

  @Override
  public Optimizer create() {
    return new Sgd(this);
  }
}
