package io.gradflow.jobs.config;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.config.DriftConfig;
import io.gradflow.config.OptimizerConfig;
import io.gradflow.config.ScheduleConfig;
import io.gradflow.config.Section;
import io.gradflow.config.Setting;
import io.gradflow.config.TrainSettings;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code train-example.yaml} lists every declared setting: each setting of a plain section as a
 * key of that section (or, for one with no default or one that only some model types accept, as a
 * commented {@code # key:} line), each optimizer and schedule type on a line of its own that names
 * all of its settings. A new declaration without its line in the example fails here.
 */
class TrainExampleFileTest {

  @Test
  void theExampleListsEveryDeclaredSetting() throws Exception {
    String text;
    try (var in = TrainExampleFileTest.class.getResourceAsStream("/train-example.yaml")) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> tree = (Map<String, Object>) YamlFiles.parse(text);
    List<String> missing = new ArrayList<>();
    for (Section s : List.of(TrainSettings.JOB, TrainSettings.KAFKA, TrainSettings.KAFKA_TOPICS,
        TrainSettings.MODEL, TrainSettings.GRADIENT, TrainSettings.LABELS, TrainSettings.STATE,
        TrainSettings.CHECKPOINTS, TrainSettings.METRICS, TrainSettings.CHANGELOG,
        DriftConfig.SELECTOR)) {
      Object section = tree;
      for (String part : s.path().split("\\.")) {
        section = ((Map<?, ?>) section).get(part);
      }
      Map<?, ?> map = (Map<?, ?>) section;
      for (Setting<?> setting : s.settings()) {
        boolean listed = map != null && map.containsKey(setting.name());
        boolean commented = Pattern.compile("(?m)^\\s*#\\s*" + setting.name() + ":")
            .matcher(text).find();
        if (!listed && !commented) {
          missing.add(Section.key(s.path(), setting.name()));
        }
      }
    }
    for (Section s : OptimizerConfig.SECTIONS) {
      missing.addAll(missingOnLine(text, "name: " + s.variant() + ",", s));
    }
    for (Section s : ScheduleConfig.SECTIONS) {
      missing.addAll(missingOnLine(text, "type: " + s.variant() + (s.settings().isEmpty() ? ""
          : ","), s));
    }
    for (Section s : DriftConfig.SECTIONS.subList(1, DriftConfig.SECTIONS.size())) {
      missing.addAll(missingOnLine(text, "detector: " + s.variant() + ",", s));
    }
    for (Setting<?> setting : ScheduleConfig.SELECTOR.settings()) {
      if (!text.contains(setting.name() + ":")) {
        missing.add("schedule." + setting.name());
      }
    }
    assertTrue(text.contains("race:") && text.contains("{name: adam, optimizer:"), "race");
    assertTrue(missing.isEmpty(), "train-example.yaml does not list " + missing);
  }

  /** The settings of {@code s} missing from the line that holds {@code marker}. */
  private static List<String> missingOnLine(String text, String marker, Section s) {
    // The commented catalogue line, or else the setting in force.
    String line = text.lines().filter(l -> l.trim().startsWith("#") && l.contains(marker))
        .findFirst().orElse(text.lines().filter(l -> l.contains(marker)).findFirst()
            .orElse(null));
    List<String> missing = new ArrayList<>();
    if (line == null) {
      missing.add(s.path() + " " + marker);
      return missing;
    }
    for (Setting<?> setting : s.settings()) {
      if (!setting.isIgnored() && !line.contains(" " + setting.name() + ":")) {
        missing.add(s.path() + " (" + s.variant() + ")." + setting.name());
      }
    }
    for (String child : s.children()) {
      if (!line.contains(" " + child + ":")) {
        missing.add(s.path() + " (" + s.variant() + ")." + child);
      }
    }
    return missing;
  }
}
