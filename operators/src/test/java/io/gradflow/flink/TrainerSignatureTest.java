package io.gradflow.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.learn.IncompatibleModelException;
import io.gradflow.learn.LearnerSpec;
import io.gradflow.learn.SyntheticClicks;
import io.gradflow.metrics.MetricsSpec;
import io.gradflow.model.CompactExample;
import io.gradflow.model.FactorizationMachineSpec;
import io.gradflow.model.LinearSpec;
import io.gradflow.model.Loss;
import io.gradflow.optim.AdamSpec;
import io.gradflow.optim.BiasCorrection;
import io.gradflow.optim.FtrlSpec;
import io.gradflow.optim.GradientSpec;
import io.gradflow.optim.RmsPropSpec;
import io.gradflow.optim.SgdSpec;
import io.gradflow.schedule.ScheduleClock;
import io.gradflow.schedule.ScheduleSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The trainer's model signature ({@code "signature.v1"}) in the operator test harness: a snapshot
 * restored into another model is refused, once and for good ({@link SuppressRestartsException}),
 * with a message naming the part and both values; a restore with only safe changes continues.
 */
class TrainerSignatureTest {
  static final LearnerSpec ADAM = learner(new LinearSpec(), Loss.LOGISTIC, AdamSpec.of(0.01));
  static final LearnerSpec FM = learner(FactorizationMachineSpec.of(4), Loss.LOGISTIC,
      AdamSpec.of(0.01));

  /** A trainer's configuration: its learners, model.hash_bits and state.page_bits. */
  record Setup(Map<String, LearnerSpec> candidates, int hashBits, int pageBits) {
    static Setup of(LearnerSpec spec) {
      return new Setup(Map.of("", spec), 20, 6);
    }

    static Setup race(Object... nameAndSpec) {
      Map<String, LearnerSpec> c = new LinkedHashMap<>();
      for (int i = 0; i < nameAndSpec.length; i += 2) {
        c.put((String) nameAndSpec[i], (LearnerSpec) nameAndSpec[i + 1]);
      }
      return new Setup(c, 20, 6);
    }

    Setup hashBits(int bits) {
      return new Setup(candidates, bits, pageBits);
    }

    Setup pageBits(int bits) {
      return new Setup(candidates, hashBits, bits);
    }

    KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored> harness()
        throws Exception {
      TrainerOperator operator = new TrainerOperator(candidates,
          new TrainerSettings(3, pageBits, 1000, 0, MetricsSpec.DEFAULT), hashBits);
      return new KeyedOneInputStreamOperatorTestHarness<>(operator, e -> e.modelKey,
          Types.STRING);
    }

    /** The model keys this setup trains: the candidates' keys in a race. */
    String[] keys() {
      return candidates.containsKey("") && candidates.size() == 1 ? new String[] {"a", "b"}
          : candidates.keySet().stream().map(c -> TrainerOperator.candidateKey("m", c))
              .toArray(String[]::new);
    }
  }

  static LearnerSpec learner(io.gradflow.model.ModelSpec model, Loss loss,
      io.gradflow.optim.OptimizerSpec optimizer) {
    return new LearnerSpec(model, loss, optimizer, GradientSpec.NONE, new ScheduleSpec.Constant(),
        ScheduleClock.MODEL_STEP, false);
  }

  static OperatorSubtaskState trainAndSnapshot(Setup setup) throws Exception {
    try (var h = setup.harness()) {
      h.open();
      for (CompactExample e : SyntheticClicks.generate(5, 500, 6, 1_000, setup.keys())) {
        h.processElement(e, e.eventTime);
      }
      h.prepareSnapshotPreBarrier(1);
      return h.snapshot(1, 1);
    }
  }

  /** Restores into {@code setup} and learns a few examples; returns what was scored. */
  static int restoreAndLearn(OperatorSubtaskState snapshot, Setup setup) throws Exception {
    try (var h = setup.harness()) {
      h.initializeState(snapshot);
      h.open();
      List<CompactExample> more = SyntheticClicks.generate(6, 200, 6, 1_000, setup.keys());
      for (CompactExample e : more) {
        h.processElement(e, e.eventTime);
      }
      return h.extractOutputValues().size();
    }
  }

