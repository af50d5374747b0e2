package io.gradflow.optim;

/**
 * Which step count Adam's and AdamW's bias corrections ({@code 1 - beta^t}) use; configuration key
 * {@code bias_correction}.
 *
 * <ul>
 *   <li>{@link #ROW} ({@code row}, the default): the row's own step count, so every row behaves as a
 *       fresh {@code torch.optim.Adam} parameter fed the row's own gradient subsequence (a row first
 *       seen late gets the large early steps).
 *   <li>{@link #GLOBAL} ({@code global}): the model's step count (examples learned), as PyTorch's
 *       {@code torch.optim.SparseAdam} on an embedding table and TensorFlow's LazyAdam do: a row
 *       first seen late gets an almost uncorrected, small step.
 * </ul>
 */
public enum BiasCorrection {
  ROW,
  GLOBAL;

  /** The configuration spelling: {@code row} or {@code global}. */
  public String configName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
