package io.gradflow.jobs.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
}
