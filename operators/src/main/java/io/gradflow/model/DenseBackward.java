package io.gradflow.model;

/**
 * The backward pass of a {@link DeepModel}'s dense layers over a whole mini-batch of B examples,
 * run once when the batch is stepped: the batched form of the dense part of
 * {@link DeepModel#backward}. Implementations differ only in how the sums are computed (plain
 * Java example by example, bit-identical to B single-example backward passes; or matrix products
 * on ND4J), never in what they compute.
 *
 * <p>Shapes, with {@code L} hidden layers, {@code in[l]} = {@link DeepModel#layerInput(int)}:
 * <ul>
 *   <li>{@code acts[l]}, {@code l = 0 .. L}: {@code double[B * in[l]]}, row-major by example:
 *       {@code acts[0]} is the MLP's input {@code x0} (dense features then pooled embedding),
 *       {@code acts[l]} for {@code l >= 1} the output of hidden layer {@code l} (after its
 *       activation), as {@link DeepModel#finish} computed them;
 *   <li>{@code d}: {@code double[B]}, each example's {@code dLoss/dActivation}, its weight
 *       included (0 for an example that does not learn);
 *   <li>{@code blocks}: the dense blocks' weights in {@link Model#denseBlocks()} order, laid out
 *       with {@code stride} as {@link DeepModel#finish} reads them;
 *   <li>{@code sums}: {@code double[L + 1][]} of {@link ParameterBlock#gradientSize()} each, to
 *       which the batch's summed gradient is <em>added</em> (not divided by B);
 *   <li>{@code dx0}: {@code double[B * in[0]]}, written: each example's {@code dLoss/dx0}, for the
 *       embedding rows' gradients.
 * </ul>
 */
public interface DenseBackward {
  /**
   * Adds the summed dense gradients of examples {@code 0 .. batch - 1} to {@code sums} and writes
   * their input gradients to {@code dx0}.
   *
   * @throws IllegalArgumentException if an array is shorter than the shapes above require
   */
  void backward(DeepModel model, float[][] blocks, int stride, double[][] acts, double[] d,
      int batch, double[][] sums, double[] dx0);

  /**
   * Checks the arrays of {@link #backward} against the shapes above, for every implementation.
   *
   * @throws IllegalArgumentException naming the first array that is too short
   */
  static void requireShapes(DeepModel model, float[][] blocks, int stride, double[][] acts,
      double[] d, int batch, double[][] sums, double[] dx0) {
    int layers = model.hiddenLayers();
    int in0 = model.layerInput(0);
    if (batch < 0 || d.length < batch || dx0.length < (long) batch * in0
        || acts.length < layers + 1 || sums.length < layers + 1 || blocks.length < layers + 1) {
      throw new IllegalArgumentException("a batch of " + batch + " needs d of " + batch
          + ", dx0 of " + batch * in0 + " and " + (layers + 1) + " acts, sums and blocks, but"
          + " they have " + d.length + ", " + dx0.length + ", " + acts.length + ", "
          + sums.length + " and " + blocks.length);
    }
    for (int l = 0; l <= layers; l++) {
      ParameterBlock block = model.blocks().get(1 + l);
      long in = (long) batch * model.layerInput(l);
      if (acts[l].length < in || sums[l].length < block.gradientSize()
          || blocks[l].length < block.size(stride)) {
        throw new IllegalArgumentException("block " + l + ": acts needs " + in + ", sums "
            + block.gradientSize() + " and the weights " + block.size(stride) + " values, but"
            + " they have " + acts[l].length + ", " + sums[l].length + " and "
            + blocks[l].length);
      }
    }
  }
}
