package io.gradflow.jobs.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.cli.Command;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ValidationGateTest {
  private static final List<String> NAMES = List.of("champion", "challenger");

  /** Logistic metrics for both savepoints; {@code t} and {@code f} are 1 and 0 for logic tests. */
  private static Map<String, Map<String, Object>> metrics(double champion, double challenger) {
    Map<String, Map<String, Object>> m = new LinkedHashMap<>();
    m.put("champion", logistic(champion));
    m.put("challenger", logistic(challenger));
    return m;
  }

  private static Map<String, Object> logistic(double logLoss) {
    Map<String, Object> m = new HashMap<>();
    m.put("examples", 3000L);
    m.put("learned", 0L);
    m.put("log_loss", logLoss);
    m.put("base_rate_log_loss", 0.61);
    m.put("auc", 0.81);
    m.put("rmse", null);
    m.put("calibration", 1.02);
    m.put("expected_calibration_error", logLoss / 20);
    return m;
  }

  private static boolean holds(String gate) {
    return ValidationGate.parse(gate, NAMES).evaluate(metrics(0.5, 0.4)).passed();
  }

  private static String error(String gate) {
    return assertThrows(Command.UsageException.class, () -> ValidationGate.parse(gate, NAMES))
        .getMessage();
  }

  @Test
  void passingGateShowsTheNumbersSubstituted() {
    ValidationGate gate =
        ValidationGate.parse("challenger.log_loss <= champion.log_loss * 1.01", NAMES);
    ValidationGate.Result r = gate.evaluate(metrics(0.4390, 0.4312));
    assertTrue(r.passed());
    // 0.4390 * 1.01 = 0.44339
    assertEquals("gate passed: challenger.log_loss 0.4312 <= champion.log_loss 0.4390 * 1.01"
        + " (0.4434)", r.message());
  }

  @Test
  void evaluatesValidatesJsonObject() {
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("mode", "frozen");
    report.put("savepoints", metrics(0.4390, 0.4312));
    ValidationGate gate =
        ValidationGate.parse("challenger.log_loss <= champion.log_loss * 1.01", NAMES);
    assertEquals(gate.evaluate(metrics(0.4390, 0.4312)), gate.evaluateReport(report));
    assertThrows(IllegalArgumentException.class, () -> gate.evaluateReport(Map.of()));
  }

  /** The expected calibration error (validate's JSON's) is a metric of the gate. */
  @Test
  void aGateOnTheExpectedCalibrationError() {
    ValidationGate gate = ValidationGate.parse("challenger.expected_calibration_error <= 0.02"
        + " and challenger.expected_calibration_error <= champion.expected_calibration_error",
        NAMES);
    ValidationGate.Result passed = gate.evaluate(metrics(0.5, 0.3));
    assertTrue(passed.passed(), passed.message());
    assertEquals("gate passed: challenger.expected_calibration_error 0.01500 <= 0.02 -> true and"
        + " challenger.expected_calibration_error 0.01500 <= champion.expected_calibration_error"
        + " 0.02500 -> true", passed.message());
    ValidationGate.Result failed = gate.evaluate(metrics(0.3, 0.5));
    assertFalse(failed.passed(), failed.message());
    gate.requireMetrics(List.of("examples", "learned", "log_loss", "base_rate_log_loss", "auc",
        "calibration", "expected_calibration_error"));
    assertThrows(Command.UsageException.class,
        () -> gate.requireMetrics(List.of("examples", "learned", "rmse", "calibration")));
  }

  @Test
  void failingGateSaysSo() {
    ValidationGate gate =
        ValidationGate.parse("challenger.log_loss <= champion.log_loss * 1.01", NAMES);
    ValidationGate.Result r = gate.evaluate(metrics(0.40, 0.45));
    assertFalse(r.passed());
    assertEquals("gate failed: challenger.log_loss 0.4500 <= champion.log_loss 0.4000 * 1.01"
        + " (0.4040)", r.message());
  }

  @Test
  void closeValuesAreShownWithTheDigitsThatTellThemApart() {
    ValidationGate gate = ValidationGate.parse("challenger.log_loss < champion.log_loss", NAMES);
    ValidationGate.Result r = gate.evaluate(metrics(0.431190, 0.431210));
    assertFalse(r.passed());
    assertEquals("gate failed: challenger.log_loss 0.43121 < champion.log_loss 0.43119",
        r.message());
  }

  @Test
  void severalComparisonsShowTheirVerdicts() {
    ValidationGate gate = ValidationGate.parse(
        "challenger.auc >= 0.8 and challenger.examples == champion.examples", NAMES);
    ValidationGate.Result r = gate.evaluate(metrics(0.5, 0.4));
    assertTrue(r.passed());
    assertEquals("gate passed: challenger.auc 0.8100 >= 0.8 -> true and challenger.examples 3000"
        + " == champion.examples 3000 -> true", r.message());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      // arithmetic: * and / before + and -, left to right, unary minus tightest
      "2 + 3 * 4 == 14 | true",
      "(2 + 3) * 4 == 20 | true",
      "2 * 3 + 4 == 10 | true",
      "10 - 4 - 3 == 3 | true",
      "8 / 4 / 2 == 1 | true",
      "-2 * 3 == -6 | true",
      "2 - -1 == 3 | true",
      "--2 == 2 | true",
      "-(2 + 3) == -5 | true",
      "1e-3 * 1000 == 1 | true",
      "1E+2 == 100 | true",
      ".5 + 0.5 == 1. | true",
      "1 / 0 > 1e308 | true",
      // comparisons
      "1 < 2 | true", "2 < 2 | false", "2 <= 2 | true", "3 > 2 | true", "2 > 2 | false",
      "2 >= 2 | true", "2 == 2 | true", "2 != 2 | false", "1 != 2 | true",
      // and before or; not looser than comparisons, tighter than and
      "1 < 2 or 1 > 2 and 1 > 2 | true", // or(T, and(F, F)); (T or F) and F would be false
      "1 > 2 and 1 > 2 or 1 < 2 | true",
      "(1 < 2 or 1 > 2) and 1 > 2 | false",
      "not 1 > 2 and 1 > 2 | false", // and(not F, F); not(F and F) would be true
      "not (1 > 2 and 1 > 2) | true",
      "not 1 + 1 > 3 | true",
      "not not 1 < 2 | true",
      // metrics: challenger 0.4, champion 0.5
      "challenger.log_loss < champion.log_loss | true",
      "challenger.log_loss - champion.log_loss == -0.1 | false", // 0.4 - 0.5 is -0.09999...
      "champion.log_loss - challenger.log_loss > 0.09 | true",
      "champion.examples - champion.learned == 3000 | true",
  })
  void precedenceAndArithmetic(String gate, boolean expected) {
    assertEquals(expected, holds(gate), gate);
  }

  @Test
  void nanFailsTheGateWhateverSurroundsIt() {
    Map<String, Map<String, Object>> m = metrics(0.5, Double.NaN);
    for (String g : List.of("challenger.log_loss <= champion.log_loss",
        "not challenger.log_loss > champion.log_loss",
        "challenger.log_loss != champion.log_loss",
        "1 < 2 or challenger.log_loss < 1")) {
      ValidationGate.Result r = ValidationGate.parse(g, NAMES).evaluate(m);
      assertFalse(r.passed(), g);
      assertTrue(r.message().contains("challenger.log_loss NaN"), r.message());
      assertTrue(r.message().contains("not a number (NaN) in the comparison at column"),
          r.message());
    }
  }

  @Test
  void unknownSavepoint() {
    assertEquals("--gate: unknown savepoint 'chamion' at column 24; savepoints: champion,"
        + " challenger", error("challenger.log_loss <= chamion.log_loss * 1.01"));
  }

  @Test
  void unknownMetric() {
    assertEquals("--gate: unknown metric 'logloss' at column 12; metrics: examples, learned,"
        + " log_loss, base_rate_log_loss, auc, rmse, calibration, expected_calibration_error",
        error("challenger.logloss < 1"));
  }

  @Test
  void metricWithoutSavepoint() {
    assertEquals("--gate: metric 'log_loss' at column 1 needs its savepoint, as in"
        + " champion.log_loss; savepoints: champion, challenger", error("log_loss < 1"));
  }

  @Test
  void savepointWithoutMetric() {
    assertEquals("--gate: expected '.' and a metric after 'champion' at column 10, as in"
        + " champion.log_loss, but found '<'", error("champion < 1"));
    assertEquals("--gate: expected a metric but found '<' at column 10; metrics: examples,"
        + " learned, log_loss, base_rate_log_loss, auc, rmse, calibration,"
        + " expected_calibration_error", error("champion.< 1"));
  }

  @Test
  void nullMetricIsNamedWithTheMetricsTheSavepointHas() {
    Map<String, Map<String, Object>> m = metrics(0.5, 0.4);
    Map<String, Object> squared = new HashMap<>();
    squared.put("examples", 10L);
    squared.put("learned", 0L);
    squared.put("rmse", 0.3);
    squared.put("auc", null);
    m.put("challenger", squared);
    ValidationGate gate = ValidationGate.parse("champion.auc <= challenger.auc", NAMES);
    String message = assertThrows(Command.UsageException.class, () -> gate.evaluate(m))
        .getMessage();
    assertEquals("--gate: challenger.auc at column 17 is null for savepoint 'challenger' (its"
        + " loss does not produce it); metrics it has: examples, learned, rmse", message);
  }

  @Test
  void metricTheLossNeverProducesIsRefusedBeforeTheRun() {
    ValidationGate gate = ValidationGate.parse("challenger.rmse < 1 and champion.auc > 0.7",
        NAMES);
    String message = assertThrows(Command.UsageException.class,
        () -> gate.requireMetrics(List.of("examples", "learned", "rmse"))).getMessage();
    assertEquals("--gate: metric 'auc' at column 25 is not produced by this job's loss; it"
        + " produces: examples, learned, rmse", message);
    gate.requireMetrics(ValidationGate.METRICS); // all there: no error
  }

  @Test
  void missingSavepointInTheValuesIsABug() {
    ValidationGate gate = ValidationGate.parse("challenger.auc > 0.5", NAMES);
    assertThrows(IllegalArgumentException.class,
        () -> gate.evaluate(Map.of("champion", logistic(0.5))));
  }

  @Test
  void syntaxErrors() {
    assertEquals("--gate: the gate is empty; for example 'challenger.log_loss <="
        + " champion.log_loss * 1.01'", error("  "));
    assertEquals("--gate: the gate must be a comparison, as in 'challenger.log_loss <="
        + " champion.log_loss * 1.01', but was a number", error("champion.auc * 2"));
    assertEquals("--gate: expected a number, SAVEPOINT.METRIC or '(' at column 8, but found"
        + " the end of the gate", error("1 < 2 +"));
    assertEquals("--gate: expected a number, SAVEPOINT.METRIC or '(' at column 1, but found"
        + " '<='", error("<= 2"));
    assertEquals("--gate: expected a number, SAVEPOINT.METRIC or '(' at column 11, but found"
        + " 'and'", error("1 < 2 and and 1 < 2"));
    assertEquals("--gate: expected ')' at column 8 to close the '(' at column 1, but found the"
        + " end of the gate", error("(1 < 2 "));
    assertEquals("--gate: unexpected ')' at column 6 after a complete gate", error("1 < 2)"));
    assertEquals("--gate: unexpected '3' at column 7 after a complete gate", error("1 < 2 3"));
    assertEquals("--gate: comparisons do not chain: '<' at column 7 follows the comparison at"
        + " column 3; join them with 'and'", error("1 < 2 < 3"));
    assertEquals("--gate: unexpected character '$' at column 5", error("1 < $2"));
    assertEquals("--gate: malformed number '1.01x' at column 5; numbers look like 1.01, .5 or"
        + " 1e-3", error("1 < 1.01x"));
    assertEquals("--gate: malformed number '1e' at column 5; numbers look like 1.01, .5 or 1e-3",
        error("1 < 1e"));
    assertEquals("--gate: malformed number '1.2.3' at column 5; numbers look like 1.01, .5 or"
        + " 1e-3", error("1 < 1.2.3"));
  }

  @Test
  void typeErrors() {
    assertEquals("--gate: 'and' at column 7 needs a comparison as its right, but it is a"
        + " number", error("1 < 2 and 3"));
    assertEquals("--gate: 'or' at column 3 needs a comparison as its left, but it is a number",
        error("1 or 1 < 2"));
    assertEquals("--gate: 'not' at column 1 needs a comparison as its operand, but it is a"
        + " number", error("not 1"));
    assertEquals("--gate: '+' at column 9 needs a number as its left, but it is a comparison",
        error("(1 < 2) + 1 < 3"));
    assertEquals("--gate: '<' at column 9 needs a number as its left, but it is a comparison",
        error("(1 < 2) < 3"));
    assertEquals("--gate: '-' at column 1 needs a number as its operand, but it is a"
        + " comparison", error("-(1 < 2)"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"1 < 2 && 2 < 3", "1 < 2 || 2 < 3", "!(1 < 2)", "1 = 1"})
  void otherLanguagesOperatorsGetAHint(String gate) {
    String message = error(gate);
    assertTrue(message.matches("--gate: '(&&|\\|\\||!|=)' at column \\d+: write '(and|or|not|==)'"
        + "( to compare)?"), message);
  }

  @Test
  void keywordsAreNotSavepoints() {
    ValidationGate gate = ValidationGate.parse("1 < 2", List.of("and"));
    assertTrue(gate.evaluate(Map.of()).passed());
    assertEquals("--gate: expected a number, SAVEPOINT.METRIC or '(' at column 1, but found"
        + " 'and'", assertThrows(Command.UsageException.class,
            () -> ValidationGate.parse("and.auc < 1", List.of("and"))).getMessage());
  }

  @Test
  void formatsNumbersForPeople() {
    assertEquals("3000", ValidationGate.format(3000, 4));
    assertEquals("0.4390", ValidationGate.format(0.439, 4));
    assertEquals("-1.500", ValidationGate.format(-1.5, 4));
    assertEquals("1.235e-05", ValidationGate.format(1.23456e-5, 4));
    assertEquals("Infinity", ValidationGate.format(Double.POSITIVE_INFINITY, 4));
  }
}
