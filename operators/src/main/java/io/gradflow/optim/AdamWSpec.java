package io.gradflow.optim;

import io.gradflow.config.OptimizerConfig;
import java.util.Map;

/**
 * Configuration of {@link Adam} with decoupled weight decay: PyTorch's {@code torch.optim.AdamW}
 * (Loshchilov and Hutter, 2019).
 *
 * @param learningRate {@code lr} (default 0.001)
 * @param beta1 {@code betas[0]} (0.9)
 * @param beta2 {@code betas[1]} (0.999)
 * @param epsilon {@code eps} (1e-8), > 0 and not 0 as a float32
 * @param weightDecay {@code weight_decay} (0.01): the weight is multiplied by (1 - lr * wd) at each
 *     of the row's own steps, before the Adam update; steps the row skipped decay nothing
 * @param amsgrad {@code amsgrad}
 * @param biasCorrection {@code bias_correction}: {@code row} (the row's own step count, the
 *     default) or {@code global} (the model's step count, as {@code torch.optim.SparseAdam})
 */
public record AdamWSpec(
    double learningRate, double beta1, double beta2, double epsilon, double weightDecay,
    boolean amsgrad, BiasCorrection biasCorrection) implements OptimizerSpec {

  public AdamWSpec {
    if (biasCorrection == null) {
      biasCorrection = BiasCorrection.ROW;
    }
    AdamSpec.validate(learningRate, beta1, beta2, epsilon, weightDecay);
  }

  /** With the row's own step count for bias correction (the default). */
  public AdamWSpec(double learningRate, double beta1, double beta2, double epsilon,
      double weightDecay, boolean amsgrad) {
    this(learningRate, beta1, beta2, epsilon, weightDecay, amsgrad, BiasCorrection.ROW);
  }

  /** PyTorch's defaults with the given learning rate. */
  public static AdamWSpec of(double learningRate) {
    return (AdamWSpec) OptimizerConfig.withDefaults("AdamW", learningRate);
  }

  @Override
  public String configName() {
    return "AdamW";
  }

  @Override
  public Map<String, Object> parameters() {
    return AdamSpec.parameters(learningRate, beta1, beta2, epsilon, weightDecay, amsgrad,
        biasCorrection);
  }

  @Override
  public Optimizer create() {
    return new Adam(learningRate, beta1, beta2, epsilon, 0, weightDecay, amsgrad, biasCorrection);
  }
}
