package io.gradflow.bench;

/**
 * Recovery after a change, from a run's window log losses. Windows are non-overlapping, of W
 * examples each; a window is named by its end, the 1-based position E of its last example, and
 * covers the 0-based examples [E - W, E). A change starts at c (the first 0-based example of the
 * new concept, or of a gradual transition) and is settled at s (the first example from which only
 * the new concept is drawn; s = c for an abrupt change).
 * <ul>
 *   <li>The <b>pre-drift level</b> is the mean log loss of the {@link #PRE_WINDOWS} last windows
 *       that end at or before c (E <= c).
 *   <li>The run has <b>recovered</b> at the first window that starts at or after s (E - W >= s),
 *       ends at or before the next change (or the stream's end), and whose log loss is at most
 *       {@link #TOLERANCE} times the pre-drift level; the <b>examples to recover</b> are E - s:
 *       at least W, and W when the first window on the settled concept is already within.
 *       No such window: not recovered within that horizon (from s to the next change).
 * </ul>
 * With W = 1,000 the windows' own noise (about 3% of a log loss near 0.45 on these streams) is
 * well inside the 10% tolerance. Stateless.
 */
final class Recovery {
  static final int PRE_WINDOWS = 3;
  static final double TOLERANCE = 1.10;

  /**
   * One change point's recovery.
   *
   * @param level the pre-drift level (NaN without a window before c)
   * @param examples examples to recover, from s, or -1 when not recovered within
   *     {@code horizon}
   * @param horizon examples from s to the next change or the stream's end
   */
  record Result(long change, double level, long examples, long horizon) {
    boolean recovered() {
      return examples >= 0;
    }

    /** Examples to recover, a run that did not recover counting as its horizon. */
    long censored() {
      return recovered() ? examples : horizon;
    }
  }

  private Recovery() {}

  /**
   * @param ends each window's end E (1-based), ascending
   * @param losses each window's log loss
   * @param window W, examples per window
   * @param change c, 0-based
   * @param settled s, at or after c
   * @param next the next change, or the stream's length
   */
  static Result of(long[] ends, double[] losses, int window, long change, long settled,
      long next) {
    double sum = 0;
    int count = 0;
    for (int i = ends.length - 1; i >= 0 && count < PRE_WINDOWS; i--) {
      if (ends[i] <= change) {
        sum += losses[i];
        count++;
      }
    }
    double level = count == 0 ? Double.NaN : sum / count;
    for (int i = 0; i < ends.length; i++) {
      if (ends[i] - window >= settled && ends[i] <= next && losses[i] <= TOLERANCE * level) {
        return new Result(change, level, ends[i] - settled, next - settled);
      }
    }
    return new Result(change, level, -1, next - settled);
  }
}
