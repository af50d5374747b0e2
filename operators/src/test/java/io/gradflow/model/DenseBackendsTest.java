package io.gradflow.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.config.ConfigException;
import io.gradflow.config.TrainSettings;
import io.gradflow.model.DeepModelSpec.Activation;
import io.gradflow.model.DeepModelSpec.DenseBackend;
import io.gradflow.model.DeepModelSpec.Pooling;
import io.gradflow.nd4j.Nd4jDenseBackward;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code model.dense_backend}: read and refused by name, {@code auto}'s rule
 * ({@link DenseBackends#RULE}) at its boundaries, and the ND4J loader with and without ND4J on
 * the class path.
 */
class DenseBackendsTest {
  private static DeepModelSpec mlp(int inputs, List<Integer> hidden, int batch) {
    return new DeepModelSpec(false, hidden, Activation.RELU, inputs, 0, 0.1, Pooling.SUM, batch,
        1);
  }

  @Test
  void autoTakesNd4jFromBatch16AndBatchTimesHiddenWeights64k() {
    // hidden [32, 16] over 16 inputs: 16 * 32 + 32 * 16 = 1024 weights.
    assertEquals(DenseBackend.JAVA, DenseBackends.resolve(mlp(16, List.of(32, 16), 63)));
    assertEquals(DenseBackend.ND4J, DenseBackends.resolve(mlp(16, List.of(32, 16), 64)));
    assertEquals(DenseBackend.JAVA, DenseBackends.resolve(mlp(16, List.of(32, 16), 1)));
    // Wide layers, but below batch 16.
    assertEquals(DenseBackend.JAVA, DenseBackends.resolve(mlp(64, List.of(256, 128), 15)));
    assertEquals(DenseBackend.ND4J, DenseBackends.resolve(mlp(64, List.of(256, 128), 16)));
    // No hidden layer: no product to run.
    assertEquals(DenseBackend.JAVA, DenseBackends.resolve(mlp(64, List.of(), 4096)));
    // wide_and_deep: the first layer reads the dense features and the embedding, (2 + 6) * 64.
    DeepModelSpec wide = new DeepModelSpec(true, List.of(64), Activation.TANH, 2, 6, 0.1,
        Pooling.MEAN, 128, 1);
    assertEquals(DenseBackend.ND4J, DenseBackends.resolve(wide));
    assertEquals(DenseBackend.JAVA, DenseBackends.resolve(wide.withBatchSize(127)));
  }

  @Test
  void anExplicitBackendIsTakenAsIs() {
    assertEquals(DenseBackend.JAVA,
        DenseBackends.resolve(mlp(64, List.of(256), 256).withDenseBackend(DenseBackend.JAVA)));
    assertEquals(DenseBackend.ND4J,
        DenseBackends.resolve(mlp(2, List.of(2), 1).withDenseBackend(DenseBackend.ND4J)));
  }

  @Test
  void theSettingIsReadDefaultsToAutoAndRefusesOtherValuesByName() {
    assertEquals(DenseBackend.AUTO, read(Map.of("type", "mlp", "inputs", 2)).denseBackend());
    assertEquals(DenseBackend.ND4J, read(Map.of("type", "mlp", "inputs", 2, "dense_backend",
        "nd4j")).denseBackend());
    assertEquals(DenseBackend.JAVA, read(Map.of("type", "wide_and_deep", "dense_backend",
        "java")).denseBackend());
    ConfigException e = assertThrows(ConfigException.class,
        () -> read(Map.of("type", "mlp", "inputs", 2, "dense_backend", "gpu")));
    assertEquals("model.dense_backend must be one of auto, java, nd4j, but was 'gpu'",
        e.getMessage());
    assertEquals("model.dense_backend conflicts with model.type: dense_backend applies to mlp"
        + " and wide_and_deep only, but the model is factorization_machine",
        assertThrows(ConfigException.class, () -> read(Map.of("type", "factorization_machine",
            "dense_backend", "java"))).getMessage());
    assertEquals("model.dense_backend must be auto, java or nd4j, but was cuda",
        assertThrows(IllegalArgumentException.class, () -> DenseBackend.of("cuda"))
            .getMessage());
  }

  @Test
  void loadsNd4jWhenItIsOnTheClassPath() {
    DeepModel model = (DeepModel) mlp(3, List.of(4), 32).create();
    assertInstanceOf(Nd4jDenseBackward.class, DenseBackends.nd4j(model));
  }

  @Test
  void ofGivesTheResolvedBackend() {
    DenseBackward java = (model, blocks, stride, acts, d, batch, sums, dx0) -> { };
    DeepModel small = (DeepModel) mlp(16, List.of(32, 16), 63).create();
    assertSame(java, DenseBackends.of(small, () -> java));
    DeepModel large = (DeepModel) mlp(16, List.of(32, 16), 64).create();
    assertInstanceOf(Nd4jDenseBackward.class, DenseBackends.of(large, () -> java));
    DeepModel forced = (DeepModel) mlp(16, List.of(32, 16), 256)
        .withDenseBackend(DenseBackend.JAVA).create();
    assertSame(java, DenseBackends.of(forced, () -> java));
  }

  /**
   * The operators classes alone, in a class loader that cannot see ND4J (as in a job jar built
   * with -Dno-nd4j): the loader fails with a ConfigException that names the setting.
   */
  @Test
  void withoutNd4jOnTheClassPathTheErrorNamesTheSetting() throws Exception {
    URL classes = DenseBackends.class.getProtectionDomain().getCodeSource().getLocation();
    try (URLClassLoader alone = new URLClassLoader(new URL[] {classes},
        ClassLoader.getPlatformClassLoader())) {
      Class<?> spec = alone.loadClass(DeepModelSpec.class.getName());
      Object mlp = spec.getConstructor(boolean.class, List.class,
          alone.loadClass(Activation.class.getName()), int.class, int.class, double.class,
          alone.loadClass(Pooling.class.getName()), int.class, long.class,
          alone.loadClass(DenseBackend.class.getName())).newInstance(false, List.of(4),
              constant(alone, Activation.class, "RELU"), 3, 0, 0.1,
              constant(alone, Pooling.class, "SUM"), 64, 1L,
              constant(alone, DenseBackend.class, "AUTO"));
      Object model = spec.getMethod("create").invoke(mlp);
      Class<?> backends = alone.loadClass(DenseBackends.class.getName());
      InvocationTargetException e = assertThrows(InvocationTargetException.class,
          () -> backends.getMethod("nd4j", alone.loadClass(DeepModel.class.getName()))
              .invoke(null, model));
      Throwable cause = e.getCause();
      assertEquals(ConfigException.class.getName(), cause.getClass().getName());
      assertEquals("model.dense_backend", cause.getClass().getMethod("key").invoke(cause));
      assertTrue(cause.getMessage().startsWith("model.dense_backend is nd4j (auto chose it: "),
          cause.getMessage());
      assertTrue(cause.getMessage().endsWith("or set model.dense_backend: java"),
          cause.getMessage());
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Object constant(ClassLoader loader, Class<?> type, String name)
      throws ClassNotFoundException {
    return Enum.valueOf((Class) loader.loadClass(type.getName()), name);
  }

  private static DeepModelSpec read(Map<String, Object> section) {
    return (DeepModelSpec) TrainSettings.modelSpec(
        TrainSettings.MODEL.read("model", section, null));
  }
}
