package io.gradflow.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.optim.AdaDeltaSpec;
import io.gradflow.optim.AdaGradSpec;
import io.gradflow.optim.AdamSpec;
import io.gradflow.optim.AdamWSpec;
import io.gradflow.optim.FtrlSpec;
import io.gradflow.optim.OptimizerSpec;
import io.gradflow.optim.RmsPropSpec;
import io.gradflow.optim.SgdSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OptimizerConfigTest {

  private static ConfigException refused(String name, Map<String, ?> hp) {
    return assertThrows(ConfigException.class,
        () -> OptimizerConfig.fromPytorch("optimizer", name, hp));
  }

  @Test
  void defaultsArePytorchs() {
    assertEquals(new AdamSpec(1e-3, 0.9, 0.999, 1e-8, 0, false),
        OptimizerConfig.fromPytorch("optimizer", "Adam", Map.of()).spec());
    assertEquals(new AdamWSpec(1e-3, 0.9, 0.999, 1e-8, 1e-2, false),
        OptimizerConfig.fromPytorch("optimizer", "AdamW", null).spec());
    assertEquals(new AdaGradSpec(1e-2, 0, 0, 0, 1e-10),
        OptimizerConfig.fromPytorch("optimizer", "Adagrad", Map.of()).spec());
    assertEquals(new RmsPropSpec(1e-2, 0.99, 1e-8, 0, 0, false),
        OptimizerConfig.fromPytorch("optimizer", "RMSprop", Map.of()).spec());
    assertEquals(new AdaDeltaSpec(1.0, 0.9, 1e-6, 0),
        OptimizerConfig.fromPytorch("optimizer", "Adadelta", Map.of()).spec());
    assertEquals(new FtrlSpec(0.1, 1.0, 0, 0),
        OptimizerConfig.fromPytorch("optimizer", "ftrl", Map.of()).spec());
  }

  @Test
  void everySpecRoundTripsThroughPytorchNames() {
    List<OptimizerSpec> specs = List.of(new SgdSpec(0.1, 0.9, 0, true, 0.01),
        new AdaGradSpec(0.2, 0.01, 0.1, 0.1, 1e-6), new RmsPropSpec(0.01, 0.9, 1e-7, 0.1, 0.5, true),
        new AdaDeltaSpec(0.5, 0.95, 1e-5, 0.01), new AdamSpec(0.01, 0.8, 0.99, 1e-7, 0.1, true),
        new AdamWSpec(0.02, 0.85, 0.98, 1e-6, 0.2, true), new FtrlSpec(0.3, 0.5, 0.01, 0.02));
    for (OptimizerSpec spec : specs) {
      OptimizerConfig.Parsed parsed = OptimizerConfig.fromPytorch(
          "optimizer", OptimizerConfig.pytorchName(spec), OptimizerConfig.toPytorch(spec));
      assertEquals(spec, parsed.spec());
      assertFalse(parsed.maximize());
    }
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "SGD     | lr        | -0.1 | optimizer.lr must be >= 0, but was -0.1",
      "Adagrad | eps       | -1   | optimizer.eps must be > 0, but was -1.0",
      "RMSprop | alpha     | 1.5  | optimizer.alpha must be in [0, 1], but was 1.5",
      "Adadelta| rho       | -0.5 | optimizer.rho must be in [0, 1], but was -0.5",
      "Ftrl    | alpha     | 0    | optimizer.alpha must be > 0, but was 0.0",
      "Ftrl    | l1        | -1   | optimizer.l1 must be >= 0, but was -1.0",
      "AdamW   | weight_decay | -0.01 | optimizer.weight_decay must be >= 0, but was -0.01",
  })
  void anOutOfRangeValueNamesTheKeyTheRangeAndTheValue(
      String name, String key, double value, String message) {
    ConfigException e = refused(name, Map.of(key, value));
    assertEquals(message, e.getMessage());
    assertEquals("optimizer." + key, e.key());
  }

  @Test
  void betasAreCheckedOneByOne() {
    assertEquals("optimizer.betas[0] must be in [0, 1), but was 1.2",
        refused("Adam", Map.of("betas", List.of(1.2, 0.999))).getMessage());
    assertEquals("optimizer.betas[1] must be in [0, 1), but was 1.0",
        refused("AdamW", Map.of("betas", List.of(0.9, 1))).getMessage());
    assertEquals("optimizer.betas must be a list of two numbers, but was 0.9",
        refused("Adam", Map.of("betas", 0.9)).getMessage());
  }

  @Test
  void anUnknownHyperParameterListsTheAcceptedOnes() {
    ConfigException e = refused("SGD", Map.of("lr", 0.1, "beta", 0.9));
    assertEquals("optimizer.beta is not a hyper-parameter of SGD; accepted: lr, momentum,"
        + " dampening, nesterov, weight_decay, maximize", e.getMessage());
    assertEquals("optimizer.beta", e.key());
  }

  @Test
  void anUnknownOptimizerListsTheAcceptedNames() {
    assertEquals("optimizer.name must be one of SGD, Adagrad, RMSprop, Adadelta, Adam, AdamW,"
        + " Ftrl, but was 'Adamax'", refused("Adamax", Map.of()).getMessage());
    assertTrue(refused(null, Map.of()).getMessage().endsWith("but was missing"));
  }

  @Test
  void aWronglyTypedValueSaysWhatWasExpected() {
    assertEquals("optimizer.lr must be a number, but was 'fast'",
        refused("Adam", Map.of("lr", "fast")).getMessage());
    assertEquals("optimizer.amsgrad must be true or false, but was 1",
        refused("Adam", Map.of("amsgrad", 1)).getMessage());
  }

  @Test
  void conflictingSettingsNameBoth() {
    Map<String, Object> hp = new HashMap<>();
    hp.put("nesterov", true);
    hp.put("momentum", 0.9);
    hp.put("dampening", 0.1);
    ConfigException e = refused("SGD", hp);
    assertTrue(e.getMessage().startsWith(
        "optimizer.nesterov conflicts with optimizer.momentum and optimizer.dampening"),
        e.getMessage());
  }

  @Test
  void pytorchImplementationSwitchesAreAcceptedAndMaximizeIsReturned() {
    OptimizerConfig.Parsed parsed = OptimizerConfig.fromPytorch("optimizer", "Adam",
        Map.of("foreach", false, "capturable", false, "differentiable", false, "maximize", true));
    assertTrue(parsed.maximize());
    assertEquals(AdamSpec.of(1e-3), parsed.spec());
    assertEquals("optimizer.maximize is not a hyper-parameter of Ftrl; accepted: alpha, beta,"
        + " l1, l2", refused("Ftrl", Map.of("maximize", true)).getMessage());
  }
}
