package io.gradflow.model;

import java.util.ArrayList;
import java.util.List;

/**
 * A multilayer perceptron, alone ({@code mlp}) or beside a sparse linear part
 * ({@code wide_and_deep}, Cheng et al. 2016): see {@link DeepModelSpec}.
 *
 * <pre>
 *   wide  = b + sum_i w_i x_i                   (mlp: b alone; it has no sparse feature rows)
 *   x0    = [dense_1 .. dense_d, p_1 .. p_k],   p_f = sum_i x_i e_if  (mean: divided by n)
 *   h_l   = act(W_l h_(l-1) + c_l),  l = 1 .. L
 *   a     = wide + u . h_L
 * </pre>
 *
 * <h2>Parameter blocks</h2>
 * <ul>
 *   <li>sparse rows of {@code 1 + k} weights: {@code w} at weight 0, the embedding
 *       {@code e_1 .. e_k} after it (an mlp's one row, the bias, has width 1). The bias row uses
 *       weight 0 only; its embedding gets zero gradients. New rows start at {@code w = 0} and an
 *       embedding from N(0, init_std^2), drawn as a factorization machine's factors are;
 *   <li>dense block {@code layer<l>} for each hidden layer: one row per unit, {@code in + 1}
 *       weights ({@code W_l}'s row, then the unit's bias {@code c_l}), {@code fan_in = in};
 *   <li>dense block {@code output}: one row {@code u} of {@code in_L} weights, no bias of its
 *       own (the global bias {@code b} is the output's bias).
 * </ul>
 *
 * <h2>Initialization</h2>
 * Every dense weight is drawn from a stream keyed by {@code (model.seed, block, row)} alone (see
 * {@link SeededInit}): He-normal, N(0, 2 / fan_in), for ReLU; Glorot-uniform,
 * U(-a, a) with {@code a = sqrt(6 / (fan_in + fan_out))}, for tanh (fan_out: the block's rows);
 * the same rule for the output row; unit biases start at 0. A replay is bit-identical.
 *
 * <h2>Accumulator</h2>
 * The partial {@code [wide, p_1 .. p_k, n]} (an mlp's is {@code [b]}), additive over rows; then
 * the layers' outputs {@code x0, h_1 .. h_L} written by {@link #finish}; then two delta buffers
 * that {@link #backward} uses as scratch (the forward part is only read). Forward and backward
 * cost {@code O(nk + sum_l in_l * out_l)}. Arithmetic in double; weights and gradients float.
 * Immutable and thread-safe.
 */
public final class DeepModel implements Model {
  private final DeepModelSpec spec;
  private final boolean wide;
  private final int inputs;
  private final int factors;
  private final boolean mean;
  private final boolean relu;
  private final long seed;
  private final double initStd;
  /** Hidden layers. */
  private final int layers;
  /** in_l of block l (l = 0 .. layers; block layers is the output). */
  private final int[] in;
  /** Rows of block l. */
  private final int[] out;
  /** Where x0 (l = 0) and h_l start in the accumulator. */
  private final int[] at;
  private final int partial;
  private final int deltaA;
  private final int deltaB;
  private final int accumulator;
  private final List<ParameterBlock> blocks;

  DeepModel(DeepModelSpec spec) {
    this.spec = spec;
    this.wide = spec.wide();
    this.inputs = spec.inputs();
    this.factors = spec.factors();
    this.mean = spec.pooling() == DeepModelSpec.Pooling.MEAN;
    this.relu = spec.activation() == DeepModelSpec.Activation.RELU;
    this.seed = spec.seed();
    this.initStd = spec.initStd();
    this.layers = spec.hidden().size();
    this.in = new int[layers + 1];
    this.out = new int[layers + 1];
    this.at = new int[layers + 2];
    this.partial = wide ? 2 + factors : 1;
    List<ParameterBlock> all = new ArrayList<>();
    all.add(ParameterBlock.sparse(1 + factors));
    int width = inputs + factors;
    int widest = width;
    at[0] = partial;
    for (int l = 0; l <= layers; l++) {
      in[l] = width;
      out[l] = l < layers ? spec.hidden().get(l) : 1;
      at[l + 1] = at[l] + width;
      all.add(l < layers ? ParameterBlock.dense("layer" + (l + 1), out[l], width + 1, width)
          : ParameterBlock.dense("output", 1, width, width));
      width = out[l];
      widest = Math.max(widest, width);
    }
    this.deltaA = at[layers + 1];
    this.deltaB = deltaA + widest;
    this.accumulator = deltaB + widest;
    this.blocks = List.copyOf(all);
  }

  @Override
  public DeepModelSpec spec() {
    return spec;
  }

