package io.gradflow.model;

/**
 * A linear model over the rows ({@link LinearModel}): linear regression with the
 * {@link Loss#SQUARED} loss, logistic regression with {@link Loss#LOGISTIC}. No settings.
 * Immutable and thread-safe.
 */
public record LinearSpec() implements ModelSpec {
  @Override
  public int rowWidth() {
    return 1;
  }

  @Override
  public String configName() {
    return "linear_regression";
  }

  @Override
  public String configName(Loss loss) {
    return loss == Loss.LOGISTIC ? "logistic_regression" : "linear_regression";
  }

  @Override
  public Model create() {
    return new LinearModel(this);
  }
}
