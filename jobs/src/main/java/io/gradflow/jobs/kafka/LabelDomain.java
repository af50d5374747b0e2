package io.gradflow.jobs.kafka;

/**
 * The labels a loss accepts: {@link #PROBABILITY} ({@code [0, 1]}, logistic loss; a soft label
 * in between is allowed) or {@link #REAL} (any finite value, squared loss).
 */
public enum LabelDomain {
  PROBABILITY {
    @Override
    public boolean contains(double label) {
      return label >= 0 && label <= 1;
    }

    @Override
    public String describe() {
      return "in [0, 1] (logistic loss)";
    }
  },
  REAL {
    @Override
    public boolean contains(double label) {
      return Double.isFinite(label);
    }

    @Override
    public String describe() {
      return "finite (squared loss)";
    }
  };

  /** Whether the label is acceptable (NaN and infinities never are). */
  public abstract boolean contains(double label);

  /** The constraint in words, for dead-letter details. */
  public abstract String describe();
}
