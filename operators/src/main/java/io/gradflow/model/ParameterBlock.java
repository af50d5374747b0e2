package io.gradflow.model;

import io.gradflow.optim.RowLayout;

/**
 * One parameter block a model declares (DESIGN.md, "Parameter blocks"): either the model's
 * sparse rows, addressed by row id and living in pages, stepped lazily when an example touches
 * them, or a dense block of a fixed number of rows, stepped at every learned batch (one MLP
 * layer's weight matrix, a row per output unit). Every block's rows use the same
 * {@link RowLayout} family (weights interleaved with the optimizer's slots, then the row's step
 * count), so every optimizer steps every block through the same driver.
 *
 * <p>A dense block is one {@code float[]} of {@code rows} consecutive rows: row {@code r} starts
 * at {@link #rowOffset(int, int) r * (width * stride + RowLayout.TRAILER)}, and its gradient is
 * {@code grad[r * width .. (r + 1) * width)}. Immutable and thread-safe.
 *
 * @param name the block's name in the audit record and in the state ({@code "rows"},
 *     {@code "layer1"}, ...)
 * @param dense whether the block is dense (fixed rows, in one array) or sparse (rows in pages)
 * @param rows a dense block's rows; 0 for a sparse block (its rows are unbounded)
 * @param width weights per row (> 0)
 * @param fanIn a dense block's inputs per output unit (its initialization's fan-in); 0 if sparse
 */
public record ParameterBlock(String name, boolean dense, int rows, int width, int fanIn) {
  public ParameterBlock {
    if (width <= 0) {
      throw new IllegalArgumentException("block " + name + ": width must be > 0, but was "
          + width);
    }
    if (dense ? rows <= 0 : rows != 0) {
      throw new IllegalArgumentException("block " + name + ": a " + (dense ? "dense" : "sparse")
          + " block has " + (dense ? "> 0" : "0") + " rows, but was " + rows);
    }
  }

  /** The sparse rows of a model, {@code width} weights each. */
  public static ParameterBlock sparse(int width) {
    return new ParameterBlock("rows", false, 0, width, 0);
  }

  /** A dense block of {@code rows} rows of {@code width} weights, {@code fanIn} inputs each. */
  public static ParameterBlock dense(String name, int rows, int width, int fanIn) {
    return new ParameterBlock(name, true, rows, width, fanIn);
  }

  /** Floats of one row for weight stride {@code stride}: weights, slots and step count. */
  public int rowSize(int stride) {
    return width * stride + RowLayout.TRAILER;
  }

  /** Where row {@code r} of a dense block starts in its array. */
  public int rowOffset(int r, int stride) {
    return r * rowSize(stride);
  }

  /** Floats of a dense block's array for weight stride {@code stride}. */
  public int size(int stride) {
    return rows * rowSize(stride);
  }

  /** Floats of a dense block's gradient: {@code rows * width}. */
  public int gradientSize() {
    return rows * width;
  }
}
