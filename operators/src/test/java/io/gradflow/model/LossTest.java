package io.gradflow.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.config.ConfigException;
import org.junit.jupiter.api.Test;

/** Loss values, gradients, numerical stability, label domains and the base rates. */
class LossTest {
  @Test
  void logisticLossMatchesItsNaiveFormulaWhereThatIsAccurate() {
    for (double a = -20; a <= 20; a += 0.37) {
      double p = 1 / (1 + Math.exp(-a));
      for (double y : new double[] {0, 1, 0.25}) {
        double naive = -(y * Math.log(p) + (1 - y) * Math.log(1 - p));
        assertEquals(naive, Loss.LOGISTIC.loss(a, y), 1e-9 * (1 + naive), "a=" + a + " y=" + y);
        assertEquals(p - y, Loss.LOGISTIC.gradient(a, y), 1e-15);
        assertEquals(p, Loss.LOGISTIC.prediction(a), 1e-15);
      }
    }
  }

  @Test
  void logisticLossIsStableForLargeActivations() {
    // The naive formula gives log(0) = -inf here; the stable one gives |a| for a confident
    // mistake and about e^-|a| when right.
    assertEquals(800, Loss.LOGISTIC.loss(800, 0), 1e-12);
    assertEquals(800, Loss.LOGISTIC.loss(-800, 1), 1e-12);
    assertEquals(Math.exp(-40), Loss.LOGISTIC.loss(40, 1), 1e-30);
    assertEquals(1.0, Loss.LOGISTIC.prediction(800));
    assertEquals(0.0, Loss.LOGISTIC.prediction(-800));
    assertEquals(-1.0, Loss.LOGISTIC.gradient(-800, 1));
    assertTrue(Double.isFinite(Loss.LOGISTIC.loss(-1e300, 1)));
  }

  @Test
  void gradientsAreTheDerivativeOfTheLoss() {
    double h = 1e-6;
    for (Loss loss : Loss.values()) {
      for (double a = -6; a <= 6; a += 0.5) {
        double y = loss == Loss.LOGISTIC ? 0.7 : 2.5;
        double numeric = (loss.loss(a + h, y) - loss.loss(a - h, y)) / (2 * h);
        // Rounding in the difference quotient: about 1e-16 * loss / h, below 1e-8.
        assertEquals(numeric, loss.gradient(a, y), 1e-7, loss + " a=" + a);
      }
    }
  }

  @Test
  void squaredLoss() {
    assertEquals(4.5, Loss.SQUARED.loss(1, 4));
    assertEquals(-3, Loss.SQUARED.gradient(1, 4));
    assertEquals(1.25, Loss.SQUARED.prediction(1.25));
  }

  @Test
  void labelDomains() {
    assertTrue(Loss.LOGISTIC.acceptsLabel(0) && Loss.LOGISTIC.acceptsLabel(1)
        && Loss.LOGISTIC.acceptsLabel(0.4));
    assertFalse(Loss.LOGISTIC.acceptsLabel(1.5));
    assertFalse(Loss.LOGISTIC.acceptsLabel(-0.1));
    assertFalse(Loss.LOGISTIC.acceptsLabel(Double.NaN));
    assertTrue(Loss.SQUARED.acceptsLabel(-1e9));
    assertFalse(Loss.SQUARED.acceptsLabel(Double.POSITIVE_INFINITY));
    assertFalse(Loss.SQUARED.acceptsLabel(Double.NaN));
    assertEquals("label must be in [0, 1] for the logistic loss, but was 1.5",
        Loss.LOGISTIC.labelProblem(1.5));
    assertEquals("", Loss.LOGISTIC.labelProblem(1));
    assertEquals("label must be a finite number for the squared loss, but was NaN",
        Loss.SQUARED.labelProblem(Double.NaN));
    assertTrue(Loss.LOGISTIC.predictsProbability());
    assertFalse(Loss.SQUARED.predictsProbability());
  }

  @Test
  void baseRates() {
    // Always predicting the mean label m: log loss = binary entropy of m.
    assertEquals(Math.log(2), Loss.LOGISTIC.baseRateLoss(0.5, 0.5), 1e-15);
    double m = 0.1;
    assertEquals(-(m * Math.log(m) + (1 - m) * Math.log(1 - m)),
        Loss.LOGISTIC.baseRateLoss(m, m), 1e-15);
    assertEquals(0, Loss.LOGISTIC.baseRateLoss(0, 0));
    assertEquals(0, Loss.LOGISTIC.baseRateLoss(1, 1));
    // And it is the mean of the losses of that constant prediction.
    double[] labels = {0, 0, 1, 0, 1, 0, 0, 0};
    double mean = 0.25;
    double activation = Math.log(mean / (1 - mean));
    double average = 0;
    for (double y : labels) {
      average += Loss.LOGISTIC.loss(activation, y) / labels.length;
    }
    assertEquals(average, Loss.LOGISTIC.baseRateLoss(mean, mean), 1e-12);
    // Squared: half the variance. Labels 1, 3: mean 2, mean square 5, variance 1.
    assertEquals(0.5, Loss.SQUARED.baseRateLoss(2, 5), 1e-15);
  }

  @Test
  void parsesConfigurationNames() {
    assertSame(Loss.LOGISTIC, Loss.parse("loss", "logistic"));
    assertSame(Loss.SQUARED, Loss.parse("loss", " Squared "));
    ConfigException e = assertThrows(ConfigException.class, () -> Loss.parse("loss", "hinge"));
    assertEquals("loss must be one of [logistic, squared], but was 'hinge'", e.getMessage());
    assertEquals("loss", e.key());
  }
}
