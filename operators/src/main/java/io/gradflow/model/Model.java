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
 * values), and allocate nothing per call: the caller owns the accumulator and gradient buffers.
 * Arithmetic is in {@code double}; weights and gradients are {@code float}.
 */
public sealed interface Model permits LinearModel, FactorizationMachine {
  /** The specification this model was created from (for the audit record). */
  ModelSpec spec();

  /** Weights per row: 1 for a linear model; 1 + k for a factorization machine. */
  int rowWidth();

  /**
   * Writes the initial weights of a new row (row weight {@code j} at
   * {@code row[offset + j * stride]}); slots are the optimizer's business. A linear model writes
   * zeros. A factorization machine writes {@code w = 0} and factors drawn from
   * {@code N(0, initStd^2)} by a generator seeded by {@code (modelSeed, rowId)} only, so a row's
   * initial value never depends on arrival order and a replay is bit-identical.
   */
  void initializeRow(long rowId, float[] row, int offset, int stride);

  /** Doubles of scratch that {@link #forward} fills and {@link #backward} reads; may be 0. */
  int accumulatorSize();

  /**
   * The activation for one example (before the loss's link: the prediction is
   * {@link Loss#prediction} of it).
   *
   * @param acc scratch of at least {@link #accumulatorSize()} doubles, overwritten; pass it
   *     unchanged to {@link #backward}
   */
  double forward(float[][] pages, int[] offsets, float[] values, int n, float[] biasPage,
      int biasOffset, int stride, double[] acc);

  /**
   * Writes the gradient of the loss with respect to every weight of feature {@code i}'s row to
   * {@code grad[i * rowWidth() .. (i + 1) * rowWidth())} and the bias row's gradient to
   * {@code biasGrad[0 .. rowWidth())} (zeros beyond index 0). Pages are not modified, so the
   * caller may step rows in any order afterwards.
   *
   * @param acc the accumulator filled by {@link #forward} for the same example and the same
   *     weights
   * @param dLossDActivation {@link Loss#gradient} already multiplied by the importance weight
   */
  void backward(float[][] pages, int[] offsets, float[] values, int n, float[] biasPage,
      int biasOffset, int stride, double[] acc, double dLossDActivation, float[] grad,
      float[] biasGrad);
}
