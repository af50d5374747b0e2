package io.gradflow.optim;

import io.gradflow.config.Check;

/**
 * What {@link RowUpdater} does to a row's gradient before the optimizer sees it.
 *
 * @param clipValue clamp each gradient value to [-clipValue, clipValue] (PyTorch's
 *     {@code clip_grad_value_}, applied per row); 0 disables
 * @param maxNorm scale the row's gradient by {@code maxNorm / (||g|| + 1e-6)} when that is below 1
 *     (PyTorch's {@code clip_grad_norm_} with the L2 norm, applied per row); 0 disables
 * @param maximize ascend instead of descend: negate the gradient (PyTorch's {@code maximize})
 */
public record GradientSpec(double clipValue, double maxNorm, boolean maximize)
    implements java.io.Serializable {
  /** No clipping, minimise. */
  public static final GradientSpec NONE = new GradientSpec(0, 0, false);

  public GradientSpec {
    Check.nonNegative("gradient.clip_value", clipValue);
    Check.nonNegative("gradient.max_norm", maxNorm);
  }

  /**
   * Every setting under its configuration name ({@code gradient.clip_value},
   * {@code gradient.max_norm}, {@code gradient.maximize}), in a stable order: the audit record's
   * form.
   */
  public java.util.Map<String, Object> parameters() {
    java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("clip_value", clipValue);
    m.put("max_norm", maxNorm);
    m.put("maximize", maximize);
    return m;
  }

  /** Whether the gradient is changed at all (otherwise the updater passes it through). */
  public boolean transforms() {
    return clipValue > 0 || maxNorm > 0 || maximize;
  }
}
