package io.gradflow.bench;

import io.gradflow.optim.AdaDeltaSpec;
import io.gradflow.optim.AdaGradSpec;
import io.gradflow.optim.AdamSpec;
import io.gradflow.optim.AdamWSpec;
import io.gradflow.optim.BiasCorrection;
import io.gradflow.optim.FtrlSpec;
import io.gradflow.optim.GradientSpec;
import io.gradflow.optim.OptimizerSpec;
import io.gradflow.optim.RmsPropSpec;
import io.gradflow.optim.RowLayout;
import io.gradflow.optim.RowUpdater;
import io.gradflow.optim.SgdSpec;
import java.util.Arrays;
import java.util.Random;

/**
 * Hand-written per-row loops that the benchmarks set beside {@link RowUpdater}: the baseline an
 * optimizer's overhead is measured against.
 *
 * <p>Each formula steps one row of the same interleaved layout as {@link RowLayout} and does all
 * the work {@code RowUpdater.update} does for it with {@link GradientSpec#NONE}: refuse a row whose
 * gradient is not finite, read and advance the row's step count (two integer-valued floats after
 * the weights), compute the per-row constants (bias corrections, AdaGrad's decayed rate), run
 * the per-weight formula, in the same float and double arithmetic as the core, and undo a step
 * whose result is not finite (each value copied aside and checked inside the formula's loop, as
 * the core's optimizers do), so the results are
 * bit for bit the same ({@link #verify} checks that before a benchmark measures anything).
 *
 * <p>A bare loop is written for one configuration, as a hand-written loop would be: flags that are
 * off in the benchmarked configuration (Nesterov, centered RMSProp, RMSProp momentum, AMSGrad,
 * Adam's global bias correction) are left out, and {@link #of} refuses a spec that sets them.
 * Numeric hyper-parameters stay in even when zero (Adam's coupled L2, for example), since a loop
 * for the general formula has them.
 *
 * <p>The formulas are records of their constants and a scratch copy of the row (rows up to
 * {@value #MAX_ROW_FLOATS} floats): not thread-safe, one per benchmark thread. No allocation
 * happens while stepping.
 */
final class BareLoops {
  private BareLoops() {}

  /** One optimizer's hand-written row step. */
  sealed interface Formula permits Sgd, SgdMomentum, AdaGrad, RmsProp, AdaDelta, Adam, AdamW,
      Ftrl {
    /** Floats between consecutive weights. */
    int stride();

    /**
     * Steps the row at {@code offset} once, as {@code RowUpdater.update} would.
     *
     * @return false, with the row unchanged, if a gradient value is not finite
     */
    boolean step(float[] row, int offset, int width, float[] grad, int gradOffset,
        double learningRate);
  }

  /** The bare formula for {@code spec}; fails for a configuration no bare loop is written for. */
  static Formula of(OptimizerSpec spec) {
    if (spec instanceof SgdSpec s) {
      require(!s.nesterov(), spec, "nesterov");
      return s.momentum() == 0 ? new Sgd((float) s.weightDecay(), backup())
          : new SgdMomentum((float) s.momentum(), (float) (1 - s.dampening()),
              (float) s.weightDecay(), backup());
    }
    if (spec instanceof AdaGradSpec s) {
      return new AdaGrad(s.learningRateDecay(), (float) s.weightDecay(), (float) s.epsilon(),
          backup());
    }
    if (spec instanceof RmsPropSpec s) {
      require(!s.centered() && s.momentum() == 0, spec, "centered or momentum");
      return new RmsProp((float) s.alpha(), (float) (1 - s.alpha()), (float) s.epsilon(),
          (float) s.weightDecay(), backup());
    }
    if (spec instanceof AdaDeltaSpec s) {
      return new AdaDelta((float) s.rho(), (float) (1 - s.rho()), (float) s.epsilon(),
          (float) s.weightDecay(), backup());
    }
    if (spec instanceof AdamSpec s) {
      require(!s.amsgrad(), spec, "amsgrad");
      require(s.biasCorrection() == BiasCorrection.ROW, spec, "bias_correction: global");
      return new Adam(s.beta1(), s.beta2(), (float) s.beta1(), (float) s.beta2(),
          (float) (1 - s.beta1()), (float) (1 - s.beta2()), (float) s.epsilon(),
          (float) s.weightDecay(), corrections(s.beta1(), false), corrections(s.beta2(), true),
          backup());
    }
    if (spec instanceof AdamWSpec s) {
      require(!s.amsgrad(), spec, "amsgrad");
      require(s.biasCorrection() == BiasCorrection.ROW, spec, "bias_correction: global");
      return new AdamW(s.beta1(), s.beta2(), (float) s.beta1(), (float) s.beta2(),
          (float) (1 - s.beta1()), (float) (1 - s.beta2()), (float) s.epsilon(),
          s.weightDecay(), corrections(s.beta1(), false), corrections(s.beta2(), true),
          backup());
    }
    FtrlSpec s = (FtrlSpec) spec;
    return new Ftrl(s.beta(), s.l1(), s.l2(), backup());
  }