  static Stream<Arguments> refusals() {
    LearnerSpec sgd = learner(new LinearSpec(), Loss.LOGISTIC, new SgdSpec(0.1, 0, 0, false, 0));
    LearnerSpec rms = learner(new LinearSpec(), Loss.LOGISTIC, RmsPropSpec.of(0.01));
    return Stream.of(
        Arguments.of("hash bits", Setup.of(ADAM), Setup.of(ADAM).hashBits(22),
            "the savepoint's model has model.hash_bits 20, the configuration says 22: "),
        Arguments.of("optimizer", Setup.of(ADAM),
            Setup.of(learner(new LinearSpec(), Loss.LOGISTIC, FtrlSpec.of(0.1))),
            "the savepoint's model has optimizer.name Adam, the configuration says Ftrl: "),
        Arguments.of("model type", Setup.of(ADAM), Setup.of(FM.withOptimizer(ADAM.optimizer())),
            "the savepoint's model has model.type linear (logistic_regression or"
                + " linear_regression), the configuration says factorization_machine; row"
                + " layout 1 weight, 2 slots per weight, 5 floats per row, the configuration"
                + " says 5 weights, 2 slots per weight, 17 floats per row: "),
        Arguments.of("factors", Setup.of(FM),
            Setup.of(learner(FactorizationMachineSpec.of(8), Loss.LOGISTIC, AdamSpec.of(0.01))),
            "the savepoint's model has model.factors 4, the configuration says 8; row layout"
                + " 5 weights, 2 slots per weight, 17 floats per row, the configuration says"
                + " 9 weights, 2 slots per weight, 29 floats per row: "),
        Arguments.of("loss", Setup.of(ADAM),
            Setup.of(learner(new LinearSpec(), Loss.SQUARED, AdamSpec.of(0.01))),
            "the savepoint's model has model.loss logistic, the configuration says squared: "),
        Arguments.of("standardize", Setup.of(ADAM), Setup.of(new LearnerSpec(new LinearSpec(),
                Loss.LOGISTIC, AdamSpec.of(0.01), GradientSpec.NONE, new ScheduleSpec.Constant(),
                ScheduleClock.MODEL_STEP, true)),
            "the savepoint's model has model.standardize false, the configuration says true: "),
        Arguments.of("page bits", Setup.of(ADAM), Setup.of(ADAM).pageBits(8),
            "the savepoint's model has state.page_bits 6, the configuration says 8: "),
        Arguments.of("amsgrad", Setup.of(ADAM), Setup.of(learner(new LinearSpec(), Loss.LOGISTIC,
                new AdamSpec(0.01, 0.9, 0.999, 1e-8, 0, true))),
            "the savepoint's model has optimizer.amsgrad false, the configuration says true;"
                + " row layout 1 weight, 2 slots per weight, 5 floats per row, the"
                + " configuration says 1 weight, 3 slots per weight, 6 floats per row: "),
        Arguments.of("momentum", Setup.of(sgd), Setup.of(learner(new LinearSpec(), Loss.LOGISTIC,
                new SgdSpec(0.1, 0.9, 0, false, 0))),
            "the savepoint's model has optimizer.momentum 0 (no momentum buffer), the"
                + " configuration says non-zero (a momentum buffer per weight); "),
        Arguments.of("centered", Setup.of(rms), Setup.of(learner(new LinearSpec(), Loss.LOGISTIC,
                new RmsPropSpec(0.01, 0.99, 1e-8, 0, 0, true))),
            "the savepoint's model has optimizer.centered false, the configuration says true; "),
        Arguments.of("race candidates", Setup.race("x", ADAM, "y", ADAM),
            Setup.race("x", ADAM, "z", ADAM),
            "the savepoint's model has race candidates [x, y], the configuration says"
                + " candidates [x, z]: "),
        Arguments.of("race optimizer", Setup.race("x", ADAM, "y", ADAM),
            Setup.race("x", ADAM, "y", learner(new LinearSpec(), Loss.LOGISTIC, FtrlSpec.of(0.1))),
            "the savepoint's model has race[y].optimizer.name Adam, the configuration says Ftrl"),
        Arguments.of("a race from one model", Setup.of(ADAM), Setup.race("x", ADAM, "y", ADAM),
            "the savepoint's model has race none, the configuration says candidates [x, y]; "));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusals")
  void aRestoreIntoAnotherModelIsRefusedOnceNamingThePartAndBothValues(String part, Setup saved,
      Setup configured, String message) throws Exception {
    OperatorSubtaskState snapshot = trainAndSnapshot(saved);
    Exception e = assertThrows(Exception.class, () -> restoreAndLearn(snapshot, configured));
    SuppressRestartsException suppress = findCause(e, SuppressRestartsException.class);
    assertTrue(suppress != null, () -> "not marked unrecoverable: " + e);
    IncompatibleModelException refused =
        assertInstanceOf(IncompatibleModelException.class, suppress.getCause());
    assertTrue(refused.getMessage().contains(message), refused.getMessage());
    assertEquals(refused.getMessage(), IncompatibleModelException.messageIn(e).orElseThrow());
    assertEquals(0, refused.getStackTrace().length, "a user's mistake, not a bug: no trace");
  }

  @Test
  void safeChangesRestore() throws Exception {
    LearnerSpec saved = new LearnerSpec(FactorizationMachineSpec.of(4), Loss.LOGISTIC,
        new SgdSpec(0.05, 0.9, 0, false, 0), GradientSpec.NONE, new ScheduleSpec.Constant(),
        ScheduleClock.MODEL_STEP, true, 5.0);
    // Learning rate, momentum (still non-zero), dampening, Nesterov, weight decay, schedule and
    // its clock, clipping, maximize, the standardizer's clip, the FM's init_std and seed.
    LearnerSpec changed = new LearnerSpec(new FactorizationMachineSpec(4, 0.01, 7),
        Loss.LOGISTIC, new SgdSpec(0.2, 0.5, 0, true, 0.001), new GradientSpec(1, 5, false),
        new ScheduleSpec.CosineWarmRestarts(100, 2, 0.0), ScheduleClock.EVENT_TIME, true, 3.0);
    OperatorSubtaskState snapshot = trainAndSnapshot(Setup.of(saved));
    assertEquals(200, restoreAndLearn(snapshot, Setup.of(changed)));

    LearnerSpec adam = learner(new LinearSpec(), Loss.LOGISTIC, AdamSpec.of(0.01));
    LearnerSpec adamTuned = learner(new LinearSpec(), Loss.LOGISTIC,
        new AdamSpec(0.1, 0.8, 0.99, 1e-6, 0.01, false, BiasCorrection.GLOBAL));
    snapshot = trainAndSnapshot(Setup.of(adam));
    assertEquals(200, restoreAndLearn(snapshot, Setup.of(adamTuned)));
  }

  @Test
  void aRestoredOperatorKeepsItsSignatureForTheNextRestore() throws Exception {
    Setup setup = Setup.of(ADAM);
    OperatorSubtaskState first = trainAndSnapshot(setup);
    OperatorSubtaskState second;
    try (var h = setup.harness()) {
      h.initializeState(first);
      h.open();
      second = h.snapshot(2, 2);
    }
    Exception e = assertThrows(Exception.class,
        () -> restoreAndLearn(second, setup.hashBits(24)));
    assertTrue(IncompatibleModelException.messageIn(e).orElseThrow()
        .startsWith("the savepoint's model has model.hash_bits 20, the configuration says 24: "));
    assertFalse(IncompatibleModelException.messageIn(new RuntimeException("other")).isPresent());
  }

  private static <T extends Throwable> T findCause(Throwable t, Class<T> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c)) {
        return type.cast(c);
      }
    }
    return null;
  }
}
