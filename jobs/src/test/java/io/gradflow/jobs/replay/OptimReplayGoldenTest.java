package io.gradflow.jobs.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every optimizer against golden trajectories computed by PyTorch's {@code torch.optim} (FTRL
 * against a float64 transcription of McMahan et al. 2013, Algorithm 1): see golden/generate.py.
 *
 * <p>The cases run through {@link OptimReplay}, the code path of {@code gradflow optim-replay}.
 * Tolerance: {@code |got - expected| <= 1e-6 + 1e-4 |expected|} at every step, the bar.
 * Both sides compute in float32, so they differ only by rounding order (PyTorch's vectorised
 * kernels fuse multiply-adds); a relative 1e-4 leaves two orders of magnitude of headroom over
 * the few-ulp differences that accumulate over 40 steps, while any formula error (a misplaced
 * epsilon, a wrong bias correction, a missed skipped step) shows up far above it.
 */
class OptimReplayGoldenTest {
  static final double ABSOLUTE = 1e-6;
  static final double RELATIVE = 1e-4;
  private static double maxRelativeSeen;
  private static final Set<String> OPTIMIZERS_SEEN = new HashSet<>();

  static JsonNode golden() throws IOException {
    return golden("optimizers.json");
  }

  /** A golden file of {@code golden/} (copied onto the test class path by the build). */
  static JsonNode golden(String file) throws IOException {
    try (InputStream in = OptimReplayGoldenTest.class.getResourceAsStream("/golden/" + file)) {
      assertTrue(in != null, "golden/" + file + " is on the test class path");
      return new ObjectMapper().readTree(in);
    }
  }

  @TestFactory
  Stream<DynamicTest> everyCaseMatchesItsReference() throws IOException {
    JsonNode cases = golden().get("cases");
    JsonNode replayed = OptimReplay.replay(golden()).get("cases");
    assertEquals(cases.size(), replayed.size());
    List<DynamicTest> tests = new ArrayList<>();
    for (int i = 0; i < cases.size(); i++) {
      JsonNode expected = cases.get(i);
      JsonNode got = replayed.get(i);
      tests.add(DynamicTest.dynamicTest(expected.get("label").asText(), () -> {
        OPTIMIZERS_SEEN.add(expected.get("optimizer").asText());
        compare(expected.get("expected"), got);
      }));
    }
    return tests.stream();
  }

  @Test
  void goldenFileCoversEveryOptimizerAndSkippedSteps() throws IOException {
    Set<String> names = new HashSet<>();
    boolean skipped = false;
    for (JsonNode c : golden().get("cases")) {
      names.add(c.get("optimizer").asText());
      for (JsonNode g : c.get("gradients")) {
        skipped |= g.isNull();
      }
    }
    assertEquals(Set.of("SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Ftrl"), names);
    assertTrue(skipped, "some rows skip steps");
  }

  static void compare(JsonNode expected, JsonNode got) {
    assertFalse(got.has("error"), () -> "case failed: " + got.get("error"));
    JsonNode trajectory = got.get("trajectory");
    assertEquals(expected.size(), trajectory.size(), "steps");
    for (int s = 0; s < expected.size(); s++) {
      JsonNode e = expected.get(s);
      JsonNode g = trajectory.get(s);
      assertEquals(e.size(), g.size(), "width at step " + s);
      for (int i = 0; i < e.size(); i++) {
        double want = e.get(i).asDouble();
        double have = g.get(i).asDouble();
        double error = Math.abs(have - want);
        maxRelativeSeen = Math.max(maxRelativeSeen, error / Math.max(Math.abs(want), 1e-3));
        if (error > ABSOLUTE + RELATIVE * Math.abs(want)) {
          fail("step " + s + ", weight " + i + ": expected " + want + " but got " + have
              + " (|error| " + error + ")");
        }
      }
    }
  }

  @AfterAll
  static void report() {
    System.out.printf("golden optimizers %s: largest relative error %.3g%n", OPTIMIZERS_SEEN,
        maxRelativeSeen);
  }
}
