package io.gradflow.jobs.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

class OptimReplayTest {
  private final ObjectMapper mapper = new ObjectMapper();

  private JsonNode replay(String json) throws Exception {
    return OptimReplay.replay(mapper.readTree(json)).get("cases");
  }

  @Test
  void aBadCaseGetsAnErrorAndTheOthersStillRun() throws Exception {
    JsonNode out = replay("""
        {"cases":[
          {"optimizer":"Adamax","initial":[1],"gradients":[[1]]},
          {"optimizer":"SGD","hyperparameters":{"lr":0.5},"initial":[1],"gradients":[[1],[2]],
           "expected":"ignored"},
          {"optimizer":"Adam","hyperparameters":{"betas":[0.9,1.0]},"initial":[1],"gradients":[]},
          {"optimizer":"Adam","hyperparameters":{"momentum":0.9},"initial":[1],"gradients":[]},
          {"optimizer":"SGD","initial":[1,2],"gradients":[[1]]},
          {"optimizer":"SGD","hyperparameters":{"lr":-1},"initial":[1],"gradients":[]}
        ]}""");
    assertEquals(6, out.size());
    assertTrue(out.get(0).get("error").asText().contains("must be one of SGD, Adagrad"));
    assertEquals("[[0.5],[-0.5]]", out.get(1).get("trajectory").toString());
    assertEquals("cases[2]: optimizer.betas[1] must be in [0, 1), but was 1.0",
        out.get(2).get("error").asText());
    assertTrue(out.get(3).get("error").asText().contains(
        "optimizer.momentum is not a setting of Adam; accepted: lr, betas, eps"));
    assertTrue(out.get(4).get("error").asText().contains(
        "\"gradients[0]\" has 1 values, but \"initial\" has 2"));
    assertEquals("cases[5]: optimizer.lr must be >= 0, but was -1.0",
        out.get(5).get("error").asText());
  }

  @Test
  void aNullGradientIsASkippedStepAndANonFiniteOneIsRefused() throws Exception {
    JsonNode out = replay("""
        {"cases":[{"optimizer":"SGD","hyperparameters":{"lr":1,"momentum":0.5},"initial":[0],
          "gradients":[[1], null, ["NaN"], [1]]}]}""").get(0);
    // Step 0 starts the buffer at 1; steps 1 and 2 leave it alone; step 3: b = 0.5 + 1.
    assertEquals("[[-1.0],[-1.0],[-1.0],[-2.5]]", out.get("trajectory").toString());
    assertEquals("[2]", out.get("refused").toString());
  }

