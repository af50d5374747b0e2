package io.gradflow.learn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.model.LinearSpec;
import io.gradflow.model.Loss;
import io.gradflow.optim.AdaGradSpec;
import io.gradflow.optim.GradientSpec;
import io.gradflow.schedule.ScheduleClock;
import io.gradflow.schedule.ScheduleSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The model signature in plain Java: its parts, and what a stored one is refused for. */
class ModelSignatureTest {
  static final LearnerSpec ADAGRAD = new LearnerSpec(new LinearSpec(), Loss.LOGISTIC,
      AdaGradSpec.of(0.1), GradientSpec.NONE, new ScheduleSpec.Constant(),
      ScheduleClock.MODEL_STEP, false);

  static ModelSignature signature(int pageFormat, List<String> states) {
    return ModelSignature.of(Map.of("", ADAGRAD), 22, 12, pageFormat, states);
  }

  @Test
  void describesEveryPart() {
    assertEquals("model.type linear (logistic_regression or linear_regression); model.loss"
        + " logistic; model.standardize false; model.hash_bits 22; feature hashing murmur3 v1;"
        + " state.page_bits 12; page format version 1; direct keys hashed form below 64 rows;"
        + " small models one page below 256 rows; race none; optimizer.name Adagrad; row layout"
        + " 1 weight, 1 slot per weight, 4 floats per row; state versions pages.v1, model.v1",
        signature(1, List.of("pages.v1", "model.v1")).describe());
  }

  /** Savepoints written before the row layout counted its slots in words still restore. */
  @Test
  void aRowLayoutStoredAsSlotsInParenthesesRestores() {
    ModelSignature s = signature(1, List.of("pages.v1"));
    java.util.Map<String, String> old = new java.util.LinkedHashMap<>(s.parts());
    old.put("row layout", "1 weight, 1 slot(s) per weight, 4 floats per row");
    assertNull(s.refusal(new ModelSignature(old)));
    old.put("row layout", "1 weight, 2 slot(s) per weight, 5 floats per row");
    assertEquals("the savepoint's model has row layout 1 weight, 2 slots per weight, 5 floats per"
        + " row, the configuration says 1 weight, 1 slot per weight, 4 floats per row",
        s.refusal(new ModelSignature(old)).split(": its rows")[0]);
    assertEquals("5 weights, 12 slots per weight", ModelSignature.reworded(
        "5 weights, 12 slot(s) per weight"));
  }

  @Test
  void theSameSignatureRestores() {
    ModelSignature s = signature(1, List.of("pages.v1"));
    assertNull(s.refusal(new ModelSignature(s.parts())));
    assertNull(s.refusal(ModelSignature.of(Map.of("", ADAGRAD.withOptimizer(AdaGradSpec.of(0.5))),
        22, 12, 1, List.of("pages.v1"))), "a new learning rate is safe");
  }

  @Test
  void anotherPageFormatOrStateVersionIsRefused() {
    String refusal = signature(3, List.of("pages.v2")).refusal(signature(2, List.of("pages.v1")));
    assertTrue(refusal.startsWith("the savepoint's model has page format version 2, the"
        + " configuration says version 3; state versions pages.v1, the configuration says"
        + " pages.v2: "), refusal);
  }

  @Test
  void pageFormatOneMigratesToTwoAndBack() {
    assertNull(signature(2, List.of("pages.v1")).refusal(signature(1, List.of("pages.v1"))));
    assertNull(signature(1, List.of("pages.v1")).refusal(signature(2, List.of("pages.v1"))));
  }

  @Test
  void theOrderOfARacesEntriesDoesNotMatter() {
    Map<String, LearnerSpec> xy = new java.util.LinkedHashMap<>();
    xy.put("x", ADAGRAD);
    xy.put("y", ADAGRAD);
    Map<String, LearnerSpec> yx = new java.util.LinkedHashMap<>();
    yx.put("y", ADAGRAD);
    yx.put("x", ADAGRAD);
    assertNull(ModelSignature.of(yx, 22, 12, 1, List.of("pages.v1"))
        .refusal(ModelSignature.of(xy, 22, 12, 1, List.of("pages.v1"))));
  }

