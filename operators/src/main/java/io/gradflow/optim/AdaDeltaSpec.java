package io.gradflow.optim;

import io.gradflow.config.Check;

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
    return new AdaDeltaSpec(learningRate, 0.9, 1e-6, 0);
  }

  @Override
  public Optimizer create() {
    return new AdaDelta(this);
  }
}
