package io.gradflow.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gradflow.model.FactorizationMachineSpec;
import io.gradflow.model.LinearSpec;
import io.gradflow.model.ModelSpec;
import io.gradflow.optim.AdaDeltaSpec;
import io.gradflow.optim.AdaGradSpec;
import io.gradflow.optim.AdamSpec;
import io.gradflow.optim.AdamWSpec;
import io.gradflow.optim.BiasCorrection;
import io.gradflow.optim.FtrlSpec;
import io.gradflow.optim.OptimizerSpec;
import io.gradflow.optim.RmsPropSpec;
import io.gradflow.optim.SgdSpec;
import io.gradflow.schedule.ScheduleSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The audit side: every optimizer, schedule and model spec states its configuration name and
 * parameters, and those read back through the declarations give an equal spec. Each optimizer
 * and schedule section is covered, so a spec that forgets a field fails here.
 */
class SpecRoundTripTest {

  @Test
  void everyOptimizerSpecReadsBackEqual() {
    List<OptimizerSpec> specs = List.of(new SgdSpec(0.1, 0.9, 0, true, 0.01),
        new AdaGradSpec(0.2, 0.01, 0.1, 0.1, 1e-6),
        new RmsPropSpec(0.01, 0.9, 1e-7, 0.1, 0.5, true),
        new AdaDeltaSpec(0.5, 0.95, 1e-5, 0.01),
        new AdamSpec(0.01, 0.8, 0.99, 1e-7, 0.1, true, BiasCorrection.GLOBAL),
        new AdamWSpec(0.02, 0.85, 0.98, 1e-6, 0.2, true, BiasCorrection.GLOBAL),
        new FtrlSpec(0.3, 0.5, 0.01, 0.02));
    List<String> names = new ArrayList<>();
    for (OptimizerSpec spec : specs) {
      Map<String, Object> configuration = OptimizerConfig.configuration(spec);
      assertEquals(spec, OptimizerConfig.read("optimizer", configuration, null).spec());
      // parameters() names every declared hyper-parameter of its section, no more.
      Section section = OptimizerConfig.section(spec.configName());
      List<String> declared = section.settings().stream()
          .filter(s -> !s.isIgnored() && !s.name().equals("maximize")).map(Setting::name)
          .toList();
      assertEquals(declared, List.copyOf(spec.parameters().keySet()), spec.configName());
      names.add(spec.configName());
    }
    assertEquals(OptimizerConfig.NAMES, names);
  }

  @Test
  void everyScheduleSpecReadsBackEqual() {
    List<ScheduleSpec> specs = List.of(new ScheduleSpec.Constant(),
        new ScheduleSpec.StepDecay(100, 0.5), new ScheduleSpec.ExponentialDecay(10, 0.99),
        new ScheduleSpec.InverseTime(20, 0.1, 0.75), new ScheduleSpec.CosineAnnealing(1000, 0.01),
        new ScheduleSpec.CosineWarmRestarts(50, 2, 0.001),
        new ScheduleSpec.LinearWarmup(30, 0.1, new ScheduleSpec.CosineWarmRestarts(50, 3, 0)));
    List<String> types = new ArrayList<>();
    for (ScheduleSpec spec : specs) {
      assertEquals(spec, ScheduleConfig.fromMap("schedule", spec.configuration()).spec());
      types.add(spec.configName());
    }
    assertEquals(ScheduleConfig.TYPES, types);
  }

  @Test
  void everyModelSpecReadsBackEqual() {
    for (ModelSpec spec : List.of(new LinearSpec(), new FactorizationMachineSpec(6, 0.05, 7))) {
      Map<String, Object> configuration = new LinkedHashMap<>();
      configuration.put("type", spec.configName());
      configuration.putAll(spec.parameters());
      assertEquals(spec, TrainSettings.modelSpec(
          TrainSettings.MODEL.read("model", configuration, null)));
    }
  }

  @Test
  void factoriesTakeTheDeclaredDefaults() {
    assertEquals(OptimizerConfig.fromPytorch("optimizer", "Adam", Map.of()).spec(),
        AdamSpec.of(OptimizerConfig.ADAM_LR.defaultValue()));
    assertEquals(new FtrlSpec(0.2, OptimizerConfig.FTRL_BETA.defaultValue(),
        OptimizerConfig.FTRL_L1.defaultValue(), OptimizerConfig.FTRL_L2.defaultValue()),
        FtrlSpec.of(0.2));
    assertEquals(new FactorizationMachineSpec(3, TrainSettings.MODEL_INIT_STD.defaultValue(),
        TrainSettings.MODEL_SEED.defaultValue()), FactorizationMachineSpec.of(3));
    assertEquals((int) TrainSettings.METRICS_WINDOW.defaultValue(),
        io.gradflow.metrics.MetricsSpec.DEFAULT.window());
  }
}
