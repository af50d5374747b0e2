package io.gradflow.model;

/**
 * A model that decomposes over parameter rows (DESIGN.md, "Models are decomposable over rows"):
 * each active feature's row contributes to one combined activation, a {@link Loss} turns the
 * activation into a prediction and {@code dLoss/dActivation}, and each row's gradient follows from
 * that one number and the forward pass's accumulator. The same code therefore runs whole inside
 * one key or spread over shards.
 *
 * <h2>Rows</h2>
 * A row holds {@link #rowWidth()} weights; weight {@code j} of a row at {@code offset} is at
 * {@code page[offset + j * stride]}, so the optimizer's slots ({@code io.gradflow.optim.RowLayout})
 * sit between the weights and the model never sees them. The bias is a row of the same width
 * whose weight 0 is the global bias (its other weights are unused: they get zero gradients).
 *
 * <h2>Inputs</h2>
 * An example is {@code n} active rows with values: feature {@code i < n} has its row in
 * {@code pages[i]} at {@code offsets[i]} with value {@code values[i]}; arrays may be longer than
 * {@code n} (the trainer reuses them). A row must appear at most once per example: the
 * mathematical meaning of a repeated id is one feature with the summed value, and the trainer
 * merges duplicates first ({@link FeatureMerger}). Unmerged, a linear model's activation would
 * still be right, but a factorization machine would add a spurious {@code <v, v> x_i x_j} term and
 * the optimizer would step the row twice. Features never seen before simply arrive as freshly
 * {@linkplain #initializeRow initialized} rows; rows of absent features are not touched.
 *
 * <h2>Contract</h2>
 * Implementations are immutable and thread-safe, never modify their inputs (pages, offsets,
 * values, dense inputs, dense blocks), and allocate nothing per call: the caller owns the
 * accumulator and gradient buffers. Arithmetic is in {@code double}; weights and gradients are
 * {@code float}.
 *
 * <h2>Parameter blocks, partials and the finish</h2>
 * A model declares its {@linkplain #blocks() parameter blocks}: its sparse rows (always; the
 * bias is one of them) and any dense blocks (an MLP's layers), each with its width. The forward
 * pass is split so that it can be computed in pieces: {@link #beginPartial} writes the bias
 * row's contribution to a partial of {@link #partialSize()} doubles, {@link #addPartials} adds
 * any subset of the rows' contributions (partials of disjoint row sets add up, which is what
 * mini-batches and a sharded combiner need), and {@link #finish} turns the summed partial, the
 * example's dense inputs and the dense blocks into the activation. {@link #forward} is exactly
 * these three in order; linear models and factorization machines have no dense blocks and a
 * trivial finish.
 */
public sealed interface Model permits LinearModel, FactorizationMachine, DeepModel {
  /** No dense inputs or dense blocks: what a sparse-only call passes. */
  float[] NO_DENSE = new float[0];
  float[][] NO_BLOCKS = new float[0][];

  /** The specification this model was created from (for the audit record). */
  ModelSpec spec();

  /** Weights per sparse row: 1 for a linear model; 1 + k for a factorization machine. */
  int rowWidth();

  /**
   * The parameter blocks: the sparse rows first ({@link ParameterBlock#sparse} of
   * {@link #rowWidth()}), then the dense blocks in the order {@link #forward} takes them.
   */
  default java.util.List<ParameterBlock> blocks() {
    return java.util.List.of(ParameterBlock.sparse(rowWidth()));
  }

  /** The dense blocks: {@link #blocks()} without the sparse rows. */
  default java.util.List<ParameterBlock> denseBlocks() {
    java.util.List<ParameterBlock> blocks = blocks();
    return blocks.subList(1, blocks.size());
  }

  /**
   * Dense inputs an example must have, or -1 if any number is accepted (a linear model and a
   * factorization machine take dense features as rows, not as inputs).
   */
  default int denseInputs() {
    return -1;
  }

  /**
   * Whether the model reads the example's sparse features; false for an mlp, whose only sparse
   * row is the bias: the trainer then resolves no feature row at all.
   */
  default boolean readsSparseFeatures() {
    return true;
  }

  /**
   * Writes the initial weights of a new row (row weight {@code j} at
   * {@code row[offset + j * stride]}); slots are the optimizer's business. A linear model writes
   * zeros. A factorization machine writes {@code w = 0} and factors drawn from
   * {@code N(0, initStd^2)} by a generator seeded by {@code (modelSeed, rowId)} only, so a row's
   * initial value never depends on arrival order and a replay is bit-identical.
   */
  void initializeRow(long rowId, float[] row, int offset, int stride);

