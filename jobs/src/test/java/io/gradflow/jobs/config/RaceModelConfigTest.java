package io.gradflow.jobs.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.config.ConfigException;
import io.gradflow.config.ConfigReport;
import io.gradflow.learn.LearnerSpec;
import io.gradflow.model.DeepModelSpec;
import io.gradflow.model.LinearSpec;
import io.gradflow.model.Loss;
import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A race whose candidates differ in their model ({@code race[i].model}): what a candidate
 * inherits from the top-level model, and what every candidate must share (the loss, the
 * decoder's hash_bits and default_key, the deep candidates' inputs and batch_timeout), refused
 * naming both keys.
 */
class RaceModelConfigTest {
  private static final String KAFKA = "kafka: {bootstrap_servers: localhost:9092}\n";
  private static final String WIDE_AND_DEEP = "model: {type: wide_and_deep, hash_bits: 18,"
      + " inputs: 8, hidden: [16], factors: 4, batch_size: 4, batch_timeout: 0s, seed: 7,"
      + " standardize_clip: 3}\n";

  private static String refused(String yaml) {
    return assertThrows(ConfigException.class, () -> TrainConfig.fromYaml(KAFKA + yaml))
        .getMessage();
  }

  @Test
  void aCandidateInheritsTheKeysThatApplyToItsType() throws Exception {
    ConfigReport report = new ConfigReport();
    TrainConfig c = TrainConfig.fromYaml(KAFKA + WIDE_AND_DEEP + "race:\n"
        + "  - {name: linear, optimizer: {name: Adagrad}, model: {type: logistic_regression}}\n"
        + "  - {name: deep, optimizer: {name: Adagrad}}\n"
        + "  - {name: mlp, optimizer: {name: Adam}, model: {type: mlp, hidden: [8]}}\n", report);
    LearnerSpec linear = c.candidates().get("linear");
    LearnerSpec deep = c.candidates().get("deep");
    LearnerSpec mlp = c.candidates().get("mlp");
    assertEquals(new LinearSpec(), linear.model());
    assertEquals(3.0, linear.standardizeClip());
    assertEquals(DeepModelSpec.wideAndDeep(8, 4, List.of(16), DeepModelSpec.Activation.RELU)
        .withBatchSize(4).withSeed(7), deep.model());
    // mlp keeps inputs, batch_size and seed; factors apply to wide_and_deep only.
    assertEquals(DeepModelSpec.mlp(8, List.of(8), DeepModelSpec.Activation.RELU)
        .withBatchSize(4).withSeed(7), mlp.model());
    for (LearnerSpec spec : c.candidates().values()) {
      assertEquals(Loss.LOGISTIC, spec.loss());
    }
    assertEquals(18, c.hashBits());
    assertEquals(8, c.input().denseValues());
    assertEquals(Duration.ZERO, c.trainer().batchTimeout());
    // The audit record holds each candidate's own model, only the keys of its type.
    List<String> keys = report.entries().stream().map(ConfigReport.Entry::key).toList();
    assertTrue(keys.contains("race[0].model.type") && keys.contains("race[2].model.hidden"),
        keys.toString());
    assertTrue(!keys.contains("race[0].model.inputs") && !keys.contains("race[2].model.factors")
        && !keys.contains("race[1].model.type"), keys.toString());
  }

  @Test
  void aDeepCandidateBesideALinearTopLevelModel() throws Exception {
    TrainConfig c = TrainConfig.fromYaml(KAFKA + "model: {hash_bits: 18, standardize: false}\n"
        + "race:\n"
        + "  - {name: linear, optimizer: {name: Adagrad}}\n"
        + "  - {name: deep, optimizer: {name: Adagrad}, model: {type: mlp, inputs: 4,"
        + " batch_timeout: 250ms}}\n");
    assertEquals(new LinearSpec(), c.candidates().get("linear").model());
    DeepModelSpec deep = (DeepModelSpec) c.candidates().get("deep").model();
    assertEquals(4, deep.inputs());
    assertEquals(false, c.candidates().get("deep").standardize());
    assertEquals(4, c.input().denseValues());
    assertEquals(Duration.ofMillis(250), c.trainer().batchTimeout());
    // Without a deep candidate, examples may hold any number of dense values.
    assertEquals(-1, TrainConfig.fromYaml(KAFKA + "race: [{name: a}, {name: b, model:"
        + " {type: factorization_machine}}]\n").input().denseValues());
  }

