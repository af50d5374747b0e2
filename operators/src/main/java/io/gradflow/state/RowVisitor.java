package io.gradflow.state;

/**
 * Visits the live rows of a model in a sweep ({@link PagedLearner#sweep}), for expiry and for
 * whole-model changes (a drift policy's reset or decay of every row's optimizer slots).
 */
@FunctionalInterface
public interface RowVisitor {
  /** What became of a visited row. */
  enum Result {
    /** Unchanged. */
    KEEP,
    /** The visitor changed the row: it is stored back. */
    CHANGED,
    /**
     * The row goes: a direct page's row is reset to its initial values and stops being live, a
     * hashed page's row is removed; a page left with no live row is removed from state.
     */
    DROP
  }

  /**
   * @param rowId the row's id
   * @param data the array holding the row; the row is at {@code data[offset ..]} in the
   *     optimizer's {@code RowLayout}
   * @param lastUpdateBefore the event time before which the row was last updated (the end of its
   *     stamp's hour, {@link PageFormat#stampEnd}), or {@link Long#MIN_VALUE} if unknown (a row
   *     migrated from page format 1)
   */
  Result visit(long rowId, float[] data, int offset, long lastUpdateBefore) throws Exception;
}
