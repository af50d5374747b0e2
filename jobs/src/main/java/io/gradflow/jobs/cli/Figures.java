package io.gradflow.jobs.cli;

import java.util.Locale;

/**
 * Figures as every command prints them, so that the demo, {@code train}, {@code evaluate} and
 * {@code validate} write the same thing for the same value. Stateless; thread-safe.
 */
public final class Figures {
  /** What an AUC of a window holding one class only reads as: the AUC needs both classes. */
  public static final String UNDEFINED_AUC = "undefined (one class)";

  private Figures() {}

  /**
   * An area under the ROC curve to four decimals, or {@link #UNDEFINED_AUC} when it is NaN (the
   * metrics report NaN for a window of one class; Fawcett, "An introduction to ROC analysis",
   * 2006, defines it only for both classes present).
   */
  public static String auc(double auc) {
    return Double.isNaN(auc) ? UNDEFINED_AUC : String.format(Locale.ROOT, "%.4f", auc);
  }

  /**
   * A log loss against its base rate's (a running-mean predictor's), as the summaries give it:
   * {@code 9.7% lower} or {@code 1.1% HIGHER}; {@code level with it, within 0.05%} when the
   * difference rounds to 0.0% (trial 23 L7: "0.0% HIGHER" read as a warning). A base rate of
   * log loss 0 (every learned label the same) has no ratio to give: "Infinity% HIGHER" said
   * nothing.
   */
  public static String against(double logLoss, double base) {
    if (!(base > 0)) {
      return "no ratio: the base rate's log loss is 0";
    }
    double percent = 100 * Math.abs(1 - logLoss / base);
    return percent < 0.05 ? "level with it, within 0.05%" : String.format(Locale.ROOT,
        "%.1f%% %s", percent, logLoss <= base ? "lower" : "HIGHER");
  }
}
