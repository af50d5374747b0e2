package io.gradflow.jobs.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.config.ConfigException;
import io.gradflow.config.MemoryAmount;
import io.gradflow.model.FactorizationMachineSpec;
import io.gradflow.model.Loss;
import io.gradflow.optim.AdaGradSpec;
import io.gradflow.optim.AdamSpec;
import io.gradflow.schedule.ScheduleSpec;
import io.gradflow.state.CacheSize;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class TrainConfigTest {
  private static final String KAFKA = "kafka: {bootstrap_servers: localhost:9092}\n";

  private static ConfigException refused(String yaml) {
    return assertThrows(ConfigException.class, () -> TrainConfig.fromYaml(KAFKA + yaml));
  }

  @Test
  void defaultsMakeAWorkingLogisticRegression() throws Exception {
    TrainConfig c = TrainConfig.fromYaml(KAFKA);
    assertEquals(1, c.candidates().size());
    var learner = c.candidates().get("");
    assertEquals(Loss.LOGISTIC, learner.loss());
    assertEquals(AdaGradSpec.of(1e-2), learner.optimizer());
    assertEquals(new ScheduleSpec.Constant(), learner.schedule());
    assertEquals("hashmap", c.state().backend());
    assertEquals(Duration.ofSeconds(10), c.state().checkpointInterval());
    assertEquals("none", c.state().compression());
    assertEquals("NO_COMPRESSION", io.gradflow.jobs.train.TrainJob.flinkConfiguration(c)
        .toMap().get("state.backend.rocksdb.compression.per.level"));
  }

  @Test
  void everySectionIsRead() throws Exception {
    TrainConfig c = TrainConfig.fromYaml(KAFKA + String.join("\n",
        "job: {name: ctr, parallelism: 2}",
        "model: {type: factorization_machine, factors: 4, loss: logistic, hash_bits: 20}",
        "optimizer: {name: Adam, lr: 0.01, betas: [0.8, 0.99]}",
        "schedule: {type: step, step_size: 1000, gamma: 0.5}",
        "state: {backend: rocksdb, cache_pages: 100, page_bits: 8, compression: lz4}",
        "checkpoints: {interval: 2s, directory: 'file:///tmp/x', incremental: true}",
        "labels: {delayed: true, timeout: 5m, on_timeout: drop}",
        "metrics: {every: 500, window: 1000, fading_factor: 0.99}",
        "changelog: {every: 100}"));
    assertEquals(2, c.parallelism());
    assertEquals(20, c.hashBits());
    var learner = c.candidates().get("");
    assertEquals(new FactorizationMachineSpec(4, FactorizationMachineSpec.DEFAULT_INIT_STD, 42),
        learner.model());
    assertEquals(new AdamSpec(0.01, 0.8, 0.99, 1e-8, 0, false), learner.optimizer());
    assertEquals(new ScheduleSpec.StepDecay(1000, 0.5), learner.schedule());
    assertEquals(CacheSize.ofPages(100), c.trainer().cache());
    assertEquals("LZ4_COMPRESSION", io.gradflow.jobs.train.TrainJob.flinkConfiguration(c)
        .toMap().get("state.backend.rocksdb.compression.per.level"));
    assertEquals(TrainConfig.OnTimeout.DROP, c.labels().onTimeout());
    assertTrue(c.labels().delayed());
    assertEquals(100, c.trainer().changelogEvery());
  }

  @Test
  void theExampleFileWithEverySettingIsValid() throws Exception {
    String yaml;
    try (var in = TrainConfigTest.class.getResourceAsStream("/train-example.yaml")) {
      yaml = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    TrainConfig c = TrainConfig.fromYaml(yaml);
    assertEquals("ctr-example", c.jobName());
    assertEquals(24, c.hashBits());
    assertEquals(AdaGradSpec.of(0.1), c.candidates().get("").optimizer());
    assertEquals("none", c.state().compression());
  }

  @Test
  void theRowsSectionMakesTheRowPolicy() throws Exception {
    assertEquals(io.gradflow.state.RowPolicy.NONE, TrainConfig.fromYaml(KAFKA).trainer().rows());
    assertEquals(new io.gradflow.state.RowPolicy(java.time.Duration.ofDays(7), 3, 1.0, 1024),
        TrainConfig.fromYaml(KAFKA + "rows: {expire_after: 7d, admit_after: 3,"
            + " sketch_width: 1024}").trainer().rows());
    assertEquals("rows.admit_after conflicts with rows.admit_probability: admit a row either"
        + " after a number of sightings or by chance per sighting, not both",
        refused("rows: {admit_after: 3, admit_probability: 0.5}").getMessage());
    assertTrue(refused("rows: {expire_after: 30m}").getMessage()
        .startsWith("rows.expire_after must be"));
  }

  @Test
  void denseFeaturesAreStandardizedByDefaultWithTheClipExposed() throws Exception {
    var learner = TrainConfig.fromYaml(KAFKA).candidates().get("");
    assertTrue(learner.standardize());
    assertEquals(5.0, learner.standardizeClip());
    var off = TrainConfig.fromYaml(KAFKA + "model: {standardize: false, standardize_clip: 0}")
        .candidates().get("");
    assertEquals(false, off.standardize());
    assertEquals(0.0, off.standardizeClip());
    assertEquals("model.standardize_clip must be >= 0, but was -1.0",
        refused("model: {standardize_clip: -1}").getMessage());
  }

  @Test
  void factorizationMachineSettingsAreRefusedForAnotherModel() {
    assertEquals("model.factors conflicts with model.type: factors applies to"
        + " factorization_machine and wide_and_deep only, but the model is logistic_regression",
        refused("model: {factors: 4}").getMessage());
  }

  @Test
  void theDriftSectionReachesEveryCandidateAndBoostLrIsRefusedWithFtrl() throws Exception {
    TrainConfig c = TrainConfig.fromYaml("kafka: {bootstrap_servers: 'localhost:9092'}\n"
        + "race: [{name: a, optimizer: {name: Adagrad}}, {name: b, optimizer: {name: Adam}}]\n"
        + "drift: {detector: adwin, actions: [reset_slots]}\n");
    for (var spec : c.candidates().values()) {
      assertEquals("adwin", spec.drift().detectorName());
    }
    ConfigException e = assertThrows(ConfigException.class, () -> TrainConfig.fromYaml(
        "kafka: {bootstrap_servers: 'localhost:9092'}\noptimizer: {name: Ftrl}\n"
            + "drift: {detector: adwin, actions: [boost_lr]}\n"));
    assertTrue(e.getMessage().startsWith("drift.actions conflicts with optimizer.name: boost_lr"
        + " scales FTRL's alpha"), e.getMessage());
  }

  @Test
  void racePrefixesTheKeysOfItsCandidates() {
    assertEquals("race[1].optimizer.betas[0] must be in [0, 1), but was 1.5",
        refused("race: [{name: a}, {name: b, optimizer: {name: Adam, betas: [1.5, 0.9]}}]")
            .getMessage());
    assertEquals("race[0].name must be set, but was missing",
        refused("race: [{optimizer: {name: Adam}}]").getMessage());
    assertEquals("race[0].name must be a name without '#', but was 'a#b'",
        refused("race: [{name: 'a#b'}]").getMessage());
    assertEquals("race[0].colour is not a setting; accepted: name, optimizer, model",
        refused("race: [{name: a, colour: red}]").getMessage());
  }

  @Test
  void miniBatchesReadTheirSizeAndTimeout() throws Exception {
    TrainConfig c = TrainConfig.fromYaml(KAFKA
        + "model: {type: mlp, inputs: 3, batch_size: 16, batch_timeout: 250ms}\n");
    assertEquals(16, c.candidates().get("").model().batchSize());
    assertEquals(Duration.ofMillis(250), c.trainer().batchTimeout());
    assertEquals(Duration.ofSeconds(1), TrainConfig.fromYaml(KAFKA).trainer().batchTimeout());
    assertEquals("model.batch_timeout conflicts with model.type: batch_timeout applies to mlp"
        + " and wide_and_deep only, but the model is logistic_regression",
        refused("model: {batch_timeout: 2s}").getMessage());
  }

  @Test
  void aRaceHasOneLearnerPerCandidate() throws Exception {
    TrainConfig c = TrainConfig.fromYaml(KAFKA + "race:\n"
        + "  - {name: a, optimizer: {name: Adagrad, lr: 0.1}}\n"
        + "  - {name: b, optimizer: {name: Ftrl, alpha: 0.1}}\n");
    assertEquals(java.util.List.of("a", "b"), java.util.List.copyOf(c.candidates().keySet()));
  }

  /**
   * The page cache is sized by state.cache_memory (a tenth of the heap unless given) or by
   * state.cache_pages when that is given; both is refused naming both, and a wrong amount is one
   * line naming the key and what is accepted.
   */
  @Test
  void theCacheIsSizedByMemoryUnlessPagesAreGiven() throws Exception {
    assertEquals(CacheSize.of(MemoryAmount.ofHeap(0.1)), TrainConfig.fromYaml(KAFKA).trainer()
        .cache());
    assertEquals(CacheSize.of(MemoryAmount.ofHeap(0.25)),
        TrainConfig.fromYaml(KAFKA + "state: {cache_memory: 0.25}").trainer().cache());
    assertEquals(CacheSize.of(MemoryAmount.ofBytes(256L << 20)),
        TrainConfig.fromYaml(KAFKA + "state: {cache_memory: 256mb}").trainer().cache());
    assertEquals(CacheSize.of(MemoryAmount.ofBytes(2L << 30)),
        TrainConfig.fromYaml(KAFKA + "state: {cache_memory: 2 GB}").trainer().cache());
    assertEquals(CacheSize.ofPages(4096),
        TrainConfig.fromYaml(KAFKA + "state: {cache_pages: 4096}").trainer().cache());
    assertEquals("state.cache_pages conflicts with state.cache_memory: both size the page cache;"
        + " give cache_pages (pages per subtask and candidate) or cache_memory (a fraction of"
        + " the heap or a size), not both",
        refused("state: {cache_pages: 4096, cache_memory: 0.2}").getMessage());
    // The job file's text, and the value as the message shows it.
    String[][] wrongs = {{"1", "1"}, {"0", "0"}, {"1.5", "1.5"}, {"-0.1", "-0.1"},
        {"0mb", "'0mb'"}, {"lots", "'lots'"}, {"'12 parsecs'", "'12 parsecs'"},
        {"512 kib", "'512 kib'"}, {"-5mb", "'-5mb'"}, {"99999999999tb", "'99999999999tb'"}};
    for (String[] wrong : wrongs) {
      assertEquals("state.cache_memory must be a fraction of the heap in (0, 1) such as 0.1,"
          + " or a size such as 256mb or 2g, but was " + wrong[1],
          refused("state: {cache_memory: " + wrong[0] + "}").getMessage(), wrong[0]);
    }
    assertEquals("state.cache_pages must be > 0, but was 0",
        refused("state: {cache_pages: 0}").getMessage());
  }

  @Test
  void aWrongValueStopsAtStartUpNamingTheKey() {
    assertEquals("optimizer.betas[0] must be in [0, 1), but was 1.2",
        refused("optimizer: {name: Adam, betas: [1.2, 0.9]}").getMessage());
    assertEquals("state.cahce_pages is not a setting; did you mean cache_pages? accepted:"
        + " backend, cache_memory,"
        + " cache_pages, page_bits, compression",
        refused("state: {cahce_pages: 3}").getMessage());
    assertEquals("model.type must be one of logistic_regression, linear_regression,"
        + " factorization_machine, mlp, wide_and_deep, but was 'svm'",
        refused("model: {type: svm}").getMessage());
    assertEquals("model.type must be one of logistic_regression, linear_regression,"
        + " factorization_machine, mlp, wide_and_deep, but was 'factorisation_machine'; did you"
        + " mean factorization_machine?", refused("model: {type: factorisation_machine}")
            .getMessage());
    assertEquals("labels.default_label must be in [0, 1] for the logistic loss, but was 2.0",
        refused("labels: {default_label: 2}").getMessage());
    assertEquals("job.parallelism must be > 0, but was 0",
        refused("job: {parallelism: 0}").getMessage());
    assertTrue(refused("race: [{name: a, optimizer: {name: SGD}}]\noptimizer: {name: SGD}")
        .getMessage().startsWith("race conflicts with optimizer"));
    assertEquals("race[1].name repeats the candidate name 'a'",
        refused("race: [{name: a}, {name: a}]").getMessage());
    assertTrue(refused("colour: blue").getMessage().startsWith("colour is not a setting;"
        + " accepted: "));
    assertTrue(refused("modle: {type: logistic_regression}").getMessage().startsWith("modle is"
        + " not a setting; did you mean model? accepted: "));
  }
}