  @Test
  void aPartAnEarlierReleaseDidNotRecordIsNotJudged() {
    ModelSignature now = signature(1, List.of("pages.v1"));
    Map<String, String> earlier = new java.util.LinkedHashMap<>(now.parts());
    earlier.remove("feature hashing");
    assertNull(now.refusal(new ModelSignature(earlier)));
    earlier.put("model.hash_bits", "20");
    assertTrue(now.refusal(new ModelSignature(earlier)).startsWith(
        "the savepoint's model has model.hash_bits 20, the configuration says 22: "));
  }

  /** A race of a linear and an mlp candidate ({@code race[i].model}). */
  static Map<String, LearnerSpec> mixed(String... order) {
    Map<String, LearnerSpec> race = new java.util.LinkedHashMap<>();
    for (String name : order) {
      race.put(name, name.equals("linear") ? ADAGRAD : new LearnerSpec(
          io.gradflow.model.DeepModelSpec.mlp(8, List.of(16),
              io.gradflow.model.DeepModelSpec.Activation.RELU), Loss.LOGISTIC,
          AdaGradSpec.of(0.1), GradientSpec.NONE, new ScheduleSpec.Constant(),
          ScheduleClock.MODEL_STEP, false));
    }
    return race;
  }

  @Test
  void aCandidateWithItsOwnModelRecordsIt() {
    ModelSignature s = ModelSignature.of(mixed("linear", "deep"), 22, 12, 1, List.of("p.v1"));
    // The shared model is the candidate first by name's: deep.
    assertEquals("mlp", s.parts().get("model.type"));
    assertEquals("[16]", s.parts().get("model.hidden"));
    assertEquals("linear (logistic_regression or linear_regression)",
        s.parts().get("race[linear].model.type"));
    assertEquals(null, s.parts().get("race[linear].model.hidden"));
    assertEquals(null, s.parts().get("race[deep].model.type"));
    assertNull(s.refusal(ModelSignature.of(mixed("deep", "linear"), 22, 12, 1, List.of("p.v1"))),
        "the order of the entries does not matter");
  }

  @Test
  void aCandidatesModelThatChangedIsRefused() {
    Map<String, LearnerSpec> linear = new java.util.LinkedHashMap<>();
    linear.put("linear", ADAGRAD);
    linear.put("deep", ADAGRAD);
    ModelSignature mixed = ModelSignature.of(mixed("linear", "deep"), 22, 12, 1, List.of("p"));
    // The row layouts are the same (a bias row of 1 weight): only the model parts tell.
    String refusal = mixed.refusal(ModelSignature.of(linear, 22, 12, 1, List.of("p")));
    assertTrue(refusal.startsWith("the savepoint's model has model.type linear"
        + " (logistic_regression or linear_regression), the configuration says mlp:"), refusal);
    refusal = ModelSignature.of(linear, 22, 12, 1, List.of("p")).refusal(mixed);
    assertTrue(refusal.startsWith("the savepoint's model has model.type mlp, the configuration"
        + " says linear (logistic_regression or linear_regression); model.inputs 8, the"
        + " configuration says (none);"), refusal);
    Map<String, LearnerSpec> wider = mixed("linear", "deep");
    wider.put("linear", wider.get("deep"));
    wider.put("deep", ADAGRAD);
    refusal = ModelSignature.of(wider, 22, 12, 1, List.of("p")).refusal(mixed);
    // Swapped models: the shared one (deep's, first by name) and linear's own.
    assertTrue(refusal.startsWith("the savepoint's model has model.type mlp, the configuration"
        + " says linear"), refusal);
    assertTrue(refusal.contains("race[linear].model.type linear (logistic_regression or"
        + " linear_regression), the configuration says mlp"), refusal);
    // A batch size of its own is no other model.
    Map<String, LearnerSpec> batched = mixed("linear", "deep");
    batched.put("deep", new LearnerSpec(((io.gradflow.model.DeepModelSpec) batched.get("deep")
        .model()).withBatchSize(32), Loss.LOGISTIC, AdaGradSpec.of(0.1), GradientSpec.NONE,
        new ScheduleSpec.Constant(), ScheduleClock.MODEL_STEP, false));
    assertNull(ModelSignature.of(batched, 22, 12, 1, List.of("p")).refusal(mixed));
  }
}
