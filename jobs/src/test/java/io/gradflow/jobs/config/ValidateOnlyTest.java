package io.gradflow.jobs.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.config.ConfigReport;
import io.gradflow.config.Section;
import io.gradflow.config.Setting;
import io.gradflow.config.TrainSettings;
import io.gradflow.jobs.train.TrainCommand;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train --validate-only} prints the effective configuration from the declarations: every
 * setting with its value, defaults marked, the loss with its label domain, secrets masked.
 */
class ValidateOnlyTest {

  static String validate(Path dir, String yaml) throws Exception {
    Path file = dir.resolve("job.yaml");
    Files.writeString(file, yaml);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code = TrainCommand.run(List.of("--config", file.toString(), "--validate-only"),
        new ByteArrayInputStream(new byte[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
        System.err);
    assertEquals(0, code);
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aFactorizationMachineOnRatingsShowsTheLogisticLossAndItsDomain(@TempDir Path dir)
      throws Exception {
    String out = validate(dir, "kafka: {bootstrap_servers: 'localhost:9092', properties:"
        + " {security.protocol: SASL_SSL, sasl.jaas.config: 'x password=hunter2;'}}\n"
        + "model: {type: factorization_machine, factors: 4}\n");
    assertTrue(out.startsWith("configuration is valid"), out);
    assertTrue(out.contains("\n  model.loss: logistic (labels in [0, 1])  (default)\n"), out);
    assertTrue(out.contains("\n  model.type: factorization_machine\n"), out);
    assertTrue(out.contains("\n  model.factors: 4\n"), out);
    assertTrue(out.contains("\n  model.init_std: 0.1  (default)\n"), out);
    assertTrue(out.contains("\n  model.standardize: true  (default)\n"), out);
    assertTrue(out.contains("\n  optimizer.name: Adagrad  (default)\n"), out);
    assertTrue(out.contains("\n  optimizer.lr: 0.01  (default)\n"), out);
    assertTrue(out.contains("\n  checkpoints.interval: 10s  (default)\n"), out);
    assertTrue(out.contains("\n  kafka.properties: {security.protocol: SASL_SSL,"
        + " sasl.jaas.config: '****'}\n"), out);
    assertFalse(out.contains("hunter2"), out);
  }

  @Test
  void everyDeclaredSettingOfTheSectionsIsShown(@TempDir Path dir) throws Exception {
    String out = validate(dir, "kafka: {bootstrap_servers: x}\nmodel: {loss: squared}\n");
    assertTrue(out.contains("\n  model.loss: squared (labels are a finite number)\n"), out);
    Set<String> shown = out.lines().skip(1).map(l -> l.trim().substring(0, l.trim().indexOf(':')))
        .collect(Collectors.toSet());
    for (Section s : List.of(TrainSettings.JOB, TrainSettings.KAFKA, TrainSettings.KAFKA_TOPICS,
        TrainSettings.MODEL, TrainSettings.GRADIENT, TrainSettings.LABELS, TrainSettings.STATE,
        TrainSettings.CHECKPOINTS, TrainSettings.METRICS, TrainSettings.CHANGELOG)) {
      for (Setting<?> setting : s.settings()) {
        if (s != TrainSettings.MODEL || TrainSettings.appliesTo(setting, "logistic_regression")) {
          assertTrue(shown.contains(Section.key(s.path(), setting.name())),
              s.path() + "." + setting.name() + " missing from\n" + out);
        }
      }
    }
    assertFalse(shown.contains("model.factors"), "a linear model has no factors");
    assertTrue(shown.containsAll(List.of("schedule.type", "schedule.clock", "optimizer.eps",
        "optimizer.weight_decay")), out);
  }

  /** A deep model's output lists the settings its initial weights are drawn from. */
  @Test
  void aDeepModelShowsItsSeedAndAWideAndDeepItsEmbeddings(@TempDir Path dir) throws Exception {
    String mlp = validate(dir, "kafka: {bootstrap_servers: x}\nmodel: {type: mlp, inputs: 2}\n");
    assertTrue(mlp.contains("\n  model.seed: 42  (default)\n"), mlp);
    assertFalse(mlp.contains("model.pooling") || mlp.contains("model.factors")
        || mlp.contains("model.init_std"), mlp);
    String wide = validate(dir, "kafka: {bootstrap_servers: x}\nmodel: {type: wide_and_deep,"
        + " factors: 4, seed: 7}\n");
    assertTrue(wide.contains("\n  model.factors: 4\n") && wide.contains("\n  model.seed: 7\n")
        && wide.contains("\n  model.init_std: 0.1  (default)\n")
        && wide.contains("\n  model.pooling: sum  (default)\n"), wide);
  }

  @Test
  void aRaceShowsEveryCandidatesOptimizer() throws Exception {
    ConfigReport report = new ConfigReport();
    TrainConfig.fromYaml("kafka: {bootstrap_servers: x}\nrace:\n"
        + "  - {name: a, optimizer: {name: Adam, lr: 0.01}}\n  - {name: b}\n", report);
    List<String> lines = report.lines();
    assertTrue(lines.contains("race[0].name: a"), lines.toString());
    assertTrue(lines.contains("race[0].optimizer.betas: [0.9, 0.999]  (default)"),
        lines.toString());
    assertTrue(lines.contains("race[1].optimizer.name: Adagrad  (default)"), lines.toString());
  }
}
