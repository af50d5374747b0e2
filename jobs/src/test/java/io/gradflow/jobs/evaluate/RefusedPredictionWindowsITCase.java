package io.gradflow.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A prediction the metrics refuse (its squared error overflows a double) is not counted where
 * {@code evaluate} places its windows: every window's {@code end_example} is the position of the
 * last example its metrics measured, and its {@code examples} the examples they measured.
 *
 * <p>The model: a factorization machine with the squared loss whose factors start huge
 * ({@code init_std: 1e37}), so that every update it would make overflows and is undone (the
 * model never changes, which keeps every prediction a function of the file alone). An example
 * {@code a:1 b:1} is predicted at about {@code 1e74}: measured. An example
 * {@code a:3e38 b:3e38} with importance {@code 1e30} is predicted at about {@code 1e151}, whose
 * weighted squared error is not finite: the metrics refuse it ({@code PrequentialMetrics.record}).
 */
public class RefusedPredictionWindowsITCase {
  /** Squared-loss FM whose factors start near the float range's end; reports every 3 labeled. */
  public static final String YAML = "model: {type: factorization_machine, loss: squared,"
      + " hash_bits: 10, factors: 8, init_std: 1.0e37}\n"
      + "optimizer: {name: SGD, lr: 0.01}\n"
      + "metrics: {every: 3}\n"
      + "input: {max_abs_value: 0}\n"
      + "state: {backend: hashmap}\n";

  /** 1-based positions, in file order, of the examples whose prediction the metrics refuse. */
  public static final List<Integer> REFUSED = List.of(4, 6);

  /** Ten labeled examples; those at {@link #REFUSED} are predicted beyond the metrics' range. */
  public static String vw() {
    StringBuilder b = new StringBuilder();
    for (int i = 1; i <= 10; i++) {
      b.append(REFUSED.contains(i) ? "0 1e30 |f a:3e38 b:3e38\n" : "1 |f a:1 b:1\n");
    }
    return b.toString();
  }

  /**
   * The windows by hand. A report is due at every 3rd labeled example, refused or not (positions
   * 3, 6, 9), and at the end of input (10). The metrics measured positions 1, 2, 3, 5, 7, 8, 9,
   * 10. So the windows hold 3 (1-3), 1 (5; 4 and 6 refused), 3 (7-9) and 1 (10) measured
   * examples, and each ends at its last measured example: 3, 5, 9, 10. The code before this
   * test counted every labeled example as measured, so it put the k-th measured example at
   * position k: 3, 4, 7, 8.
   */
  public static final List<Long> END_EXAMPLES = List.of(3L, 5L, 9L, 10L);
  public static final List<Long> WINDOW_EXAMPLES = List.of(3L, 1L, 3L, 1L);

  @TempDir
  Path temp;

  /**
   * Each window's end_example and examples (whose sum, 8 of 10 examples scored, shows that the
   * two refusals really happened).
   */
  public static void assertWindows(JsonNode windows, long examples) {
    List<Long> ends = new ArrayList<>();
    List<Long> counts = new ArrayList<>();
    windows.forEach(w -> {
      ends.add(w.get("end_example").asLong());
      counts.add(w.get("examples").asLong());
    });
    assertEquals(END_EXAMPLES, ends, "end_example of every window: " + windows);
    assertEquals(WINDOW_EXAMPLES, counts, "examples of every window: " + windows);
    assertEquals(10, examples, "examples scored");
  }

  @Test
  void windowsCountOnlyTheExamplesTheMetricsMeasured() throws Exception {
    Path vw = temp.resolve("refused.vw");
    Files.writeString(vw, vw());
    JsonNode j = EvaluateITCase.evaluate(temp, YAML, "--file", vw.toString(), "--format", "vw")
        .json();
    assertWindows(j.get("windows"), j.get("examples").asLong());
    assertEquals(10, j.get("learned").asLong(), "learned (every update undone, but learned)");
    // The RMSE over every measured example is finite: the refused ones did not enter it.
    assertEquals(true, j.get("rmse").isNumber(), j.toString());
  }
}
