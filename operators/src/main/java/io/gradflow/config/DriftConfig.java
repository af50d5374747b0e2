package io.gradflow.config;

import static io.gradflow.config.Constraint.atLeast;
import static io.gradflow.config.Constraint.greaterThan;
import static io.gradflow.config.Constraint.inRangeExclusiveLow;
import static io.gradflow.config.Constraint.range;

import io.gradflow.drift.AdwinSpec;
import io.gradflow.drift.DdmSpec;
import io.gradflow.drift.DriftAction;
import io.gradflow.drift.DriftDetectorSpec;
import io.gradflow.drift.DriftPolicy;
import io.gradflow.drift.PageHinkleySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The declarations of the {@code drift} section, one {@link Section} for the policy (detector,
 * what it watches, the actions) and one per detector for its parameters, and the one reader from a
 * job file's {@code drift} map to a {@link DriftPolicy}.
 *
 * <pre>{@code
 * drift: {detector: adwin, delta: 0.002, actions: [restart_schedule, boost_lr]}
 * drift: {detector: page_hinkley, threshold: 20, actions: [reset_slots]}
 * drift: {detector: none, slot_decay: 0.9999}      # forgetting without detection
 * }</pre>
 *
 * No section is {@link DriftPolicy#NONE}. Detector parameters keep the names and defaults of the
 * detectors' references (MOA's and River's), so each detector's {@code delta} has its own default.
 * Stateless.
 */
public final class DriftConfig {
  /** The detectors accepted. */
  public static final List<String> DETECTORS = List.of("none", "adwin", "page_hinkley", "ddm");

  private static final SettingType<Double> NUMBER = SettingType.number();
  private static final SettingType<Integer> INT = SettingType.integer();

  public static final Setting<String> DETECTOR = Setting.of("detector",
      SettingType.choice(DETECTORS, Map.of("ph", "page_hinkley")), "none", null,
      "the change detector watching the model; none keeps only slot_decay");
  public static final Setting<String> WATCH = Setting.of("watch",
      SettingType.choice("loss", "error"), "loss", null,
      "what the detector observes after each learned example: loss (the example's log loss or"
          + " squared error, before learning) or error (0/1, wrong side of 0.5; ddm needs it)");
  public static final Setting<String> DIRECTION = Setting.of("direction",
      SettingType.choice("increase", "both"), "increase", null,
      "which detected changes count: increase (the loss or error rose) or both (ADWIN also"
          + " detects a loss that falls, as while a model learns)");
  public static final Setting<List<String>> ACTIONS = Setting.of("actions",
      SettingType.choices(Arrays.stream(DriftAction.values()).map(DriftAction::configName)
          .toList()), List.of(), null,
      "what a detection does: restart_schedule (a warm restart of the schedule),"
          + " reset_slots, decay_slots (every row's optimizer slots), boost_lr");
  public static final Setting<Double> DECAY = Setting.of("decay", NUMBER,
      DriftPolicy.NONE.decay(), range(0, false, 1, false),
      "decay_slots: slots move to s = decay s + (1 - decay) s0");
  public static final Setting<Double> BOOST = Setting.of("boost", NUMBER,
      DriftPolicy.NONE.boost(), atLeast(1), "boost_lr: the rate's factor right after a detection");
  public static final Setting<Long> BOOST_HALF_LIFE = Setting.of("boost_half_life",
      SettingType.longInteger(), DriftPolicy.NONE.boostHalfLife(), greaterThan(0),
      "boost_lr: learned examples over which the boost's excess over 1 halves");
  public static final Setting<Double> SLOT_DECAY = Setting.of("slot_decay", NUMBER,
      DriftPolicy.NONE.slotDecay(), inRangeExclusiveLow(0, 1),
      "continuous forgetting: before each update of a row its accumulated slots (AdaGrad's sum,"
          + " FTRL's n, ...) decay with this keep factor; 1 is off");

  /** The policy's own settings, beside the detector's. */
  public static final Section SELECTOR = new Section("drift", "drift detection and adaptation;"
      + " no section is no detector",
      List.of(DETECTOR, WATCH, DIRECTION, ACTIONS, DECAY, BOOST, BOOST_HALF_LIFE, SLOT_DECAY));

  public static final Setting<Double> ADWIN_DELTA = Setting.of("delta", NUMBER,
      AdwinSpec.DEFAULT_DELTA, range(0, false, 1, false),
      "confidence of a cut; smaller is fewer false alarms and later detections");
  public static final Setting<Integer> ADWIN_CLOCK = Setting.of("clock", INT,
      AdwinSpec.DEFAULT_CLOCK, atLeast(1), "check for a cut every clock observations");
  public static final Setting<Integer> ADWIN_MAX_BUCKETS = Setting.of("max_buckets", INT,
      AdwinSpec.DEFAULT_MAX_BUCKETS, atLeast(1), "buckets per row of the exponential histogram");
  public static final Setting<Integer> ADWIN_MIN_WINDOW_LENGTH = Setting.of("min_window_length",
      INT, AdwinSpec.DEFAULT_MIN_WINDOW_LENGTH, atLeast(1),
      "observations each side of a cut needs");

  public static final Setting<Integer> PH_MIN_INSTANCES = Setting.of("min_instances", INT,
      PageHinkleySpec.DEFAULT_MIN_INSTANCES, atLeast(1),
      "observations after a reset before a change can be signalled");
  public static final Setting<Double> PH_DELTA = Setting.of("delta", NUMBER,
      PageHinkleySpec.DEFAULT_DELTA, atLeast(0),
      "increase tolerated, in the watched value's units");
  public static final Setting<Double> PH_THRESHOLD = Setting.of("threshold", NUMBER,
      PageHinkleySpec.DEFAULT_THRESHOLD, greaterThan(0),
      "lambda: the cumulative deviation that signals a change, in the watched value's units");
  public static final Setting<Double> PH_ALPHA = Setting.of("alpha", NUMBER,
      PageHinkleySpec.DEFAULT_ALPHA, inRangeExclusiveLow(0, 1),
      "forgetting factor of the cumulative deviation; 1 forgets nothing");

  public static final Setting<Integer> DDM_WARM_START = Setting.of("warm_start", INT,
      DdmSpec.DEFAULT_WARM_START, atLeast(1),
      "observations after a reset before a change can be signalled");
  public static final Setting<Double> DDM_WARNING_THRESHOLD = Setting.of("warning_threshold",
      NUMBER, DdmSpec.DEFAULT_WARNING_THRESHOLD, greaterThan(0),
      "standard deviations above the minimum that raise the warning");
  public static final Setting<Double> DDM_DRIFT_THRESHOLD = Setting.of("drift_threshold",
      NUMBER, DdmSpec.DEFAULT_DRIFT_THRESHOLD, greaterThan(0),
      "standard deviations above the minimum that signal a change");

  /** The detectors' sections, in the order of {@link #DETECTORS}. */
  public static final List<Section> SECTIONS = List.of(
      new Section("drift", "none", "no detector", List.of(), List.of()),
      new Section("drift", "adwin", "ADWIN (Bifet and Gavaldà 2007), MOA's and River's defaults",
          List.of(ADWIN_DELTA, ADWIN_CLOCK, ADWIN_MAX_BUCKETS, ADWIN_MIN_WINDOW_LENGTH),
          List.of()),
      new Section("drift", "page_hinkley", "the Page-Hinkley test (Page 1954), River's defaults",
          List.of(PH_MIN_INSTANCES, PH_DELTA, PH_THRESHOLD, PH_ALPHA), List.of()),
      new Section("drift", "ddm", "DDM (Gama et al. 2004) on the 0/1 error, River's defaults",
          List.of(DDM_WARM_START, DDM_WARNING_THRESHOLD, DDM_DRIFT_THRESHOLD), List.of()));

  private DriftConfig() {}

  /**
   * Reads a {@code drift} map; null (no section) is {@link DriftPolicy#NONE}.
   *
   * @param probabilities whether the model's loss predicts probabilities ({@code watch: error}
   *     needs it)
   * @throws ConfigException naming the key, the constraint and the value
   */
  public static DriftPolicy read(String prefix, Object raw, boolean probabilities,
      ConfigReport report) {
    if (raw == null) {
      return DriftPolicy.NONE;
    }
    Map<String, ?> map = Section.asMap(prefix, raw);
    String detector = DETECTOR.read(Section.key(prefix, DETECTOR.name()),
        map.get(DETECTOR.name()), "");
    Section variant = SECTIONS.get(DETECTORS.indexOf(detector));
    List<String> policy = SELECTOR.settings().stream().map(Setting::name).toList();
    Section.Values d = variant.read(prefix, map, report, policy, policy);
    List<String> own = variant.settings().stream().map(Setting::name).toList();
    Section.Values p = SELECTOR.read(prefix, map, report, own, own);
    DriftDetectorSpec spec = switch (detector) {
      case "adwin" -> new AdwinSpec(d.get(ADWIN_DELTA), d.get(ADWIN_CLOCK),
          d.get(ADWIN_MAX_BUCKETS), d.get(ADWIN_MIN_WINDOW_LENGTH));
      case "page_hinkley" -> new PageHinkleySpec(d.get(PH_MIN_INSTANCES), d.get(PH_DELTA),
          d.get(PH_THRESHOLD), d.get(PH_ALPHA));
      case "ddm" -> new DdmSpec(d.get(DDM_WARM_START), d.get(DDM_WARNING_THRESHOLD),
          d.get(DDM_DRIFT_THRESHOLD));
      default -> null;
    };
    DriftPolicy.Watch watch =
        DriftPolicy.Watch.valueOf(p.get(WATCH).toUpperCase(Locale.ROOT));
    if (watch == DriftPolicy.Watch.ERROR && !probabilities) {
      throw new ConfigException(p.key(WATCH), p.key(WATCH) + " must be loss for a model that"
          + " does not predict probabilities (the squared loss), but was error");
    }
    Set<DriftAction> actions = EnumSet.noneOf(DriftAction.class);
    for (String a : p.get(ACTIONS)) {
      actions.add(DriftAction.valueOf(a.toUpperCase(Locale.ROOT)));
    }
    return new DriftPolicy(spec, watch, actions, p.get(DECAY), p.get(BOOST),
        p.get(BOOST_HALF_LIFE), p.get(SLOT_DECAY),
        DriftPolicy.Direction.valueOf(p.get(DIRECTION).toUpperCase(Locale.ROOT)));
  }

  /** The sections of the settings reference: the policy, then each detector's. */
  public static List<Section> reference() {
    List<Section> all = new ArrayList<>();
    all.add(SELECTOR);
    all.addAll(SECTIONS.subList(1, SECTIONS.size()));
    return all;
  }
}
