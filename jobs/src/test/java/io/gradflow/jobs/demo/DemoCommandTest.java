package io.gradflow.jobs.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.produce.ClickThroughGenerator;
import io.gradflow.jobs.produce.DriftSpec;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The demo's drift: where the concept changes, and the job file with and without it. */
class DemoCommandTest {
  @Test
  void withoutDriftTheJobFileIsAsBefore() {
    String before = String.join("\n",
        "job: {name: gradflow-demo, parallelism: 1}",
        "kafka:",
        "  bootstrap_servers: h:1",
        "  group_id: gradflow-demo",
        "  starting_offsets: earliest",
        "  bounded: latest",
        "model: {type: logistic_regression, hash_bits: 22}",
        "optimizer: {name: Adagrad, lr: 0.1}",
        "metrics: {every: 5000, window: 5000}",
        "checkpoints: {interval: 2s}",
        "");
    assertEquals(before, DemoCommand.yaml("h:1", false, "adagrad", DriftSpec.NONE));
    assertEquals(DriftSpec.NONE, DemoCommand.driftOf("none", 1000));
  }

  @Test
  void aDriftAddsADriftSectionTheJobAccepts() throws Exception {
    String[][] actions = {{"adagrad", "reset_slots"}, {"adam", "decay_slots"},
        {"ftrl", "reset_slots"}, {"sgd", "boost_lr"}};
    for (String[] a : actions) {
      String yaml = DemoCommand.yaml("h:1", false, a[0], DemoCommand.driftOf("abrupt", 1000));
      assertTrue(yaml.endsWith("\ndrift: {detector: adwin, watch: loss, actions: [" + a[1]
          + "]}\n"), yaml);
      TrainConfig.fromYaml(yaml); // valid
    }
  }

  @Test
  void theConceptChangesHalfWay() {
    long n = 1000;
    DriftSpec abrupt = DemoCommand.driftOf("abrupt", n);
    SplittableRandom r = new SplittableRandom(1);
    assertEquals(0, abrupt.concept(499, r));
    assertEquals(1, abrupt.concept(500, r));
    assertEquals(500, DemoCommand.firstChange(abrupt));
    DriftSpec gradual = DemoCommand.driftOf("gradual", n);
    assertEquals(0, gradual.concept(499, r));
    assertEquals(1, gradual.concept(600, r));
    DriftSpec recurring = DemoCommand.driftOf("recurring", n);
    assertEquals(250, DemoCommand.firstChange(recurring));
    int[] concepts = {0, 1, 0, 1};
    for (int q = 0; q < 4; q++) {
      assertEquals(concepts[q], recurring.concept(q * 250L, r));
      assertEquals(concepts[q], recurring.concept(q * 250L + 249, r));
    }
    // Live, the change comes after LIVE_DRIFT_AT examples.
    assertEquals(DemoCommand.LIVE_DRIFT_AT, DemoCommand.firstChange(DemoCommand.driftOf(
        "abrupt", 0)));
    // The generator follows the concept: after the change, its truth is concept 1's.
    ClickThroughGenerator g = new ClickThroughGenerator(
        ClickThroughGenerator.Spec.defaults(42).withDrift(abrupt));
    for (int i = 0; i < n; i++) {
      assertEquals(i < 500 ? 0 : 1, g.next().concept());
    }
    assertFalse(DemoCommand.driftText(abrupt).isEmpty());
  }
}
