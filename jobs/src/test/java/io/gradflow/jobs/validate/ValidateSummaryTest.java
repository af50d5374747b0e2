package io.gradflow.jobs.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A model's line in validate's output: an undefined AUC is named, as train names it. */
class ValidateSummaryTest {
  private static Map<String, Object> figures(long examples, Double auc) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("examples", examples);
    m.put("learned", examples);
    m.put("log_loss", examples > 0 ? 0.25 : null);
    m.put("base_rate_log_loss", examples > 0 ? 0.5 : null);
    m.put("auc", auc);
    m.put("calibration", examples > 0 ? 1.0 : null);
    m.put("expected_calibration_error", null);
    return m;
  }

  @Test
  void aRangeOfOneClassHasAnUndefinedAucAndAnEmptyRangeADash() {
    assertEquals("200 examples, 200 learned; log loss 0.2500, base rate 0.5000, AUC undefined"
        + " (one class), calibration 1.0000, ECE -",
        ValidateCommand.summary(figures(200, null), true));
    assertEquals("200 examples, 200 learned; log loss 0.2500, base rate 0.5000, AUC 0.7500,"
        + " calibration 1.0000, ECE -", ValidateCommand.summary(figures(200, 0.75), true));
    assertEquals("0 examples, 0 learned; log loss -, base rate -, AUC -, calibration -, ECE -",
        ValidateCommand.summary(figures(0, null), true));
  }
}
