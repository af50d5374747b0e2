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
}