  @Test
  void aDocumentWithoutCasesIsRefusedWithAnExample() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OptimReplay.replay(mapper.readTree("{\"runs\":[]}")));
    assertTrue(e.getMessage().contains("an array \"cases\""));
  }
  /**
   * ../shared/cases/optim-eps-zero.json: Adam, Adagrad, RMSprop and Adadelta with eps 0 and a
   * first gradient of exactly 0 wrote 0/0 = NaN into the row. Each case is now refused, naming
   * the key.
   */
  @Test
  void epsZeroIsRefusedForEveryOptimizerNamingTheKey() throws Exception {
    JsonNode cases;
    try (InputStream in = getClass().getResourceAsStream("/cases/optim-eps-zero.json")) {
      cases = OptimReplay.replay(mapper.readTree(in)).get("cases");
    }
    assertEquals(4, cases.size());
    for (int i = 0; i < cases.size(); i++) {
      assertEquals("cases[" + i + "]: optimizer.eps must be > 0, but was 0.0",
          cases.get(i).path("error").asText(), cases.get(i).toString());
    }
  }

  @Test
  void anEpsThatRoundsToZeroAsAFloatIsRefusedAndHugeGradientsNeverReachTheRow() throws Exception {
    JsonNode out = replay("""
        {"cases":[
          {"optimizer":"Adagrad","hyperparameters":{"eps":1e-50},"initial":[1],"gradients":[]},
          {"optimizer":"RMSprop","hyperparameters":{"eps":1e-45},"initial":[0.5],
           "gradients":[[0], [0], [1]]},
          {"optimizer":"Adagrad","hyperparameters":{"lr":0.1},"initial":[0.5],
           "gradients":[[1e30], [1], [0]]},
          {"optimizer":"Ftrl","hyperparameters":{"beta":0},"initial":[0],"gradients":[]}
        ]}""");
    assertTrue(out.get(0).get("error").asText().startsWith(
        "cases[0]: optimizer.eps must be at least 1.4E-45"), out.get(0).toString());
    // The smallest positive float is accepted: a zero gradient leaves the weight as it was.
    assertEquals(0.5, out.get(1).get("trajectory").get(1).get(0).asDouble());
    assertTrue(Double.isFinite(out.get(1).get("trajectory").get(2).get(0).asDouble()));
    // 1e30 squared overflows the accumulator: the step is refused and the row learns on.
    assertEquals("[0]", out.get(2).get("refused").toString());
    assertEquals(0.5, out.get(2).get("trajectory").get(0).get(0).asDouble());
    assertEquals((double) 0.4f, out.get(2).get("trajectory").get(1).get(0).asDouble());
    assertEquals("cases[3]: optimizer.beta must be > 0, but was 0.0",
        out.get(3).get("error").asText());
  }

  @Test
  void aTableStepsOnlyTheRowsOfEachStepAndCountsModelSteps() throws Exception {
    // SGD with momentum: a row's first step starts its buffer. Row 1 is absent from step 0, the
    // whole table skips step 1, and row 1's gradient at step 3 is refused.
    JsonNode out = replay("""
        {"cases":[{"optimizer":"SGD","hyperparameters":{"lr":1,"momentum":0.5},
          "initial":[[0, 0], [1, 1]],
          "gradients":[[[1, 1], null], null, [[1, 1], [1, 2]], [[0, 0], ["NaN", 1]]]}]}""")
        .get(0);
    assertEquals("[[[-1.0,-1.0],[1.0,1.0]],[[-1.0,-1.0],[1.0,1.0]],[[-2.5,-2.5],[0.0,-1.0]],"
        + "[[-3.25,-3.25],[0.0,-1.0]]]", out.get("trajectory").toString());
    assertEquals("[[3,1]]", out.get("refused").toString());
  }

  @Test
  void globalBiasCorrectionUsesTheTablesStepForARowFirstTouchedLate() throws Exception {
    // Row 1 first gets a gradient at model step 3. With its own step count its first Adam step
    // is lr * sign(g) = 0.1; with the table's, SparseAdam's
    // lr * sqrt(1 - 0.999^3) / (1 - 0.9^3) * (0.1 g) / (sqrt(0.001) |g|).
    String table = """
        {"cases":[{"optimizer":"Adam","hyperparameters":{"lr":0.1,"bias_correction":"%s"},
          "initial":[[0], [0]], "gradients":[[[1], null], [[1], null], [[1], [1]]]}]}""";
    double own = replay(table.formatted("row")).get(0).get("trajectory").get(2).get(1).get(0)
        .asDouble();
    double global = replay(table.formatted("global")).get(0).get("trajectory").get(2).get(1)
        .get(0).asDouble();
    assertEquals(-0.1, own, 1e-6);
    double expected = -0.1 * Math.sqrt(1 - Math.pow(0.999, 3)) / (1 - Math.pow(0.9, 3)) * 0.1
        / (Math.sqrt(0.001) + 1e-8);
    assertEquals(expected, global, 1e-6);
  }

  @Test
  void aTableStepMustHaveOneEntryPerRow() throws Exception {
    JsonNode out = replay("""
        {"cases":[{"optimizer":"SGD","initial":[[0], [1]], "gradients":[[[1]]]},
                  {"optimizer":"SGD","initial":[[0], [1, 2]], "gradients":[]}]}""");
    assertTrue(out.get(0).get("error").asText().contains(
        "\"gradients[0]\" must be null or an array of 2 entries"), out.toString());
    assertTrue(out.get(1).get("error").asText().contains(
        "\"initial[1]\" has 2 values, but \"initial\" has 1"), out.toString());
  }
}