  /** Hidden layers, L (0: the output reads the input x0 directly). */
  public int hiddenLayers() {
    return layers;
  }

  /**
   * The width of dense block {@code l}'s input, {@code l = 0 .. L}: {@code in[0]} is x0's width
   * ({@code model.inputs} + factors), {@code in[l]} for {@code l >= 1} hidden layer l's units;
   * block L is the output row.
   */
  public int layerInput(int l) {
    return in[l];
  }

  /** The rows (units) of dense block {@code l}: hidden layer l + 1's width, 1 for the output. */
  public int layerOutput(int l) {
    return out[l];
  }

  /** Whether the hidden layers use ReLU (else tanh). */
  public boolean relu() {
    return relu;
  }

  @Override
  public int rowWidth() {
    return 1 + factors;
  }

  @Override
  public List<ParameterBlock> blocks() {
    return blocks;
  }

  @Override
  public int denseInputs() {
    return inputs;
  }

  /**
   * Whether the model reads sparse features: a wide_and_deep model does, an mlp does not (its
   * only sparse row is the bias; the trainer passes it no feature rows).
   */
  @Override
  public boolean readsSparseFeatures() {
    return wide;
  }

  @Override
  public void initializeRow(long rowId, float[] row, int offset, int stride) {
    SeededInit.factorRow(seed, rowId, initStd, row, offset, stride, factors);
  }

  @Override
  public void initializeDenseRow(int block, int r, float[] row, int offset, int stride) {
    int fanIn = in[block];
    long state = SeededInit.start(seed, ((long) block << 32) | r, SeededInit.DENSE_SALT);
    if (relu) {
      SeededInit.normal(state, Math.sqrt(2.0 / fanIn), row, offset, stride, fanIn);
    } else {
      SeededInit.uniform(state, Math.sqrt(6.0 / (fanIn + out[block])), row, offset, stride,
          fanIn);
    }
    if (block < layers) {
      row[offset + fanIn * stride] = 0f; // the unit's bias
    }
  }

  @Override
  public int accumulatorSize() {
    return accumulator;
  }

  @Override
  public int partialSize() {
    return partial;
  }

  @Override
  public void beginPartial(float[] biasPage, int biasOffset, int stride, double[] acc) {
    acc[0] = biasPage[biasOffset];
    for (int j = 1; j < partial; j++) {
      acc[j] = 0;
    }
  }

  @Override
  public void addPartials(float[][] pages, int[] offsets, float[] values, int from, int to,
      int stride, double[] acc) {
    if (!wide) {
      return; // an mlp reads no sparse feature
    }
    double linear = acc[0];
    for (int i = from; i < to; i++) {
      float[] page = pages[i];
      int p = offsets[i];
      double x = values[i];
      linear += page[p] * x;
      for (int f = 1; f <= factors; f++) {
        acc[f] += page[p + f * stride] * x;
      }
    }
    acc[0] = linear;
    acc[1 + factors] += to - from;
  }

  @Override
  public double finish(double[] acc, float[] dense, float[][] blocks, int stride) {
    if (dense.length != inputs) {
      throw new IllegalArgumentException("the model reads " + inputs + " dense features"
          + " (model.inputs), but the example has " + dense.length);
    }
    int x0 = at[0];
    for (int j = 0; j < inputs; j++) {
      acc[x0 + j] = dense[j];
    }
    if (wide) {
      double scale = mean ? (acc[1 + factors] > 0 ? 1 / acc[1 + factors] : 0) : 1;
      for (int f = 0; f < factors; f++) {
        acc[x0 + inputs + f] = acc[1 + f] * scale;
      }
    }
    for (int l = 0; l < layers; l++) {
      float[] w = blocks[l];
      int width = in[l];
      int rowSize = this.blocks.get(1 + l).rowSize(stride);
      int h = at[l];
      int next = at[l + 1];
      for (int r = 0; r < out[l]; r++) {
        int p = r * rowSize;
        double s = w[p + width * stride];
        for (int c = 0; c < width; c++) {
          s += w[p + c * stride] * acc[h + c];
        }
        acc[next + r] = relu ? (s > 0 ? s : 0) : Math.tanh(s);
      }
    }
    float[] u = blocks[layers];
    int h = at[layers];
    double z = 0;
    for (int c = 0; c < in[layers]; c++) {
      z += u[c * stride] * acc[h + c];
    }
    return acc[0] + z;
  }

