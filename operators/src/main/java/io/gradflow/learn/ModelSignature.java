package io.gradflow.learn;

import io.gradflow.model.FactorizationMachineSpec;
import io.gradflow.optim.AdamSpec;
import io.gradflow.optim.AdamWSpec;
import io.gradflow.optim.OptimizerSpec;
import io.gradflow.optim.RmsPropSpec;
import io.gradflow.optim.RowLayout;
import io.gradflow.optim.SgdSpec;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the stored state of a model means: everything that decides the meaning or the layout of
 * its rows, so that a savepoint restores only into the model it was taken from. Kept in the
 * trainer's state beside the rows and compared at every restore ({@link #refusal}).
 *
 * <p>The parts, each under the configuration key that sets it:
 * <ul>
 *   <li>the model: {@code model.type}, {@code model.loss} (logistic rows hold logits, squared
 *       rows values), {@code model.factors} of a factorization machine or a wide_and_deep model,
 *       {@code model.inputs}, {@code model.hidden}, {@code model.activation} (and
 *       {@code model.pooling} of wide_and_deep) of the deep models, and
 *       {@code model.standardize} (dense weights learned on standardized or raw values);
 *   <li>hashing and pages: {@code model.hash_bits} (a feature's row), the feature hashing's
 *       version ({@link #HASHING}), {@code state.page_bits}
 *       (an entity row's page) and the page format version;
 *   <li>per candidate: {@code optimizer.name} and what switches an optimizer's slots on or off
 *       ({@code optimizer.amsgrad} of Adam and AdamW, {@code optimizer.momentum} zero or not for
 *       SGD and RMSprop, {@code optimizer.centered} of RMSprop), and the row layout (weights,
 *       slots per weight, floats per row);
 *   <li>{@code race}: the candidates' names (keys {@code model#name}), or none. The model
 *       parts above are then the model of the candidate first by name; a candidate whose model
 *       differs (its own {@code race[i].model}) records its model's parts under
 *       {@code race[name].model.*};
 *   <li>the state versions (the descriptor names, such as {@code pages.v1}).
 * </ul>
 *
 * <p>A part may also change by a migration the restore performs ({@link #migrates}): page format
 * 1 to 2 and back.
 *
 * <p>Everything else may change across a restore, because it changes neither the meaning nor the
 * layout of a stored row: the learning rate and every optimizer hyper-parameter that switches no
 * slot (betas, eps, weight_decay, bias_correction, momentum while it stays non-zero, dampening,
 * nesterov, alpha, rho, lr_decay, initial_accumulator_value, FTRL's alpha, beta, l1 and l2,
 * maximize), the schedule and its clock, {@code gradient.*} (clipping),
 * {@code model.standardize_clip}, {@code model.init_std} and {@code model.seed} (only rows created
 * after the restore use them), {@code model.default_key}, and the job's other sections (labels,
 * metrics, changelog, state.cache_memory and cache_pages, state.backend, checkpoints, kafka, job).
 *
 * <p>Immutable, serializable and thread-safe; a few short strings.
 *
 * @param parts the parts in a stable order, key to value
 */
public record ModelSignature(Map<String, String> parts) implements Serializable {

  /**
   * How a feature becomes a row id: the part that names it changes whenever the hashing changes
   * (version 1: the first 64 bits of MurmurHash3_x64_128 of the name's UTF-8 bytes, seeded by
   * the namespace, modulo 2^hash_bits;
   * entity ids in the upper half of the 64-bit id space; see FeatureHashing).
   */
  public static final String HASHING = "murmur3 v1";

  public ModelSignature {
    parts = Collections.unmodifiableMap(new LinkedHashMap<>(parts));
  }

  /**
   * The signature of a trainer's models.
   *
   * @param candidates the learner per candidate name; a single entry "" without a race
   * @param hashBits {@code model.hash_bits}
   * @param pageBits {@code state.page_bits}
   * @param pageFormat the page format's version
   * @param stateVersions the trainer's state descriptor names
   */
  public static ModelSignature of(Map<String, LearnerSpec> candidates, int hashBits, int pageBits,
      int pageFormat, List<String> stateVersions) {
    if (candidates.isEmpty()) {
      throw new IllegalArgumentException("a model signature needs at least one learner");
    }
    Map<String, String> parts = new LinkedHashMap<>();
    boolean race = !(candidates.size() == 1 && candidates.containsKey(""));
    // The model of the candidate first by name: the order of the race's entries in the file
    // does not change the stored model.
    Map<String, String> shared =
        modelParts(candidates.get(new java.util.TreeSet<>(candidates.keySet()).first()));
    parts.putAll(shared);
    parts.put("model.hash_bits", String.valueOf(hashBits));
    parts.put("feature hashing", HASHING);
    parts.put("state.page_bits", String.valueOf(pageBits));
    parts.put("page format", "version " + pageFormat);
    // Since direct keys may hold pages in the hashed form (PageFormat, "Sparse direct keys"): a
    // release that reads every direct key's page as direct refuses such state (it lacks this
    // part); a savepoint without the part restores here (its direct pages are read as before).
    parts.put("direct keys", "hashed form below 64 rows");
    // Since a small model keeps its rows in one page (PageFormat, "Small models"): a release
    // that does not know that page would ignore it and start such models over, so it refuses
    // such state (it lacks this part); a savepoint without the part restores here. The threshold
    // was 64 rows before: such state restores here (migrates).
    parts.put("small models", SMALL_MODELS);
    // Sorted: the order of the race's entries in the file does not change the stored model.
    parts.put("race", race ? "candidates " + new java.util.TreeSet<>(candidates.keySet())
        : "none");
    for (Map.Entry<String, LearnerSpec> c : candidates.entrySet()) {
      String prefix = race ? "race[" + c.getKey() + "]." : "";
      LearnerSpec spec = c.getValue();
      // A candidate with a model of its own (race[i].model) records its model's parts.
      Map<String, String> own = modelParts(spec);
      if (!own.equals(shared)) {
        own.forEach((k, v) -> parts.put(prefix + k, v));
      }
      optimizer(parts, prefix, spec.optimizer());
      RowLayout layout = spec.optimizer().layout(spec.model().rowWidth());
      parts.put(prefix + "row layout", layout.width() + (layout.width() == 1 ? " weight, "
          : " weights, ") + layout.slotsPerWeight() + (layout.slotsPerWeight() == 1 ? " slot"
          : " slots") + " per weight, " + layout.size() + " floats per row");
    }
    parts.put("state versions", String.join(", ", stateVersions));
    return new ModelSignature(parts);
  }

  /** The parts of a learner's model, under their configuration keys. */
  private static Map<String, String> modelParts(LearnerSpec spec) {
    Map<String, String> parts = new LinkedHashMap<>();
    // logistic_regression and linear_regression are one model, the linear one; the loss tells.
    parts.put("model.type", spec.model() instanceof io.gradflow.model.LinearSpec
        ? "linear (logistic_regression or linear_regression)" : spec.model().configName());
    parts.put("model.loss", spec.loss().configName());
    if (spec.model() instanceof FactorizationMachineSpec fm) {
      parts.put("model.factors", String.valueOf(fm.factors()));
    }
    if (spec.model() instanceof io.gradflow.model.DeepModelSpec deep) {
      // The dense blocks' layout and meaning; batch_size and seed change neither.
      if (deep.wide()) {
        parts.put("model.factors", String.valueOf(deep.factors()));
        parts.put("model.pooling", deep.pooling().configName());
      }
      parts.put("model.inputs", String.valueOf(deep.inputs()));
      parts.put("model.hidden", deep.hidden().toString());
      parts.put("model.activation", deep.activation().configName());
    }
    parts.put("model.standardize", String.valueOf(spec.standardize()));
    return parts;
  }

  /** The optimizer's name and the settings that switch one of its slots on or off. */
  private static void optimizer(Map<String, String> parts, String prefix, OptimizerSpec o) {
    parts.put(prefix + "optimizer.name", o.configName());
    if (o instanceof AdamSpec adam) {
      parts.put(prefix + "optimizer.amsgrad", String.valueOf(adam.amsgrad()));
    } else if (o instanceof AdamWSpec adamW) {
      parts.put(prefix + "optimizer.amsgrad", String.valueOf(adamW.amsgrad()));
    } else if (o instanceof SgdSpec sgd) {
      parts.put(prefix + "optimizer.momentum", momentum(sgd.momentum() != 0));
    } else if (o instanceof RmsPropSpec rms) {
      parts.put(prefix + "optimizer.momentum", momentum(rms.momentum() > 0));
      parts.put(prefix + "optimizer.centered", String.valueOf(rms.centered()));
    }
  }

  private static String momentum(boolean on) {
    return on ? "non-zero (a momentum buffer per weight)" : "0 (no momentum buffer)";
  }

  /**
   * Whether a stored part's value becomes the configured one by a migration when the state is
   * read, rather than being a different model: page format 1 (rows alone) to 2 (each row after
   * its stamp), when expiry or admission is turned on, and back when both are turned off
   * ({@code PageFormat.convert} converts each page as it is loaded); and a small model's page of
   * the 64-row threshold, which keeps growing to today's ({@link #SMALL_MODELS_BEFORE}).
   */
  static boolean migrates(String key, String stored, String configured) {
    return key.equals("page format") && (stored.equals("version 1") && configured.equals(
        "version 2") || stored.equals("version 2") && configured.equals("version 1"))
        || key.equals("small models") && stored.equals(SMALL_MODELS_BEFORE)
            && configured.equals(SMALL_MODELS);
  }

  /** A row layout stored before its slots were counted in words: {@code 2 slot(s) per weight}. */
  private static final java.util.regex.Pattern SLOTS_BEFORE =
      java.util.regex.Pattern.compile("\\b(\\d+) slot\\(s\\) per weight");

  /**
   * A stored part in today's words: the row layout of savepoints written before it said
   * {@code 1 slot} and {@code 2 slots} (it said {@code slot(s)}); the layout is the same.
   */
  static String reworded(String stored) {
    return stored.contains("slot(s)") ? SLOTS_BEFORE.matcher(stored).replaceAll(
        m -> m.group(1) + (m.group(1).equals("1") ? " slot" : " slots") + " per weight")
        : stored;
  }

  /** The small-models part: {@code PageFormat.SMALL_AT} rows ({@code SmallModelsTest} holds it). */
  static final String SMALL_MODELS = "one page below 256 rows";

  /**
   * The small-models part of releases whose small page spilled at 64 rows: their stored pages
   * continue bit for bit under today's threshold (a 64-row page keeps growing; spilled models stay
   * in pages; {@code SmallModelsTest.stateOfEitherThresholdContinuesBitForBitInTheOther}).
   */
  static final String SMALL_MODELS_BEFORE = "one page below 64 rows";

  /**
   * A part's value in {@code parts}, "(none)" if absent; a model part of a race candidate
   * without a model of its own ({@code race[c].model.hidden}) is the shared model's.
   */
  private static String value(Map<String, String> parts, String key) {
    String v = parts.get(key);
    int end = key.indexOf("].model.");
    if (v == null && key.startsWith("race[") && end > 0) {
      String candidate = key.substring(0, end + 2);
      if (parts.containsKey(candidate + "optimizer.name")
          && !parts.containsKey(candidate + "model.type")) {
        v = parts.get(key.substring(end + 2));
      }
    }
    return v == null ? "(none)" : v;
  }

  /** Every part, {@code key value; key value; ...}: for logs and the audit record. */
  public String describe() {
    List<String> out = new ArrayList<>();
    parts.forEach((k, v) -> out.add(k + " " + v));
    return String.join("; ", out);
  }

  /**
   * Why a model stored with signature {@code stored} cannot be restored into this one, or null
   * when it can. The message names every part that differs with both values, the savepoint's
   * first: {@code the savepoint's model has model.hash_bits 20, the configuration says 22; ...}.
   * A part the stored signature does not have (a savepoint of a release that did not record it)
   * is not judged.
   */
  public String refusal(ModelSignature stored) {
    Set<String> keys = new LinkedHashSet<>(parts.keySet());
    keys.addAll(stored.parts.keySet());
    List<String> differences = new ArrayList<>();
    for (String key : keys) {
      if (!stored.parts.containsKey(key) && !key.startsWith("race[")
          && !key.equals("model.factors") && !key.contains("optimizer.")) {
        continue; // a part a savepoint of an earlier release did not record: not judged
      }
      String had = reworded(value(stored.parts, key));
      String has = value(parts, key);
      // A part only one side has because another part differs is not repeated: a candidate's
      // (the race's part names it), an optimizer's slot switch (optimizer.name), the factors
      // (model.type).
      String candidate = key.startsWith("race[") ? key.substring(0, key.indexOf("].") + 2) : "";
      boolean candidateOnBoth = candidate.isEmpty()
          || stored.parts.containsKey(candidate + "optimizer.name")
              && parts.containsKey(candidate + "optimizer.name");
      boolean implied = !(stored.parts.containsKey(key) && parts.containsKey(key))
          && (!candidateOnBoth
              || key.endsWith("model.factors") && (had.equals("(none)") || has.equals("(none)"))
              || key.contains("optimizer.") && !key.endsWith("optimizer.name"));
      if (!had.equals(has) && !implied && !migrates(key, had, has)) {
        differences.add(key + " " + had + ", the configuration says " + has);
      }
    }
    if (differences.isEmpty()) {
      return null;
    }
    return "the savepoint's model has " + String.join("; ", differences) + ": its rows would"
        + " be read as another model's and learning would go on from garbage. Restore it with"
        + " the configuration it was taken with, or start the new model without the savepoint"
        + " (it learns from scratch). Safe to change across a restore: the learning rate and"
        + " every optimizer setting that switches no slot, the schedule, gradient clipping,"
        + " metrics, labels, checkpoints, parallelism";
  }
}
