package io.gradflow.jobs.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Adam's {@code bias_correction} on a table of rows with sparse gradients, against PyTorch (see
 * golden/sparse_adam_generate.py): {@code global} against {@code torch.optim.SparseAdam} on the
 * whole table, {@code row} against {@code torch.optim.Adam} run on each row's own gradient
 * subsequence. Rows skip many steps, one is first touched late, one never; some steps have no
 * gradient at all.
 *
 * <p>The cases run through {@link OptimReplay}'s table format, the code path of
 * {@code gradflow optim-replay}. Tolerance as in {@link OptimReplayGoldenTest}:
 * {@code |got - expected| <= 1e-6 + 1e-4 |expected|} at every step, for every weight of every row;
 * both sides compute in float32 and differ only by rounding order.
 */
class SparseAdamGoldenTest {
  private static double largestShareOfTheBar;

  static JsonNode golden() throws IOException {
    return OptimReplayGoldenTest.golden("sparse_adam.json");
  }

  @TestFactory
  Stream<DynamicTest> everyTableMatchesPyTorch() throws IOException {
    JsonNode cases = golden().get("cases");
    JsonNode replayed = OptimReplay.replay(golden()).get("cases");
    assertEquals(cases.size(), replayed.size());
    List<DynamicTest> tests = new ArrayList<>();
    for (int i = 0; i < cases.size(); i++) {
      JsonNode expected = cases.get(i);
      JsonNode got = replayed.get(i);
      tests.add(DynamicTest.dynamicTest(expected.get("label").asText(), () -> {
        assertFalse(got.has("error"), () -> "case failed: " + got.get("error"));
        double share = worstShareOfTheBar(expected.get("expected"), got.get("trajectory"));
        largestShareOfTheBar = Math.max(largestShareOfTheBar, share);
        if (share > 1) {
          fail("an error " + share + " times the tolerance: " + describeWorst(
              expected.get("expected"), got.get("trajectory")));
        }
      }));
    }
    return tests.stream();
  }

  @Test
  void theFileHasBothSettingsOnSparseTablesWithALateRowAndEmptySteps() throws IOException {
    int global = 0;
    int row = 0;
    for (JsonNode c : golden().get("cases")) {
      String mode = c.get("hyperparameters").get("bias_correction").asText();
      global += mode.equals("global") ? 1 : 0;
      row += mode.equals("row") ? 1 : 0;
      JsonNode gradients = c.get("gradients");
      int rows = c.get("initial").size();
      assertTrue(rows >= 5, "a table of several rows");
      boolean emptyStep = false;
      boolean lateRow = false;
      for (int r = 0; r < rows; r++) {
        int first = -1;
        int touched = 0;
        for (int s = 0; s < gradients.size(); s++) {
          JsonNode g = gradients.get(s);
          emptyStep |= g.isNull();
          if (!g.isNull() && !g.get(r).isNull()) {
            touched++;
            first = first < 0 ? s : first;
          }
        }
        lateRow |= first >= gradients.size() / 2;
        if (r == 0) {
          assertTrue(touched > gradients.size() / 2, "row 0 is touched at most steps");
        }
      }
      assertTrue(emptyStep && lateRow, c.get("label").asText());
    }
    assertTrue(global >= 4 && global == row, global + " global and " + row + " row cases");
  }

  /**
   * The test tells the settings apart: replaying a SparseAdam case with {@code row} (or a per-row
   * Adam case with {@code global}) misses its reference by far more than the tolerance.
   */
  @Test
  void theOtherSettingMissesEachReference() throws IOException {
    for (JsonNode c : golden().get("cases")) {
      ObjectNode swapped = c.deepCopy();
      ObjectNode hp = (ObjectNode) swapped.get("hyperparameters");
      hp.put("bias_correction",
          hp.get("bias_correction").asText().equals("global") ? "row" : "global");
      JsonNode got = OptimReplay.replayCase(swapped, "swapped");
      double share = worstShareOfTheBar(c.get("expected"), got.get("trajectory"));
      assertTrue(share > 10, c.get("label").asText() + ": only " + share + " times the bar");
    }
  }

  /** The largest {@code |got - want| / (1e-6 + 1e-4 |want|)} over every value of a trajectory. */
  static double worstShareOfTheBar(JsonNode expected, JsonNode got) {
    assertEquals(expected.size(), got.size(), "steps");
    double worst = 0;
    for (int s = 0; s < expected.size(); s++) {
      worst = Math.max(worst, worst(expected.get(s), got.get(s)));
    }
    return worst;
  }

  private static double worst(JsonNode want, JsonNode have) {
    if (want.isNumber()) {
      double w = want.asDouble();
      double error = Math.abs(have.asDouble() - w);
      return error
          / (OptimReplayGoldenTest.ABSOLUTE + OptimReplayGoldenTest.RELATIVE * Math.abs(w));
    }
    assertEquals(want.size(), have.size(), "shape");
    double worst = 0;
    for (int i = 0; i < want.size(); i++) {
      worst = Math.max(worst, worst(want.get(i), have.get(i)));
    }
    return worst;
  }

  private static String describeWorst(JsonNode expected, JsonNode got) {
    for (int s = 0; s < expected.size(); s++) {
      if (worst(expected.get(s), got.get(s)) > 1) {
        return "step " + s + ": expected " + expected.get(s) + " but got " + got.get(s);
      }
    }
    return "";
  }

  @AfterAll
  static void report() {
    System.out.printf("golden SparseAdam and per-row Adam tables: largest error %.3g of the"
        + " tolerance%n", largestShareOfTheBar);
  }
}