  @Override
  public void backward(float[][] pages, int[] offsets, float[] values, int n, float[] biasPage,
      int biasOffset, int stride, float[] dense, float[][] blocks, double[] acc,
      double dLossDActivation, float[] grad, float[] biasGrad, float[][] blockGrads) {
    int dx0 = backwardDense(blocks, stride, acc, dLossDActivation, blockGrads);
    sparseGradients(acc, dx0, wide ? acc[1 + factors] : 0, dLossDActivation, values, 0, n, grad,
        biasGrad);
  }

  /**
   * Where the output of layer {@code l} starts in the accumulator, as {@link #finish} writes it:
   * {@code l = 0} is x0, {@code l = 1 .. L} hidden layer l's output; {@link #layerInput}(l)
   * doubles each.
   */
  public int activationsAt(int l) {
    return at[l];
  }

  /**
   * The dense part of {@link #backward} for one example: from the layer outputs that
   * {@link #finish} left in {@code acc} ({@link #activationsAt}) and {@code d = dLoss/da}, writes
   * every dense block's gradient to {@code blockGrads[b][0 .. gradientSize())} (each element
   * rounded to float once) and {@code dLoss/dx0} into {@code acc}'s delta buffers.
   *
   * @return where {@code dLoss/dx0} ({@link #layerInput}(0) doubles) starts in {@code acc}
   */
  public int backwardDense(float[][] blocks, int stride, double[] acc, double d,
      float[][] blockGrads) {
    // The output row: da/du_c = h_L[c]; the delta of h_L (or of x0 without hidden layers).
    float[] u = blocks[layers];
    float[] gu = blockGrads[layers];
    int h = at[layers];
    int delta = deltaA;
    int other = deltaB;
    for (int c = 0; c < in[layers]; c++) {
      gu[c] = (float) (d * acc[h + c]);
      acc[delta + c] = d * u[c * stride] * derivative(acc, layers, h + c);
    }
    for (int l = layers - 1; l >= 0; l--) {
      float[] w = blocks[l];
      float[] gw = blockGrads[l];
      int width = in[l];
      int rowSize = this.blocks.get(1 + l).rowSize(stride);
      int x = at[l];
      for (int c = 0; c < width; c++) {
        acc[other + c] = 0;
      }
      for (int r = 0; r < out[l]; r++) {
        double dr = acc[delta + r];
        int p = r * rowSize;
        int g = r * (width + 1);
        for (int c = 0; c < width; c++) {
          gw[g + c] = (float) (dr * acc[x + c]);
          acc[other + c] += dr * w[p + c * stride];
        }
        gw[g + width] = (float) dr;
      }
      for (int c = 0; c < width; c++) {
        acc[other + c] *= derivative(acc, l, x + c);
      }
      int swap = delta;
      delta = other;
      other = swap;
    }
    return delta;
  }

  /**
   * The sparse part of {@link #backward} for one example, from its {@code dLoss/dx0} at
   * {@code dx0[from .. from + layerInput(0))}: feature row {@code i}'s gradient (value
   * {@code values[valuesFrom + i]}) to {@code grad[i * rowWidth() ..]} (wide weight
   * {@code d x_i}, embedding {@code dLoss/dp_f * scale * x_i}; zeros for an mlp), the bias row's
   * to {@code biasGrad} ({@code d}, then zeros).
   *
   * @param pooled the number of pooled rows, {@code [wide, p, n]}'s {@code n} (mean pooling
   *     divides by it; 0: no row, nothing to divide)
   */
  public void sparseGradients(double[] dx0, int from, double pooled, double d, float[] values,
      int valuesFrom, int n, float[] grad, float[] biasGrad) {
    int rowWidth = 1 + factors;
    if (wide) {
      double scale = mean ? (pooled > 0 ? 1 / pooled : 0) : 1;
      for (int i = 0; i < n; i++) {
        double x = values[valuesFrom + i];
        int g = i * rowWidth;
        grad[g] = (float) (d * x);
        for (int f = 0; f < factors; f++) {
          grad[g + 1 + f] = (float) (dx0[from + inputs + f] * scale * x);
        }
      }
    } else {
      for (int i = 0; i < n * rowWidth; i++) {
        grad[i] = 0f;
      }
    }
    biasGrad[0] = (float) d;
    for (int f = 1; f < rowWidth; f++) {
      biasGrad[f] = 0f;
    }
  }

  /** The derivative of layer l's activation at acc[i] (the input x0 for l = 0: 1). */
  private double derivative(double[] acc, int l, int i) {
    if (l == 0) {
      return 1;
    }
    double y = acc[i];
    return relu ? (y > 0 ? 1 : 0) : 1 - y * y;
  }

  @Override
  public String toString() {
    return "DeepModel{" + spec.configName() + ", inputs=" + inputs + ", factors=" + factors
        + ", hidden=" + spec.hidden() + ", " + spec.activation().configName() + "}";
  }
}
