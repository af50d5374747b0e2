package io.gradflow.learn;

import io.gradflow.config.Check;
import io.gradflow.config.TrainSettings;
import io.gradflow.drift.DriftPolicy;
import io.gradflow.model.Loss;
import io.gradflow.model.ModelSpec;
import io.gradflow.model.OnlineStandardizer;
import io.gradflow.optim.GradientSpec;
import io.gradflow.optim.OptimizerSpec;
import io.gradflow.schedule.ScheduleClock;
import io.gradflow.schedule.ScheduleSpec;
import java.io.Serializable;
import java.util.Objects;

/**
 * Everything that decides how one model learns: the model, its loss, the optimizer, what is done
 * to gradients, and the learning-rate schedule with its clock. Immutable and serializable, so a
 * Flink operator carries it and an exported model records it.
 *
 * @param standardize standardize dense features online (running mean and variance) before use
 * @param standardizeClip clamp standardized values to [-clip, clip]; 0 disables
 *     ({@code model.standardize_clip})
 * @param drift how the model detects and adapts to drift ({@code drift}); {@link DriftPolicy#NONE}
 *     without a section
 */
public record LearnerSpec(ModelSpec model, Loss loss, OptimizerSpec optimizer,
    GradientSpec gradient, ScheduleSpec schedule, ScheduleClock clock, boolean standardize,
    double standardizeClip, DriftPolicy drift) implements Serializable {

  public LearnerSpec {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(loss, "loss");
    Objects.requireNonNull(optimizer, "optimizer");
    Objects.requireNonNull(gradient, "gradient");
    Objects.requireNonNull(schedule, "schedule");
    Objects.requireNonNull(clock, "clock");
    Check.nonNegative("model.standardize_clip", standardizeClip);
    Objects.requireNonNull(drift, "drift");
  }

  /** Without drift handling ({@link DriftPolicy#NONE}). */
  public LearnerSpec(ModelSpec model, Loss loss, OptimizerSpec optimizer, GradientSpec gradient,
      ScheduleSpec schedule, ScheduleClock clock, boolean standardize, double standardizeClip) {
    this(model, loss, optimizer, gradient, schedule, clock, standardize, standardizeClip,
        DriftPolicy.NONE);
  }

  /** With the declared default clip of {@code model.standardize_clip}. */
  public LearnerSpec(ModelSpec model, Loss loss, OptimizerSpec optimizer, GradientSpec gradient,
      ScheduleSpec schedule, ScheduleClock clock, boolean standardize) {
    this(model, loss, optimizer, gradient, schedule, clock, standardize,
        TrainSettings.MODEL_STANDARDIZE_CLIP.defaultValue());
  }

  /** The standardizer of dense features this learner uses when {@link #standardize()}. */
  public OnlineStandardizer standardizer() {
    return new OnlineStandardizer(standardizeClip);
  }

  /** The same learner with another optimizer: one candidate of a hyper-parameter race. */
  public LearnerSpec withOptimizer(OptimizerSpec other) {
    return new LearnerSpec(model, loss, other, gradient, schedule, clock, standardize,
        standardizeClip, drift);
  }

  /** The same learner with another drift policy. */
  public LearnerSpec withDrift(DriftPolicy other) {
    return new LearnerSpec(model, loss, optimizer, gradient, schedule, clock, standardize,
        standardizeClip, other);
  }
}
