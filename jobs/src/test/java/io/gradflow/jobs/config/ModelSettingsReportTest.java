package io.gradflow.jobs.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.config.ConfigException;
import io.gradflow.config.ConfigReport;
import io.gradflow.config.Setting;
import io.gradflow.config.TrainSettings;
import io.gradflow.model.Model;
import io.gradflow.model.ModelSpec;
import io.gradflow.model.ParameterBlock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The audit record ({@link TrainConfig#settings()}, also what {@code train --validate-only}
 * prints) lists exactly the model settings that affect a model, for every model type, at the top
 * level and in a race candidate alike. What affects a model is observed, not taken from the
 * declarations: a setting affects a type if giving it another value is accepted and changes what
 * the job learns with (the learners' specs, the decoder's hashing and default key, the trainer's
 * settings, the dense values an example must hold); a setting the type refuses or ignores does
 * not. For the settings that shape the initial weights, the weights themselves are compared.
 */
class ModelSettingsReportTest {
  private static final String KAFKA = "kafka: {bootstrap_servers: localhost:9092}\n";

  static List<String> modelTypes() {
    return TrainSettings.MODEL_TYPES;
  }

  /** A value other than the default for every model setting but type and loss. */
  private static final Map<String, String> OTHER = Map.ofEntries(Map.entry("hash_bits", "12"),
      Map.entry("default_key", "k"), Map.entry("standardize", "false"),
      Map.entry("standardize_clip", "2"), Map.entry("factors", "3"),
      Map.entry("init_std", "0.3"), Map.entry("seed", "9"), Map.entry("hidden", "[5]"),
      Map.entry("activation", "tanh"), Map.entry("inputs", "4"), Map.entry("pooling", "mean"),
      Map.entry("batch_size", "2"), Map.entry("batch_timeout", "2s"),
      Map.entry("dense_backend", "java"));

  private static boolean deep(String type) {
    return type.equals("mlp") || type.equals("wide_and_deep");
  }

  /** A model section of {@code type} with {@code values} (a deep model needs inputs). */
  private static String model(String type, Map<String, String> values) {
    Map<String, String> all = new LinkedHashMap<>();
    all.put("type", type);
    if (deep(type)) {
      all.put("inputs", "3");
    }
    all.putAll(values);
    return all.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue())
        .collect(Collectors.joining(", ", "{", "}"));
  }

  /** The loss other than {@code type}'s default. */
  private static String otherLoss(String type) {
    return type.equals("linear_regression") ? "logistic" : "squared";
  }

  /** What a job learns with: everything a model setting may change. */
  private static List<Object> learned(TrainConfig c) {
    return List.of(c.candidates(), c.hashBits(), c.defaultModelKey(), c.trainer(), c.input());
  }

  private static Set<String> keysUnder(String prefix, ConfigReport report) {
    return report.entries().stream().map(ConfigReport.Entry::key)
        .filter(k -> k.startsWith(prefix)).map(k -> k.substring(prefix.length()))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  /** The names of the model settings that the audit record of a top-level {@code type} lists. */
  private static Set<String> listed(String type) {
    ConfigReport report = new ConfigReport();
    TrainConfig.fromYaml(KAFKA + "model: " + model(type, Map.of()) + "\n", report);
    return keysUnder("model.", report);
  }

  /** The names of the model settings that change what a top-level {@code type} learns with. */
  private static Set<String> affecting(String type) {
    TrainConfig base = TrainConfig.fromYaml(KAFKA + "model: " + model(type, Map.of()) + "\n",
        new ConfigReport());
    Set<String> affecting = new TreeSet<>(Set.of("type"));
    for (Setting<?> s : TrainSettings.MODEL.settings()) {
      if (s == TrainSettings.MODEL_TYPE) {
        continue;
      }
      String value = s == TrainSettings.MODEL_LOSS ? otherLoss(type) : OTHER.get(s.name());
      TrainConfig other;
      try {
        other = TrainConfig.fromYaml(KAFKA + "model: " + model(type, Map.of(s.name(), value))
            + "\n", new ConfigReport());
      } catch (ConfigException refused) {
        continue; // a setting the type does not take
      }
      if (!learned(other).equals(learned(base))) {
        affecting.add(s.name());
      }
    }
    return affecting;
  }

  @Test
  void everyModelSettingHasAnotherValueHere() {
    Set<String> names = TrainSettings.MODEL.settings().stream().map(Setting::name)
        .collect(Collectors.toCollection(TreeSet::new));
    names.removeAll(Set.of("type", "loss"));
    assertEquals(names, new TreeSet<>(OTHER.keySet()));
    // The comparison can tell: one file read twice learns with the same things.
    for (String type : TrainSettings.MODEL_TYPES) {
      String yaml = KAFKA + "model: " + model(type, Map.of()) + "\n";
      assertEquals(learned(TrainConfig.fromYaml(yaml, new ConfigReport())),
          learned(TrainConfig.fromYaml(yaml, new ConfigReport())), type);
    }
  }

  @ParameterizedTest
  @MethodSource("modelTypes")
  void theReportOfATopLevelModelListsExactlyTheSettingsThatChangeIt(String type) {
    assertEquals(affecting(type), listed(type), type);
  }

  /**
   * A race candidate of each type, under a top-level wide_and_deep model that sets every model
   * setting: its record lists what a top-level model of its type lists, and it learns with
   * exactly the top-level values of those settings.
   */
  @ParameterizedTest
  @MethodSource("modelTypes")
  void aRaceCandidatesReportListsWhatTheSameTopLevelModelLists(String type) {
    Map<String, String> all = new LinkedHashMap<>(OTHER);
    all.put("loss", "squared");
    ConfigReport report = new ConfigReport();
    TrainConfig race = TrainConfig.fromYaml(KAFKA + "model: " + model("wide_and_deep", all)
        + "\nrace: [{name: a, model: {type: " + type + "}}]\n", report);
    Set<String> listed = listed(type);
    assertEquals(listed, keysUnder("race[0].model.", report), type);

    Map<String, String> applicable = new LinkedHashMap<>(all);
    applicable.keySet().retainAll(listed);
    TrainConfig alone = TrainConfig.fromYaml(KAFKA + "model: " + model(type, applicable) + "\n",
        new ConfigReport());
    assertEquals(alone.candidates().get(""), race.candidates().get("a"), type);
  }

  /**
   * The defect this guards: the record of a top-level mlp or wide_and_deep left out the seed
   * (and wide_and_deep's factors and init_std), from which its initial weights are drawn.
   */
  @Test
  void theSettingsThatDrawADeepModelsInitialWeightsAreInItsReport() {
    Map<String, List<String>> byType = Map.of("mlp", List.of("seed"),
        "wide_and_deep", List.of("seed", "factors", "init_std"));
    for (Map.Entry<String, List<String>> e : byType.entrySet()) {
      String type = e.getKey();
      List<Float> defaults = initialWeights(spec(type, Map.of()));
      for (String name : e.getValue()) {
        assertNotEquals(defaults, initialWeights(spec(type, Map.of(name, OTHER.get(name)))),
            type + ": " + name + " changes no initial weight");
        ConfigReport report = new ConfigReport();
        TrainConfig.fromYaml(KAFKA + "model: " + model(type, Map.of(name, OTHER.get(name)))
            + "\n", report);
        assertTrue(report.lines().contains("model." + name + ": " + OTHER.get(name)),
            type + ": model." + name + " missing from " + report.lines());
      }
    }
    // An mlp has no embeddings: factors and init_std are refused, and not in its report.
    assertFalse(listed("mlp").contains("factors") || listed("mlp").contains("init_std"));
  }

  private static ModelSpec spec(String type, Map<String, String> values) {
    return TrainConfig.fromYaml(KAFKA + "model: " + model(type, values) + "\n",
        new ConfigReport()).candidates().get("").model();
  }

  /** Sparse rows 1..4 and every dense row of a new model, as its initializers write them. */
  private static List<Float> initialWeights(ModelSpec spec) {
    Model m = spec.create();
    List<Float> all = new ArrayList<>();
    for (long id = 1; id <= 4; id++) {
      float[] row = new float[m.rowWidth()];
      m.initializeRow(id, row, 0, 1);
      for (float w : row) {
        all.add(w);
      }
    }
    List<ParameterBlock> dense = m.denseBlocks();
    for (int b = 0; b < dense.size(); b++) {
      float[] block = new float[dense.get(b).size(1)];
      for (int r = 0; r < dense.get(b).rows(); r++) {
        m.initializeDenseRow(b, r, block, dense.get(b).rowOffset(r, 1), 1);
      }
      for (float w : block) {
        all.add(w);
      }
    }
    return all;
  }
}
