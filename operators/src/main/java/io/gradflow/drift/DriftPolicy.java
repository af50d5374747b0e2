package io.gradflow.drift;

import io.gradflow.config.Check;
import io.gradflow.config.ConfigException;
import java.io.Serializable;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How one model notices and adapts to a change of its stream (the {@code drift} section): a
 * detector watching the model's prequential loss or error, the actions taken at a detection, and
 * a continuous forgetting of optimizer slots. Immutable and serializable: a Flink operator carries
 * it and an audit record stores {@link #parameters()}.
 *
 * @param detector the detector, or null for none ({@code drift.detector: none}, or no section)
 * @param watch what the detector observes after every learned example
 * @param actions what a detection does, in declaration order of {@link DriftAction}
 * @param decay {@code drift.decay}: the keep factor of {@link DriftAction#DECAY_SLOTS}, in (0, 1)
 * @param boost {@code drift.boost}: the learning-rate factor right after a detection with
 *     {@link DriftAction#BOOST_LR}, >= 1
 * @param boostHalfLife {@code drift.boost_half_life}: learned examples over which the boost's
 *     excess halves: the rate factor is {@code 1 + (boost - 1) 2^(-k / half_life)} k examples
 *     after the detection, > 0
 * @param slotDecay {@code drift.slot_decay}: continuous forgetting, with or without a detector:
 *     before each update of a row its accumulated slots decay with this keep factor, in (0, 1];
 *     1 is off
 * @param direction {@code drift.direction}: which detected changes count: a rise of the watched
 *     loss or error only (the default), or a change either way (ADWIN also detects a loss that
 *     falls, as it does while a model learns)
 */
public record DriftPolicy(DriftDetectorSpec detector, Watch watch, Set<DriftAction> actions,
    double decay, double boost, long boostHalfLife, double slotDecay, Direction direction)
    implements Serializable {

  /** No detector, no action, no forgetting. */
  public static final DriftPolicy NONE = new DriftPolicy(null, Watch.LOSS,
      EnumSet.noneOf(DriftAction.class), 0.1, 3.0, 1000, 1.0, Direction.INCREASE);

  /** Which detected changes count as drift. */
  public enum Direction {
    /** A rise of the watched loss or error: the model got worse. */
    INCREASE,
    /** A change either way. */
    BOTH;

    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Counting only rises of the loss ({@link Direction#INCREASE}). */
  public DriftPolicy(DriftDetectorSpec detector, Watch watch, Set<DriftAction> actions,
      double decay, double boost, long boostHalfLife, double slotDecay) {
    this(detector, watch, actions, decay, boost, boostHalfLife, slotDecay, Direction.INCREASE);
  }

  /** Whether a detected change counts, given whether it raised the watched value. */
  public boolean counts(boolean increased) {
    return increased || direction == Direction.BOTH;
  }

  /** What a detector observes after each learned example. */
  public enum Watch {
    /**
     * The example's loss before learning: log loss (clipped as the metrics clip it) for the
     * logistic loss, the squared error for the squared loss.
     */
    LOSS,
    /** 1 if the prediction is on the wrong side of 0.5, else 0: models predicting probabilities. */
    ERROR;

    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public DriftPolicy {
    if (watch == null) {
      throw new ConfigException("drift.watch", "drift.watch must be set");
    }
    if (direction == null) {
      throw new ConfigException("drift.direction", "drift.direction must be set");
    }
    actions = actions.isEmpty() ? EnumSet.noneOf(DriftAction.class) : EnumSet.copyOf(actions);
    if (decay <= 0 || decay >= 1) {
      throw new ConfigException("drift.decay", "drift.decay must be in (0, 1), but was " + decay);
    }
    if (!(boost >= 1) || Double.isInfinite(boost)) {
      throw new ConfigException("drift.boost", "drift.boost must be >= 1, but was " + boost);
    }
    Check.positive("drift.boost_half_life", boostHalfLife);
    if (slotDecay <= 0 || slotDecay > 1) {
      throw new ConfigException("drift.slot_decay", "drift.slot_decay must be in (0, 1], but was "
          + slotDecay);
    }
    if (detector instanceof DdmSpec && watch != Watch.ERROR) {
      throw new ConfigException("drift.watch", "drift.watch must be error with drift.detector:"
          + " ddm (DDM models a 0/1 error rate), but was " + watch.configName());
    }
    if (detector == null && !actions.isEmpty()) {
      throw new ConfigException("drift.actions", "drift.actions needs a drift.detector (adwin,"
          + " page_hinkley or ddm); with detector none nothing triggers "
          + actions.stream().map(DriftAction::configName).collect(Collectors.joining(", ")));
    }
  }

  /** Actions are unmodifiable views. */
  @Override
  public Set<DriftAction> actions() {
    return java.util.Collections.unmodifiableSet(actions);
  }

  /** Whether a detector watches the model. */
  public boolean detects() {
    return detector != null;
  }

  public boolean has(DriftAction action) {
    return actions.contains(action);
  }

  /** The detector's configuration name, or {@code none}. */
  public String detectorName() {
    return detector == null ? "none" : detector.configName();
  }

  /** The actions as a {@link DriftEvent} names them: {@code restart_schedule+boost_lr}. */
  public String actionName() {
    return actions.isEmpty() ? "none"
        : actions.stream().map(DriftAction::configName).collect(Collectors.joining("+"));
  }

  /**
   * The learning-rate factor {@code k} learned examples after a boost started:
   * {@code 1 + (boost - 1) 2^(-k / half_life)}; 1 without {@link DriftAction#BOOST_LR}.
   */
  public double boostFactor(long k) {
    if (!has(DriftAction.BOOST_LR) || k < 0) {
      return 1;
    }
    return 1 + (boost - 1) * Math.pow(2, -(double) k / boostHalfLife);
  }

  /**
   * Every setting under its configuration name, in a stable order (the audit record's form):
   * detector, its parameters, watch, actions, decay, boost, boost_half_life, slot_decay.
   */
  public Map<String, Object> parameters() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("detector", detectorName());
    if (detector != null) {
      m.putAll(detector.parameters());
    }
    m.put("watch", watch.configName());
    m.put("direction", direction.configName());
    m.put("actions", List.copyOf(actions.stream().map(DriftAction::configName).toList()));
    m.put("decay", decay);
    m.put("boost", boost);
    m.put("boost_half_life", boostHalfLife);
    m.put("slot_decay", slotDecay);
    return m;
  }
}