  /**
   * {@code 1 - beta^t} (or its root) for small t: a hand-written loop would precompute the bias
   * corrections too, exactly as the core's {@code Adam} does (same size, same fallback).
   */
  static double[] corrections(double beta, boolean sqrt) {
    int size = 1;
    while (size < (1 << 16) && 1 - Math.pow(beta, size) != 1.0) {
      size++;
    }
    double[] table = new double[size + 1];
    for (int t = 0; t <= size; t++) {
      double c = 1 - Math.pow(beta, t);
      table[t] = sqrt ? Math.sqrt(c) : c;
    }
    return table;
  }

  static double correction(double[] table, double beta, long step, boolean sqrt) {
    if (step < table.length) {
      return table[(int) step];
    }
    if (table[table.length - 1] == 1.0) {
      return 1.0;
    }
    double c = 1 - Math.pow(beta, step);
    return sqrt ? Math.sqrt(c) : c;
  }

  private static void require(boolean supported, OptimizerSpec spec, String flag) {
    if (!supported) {
      throw new IllegalArgumentException(
          "no bare loop is written for " + flag + ": benchmark " + spec + " without it");
    }
  }

  /**
   * Steps rows of widths 1, 3 and 16 a few dozen times through {@code RowUpdater} and through
   * {@code formula}, from the same start and with the same gradients (one of them not finite, one
   * finite but extreme), and fails unless every float of every row is bit for bit the same: a bare
   * loop that drops a term is not a fair baseline.
   */
  static void verify(OptimizerSpec spec, Formula formula) {
    RowUpdater updater = new RowUpdater(spec, GradientSpec.NONE);
    if (updater.layout(1).stride() != formula.stride()) {
      throw new IllegalStateException("the bare loop for " + spec + " has stride "
          + formula.stride() + " but RowUpdater lays rows out with stride "
          + updater.layout(1).stride());
    }
    Random random = new Random(7);
    for (int width : new int[] {1, 3, 16}) {
      float[] core = new float[updater.layout(width).size()];
      for (int i = 0; i < width; i++) {
        core[i * formula.stride()] = (float) (0.01 * random.nextGaussian());
      }
      updater.initialize(core, 0, width);
      float[] bare = core.clone();
      float[] grad = new float[width];
      for (int t = 0; t < 40; t++) {
        for (int i = 0; i < width; i++) {
          grad[i] = (float) (1e-3 * random.nextGaussian());
        }
        if (t == 20) {
          grad[width - 1] = Float.NaN;
        }
        if (t == 30) {
          grad[0] = Float.MAX_VALUE; // finite, but its square is not: the step is undone
        }
        boolean coreApplied = updater.update(core, 0, width, grad, 0, spec.learningRate());
        boolean bareApplied = formula.step(bare, 0, width, grad, 0, spec.learningRate());
        int mismatch = Arrays.mismatch(bits(core), bits(bare));
        if (coreApplied != bareApplied || mismatch >= 0) {
          throw new IllegalStateException("the bare loop for " + spec + " differs from RowUpdater"
              + " at width " + width + ", step " + (t + 1) + ", float " + mismatch + ": core "
              + Arrays.toString(core) + ", bare " + Arrays.toString(bare));
        }
      }
    }
  }

