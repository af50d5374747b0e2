package io.gradflow.optim;

import io.gradflow.config.Check;
import io.gradflow.config.OptimizerConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Configuration of {@link Adam} with coupled L2: PyTorch's {@code torch.optim.Adam}.
 *
 * @param learningRate {@code lr} (default 0.001)
 * @param beta1 {@code betas[0]} (0.9)
 * @param beta2 {@code betas[1]} (0.999)
 * @param epsilon {@code eps} (1e-8), > 0 and not 0 as a float32
 * @param weightDecay {@code weight_decay}: coupled L2, added to the gradient before the moments
 * @param amsgrad {@code amsgrad}: normalise by the running maximum of the second moment
 * @param biasCorrection {@code bias_correction}: {@code row} (the row's own step count, the
 *     default) or {@code global} (the model's step count, as {@code torch.optim.SparseAdam})
 */
public record AdamSpec(
    double learningRate, double beta1, double beta2, double epsilon, double weightDecay,
    boolean amsgrad, BiasCorrection biasCorrection) implements OptimizerSpec {

  public AdamSpec {
    if (biasCorrection == null) {
      biasCorrection = BiasCorrection.ROW;
    }
    validate(learningRate, beta1, beta2, epsilon, weightDecay);
  }

  /** The hyper-parameter checks Adam and AdamW share, with PyTorch's names in the messages. */
  static void validate(double learningRate, double beta1, double beta2, double epsilon,
      double weightDecay) {
    Check.nonNegative("optimizer.lr", learningRate);
    Check.inRangeExclusive("optimizer.betas[0]", beta1, 0, 1);
    Check.inRangeExclusive("optimizer.betas[1]", beta2, 0, 1);
    SpecChecks.epsilon(epsilon);
    Check.nonNegative("optimizer.weight_decay", weightDecay);
  }

  /** With the row's own step count for bias correction (the default). */
  public AdamSpec(double learningRate, double beta1, double beta2, double epsilon,
      double weightDecay, boolean amsgrad) {
    this(learningRate, beta1, beta2, epsilon, weightDecay, amsgrad, BiasCorrection.ROW);
  }

  /** PyTorch's defaults with the given learning rate. */
  public static AdamSpec of(double learningRate) {
    return (AdamSpec) OptimizerConfig.withDefaults("Adam", learningRate);
  }

  @Override
  public String configName() {
    return "Adam";
  }

  @Override
  public Map<String, Object> parameters() {
    return parameters(learningRate, beta1, beta2, epsilon, weightDecay, amsgrad, biasCorrection);
  }

  /** The configuration of Adam and AdamW, which share their names. */
  static Map<String, Object> parameters(double learningRate, double beta1, double beta2,
      double epsilon, double weightDecay, boolean amsgrad, BiasCorrection biasCorrection) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("lr", learningRate);
    m.put("betas", List.of(beta1, beta2));
    m.put("eps", epsilon);
    m.put("weight_decay", weightDecay);
    m.put("amsgrad", amsgrad);
    m.put("bias_correction", biasCorrection.configName());
    return m;
  }

  @Override
  public Optimizer create() {
    return new Adam(learningRate, beta1, beta2, epsilon, weightDecay, 0, amsgrad, biasCorrection);
  }
}
