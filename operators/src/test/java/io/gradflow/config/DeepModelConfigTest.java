package io.gradflow.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gradflow.model.DeepModelSpec;
import io.gradflow.model.DeepModelSpec.Activation;
import io.gradflow.model.DeepModelSpec.Pooling;
import io.gradflow.model.ModelSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The model section's mlp and wide_and_deep settings: read, defaults, refusals. */
class DeepModelConfigTest {
  private static ModelSpec read(Map<String, Object> section) {
    return TrainSettings.modelSpec(TrainSettings.MODEL.read("model", section, null));
  }

  @Test
  void deepSpecsReadBackEqual() {
    for (DeepModelSpec spec : List.of(
        new DeepModelSpec(false, List.of(32, 16), Activation.RELU, 8, 0, 0.1, Pooling.SUM, 1, 3),
        new DeepModelSpec(true, List.of(4), Activation.TANH, 2, 5, 0.05, Pooling.MEAN, 32, 9),
        new DeepModelSpec(true, List.of(), Activation.RELU, 0, 2, 0.1, Pooling.SUM, 1, 1))) {
      Map<String, Object> section = new LinkedHashMap<>();
      section.put("type", spec.configName());
      section.putAll(spec.parameters());
      assertEquals(spec, read(section));
    }
  }

  @Test
  void theDeclaredDefaults() {
    assertEquals(new DeepModelSpec(false, List.of(32, 16), Activation.RELU, 3, 0,
        TrainSettings.MODEL_INIT_STD.defaultValue(), Pooling.SUM, 1,
        TrainSettings.MODEL_SEED.defaultValue()), read(Map.of("type", "mlp", "inputs", 3)));
    assertEquals(DeepModelSpec.wideAndDeep(0, 8, List.of(32, 16), Activation.RELU),
        read(Map.of("type", "wide_and_deep")));
  }

  @Test
  void settingsOfOtherModelsAndBadValuesAreRefusedByName() {
    assertEquals("model.hidden conflicts with model.type: hidden applies to mlp and"
        + " wide_and_deep only, but the model is factorization_machine",
        assertThrows(ConfigException.class, () -> read(Map.of("type", "factorization_machine",
            "hidden", List.of(4)))).getMessage());
    assertEquals("model.pooling conflicts with model.type: pooling applies to wide_and_deep"
        + " only, but the model is mlp", assertThrows(ConfigException.class,
            () -> read(Map.of("type", "mlp", "inputs", 2, "pooling", "mean"))).getMessage());
    assertEquals("model.factors conflicts with model.type: factors applies to"
        + " factorization_machine and wide_and_deep only, but the model is mlp",
        assertThrows(ConfigException.class,
            () -> read(Map.of("type", "mlp", "inputs", 2, "factors", 4))).getMessage());
    assertEquals("model.inputs must be > 0 for an mlp (it reads only dense features), but was 0",
        assertThrows(ConfigException.class, () -> read(Map.of("type", "mlp"))).getMessage());
    assertEquals("model.hidden must be a list of whole numbers > 0, but was [8, 0]",
        assertThrows(ConfigException.class,
            () -> read(Map.of("type", "mlp", "inputs", 1, "hidden", List.of(8, 0))))
            .getMessage());
    assertEquals("model.activation must be one of relu, tanh, but was 'sigmoid'",
        assertThrows(ConfigException.class,
            () -> read(Map.of("type", "mlp", "inputs", 1, "activation", "sigmoid")))
            .getMessage());
  }
}