  private static int[] bits(float[] values) {
    int[] bits = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      bits[i] = Float.floatToRawIntBits(values[i]);
    }
    return bits;
  }

  private static boolean finite(float[] grad, int gradOffset, int width) {
    for (int i = 0; i < width; i++) {
      if (!Float.isFinite(grad[gradOffset + i])) {
        return false;
      }
    }
    return true;
  }

  /** Floats of the largest row a bare loop steps: 64 weights of stride 4. */
  static final int MAX_ROW_FLOATS = 256;

  /** A bare loop's own copy of the row it steps, for undoing a non-finite result. */
  private static float[] backup() {
    return new float[MAX_ROW_FLOATS];
  }

  /**
   * Restores the row's weights and slots in {@code [offset, end)} from {@code backup} after a
   * step whose result was not finite. As the core's optimizers do, each formula copies every
   * value aside as it reads it and sums {@code x - x} over every value it writes (0 for a finite
   * x, NaN otherwise), so one branch after its loop serves the whole row.
   */
  private static boolean undo(float[] row, int offset, int end, float[] backup) {
    System.arraycopy(backup, 0, row, offset, end - offset);
    return false;
  }

  /**
   * The step count stored after the weights, as {@link RowLayout} lays it out: two exact
   * integer-valued floats holding the low and the high 24 bits.
   */
  private static long readStep(float[] row, int at) {
    return (long) row[at] | ((long) row[at + 1] << 24);
  }

  private static void writeStep(float[] row, int at, long step) {
    long clamped = Math.min(Math.max(step, 0), RowLayout.MAX_STEP);
    row[at] = (float) (clamped & 0xFF_FFFF);
    row[at + 1] = (float) (clamped >>> 24);
  }

  /** Plain SGD with coupled L2: {@code w -= lr (g + wd w)}. Stride 1. */
  record Sgd(float weightDecay, float[] backup) implements Formula {
    @Override
    public int stride() {
      return 1;
    }

    @Override
    public boolean step(float[] row, int offset, int width, float[] grad, int gradOffset,
        double learningRate) {
      if (!finite(grad, gradOffset, width)) {
        return false;
      }
      int stepAt = offset + width;
      long step = readStep(row, stepAt) + 1;
      float negLr = (float) -learningRate;
      float check = 0f;
      for (int i = 0; i < width; i++) {
        int p = offset + i;
        float w = row[p];
        backup[i] = w;
        float next = w + negLr * (grad[gradOffset + i] + weightDecay * w);
        row[p] = next;
        check += next - next;
      }
      if (check != 0f) {
        return undo(row, offset, stepAt, backup);
      }
      writeStep(row, stepAt, step);
      return true;
    }
  }

  /** SGD with heavy-ball momentum and dampening, no Nesterov. Stride 2: {@code [w, b]}. */
  record SgdMomentum(float momentum, float dampingComplement, float weightDecay, float[] backup)
      implements Formula {
    @Override
    public int stride() {
      return 2;
    }

    @Override
    public boolean step(float[] row, int offset, int width, float[] grad, int gradOffset,
        double learningRate) {
      if (!finite(grad, gradOffset, width)) {
        return false;
      }
      int stepAt = offset + 2 * width;
      long step = readStep(row, stepAt) + 1;
      float negLr = (float) -learningRate;
      boolean first = step == 1;
      float check = 0f;
      for (int i = 0; i < width; i++) {
        int p = offset + 2 * i;
        float w = row[p];
        float b0 = row[p + 1];
        backup[2 * i] = w;
        backup[2 * i + 1] = b0;
        float d = grad[gradOffset + i] + weightDecay * w;
        float b = first ? d : b0 * momentum + dampingComplement * d;
        row[p + 1] = b;
        float next = w + negLr * b;
        row[p] = next;
        check += (b - b) + (next - next);
      }
      if (check != 0f) {
        return undo(row, offset, stepAt, backup);
      }
      writeStep(row, stepAt, step);
      return true;
    }
  }

  /** AdaGrad with PyTorch's lr_decay, eps outside the root. Stride 2: {@code [w, s]}. */
  record AdaGrad(double learningRateDecay, float weightDecay, float epsilon, float[] backup)
      implements Formula {
    @Override
    public int stride() {
      return 2;
    }

    @Override
    public boolean step(float[] row, int offset, int width, float[] grad, int gradOffset,
        double learningRate) {
      if (!finite(grad, gradOffset, width)) {
        return false;
      }
      int stepAt = offset + 2 * width;
      long step = readStep(row, stepAt) + 1;
      float negClr = (float) -(learningRate / (1 + (step - 1) * learningRateDecay));
      float check = 0f;
      for (int i = 0; i < width; i++) {
        int p = offset + 2 * i;
        float w = row[p];
        float s0 = row[p + 1];
        backup[2 * i] = w;
        backup[2 * i + 1] = s0;
        float g = grad[gradOffset + i] + weightDecay * w;
        float s = s0 + g * g;
        row[p + 1] = s;
        float next = w + negClr * g / ((float) Math.sqrt(s) + epsilon);
        row[p] = next;
        check += (s - s) + (next - next);
      }
      if (check != 0f) {
        return undo(row, offset, stepAt, backup);
      }
      writeStep(row, stepAt, step);
      return true;
    }
  }

  /** RMSProp, not centered, no momentum, eps outside the root. Stride 2: {@code [w, v]}. */
  record RmsProp(float alpha, float alphaComplement, float epsilon, float weightDecay,
      float[] backup) implements Formula {
    @Override
    public int stride() {
      return 2;
    }

    @Override
    public boolean step(float[] row, int offset, int width, float[] grad, int gradOffset,
        double learningRate) {
      if (!finite(grad, gradOffset, width)) {
        return false;
      }
      int stepAt = offset + 2 * width;
      long step = readStep(row, stepAt) + 1;
      float negLr = (float) -learningRate;
      float check = 0f;
      for (int i = 0; i < width; i++) {
        int p = offset + 2 * i;
        float w = row[p];
        float v0 = row[p + 1];
        backup[2 * i] = w;
        backup[2 * i + 1] = v0;
        float g = grad[gradOffset + i] + weightDecay * w;
        float v = v0 * alpha + alphaComplement * g * g;
        row[p + 1] = v;
        float r = (float) Math.sqrt(v) + epsilon;
        float next = w + negLr * g / r;
        row[p] = next;
        check += (v - v) + (next - next);
      }
      if (check != 0f) {
        return undo(row, offset, stepAt, backup);
      }
      writeStep(row, stepAt, step);
      return true;
    }
  }

  /** AdaDelta, eps inside both roots. Stride 3: {@code [w, v, u]}. */
  record AdaDelta(float rho, float rhoComplement, float epsilon, float weightDecay,
      float[] backup) implements Formula {
    @Override
    public int stride() {
      return 3;
    }

    @Override
    public boolean step(float[] row, int offset, int width, float[] grad, int gradOffset,
        double learningRate) {
      if (!finite(grad, gradOffset, width)) {
        return false;
      }
      int stepAt = offset + 3 * width;
      long step = readStep(row, stepAt) + 1;
      float negLr = (float) -learningRate;
      float check = 0f;
      for (int i = 0; i < width; i++) {
        int p = offset + 3 * i;
        float w = row[p];
        float v0 = row[p + 1];
        float u = row[p + 2];
        backup[3 * i] = w;
        backup[3 * i + 1] = v0;
        backup[3 * i + 2] = u;
        float g = grad[gradOffset + i] + weightDecay * w;
        float v = v0 * rho + rhoComplement * g * g;
        row[p + 1] = v;
        float d = (float) Math.sqrt(u + epsilon) / (float) Math.sqrt(v + epsilon) * g;
        float nextU = u * rho + rhoComplement * d * d;
        row[p + 2] = nextU;
        float next = w + negLr * d;
        row[p] = next;
        check += (v - v) + (nextU - nextU) + (next - next);
      }
      if (check != 0f) {
        return undo(row, offset, stepAt, backup);
      }
      writeStep(row, stepAt, step);
      return true;
    }
  }

  /**
   * Adam with coupled L2, bias-corrected with the row's own step, eps outside the root after the
   * second moment's correction. Stride 3: {@code [w, m, v]}.
   */
  record Adam(double beta1, double beta2, float beta1f, float beta2f, float beta1Complement,
      float beta2Complement, float epsilon, float weightDecay, double[] correction1,
      double[] correction2Sqrt, float[] backup) implements Formula {
    @Override
    public int stride() {
      return 3;
    }

    @Override
    public boolean step(float[] row, int offset, int width, float[] grad, int gradOffset,
        double learningRate) {
      if (!finite(grad, gradOffset, width)) {
        return false;
      }
      int stepAt = offset + 3 * width;
      long step = readStep(row, stepAt) + 1;
      float negStepSize =
          (float) -(learningRate / correction(correction1, beta1, step, false));
      float biasCorrection2Sqrt = (float) correction(correction2Sqrt, beta2, step, true);
      float check = 0f;
      for (int i = 0; i < width; i++) {
        int p = offset + 3 * i;
        float w = row[p];
        float m0 = row[p + 1];
        float v0 = row[p + 2];
        backup[3 * i] = w;
        backup[3 * i + 1] = m0;
        backup[3 * i + 2] = v0;
        float g = grad[gradOffset + i] + weightDecay * w;
        float m = m0 * beta1f + beta1Complement * g;
        float v = v0 * beta2f + beta2Complement * g * g;
        row[p + 1] = m;
        row[p + 2] = v;
        float denominator = (float) Math.sqrt(v) / biasCorrection2Sqrt + epsilon;
        float next = w + negStepSize * m / denominator;
        row[p] = next;
        check += (m - m) + (v - v) + (next - next);
      }
      if (check != 0f) {
        return undo(row, offset, stepAt, backup);
      }
      writeStep(row, stepAt, step);
      return true;
    }
  }

  /**
   * AdamW: the weight decays by {@code 1 - lr wd} at the row's own step, then Adam without L2.
   * Stride 3: {@code [w, m, v]}.
   */
  record AdamW(double beta1, double beta2, float beta1f, float beta2f, float beta1Complement,
      float beta2Complement, float epsilon, double decoupledWeightDecay, double[] correction1,
      double[] correction2Sqrt, float[] backup) implements Formula {
    @Override
    public int stride() {
      return 3;
    }

    @Override
    public boolean step(float[] row, int offset, int width, float[] grad, int gradOffset,
        double learningRate) {
      if (!finite(grad, gradOffset, width)) {
        return false;
      }
      int stepAt = offset + 3 * width;
      long step = readStep(row, stepAt) + 1;
      float negStepSize =
          (float) -(learningRate / correction(correction1, beta1, step, false));
      float biasCorrection2Sqrt = (float) correction(correction2Sqrt, beta2, step, true);
      float decay = (float) (1 - learningRate * decoupledWeightDecay);
      float check = 0f;
      for (int i = 0; i < width; i++) {
        int p = offset + 3 * i;
        float w0 = row[p];
        float m0 = row[p + 1];
        float v0 = row[p + 2];
        backup[3 * i] = w0;
        backup[3 * i + 1] = m0;
        backup[3 * i + 2] = v0;
        float w = w0 * decay;
        float g = grad[gradOffset + i];
        float m = m0 * beta1f + beta1Complement * g;
        float v = v0 * beta2f + beta2Complement * g * g;
        row[p + 1] = m;
        row[p + 2] = v;
        float denominator = (float) Math.sqrt(v) / biasCorrection2Sqrt + epsilon;
        float next = w + negStepSize * m / denominator;
        row[p] = next;
        check += (m - m) + (v - v) + (next - next);
      }
      if (check != 0f) {
        return undo(row, offset, stepAt, backup);
      }
      writeStep(row, stepAt, step);
      return true;
    }
  }

  /**
   * FTRL-Proximal (McMahan et al. 2013, Algorithm 1) with the learning rate as alpha, arithmetic
   * in double, storage in float. Stride 3: {@code [w, z, n]}.
   */
  record Ftrl(double beta, double l1, double l2, float[] backup) implements Formula {
    @Override
    public int stride() {
      return 3;
    }

    @Override
    public boolean step(float[] row, int offset, int width, float[] grad, int gradOffset,
        double learningRate) {
      if (!finite(grad, gradOffset, width)) {
        return false;
      }
      int stepAt = offset + 3 * width;
      long step = readStep(row, stepAt) + 1;
      float check = 0f;
      for (int i = 0; i < width; i++) {
        int p = offset + 3 * i;
        float w = row[p];
        float z0 = row[p + 1];
        float n0 = row[p + 2];
        backup[3 * i] = w;
        backup[3 * i + 1] = z0;
        backup[3 * i + 2] = n0;
        double g = grad[gradOffset + i];
        double n = n0;
        float nextN = (float) (n + g * g);
        double sigma = (Math.sqrt(nextN) - Math.sqrt(n)) / learningRate;
        float z = (float) (z0 + g - sigma * w);
        row[p + 1] = z;
        row[p + 2] = nextN;
        float next = Math.abs(z) <= l1
            ? 0f
            : (float) (-(z - Math.signum(z) * l1)
                / ((beta + Math.sqrt(nextN)) / learningRate + l2));
        row[p] = next;
        check += (z - z) + (nextN - nextN) + (next - next);
      }
      if (check != 0f) {
        return undo(row, offset, stepAt, backup);
      }
      writeStep(row, stepAt, step);
      return true;
    }
  }
}
