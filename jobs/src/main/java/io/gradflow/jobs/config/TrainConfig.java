package io.gradflow.jobs.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.gradflow.config.Check;
import io.gradflow.config.ConfigException;
import io.gradflow.config.ConfigMap;
import io.gradflow.config.OptimizerConfig;
import io.gradflow.config.ScheduleConfig;
import io.gradflow.flink.TrainerSettings;
import io.gradflow.jobs.kafka.KafkaSpec;
import io.gradflow.learn.LearnerSpec;
import io.gradflow.metrics.MetricsSpec;
import io.gradflow.model.FactorizationMachineSpec;
import io.gradflow.model.LinearSpec;
import io.gradflow.model.Loss;
import io.gradflow.model.ModelSpec;
import io.gradflow.optim.GradientSpec;
import io.gradflow.schema.FeatureHashing;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The training job's configuration: one YAML file, read and validated at start-up. Every refused
 * value names its key, the constraint and the value; a misspelled key is refused with the list of
 * accepted ones. See {@code jobs/src/main/resources/train-example.yaml} for every setting.
 *
 * @param candidates the learners by candidate name: one entry named "" without a race, one per
 *     {@code race} entry otherwise
 */
public record TrainConfig(String jobName, int parallelism, KafkaSpec kafka, int hashBits,
    String defaultModelKey, Map<String, LearnerSpec> candidates, TrainerSettings trainer,
    LabelSettings labels, StateSettings state) implements Serializable {

  /** What happens to an example whose delayed label does not arrive in time. */
  public enum OnTimeout { DEFAULT_LABEL, DROP }

  /**
   * @param delayed read delayed labels from the labels topic and join them to unlabeled
   *     examples; when false, examples are learned only with the label they carry
   * @param timeout how long an unlabeled example waits for its label, in event time
   * @param onTimeout apply {@code defaultLabel} and learn, or drop the example (counted)
   */
  public record LabelSettings(boolean delayed, Duration timeout, OnTimeout onTimeout,
      float defaultLabel) implements Serializable {}

  /**
   * @param backend {@code hashmap} (heap) or {@code rocksdb}
   * @param checkpointInterval how often to checkpoint; zero disables checkpoints
   * @param checkpointDirectory where checkpoints go (a file: URI or path), or null for the job
   *     manager's memory
   * @param incremental incremental checkpoints (RocksDB only)
   * @param compression RocksDB's block compression: {@code none} (the default: model pages are
   *     floats, which barely compress, and Snappy cost a third of the RocksDB trainer's rate in
   *     {@code bench/run-trainer.sh}), {@code snappy}, {@code lz4} or {@code zstd}
   */
  public record StateSettings(String backend, Duration checkpointInterval,
      String checkpointDirectory, boolean incremental, String compression)
      implements Serializable {}

  /** Reads and validates a YAML file. */
  public static TrainConfig load(Path file) throws IOException {
    try {
      return fromYaml(Files.readString(file));
    } catch (NoSuchFileException e) {
      throw new ConfigException("--config", "--config names no file: " + file);
    }
  }

  public static TrainConfig fromYaml(String yaml) throws IOException {
    Object tree = new ObjectMapper(new YAMLFactory()).readValue(yaml, Object.class);
    return fromMap(ConfigMap.of("", tree == null ? Map.of() : tree));
  }

  static TrainConfig fromMap(ConfigMap root) {
    ConfigMap job = root.section("job");
    String name = job.string("name", "gradflow-train");
    int parallelism = (int) job.integer("parallelism", 1);
    Check.positive("job.parallelism", parallelism);
    job.rejectUnknown();

    Map<String, ?> kafkaMap = root.map("kafka");
    KafkaSpec kafka = KafkaSpec.fromMap(kafkaMap == null ? Map.of() : kafkaMap);

    ConfigMap model = root.section("model");
    String type = model.choice("type", "logistic_regression", "logistic_regression",
        "linear_regression", "factorization_machine");
    Loss defaultLoss = type.equals("linear_regression") ? Loss.SQUARED : Loss.LOGISTIC;
    Loss loss = model.has("loss") ? Loss.parse(model.key("loss"), model.string("loss", null))
        : defaultLoss;
    ModelSpec modelSpec = type.equals("factorization_machine")
        ? new FactorizationMachineSpec((int) model.integer("factors", 8),
            model.number("init_std", FactorizationMachineSpec.DEFAULT_INIT_STD),
            model.integer("seed", 42))
        : new LinearSpec();
    boolean standardize = model.flag("standardize", false);
    int hashBits = (int) model.integer("hash_bits", FeatureHashing.DEFAULT_BITS);
    Check.inRange(model.key("hash_bits"), hashBits, FeatureHashing.MIN_BITS,
        FeatureHashing.MAX_BITS);
    String defaultModelKey = model.string("default_key", "default");
    model.rejectUnknown();

    ConfigMap gradient = root.section("gradient");
    GradientSpec gradientSpec = new GradientSpec(gradient.number("clip_value", 0),
        gradient.number("max_norm", 0), false);
    gradient.rejectUnknown();

    ScheduleConfig.Parsed schedule = ScheduleConfig.fromMap("schedule", root.map("schedule"));

    Map<String, LearnerSpec> candidates = new LinkedHashMap<>();
    List<?> race = root.list("race");
    if (race.isEmpty()) {
      candidates.put("", learner("optimizer", root.map("optimizer"), modelSpec, loss,
          gradientSpec, schedule, standardize));
    } else {
      Check.conflict(root.has("optimizer"), "race", "optimizer",
          "a race lists each candidate's optimizer; remove the top-level optimizer");
      for (int i = 0; i < race.size(); i++) {
        ConfigMap candidate = ConfigMap.of("race[" + i + "]", race.get(i));
        String candidateName = candidate.string("name", null);
        if (candidateName == null || candidateName.contains("#")) {
          throw new ConfigException(candidate.key("name"), candidate.key("name")
              + " must be a name without '#', but was " + candidateName);
        }
        if (candidates.containsKey(candidateName)) {
          throw new ConfigException(candidate.key("name"), candidate.key("name")
              + " repeats the candidate name '" + candidateName + "'");
        }
        candidates.put(candidateName, learner(candidate.key("optimizer"),
            candidate.map("optimizer"), modelSpec, loss, gradientSpec, schedule, standardize));
        candidate.rejectUnknown();
      }
    }

    ConfigMap state = root.section("state");
    String backend = state.choice("backend", "hashmap", "hashmap", "rocksdb");
    int cachePages = (int) state.integer("cache_pages", 4096);
    int pageBits = (int) state.integer("page_bits", 12);
    String compression = state.choice("compression", "none", "none", "snappy", "lz4", "zstd");
    ConfigMap checkpoints = root.section("checkpoints");
    StateSettings stateSettings = new StateSettings(backend,
        checkpoints.duration("interval", Duration.ofSeconds(10)),
        checkpoints.string("directory", null), checkpoints.flag("incremental", true),
        compression);
    checkpoints.rejectUnknown();
    state.rejectUnknown();

    ConfigMap metrics = root.section("metrics");
    long metricsEvery = metrics.integer("every", 10_000);
    MetricsSpec metricsSpec = new MetricsSpec((int) metrics.integer("window", 10_000),
        metrics.number("fading_factor", 0.999), (int) metrics.integer("calibration_bins", 10));
    metrics.rejectUnknown();
    ConfigMap changelog = root.section("changelog");
    long changelogEvery = changelog.integer("every", 0);
    changelog.rejectUnknown();
    TrainerSettings trainer =
        new TrainerSettings(cachePages, pageBits, metricsEvery, changelogEvery, metricsSpec);

    ConfigMap labels = root.section("labels");
    boolean delayed = labels.flag("delayed", false);
    Duration timeout = labels.duration("timeout", Duration.ofMinutes(30));
    Check.positive("labels.timeout", timeout.toMillis());
    OnTimeout onTimeout = labels.choice("on_timeout", "default_label", "default_label", "drop")
        .equals("drop") ? OnTimeout.DROP : OnTimeout.DEFAULT_LABEL;
    float defaultLabel = (float) labels.number("default_label", 0);
    if (!loss.acceptsLabel(defaultLabel)) {
      throw new ConfigException("labels.default_label", "labels.default_label must be "
          + loss.labelDomain() + " for the " + loss.configName() + " loss, but was "
          + defaultLabel);
    }
    labels.rejectUnknown();

    root.rejectUnknown();
    return new TrainConfig(name, parallelism, kafka, hashBits, defaultModelKey, candidates,
        trainer, new LabelSettings(delayed, timeout, onTimeout, defaultLabel), stateSettings);
  }

  private static LearnerSpec learner(String key, Map<String, ?> optimizer, ModelSpec model,
      Loss loss, GradientSpec gradient, ScheduleConfig.Parsed schedule, boolean standardize) {
    Map<String, Object> hyperParameters =
        optimizer == null ? new LinkedHashMap<>() : new LinkedHashMap<>(optimizer);
    Object name = hyperParameters.remove("name");
    OptimizerConfig.Parsed parsed = OptimizerConfig.fromPytorch(key,
        name == null ? "Adagrad" : String.valueOf(name), hyperParameters);
    GradientSpec withMaximize =
        new GradientSpec(gradient.clipValue(), gradient.maxNorm(), parsed.maximize());
    return new LearnerSpec(model, loss, parsed.spec(), withMaximize, schedule.spec(),
        schedule.clock(), standardize);
  }
}
