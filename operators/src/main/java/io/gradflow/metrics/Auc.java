package io.gradflow.metrics;

/**
 * The exact area under the ROC curve of weighted (score, label) records: the probability that a
 * random positive scores above a random negative, ties counting one half, which is the
 * Mann-Whitney statistic and equals the trapezoidal area under the ROC curve (Fawcett 2006,
 * "An introduction to ROC analysis", section 8) and scikit-learn's {@code roc_auc_score} with
 * {@code sample_weight}.
 *
 * <p>A record with label {@code y} and weight {@code w} adds {@code w y} to the positive mass and
 * {@code w (1 - y)} to the negative mass at its score: for labels in {0, 1} this is the usual
 * definition, and soft labels count fractionally on both sides. Undefined (NaN) without positive
 * or without negative mass.
 *
 * <p>Cost: an O(n log n) index sort, then one pass over equal-score groups. The caller supplies
 * the index buffers, so nothing is allocated. Stateless and thread-safe.
 */
public final class Auc {
  private Auc() {}

  /** The AUC of {@code n} records ({@code weights} may be null: all 1). Allocates two int[n]. */
  public static double of(double[] scores, double[] labels, double[] weights, int n) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    sortByScore(scores, order, new int[n], n);
    return ofSorted(scores, labels, weights, order, n);
  }

  /**
   * The AUC of the records {@code order[0 .. n)}, which must be sorted by ascending score.
   * {@code weights} may be null (all 1).
   */
  public static double ofSorted(double[] scores, double[] labels, double[] weights, int[] order,
      int n) {
    double negativesBelow = 0;
    double positives = 0;
    double area = 0;
    int i = 0;
    while (i < n) {
      double score = scores[order[i]];
      double groupPositive = 0;
      double groupNegative = 0;
      while (i < n && scores[order[i]] == score) {
        int r = order[i];
        double w = weights == null ? 1 : weights[r];
        groupPositive += w * labels[r];
        groupNegative += w * (1 - labels[r]);
        i++;
      }
      area += groupPositive * (negativesBelow + 0.5 * groupNegative);
      negativesBelow += groupNegative;
      positives += groupPositive;
    }
    if (!(positives > 0 && negativesBelow > 0)) {
      return Double.NaN;
    }
    return area / (positives * negativesBelow);
  }

  /**
   * Sorts {@code order[0 .. n)} (indexes into {@code scores}) by ascending score: a stable
   * bottom-up merge sort using {@code scratch} (at least {@code n} long).
   */
  public static void sortByScore(double[] scores, int[] order, int[] scratch, int n) {
    int[] from = order;
    int[] to = scratch;
    for (int width = 1; width < n; width *= 2) {
      for (int low = 0; low < n; low += 2 * width) {
        int mid = Math.min(low + width, n);
        int high = Math.min(low + 2 * width, n);
        int a = low;
        int b = mid;
        int k = low;
        while (a < mid && b < high) {
          to[k++] = scores[from[b]] < scores[from[a]] ? from[b++] : from[a++];
        }
        while (a < mid) {
          to[k++] = from[a++];
        }
        while (b < high) {
          to[k++] = from[b++];
        }
      }
      int[] t = from;
      from = to;
      to = t;
    }
    if (from != order) {
      System.arraycopy(from, 0, order, 0, n);
    }
  }
}