  /**
   * Writes the initial weights of row {@code r} of dense block {@code block} (an index into
   * {@link #denseBlocks()}) at {@code row[offset + j * stride]}; a model without dense blocks is
   * never asked.
   */
  default void initializeDenseRow(int block, int r, float[] row, int offset, int stride) {
    throw new IllegalStateException(this + " has no dense blocks");
  }

  /** Doubles of scratch that {@link #forward} fills and {@link #backward} reads. */
  int accumulatorSize();

  /**
   * Doubles of the additive partial (at least 1). {@link #beginPartial}, {@link #addPartials} and
   * {@link #finish} work on an array of {@code max(partialSize(), accumulatorSize())} doubles,
   * the partial at its head; {@link #backward} accepts that array as its accumulator too.
   */
  default int partialSize() {
    return 1;
  }

  /** Overwrites {@code partial[0 .. partialSize())} with the bias row's contribution alone. */
  void beginPartial(float[] biasPage, int biasOffset, int stride, double[] partial);

  /**
   * Adds the contributions of rows {@code from .. to} to {@code partial}: partials of disjoint
   * row sets sum (in double; in row order here) to the partial of their union.
   */
  void addPartials(float[][] pages, int[] offsets, float[] values, int from, int to, int stride,
      double[] partial);

  /**
   * The activation from the summed partial at the head of {@code acc}, the example's dense
   * inputs and the dense blocks; may fill the rest of {@code acc} for {@link #backward}.
   */
  double finish(double[] acc, float[] dense, float[][] blocks, int stride);

  /**
   * The activation for one example (before the loss's link: the prediction is
   * {@link Loss#prediction} of it): {@link #beginPartial}, {@link #addPartials} over every row,
   * {@link #finish}.
   *
   * @param dense the example's dense inputs ({@link #denseInputs()} of them, if not -1)
   * @param blocks the dense blocks' arrays, in {@link #denseBlocks()} order
   * @param acc scratch of at least {@link #accumulatorSize()} doubles, overwritten; pass it
   *     unchanged to {@link #backward}
   */
  default double forward(float[][] pages, int[] offsets, float[] values, int n, float[] biasPage,
      int biasOffset, int stride, float[] dense, float[][] blocks, double[] acc) {
    beginPartial(biasPage, biasOffset, stride, acc);
    addPartials(pages, offsets, values, 0, n, stride, acc);
    return finish(acc, dense, blocks, stride);
  }

  /** {@link #forward} of a model without dense inputs or blocks. */
  default double forward(float[][] pages, int[] offsets, float[] values, int n, float[] biasPage,
      int biasOffset, int stride, double[] acc) {
    return forward(pages, offsets, values, n, biasPage, biasOffset, stride, NO_DENSE, NO_BLOCKS,
        acc);
  }

  /**
   * Writes the gradient of the loss with respect to every weight of feature {@code i}'s row to
   * {@code grad[i * rowWidth() .. (i + 1) * rowWidth())}, the bias row's gradient to
   * {@code biasGrad[0 .. rowWidth())} (zeros beyond index 0) and dense block {@code b}'s to
   * {@code blockGrads[b][0 .. gradientSize())} (row-major, see {@link ParameterBlock}). Pages
   * and blocks are not modified, so the caller may step rows in any order afterwards.
   *
   * @param acc the accumulator filled by {@link #forward} for the same example and the same
   *     weights; its forward part is only read
   * @param dLossDActivation {@link Loss#gradient} already multiplied by the importance weight
   */
  void backward(float[][] pages, int[] offsets, float[] values, int n, float[] biasPage,
      int biasOffset, int stride, float[] dense, float[][] blocks, double[] acc,
      double dLossDActivation, float[] grad, float[] biasGrad, float[][] blockGrads);

  /** {@link #backward} of a model without dense inputs or blocks. */
  default void backward(float[][] pages, int[] offsets, float[] values, int n, float[] biasPage,
      int biasOffset, int stride, double[] acc, double dLossDActivation, float[] grad,
      float[] biasGrad) {
    backward(pages, offsets, values, n, biasPage, biasOffset, stride, NO_DENSE, NO_BLOCKS, acc,
        dLossDActivation, grad, biasGrad, NO_BLOCKS);
  }
}
