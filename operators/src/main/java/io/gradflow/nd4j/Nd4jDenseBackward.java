package io.gradflow.nd4j;

import io.gradflow.model.DeepModel;
import io.gradflow.model.DenseBackends;
import io.gradflow.model.DenseBackward;
import java.nio.DoubleBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link DenseBackward} on ND4J ({@code nd4j-native}, its CPU backend and OpenBLAS): per hidden
 * layer two double-precision GEMMs over the whole batch instead of B outer products.
 *
 * <pre>
 *   output row u:  gu   += sum_b d_b h_L[b]            delta_L = (d u^T) .* act'(H_L)   (Java)
 *   layer l = L .. 1, D = delta_l (B x out), X = acts[l-1] (B x in), W = W_l (out x in):
 *                  gW   += D^T X                       (GEMM, ND4J)
 *                  gc   += column sums of D            (Java)
 *                  dX    = D W                         (GEMM, ND4J)
 *                  delta_(l-1) = dX .* act'(X)  (l > 1),  dx0 = dX  (l = 1)                (Java)
 * </pre>
 *
 * {@code act'} is read off the activation's output, as {@link DeepModel#backward} does:
 * ReLU {@code y > 0 ? 1 : 0}, tanh {@code 1 - y^2}. The elementwise parts and the sums over the
 * batch of the bias and output gradients stay in Java (O(B * width)); only the products
 * (O(B * in * out)) go to ND4J. The weights are gathered once per call from the interleaved rows
 * ({@code stride}) into a dense {@code out x in} matrix.
 *
 * <p>Numerics: the same formulas as {@link DeepModel#backward}, summed over the batch in double
 * in another order (GEMM's, not example by example, and without rounding each example's gradient
 * to float first), so sums differ from the plain-Java path by rounding: relative differences of
 * about 1e-7 of the largest term (the per-example float rounding of the Java path), see
 * {@code Nd4jDenseBackwardTest}. Deterministic on one CPU type: OpenBLAS's GEMM splits its
 * work between threads by rows and columns of the result, not along the sums, and picks its
 * kernel by CPU, so the bits can differ between CPU types. ND4J uses a thread per core unless
 * {@code OMP_NUM_THREADS} is set.
 *
 * <p>Memory: off-heap, {@code 8 * B * (2 * in + out)} bytes per hidden layer for the batch in
 * flight plus {@code 16 * in * out} for the weights and the gradient; reallocated when the batch
 * size changes (a partial batch). Not thread-safe (it owns its scratch): one per learner. Loaded
 * only when chosen ({@link DenseBackends#nd4j}), so jars without ND4J still run the Java path;
 * outside the learning core's packages, which stay free of ND4J types (LearningCoreBoundaryTest).
 */
public final class Nd4jDenseBackward implements DenseBackward {
  private final int layers;
  private final int[] in;
  private final int[] out;
  private final boolean relu;
  /** W_l (out x in), double, per hidden layer. */
  private final INDArray[] weights;
  private final DoubleBuffer[] weightData;
  /** gW_l (out x in). */
  private final INDArray[] gradients;
  private final DoubleBuffer[] gradientData;
  private final double[] staging;
  /** Per batch size: D, X, dX per hidden layer. */
  private int batch = -1;
  private INDArray[] deltas;
  private INDArray[] inputs;
  private INDArray[] inputGrads;
  private DoubleBuffer[] deltaData;
  private DoubleBuffer[] inputData;
  private DoubleBuffer[] inputGradData;
  private double[] deltaA = new double[0];
  private double[] deltaB = new double[0];

  /** A backward pass for {@code model}'s shapes. */
  public Nd4jDenseBackward(DeepModel model) {
    this.layers = model.hiddenLayers();
    this.in = new int[layers + 1];
    this.out = new int[layers + 1];
    int largest = 0;
    for (int l = 0; l <= layers; l++) {
      in[l] = model.layerInput(l);
      out[l] = model.layerOutput(l);
      largest = Math.max(largest, in[l] * out[l]);
    }
    this.relu = model.relu();
    this.weights = new INDArray[layers];
    this.weightData = new DoubleBuffer[layers];
    this.gradients = new INDArray[layers];
    this.gradientData = new DoubleBuffer[layers];
    for (int l = 0; l < layers; l++) {
      weights[l] = Nd4j.create(DataType.DOUBLE, out[l], in[l]);
      weightData[l] = weights[l].data().asNioDouble();
      gradients[l] = Nd4j.create(DataType.DOUBLE, out[l], in[l]);
      gradientData[l] = gradients[l].data().asNioDouble();
    }
    this.staging = new double[largest];
  }

  @Override
  public void backward(DeepModel model, float[][] blocks, int stride, double[][] acts,
      double[] d, int batch, double[][] sums, double[] dx0) {
    check(model, blocks, stride, acts, d, batch, sums, dx0);
    if (batch == 0) {
      return;
    }
    prepare(batch);
    // The output row u: its gradient, and delta_L = d u^T .* act'(h_L) (dx0 itself if L = 0).
    int width = in[layers];
    float[] u = blocks[layers];
    double[] gu = sums[layers];
    double[] h = acts[layers];
    double[] delta = layers == 0 ? dx0 : deltaA;
    for (int b = 0; b < batch; b++) {
      double db = d[b];
      int base = b * width;
      for (int c = 0; c < width; c++) {
        double y = h[base + c];
        gu[c] += db * y;
        delta[base + c] = db * u[c * stride] * derivative(layers, y);
      }
    }
    double[] other = deltaB;
    for (int l = layers - 1; l >= 0; l--) {
      int units = out[l];
      width = in[l];
      int rowSize = model.blocks().get(1 + l).rowSize(stride);
      double[] g = sums[l];
      // The units' biases: column sums of delta.
      for (int b = 0; b < batch; b++) {
        int base = b * units;
        for (int r = 0; r < units; r++) {
          g[r * (width + 1) + width] += delta[base + r];
        }
      }
      float[] w = blocks[l];
      for (int r = 0; r < units; r++) {
        int p = r * rowSize;
        for (int c = 0; c < width; c++) {
          staging[r * width + c] = w[p + c * stride];
        }
      }
      put(weightData[l], staging, units * width);
      put(deltaData[l], delta, batch * units);
      put(inputData[l], acts[l], batch * width);
      Nd4j.gemm(deltas[l], inputs[l], gradients[l], true, false, 1.0, 0.0);
      Nd4j.gemm(deltas[l], weights[l], inputGrads[l], false, false, 1.0, 0.0);
      get(gradientData[l], staging, units * width);
      for (int r = 0; r < units; r++) {
        int at = r * (width + 1);
        for (int c = 0; c < width; c++) {
          g[at + c] += staging[r * width + c];
        }
      }
      double[] next = l == 0 ? dx0 : other;
      get(inputGradData[l], next, batch * width);
      if (l > 0) {
        double[] x = acts[l];
        for (int i = 0; i < batch * width; i++) {
          next[i] *= derivative(l, x[i]);
        }
      }
      other = delta;
      delta = next;
    }
  }

  /** The derivative of layer l's activation at its output y (the input x0, l = 0: 1). */
  private double derivative(int l, double y) {
    if (l == 0) {
      return 1;
    }
    return relu ? (y > 0 ? 1 : 0) : 1 - y * y;
  }

  private void prepare(int size) {
    int widest = 0;
    for (int l = 0; l <= layers; l++) {
      widest = Math.max(widest, in[l]);
    }
    if (deltaA.length < size * widest) {
      deltaA = new double[size * widest];
      deltaB = new double[size * widest];
    }
    if (size == batch) {
      return;
    }
    deltas = new INDArray[layers];
    inputs = new INDArray[layers];
    inputGrads = new INDArray[layers];
    deltaData = new DoubleBuffer[layers];
    inputData = new DoubleBuffer[layers];
    inputGradData = new DoubleBuffer[layers];
    for (int l = 0; l < layers; l++) {
      deltas[l] = Nd4j.create(DataType.DOUBLE, size, out[l]);
      inputs[l] = Nd4j.create(DataType.DOUBLE, size, in[l]);
      inputGrads[l] = Nd4j.create(DataType.DOUBLE, size, in[l]);
      deltaData[l] = deltas[l].data().asNioDouble();
      inputData[l] = inputs[l].data().asNioDouble();
      inputGradData[l] = inputGrads[l].data().asNioDouble();
    }
    batch = size;
  }

  private static void put(DoubleBuffer target, double[] from, int n) {
    target.clear();
    target.put(from, 0, n);
  }

  private static void get(DoubleBuffer from, double[] target, int n) {
    from.clear();
    from.get(target, 0, n);
  }

  private void check(DeepModel model, float[][] blocks, int stride, double[][] acts, double[] d,
      int batch, double[][] sums, double[] dx0) {
    if (model.hiddenLayers() != layers) {
      throw new IllegalArgumentException("this backward pass was built for " + layers
          + " hidden layers, but the model has " + model.hiddenLayers());
    }
    for (int l = 0; l <= layers; l++) {
      if (model.layerInput(l) != in[l] || model.layerOutput(l) != out[l]) {
        throw new IllegalArgumentException("block " + l + " is " + model.layerOutput(l) + " x "
            + model.layerInput(l) + ", but this backward pass was built for " + out[l] + " x "
            + in[l]);
      }
    }
    DenseBackward.requireShapes(model, blocks, stride, acts, d, batch, sums, dx0);
  }
}