  @Test
  void whatEveryCandidateReadsAlikeIsRefusedNamingBothKeys() {
    assertEquals("race[1].model.type conflicts with model.type: the candidates of a race share"
        + " the loss (the labels' domain, the metrics), but this candidate's is squared and the"
        + " top-level model's logistic; set model.loss",
        refused("race: [{name: a}, {name: b, model: {type: linear_regression}}]"));
    assertEquals("race[0].model.loss conflicts with model.loss: the candidates of a race share"
        + " the loss (the labels' domain, the metrics), but this candidate's is logistic and"
        + " the top-level model's squared; set model.loss",
        refused("model: {loss: squared}\nrace: [{name: a, model: {loss: logistic}}]"));
    assertEquals("race[0].model.hash_bits conflicts with model.hash_bits: the candidates of a"
        + " race read the same decoded examples; set hash_bits on the top-level model only",
        refused("race: [{name: a, model: {hash_bits: 20}}]"));
    assertEquals("race[1].model.default_key conflicts with model.default_key: the candidates of"
        + " a race read the same decoded examples; set default_key on the top-level model only",
        refused("model: {default_key: m}\nrace: [{name: a}, {name: b, model: {default_key: n}}]"));
    assertEquals("race[1].model.inputs conflicts with race[0].model.inputs: every candidate of"
        + " a race reads the same examples, which must hold one number of dense values, but"
        + " these say 6 and 8",
        refused("race: [{name: a, model: {type: mlp, inputs: 8}},"
            + " {name: b, model: {type: wide_and_deep, inputs: 6}}]"));
    assertEquals("race[1].model.batch_timeout conflicts with model.batch_timeout: the trainer"
        + " steps the partial batches of every candidate of a race after one batch_timeout;"
        + " give them one value",
        refused(WIDE_AND_DEEP + "race: [{name: a}, {name: b, model: {batch_timeout: 1s}}]"));
  }

  @Test
  void aCandidatesModelIsCheckedAsTheTopLevelModelIs() {
    assertEquals("race[0].model.factors conflicts with race[0].model.type: factors applies to"
        + " factorization_machine and wide_and_deep only, but the model is logistic_regression",
        refused(WIDE_AND_DEEP.replace("factors: 4", "factors: 4, pooling: mean")
            + "race: [{name: a, model: {type: logistic_regression, factors: 2}}]"));
    assertEquals("race[0].model.hidden must be a list of whole numbers > 0, but was [0]",
        refused("race: [{name: a, model: {type: mlp, inputs: 2, hidden: [0]}}]"));
    assertTrue(refused("race: [{name: a, model: {colour: red}}]")
        .startsWith("race[0].model.colour is not a setting; accepted: type, loss, hash_bits"));
    assertEquals("race[0].model must be a map of settings, but was 'mlp'",
        refused("race: [{name: a, model: mlp}]"));
  }

  /**
   * In a class loader that cannot see ND4J (as a job jar built with -Dno-nd4j), a candidate whose
   * model asks for nd4j stops the job naming the candidate's key, the top-level model its own.
   */
  @Test
  void withoutNd4jTheStartUpErrorNamesTheCandidatesKey() throws Exception {
    String candidate = nd4jMissing("race: [{name: a}, {name: b, model: {type: mlp, inputs: 2,"
        + " dense_backend: nd4j}}]\n");
    assertTrue(candidate.startsWith("race[1].model.dense_backend: race[1].model.dense_backend is"
        + " nd4j, but ND4J could not be loaded ("), candidate);
    assertTrue(candidate.endsWith("or set race[1].model.dense_backend: java"), candidate);
    assertTrue(nd4jMissing("model: {type: mlp, inputs: 2, dense_backend: nd4j}\n")
        .startsWith("model.dense_backend: model.dense_backend is nd4j, but ND4J could not be"
            + " loaded ("));
  }

  /** "key: message" of the ConfigException that reading {@code yaml} without ND4J throws. */
  private static String nd4jMissing(String yaml) throws Exception {
    String classPath = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    List<URL> urls = new ArrayList<>();
    for (String entry : classPath.split(File.pathSeparator)) {
      String path = entry.replace(File.separatorChar, '/');
      if (!path.contains("/org/nd4j/") && !path.contains("/org/bytedeco/")) {
        urls.add(new File(entry).toURI().toURL());
      }
    }
    try (URLClassLoader alone = new URLClassLoader(urls.toArray(new URL[0]),
        ClassLoader.getPlatformClassLoader())) {
      assertThrows(ClassNotFoundException.class,
          () -> alone.loadClass("org.nd4j.linalg.factory.Nd4j"));
      Class<?> config = alone.loadClass(TrainConfig.class.getName());
      InvocationTargetException e = assertThrows(InvocationTargetException.class,
          () -> config.getMethod("fromYaml", String.class).invoke(null, KAFKA + yaml));
      Throwable cause = e.getCause();
      assertEquals(ConfigException.class.getName(), cause.getClass().getName(), cause.toString());
      return cause.getClass().getMethod("key").invoke(cause) + ": " + cause.getMessage();
    }
  }
}
