package io.gradflow.learn;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.model.DeepModelSpec;
import io.gradflow.model.DeepModelSpec.Activation;
import io.gradflow.model.DeepModelSpec.Pooling;
import io.gradflow.model.LinearSpec;
import io.gradflow.model.Loss;
import io.gradflow.model.ModelSpec;
import io.gradflow.optim.AdamSpec;
import io.gradflow.optim.GradientSpec;
import io.gradflow.schedule.ScheduleClock;
import io.gradflow.schedule.ScheduleSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A deep model's savepoint restores only into the same model: the type, the dense inputs, the
 * hidden layers, the activation, and wide_and_deep's factors and pooling are judged; batch_size,
 * seed and the learning rate may change.
 */
class DeepModelSignatureTest {
  private static final DeepModelSpec WIDE =
      new DeepModelSpec(true, List.of(8, 4), Activation.RELU, 3, 4, 0.1, Pooling.SUM, 1, 7);

  private static ModelSignature of(ModelSpec model, double lr) {
    return ModelSignature.of(Map.of("", new LearnerSpec(model, Loss.LOGISTIC, AdamSpec.of(lr),
        GradientSpec.NONE, new ScheduleSpec.Constant(), ScheduleClock.MODEL_STEP, true)), 22, 12,
        2, List.of("pages.v1"));
  }

  @Test
  void onlyTheSameDeepModelRestores() {
    ModelSignature stored = of(WIDE, 0.01);
    assertNull(of(WIDE.withBatchSize(32).withSeed(9), 0.5).refusal(stored));
    for (ModelSpec other : List.of(new LinearSpec(),
        new DeepModelSpec(false, List.of(8, 4), Activation.RELU, 3, 0, 0.1, Pooling.SUM, 1, 7),
        new DeepModelSpec(true, List.of(8, 5), Activation.RELU, 3, 4, 0.1, Pooling.SUM, 1, 7),
        new DeepModelSpec(true, List.of(8, 4), Activation.TANH, 3, 4, 0.1, Pooling.SUM, 1, 7),
        new DeepModelSpec(true, List.of(8, 4), Activation.RELU, 2, 4, 0.1, Pooling.SUM, 1, 7),
        new DeepModelSpec(true, List.of(8, 4), Activation.RELU, 3, 3, 0.1, Pooling.SUM, 1, 7),
        new DeepModelSpec(true, List.of(8, 4), Activation.RELU, 3, 4, 0.1, Pooling.MEAN, 1, 7))) {
      String refusal = of(other, 0.01).refusal(stored);
      assertNotNull(refusal, other.toString());
      assertTrue(refusal.startsWith("the savepoint's model has model."), refusal);
      assertNotNull(stored.refusal(of(other, 0.01)), "and the other way round: " + other);
    }
  }
}
