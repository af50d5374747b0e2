package io.gradflow.jobs.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.config.TrainSettings;
import io.gradflow.jobs.cli.Main;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.kafka.ExampleDecoder;
import io.gradflow.jobs.produce.SyntheticExample;
import io.gradflow.jobs.produce.SyntheticGenerator;
import io.gradflow.model.CompactExample;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import io.gradflow.jobs.produce.ClickThroughGenerator;
import io.gradflow.jobs.produce.DriftSpec;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The demo's drift: where the concept changes, and the job file with and without it; its
 * {@code --model}: every model type, each with a job file the job accepts and a stream the job
 * decodes for it; a bad value refused with the flag's name.
 */
class DemoCommandTest {
  /**
   * Every model type gives a valid job file of that type, and the demo's stream for it decodes
   * under that job (the deep models' dense width matches their model.inputs; linear regression
   * gets real-valued labels, the others 0/1).
   */
  @Test
  void everyModelTypeHasAJobFileAndAStreamTheJobDecodes() throws Exception {
    assertEquals(List.of("logistic_regression", "linear_regression", "factorization_machine",
        "mlp", "wide_and_deep"), TrainSettings.MODEL_TYPES);
    for (String model : TrainSettings.MODEL_TYPES) {
      for (DriftSpec drift : List.of(DriftSpec.NONE, DemoCommand.driftOf("abrupt", 1000))) {
        String yaml = DemoCommand.yaml("h:1", false, "adam", model, drift);
        assertTrue(yaml.contains("model: {type: " + model + ","), yaml);
        TrainConfig config = TrainConfig.fromYaml(yaml);
        ExampleDecoder decoder = config.decoder();
        SyntheticGenerator generator = DemoCommand.generator(model, 42, drift);
        boolean deep = model.equals("mlp") || model.equals("wide_and_deep");
        assertEquals(deep ? 8 : -1, config.input().denseValues(), model);
        int fractional = 0;
        for (SyntheticExample s : generator.stream(300).toList()) {
          CompactExample c = decoder.toCompact(s.example()); // throws if the job refuses it
          assertEquals(deep || model.equals("linear_regression") ? 8 : 0, c.dense.length, model);
          fractional += c.label != 0 && c.label != 1 ? 1 : 0;
        }
        assertEquals(model.equals("linear_regression"), fractional > 0, model);
      }
    }
  }

  @Test
  void anUnknownModelIsAUsageErrorNamingTheFlag() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = Main.run(new String[] {"demo", "--model", "xgboost"},
        new ByteArrayInputStream(new byte[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    String e = err.toString(StandardCharsets.UTF_8);
    assertTrue(exit != 0, "exit " + exit);
    assertTrue(e.contains("--model must be one of logistic_regression, linear_regression,"
        + " factorization_machine, mlp, wide_and_deep, but was xgboost"), e);
    assertFalse(e.contains("Exception") || e.contains("\tat "), e);
    assertFalse(out.toString(StandardCharsets.UTF_8).contains("starting"), "nothing started");
  }

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
    assertEquals(before, DemoCommand.yaml("h:1", false, "adagrad", "logistic_regression",
        DriftSpec.NONE));
    assertEquals(DriftSpec.NONE, DemoCommand.driftOf("none", 1000));
  }

  @Test
  void aDriftAddsADriftSectionTheJobAccepts() throws Exception {
    String[][] actions = {{"adagrad", "reset_slots"}, {"adam", "decay_slots"},
        {"ftrl", "reset_slots"}, {"sgd", "boost_lr"}};
    for (String[] a : actions) {
      String yaml = DemoCommand.yaml("h:1", false, a[0], "logistic_regression",
          DemoCommand.driftOf("abrupt", 1000));
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

  /** A window of one class has no AUC: the demo's lines say so, as train's do, not "NaN". */
  @Test
  void anAucOfOneClassReadsUndefined() {
    DemoCommand.Summary summary = new DemoCommand.Summary(DemoCommand.driftOf("none", 0));
    summary.add(io.gradflow.schema.MetricsReport.newBuilder().setModelKey("default")
        .setWindowStart(java.time.Instant.EPOCH).setWindowEnd(java.time.Instant.EPOCH)
        .setCount(100).setLogLoss(0.3).setAuc(null)
        .setMeanLabel(0.0).setCalibration(null).setModelStep(100).setDriftEvents(new java.util.ArrayList<>()).build());
    String progress = summary.progress(1);
    assertTrue(progress.endsWith("| AUC undefined (one class)"), progress);
    String described = summary.describe();
    assertTrue(described.contains("AUC undefined (one class), calibration"), described);
    assertTrue(described.contains("calibration undefined (no positive label)"), described);
    assertFalse(described.contains("NaN") || described.contains("Infinity"), described);
  }
}
