package io.gradflow.jobs.config;

import static io.gradflow.config.TrainSettings.CHANGELOG;
import static io.gradflow.config.TrainSettings.CHANGELOG_EVERY;
import static io.gradflow.config.TrainSettings.CHECKPOINTS;
import static io.gradflow.config.TrainSettings.CHECKPOINTS_DIRECTORY;
import static io.gradflow.config.TrainSettings.CHECKPOINTS_INCREMENTAL;
import static io.gradflow.config.TrainSettings.CHECKPOINTS_INTERVAL;
import static io.gradflow.config.TrainSettings.GRADIENT;
import static io.gradflow.config.TrainSettings.GRADIENT_CLIP_VALUE;
import static io.gradflow.config.TrainSettings.GRADIENT_MAX_NORM;
import static io.gradflow.config.TrainSettings.INPUT;
import static io.gradflow.config.TrainSettings.INPUT_MAX_ABS_VALUE;
import static io.gradflow.config.TrainSettings.INPUT_MAX_EVENT_TIME_AHEAD;
import static io.gradflow.config.TrainSettings.JOB;
import static io.gradflow.config.TrainSettings.JOB_DECODE_PARALLELISM;
import static io.gradflow.config.TrainSettings.JOB_NAME;
import static io.gradflow.config.TrainSettings.JOB_PARALLELISM;
import static io.gradflow.config.TrainSettings.LABELS;
import static io.gradflow.config.TrainSettings.LABELS_DEFAULT_LABEL;
import static io.gradflow.config.TrainSettings.LABELS_DELAYED;
import static io.gradflow.config.TrainSettings.LABELS_ON_TIMEOUT;
import static io.gradflow.config.TrainSettings.LABELS_TIMEOUT;
import static io.gradflow.config.TrainSettings.METRICS;
import static io.gradflow.config.TrainSettings.METRICS_CALIBRATION_BINS;
import static io.gradflow.config.TrainSettings.METRICS_EVERY;
import static io.gradflow.config.TrainSettings.METRICS_FADING_FACTOR;
import static io.gradflow.config.TrainSettings.METRICS_WINDOW;
import static io.gradflow.config.TrainSettings.MODEL;
import static io.gradflow.config.TrainSettings.MODEL_DEFAULT_KEY;
import static io.gradflow.config.TrainSettings.MODEL_HASH_BITS;
import static io.gradflow.config.TrainSettings.MODEL_LOSS;
import static io.gradflow.config.TrainSettings.MODEL_STANDARDIZE;
import static io.gradflow.config.TrainSettings.MODEL_STANDARDIZE_CLIP;
import static io.gradflow.config.TrainSettings.MODEL_TYPE;
import static io.gradflow.config.TrainSettings.RACE;
import static io.gradflow.config.TrainSettings.RACE_NAME;
import static io.gradflow.config.TrainSettings.STATE;
import static io.gradflow.config.TrainSettings.STATE_BACKEND;
import static io.gradflow.config.TrainSettings.STATE_COMPRESSION;
import static io.gradflow.config.TrainSettings.STATE_PAGE_BITS;

import io.gradflow.config.Check;
import io.gradflow.config.ConfigException;
import io.gradflow.config.ConfigReport;
import io.gradflow.config.DriftConfig;
import io.gradflow.config.OptimizerConfig;
import io.gradflow.config.ScheduleConfig;
import io.gradflow.config.Section;
import io.gradflow.config.Setting;
import io.gradflow.config.TrainSettings;
import io.gradflow.drift.DriftPolicy;
import io.gradflow.flink.TrainerSettings;
import io.gradflow.jobs.kafka.ExampleDecoder;
import io.gradflow.jobs.kafka.InputLimits;
import io.gradflow.jobs.kafka.KafkaSpec;
import io.gradflow.learn.LearnerSpec;
import io.gradflow.metrics.MetricsSpec;
import io.gradflow.model.DeepModel;
import io.gradflow.model.DeepModelSpec;
import io.gradflow.model.DenseBackends;
import io.gradflow.model.Loss;
import io.gradflow.model.ModelSpec;
import io.gradflow.optim.GradientSpec;
import io.gradflow.schema.FeatureHashing;
import io.gradflow.session.ModelSession;
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
 * The training job's configuration: one YAML file, read through the settings' declarations
 * ({@link TrainSettings}, {@link OptimizerConfig}, {@link ScheduleConfig}) and validated at
 * start-up. Every refused value names its key, the constraint and the value; a misspelled key is
 * refused with the list of accepted ones; a duplicate key, an empty file and a YAML syntax error
 * are refused with the line and column, never with the file's text ({@link YamlFiles}). See
 * {@code jobs/src/main/resources/train-example.yaml} for every setting.
 *
 * @param candidates the learners by candidate name: one entry named "" without a race, one per
 *     {@code race} entry otherwise, each with the top-level model or its own
 *     ({@code race[i].model}, read over the top-level one); every candidate has the same loss
 * @param input what an input record may hold (the {@code input} section), and the number of
 *     dense values of a job with a deep model (its, or its deep candidates', {@code inputs})
 * @param settings every declared setting as read: its full key, the value in force (secrets
 *     masked) and whether it was left at its default; the audit record's configuration
 * @param decodeParallelism threads decoding each source subtask's examples, in order
 *     ({@code job.decode_parallelism})
 */
public record TrainConfig(String jobName, int parallelism, int decodeParallelism, KafkaSpec kafka,
    int hashBits, String defaultModelKey, Map<String, LearnerSpec> candidates,
    TrainerSettings trainer, LabelSettings labels, StateSettings state, InputLimits input,
    List<ConfigReport.Entry> settings) implements Serializable {

  /** The same job with every example's label on the example: delayed labels already joined. */
  public TrainConfig withoutDelayedLabels() {
    return new TrainConfig(jobName, parallelism, decodeParallelism, kafka, hashBits,
        defaultModelKey, candidates, trainer, new LabelSettings(false, labels.timeout(),
            labels.onTimeout(), labels.defaultLabel()), state, input, settings);
  }

  /**
   * The job's decoder of input records: its feature hashing ({@code model.hash_bits}), loss,
   * default model key and input bounds, as the train job, {@code evaluate} and {@code validate}
   * decode.
   */
  public ExampleDecoder decoder() {
    return new ExampleDecoder(new FeatureHashing(hashBits), loss(), defaultModelKey, input);
  }

  /** The job's loss ({@code model.loss}), which every race candidate shares. */
  public Loss loss() {
    return candidates.values().iterator().next().loss();
  }

  /** The same job on one subtask with other trainer settings: an evaluation or a replay. */
  public TrainConfig onOneSubtask(TrainerSettings trainer) {
    return new TrainConfig(jobName, 1, decodeParallelism, kafka, hashBits, defaultModelKey,
        candidates, trainer, labels, state, input, settings);
  }

  /**
   * What a job file is read for. {@code train} needs the {@code kafka} section (its
   * {@code bootstrap_servers} is required); {@code evaluate} reads a file, so a job file without
   * a {@code kafka} section is valid for it (one that has one is still checked in full).
   */
  public enum Use { TRAIN, EVALUATE }

  /** What happens to an example whose delayed label does not arrive in time. */
  public enum OnTimeout { DEFAULT_LABEL, DROP }

  /**
   * @param delayed read delayed labels from the labels topic and join them to unlabeled
   *     examples; when false, examples are learned only with the label they carry
   * @param timeout how long an unlabeled example waits for its label, in event time
   * @param onTimeout apply {@code defaultLabel} and learn, or drop the example (counted)
   */
  public record LabelSettings(boolean delayed, Duration timeout, OnTimeout onTimeout,
      float defaultLabel) implements Serializable {
    /** When a wait that began at {@code eventTime} (ms) times out, in event time (ms). */
    public long deadline(long eventTime) {
      long millis = timeout.toMillis();
      return eventTime > Long.MAX_VALUE - millis ? Long.MAX_VALUE : eventTime + millis;
    }
  }

  /**
   * @param backend {@code hashmap} (heap) or {@code rocksdb}
   * @param checkpointInterval how often to checkpoint; zero disables checkpoints
   * @param checkpointDirectory where checkpoints go (a file: URI or path), or null for the
   *     default
   * @param incremental incremental checkpoints (RocksDB only)
   * @param compression RocksDB's block compression: {@code none} (the default: model pages are
   *     floats, which barely compress, and Snappy cost a third of the RocksDB trainer's rate in
   *     {@code bench/run-trainer.sh}), {@code snappy}, {@code lz4} or {@code zstd}
   */
  public record StateSettings(String backend, Duration checkpointInterval,
      String checkpointDirectory, boolean incremental, String compression, int restartAttempts,
      Duration restartDelay) implements Serializable {}

  /** Reads and validates a YAML file. */
  public static TrainConfig load(Path file) throws IOException {
    return load(file, new ConfigReport());
  }

  /** Reads and validates a YAML file, recording the effective settings in {@code report}. */
  public static TrainConfig load(Path file, ConfigReport report) throws IOException {
    return load(file, report, Use.TRAIN);
  }

  /** Reads and validates a YAML file for a use, recording the effective settings. */
  public static TrainConfig load(Path file, ConfigReport report, Use use) throws IOException {
    String yaml;
    if (Files.isDirectory(file)) {
      throw new ConfigException("--config", "--config names a directory, not a job file: "
          + file);
    }
    try {
      yaml = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException("--config", "--config " + file + ": no such file");
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new ConfigException("--config", "--config names a file that is not UTF-8 text: "
          + file);
    } catch (IOException e) {
      throw new ConfigException("--config", "--config names a file that cannot be read: " + file
          + " (" + e.getClass().getSimpleName() + ")");
    }
    return fromYaml(yaml, report, use);
  }

  public static TrainConfig fromYaml(String yaml) throws IOException {
    return fromYaml(yaml, new ConfigReport());
  }

  /** Reads a job file's text, recording the effective settings in {@code report}. */
  public static TrainConfig fromYaml(String yaml, ConfigReport report) {
    return fromYaml(yaml, report, Use.TRAIN);
  }

  /**
   * Reads a job file's text for a use; for {@link Use#EVALUATE} without a {@code kafka} section,
   * {@link #kafka()} is null.
   */
  public static TrainConfig fromYaml(String yaml, ConfigReport report, Use use) {
    return fromTree(YamlFiles.parse(yaml, use == Use.EVALUATE
        ? "evaluate needs no kafka section, but at least one setting, for example"
            + " model: {type: logistic_regression}"
        : "a job needs at least kafka: {bootstrap_servers: HOST:PORT}"), report, use);
  }

  static TrainConfig fromTree(Object tree, ConfigReport report) {
    return fromTree(tree, report, Use.TRAIN);
  }

  static TrainConfig fromTree(Object tree, ConfigReport report, Use use) {
    Section.Values root = TrainSettings.ROOT.read("", tree, report);

    Section.Values job = JOB.read("job", root.raw("job"), report);
    KafkaSpec kafka = use == Use.EVALUATE && root.raw("kafka") == null ? null
        : KafkaSpec.read("kafka", root.raw("kafka"), report);
    Section.Values input = INPUT.read("input", root.raw("input"), report);

    Section.Values model = MODEL.read("model", root.raw("model"), report);
    Loss loss = loss(model);
    report.resolve(model.key(MODEL_LOSS), loss.configName(), describe(loss));
    ModelSpec modelSpec = TrainSettings.modelSpec(model, report);

    Section.Values gradient = GRADIENT.read("gradient", root.raw("gradient"), report);
    GradientSpec gradientSpec = new GradientSpec(gradient.get(GRADIENT_CLIP_VALUE),
        gradient.get(GRADIENT_MAX_NORM), false);

    ScheduleConfig.Parsed schedule = ScheduleConfig.read("schedule", root.raw("schedule"), report);
    DriftPolicy drift = DriftConfig.read("drift", root.raw("drift"), loss.predictsProbability(),
        report);

    Map<String, LearnerSpec> candidates = new LinkedHashMap<>();
    // The model section each candidate's model was read from: the top level's, or a race
    // candidate's own over it.
    List<Section.Values> models = new java.util.ArrayList<>();
    List<?> race = race(root.raw("race"));
    if (race.isEmpty()) {
      OptimizerConfig.Parsed optimizer =
          OptimizerConfig.read("optimizer", root.raw("optimizer"), report);
      candidates.put("", learner(optimizer, modelSpec, loss, gradientSpec, schedule, model)
          .withDrift(drift));
      models.add(model);
    } else {
      Check.conflict(root.raw("optimizer") != null, "race", "optimizer",
          "a race lists each candidate's optimizer; remove the top-level optimizer");
      for (int i = 0; i < race.size(); i++) {
        Section.Values candidate = RACE.read("race[" + i + "]", race.get(i), report);
        String candidateName = candidate.get(RACE_NAME);
        if (candidates.containsKey(candidateName)) {
          throw new ConfigException(candidate.key(RACE_NAME), candidate.key(RACE_NAME)
              + " repeats the candidate name '" + candidateName + "'");
        }
        OptimizerConfig.Parsed optimizer =
            OptimizerConfig.read(candidate.key("optimizer"), candidate.raw("optimizer"), report);
        Section.Values own = candidate.raw("model") == null ? model
            : candidateModel(candidate.key("model"), candidate.raw("model"), model, loss, report);
        ModelSpec spec = own == model ? modelSpec : TrainSettings.modelSpec(own, report);
        candidates.put(candidateName,
            learner(optimizer, spec, loss, gradientSpec, schedule, own).withDrift(drift));
        models.add(own);
      }
    }
    // One decoder and one trainer serve every candidate: a model that reads dense values as its
    // inputs needs exactly its number of them, and the deep ones share the batch timeout.
    Section.Values deep = null;
    int denseInputs = -1;
    List<LearnerSpec> learners = List.copyOf(candidates.values());
    for (int i = 0; i < models.size(); i++) {
      Section.Values m = models.get(i);
      int inputs = learners.get(i).model().create().denseInputs();
      if (inputs < 0) {
        continue;
      }
      if (deep == null) {
        deep = m;
        denseInputs = inputs;
      }
      Check.conflict(inputs != denseInputs, m.key(TrainSettings.MODEL_INPUTS),
          deep.key(TrainSettings.MODEL_INPUTS), "every candidate of a race reads the same"
              + " examples, which must hold one number of dense values, but these say "
              + inputs + " and " + denseInputs);
      Check.conflict(!m.get(TrainSettings.MODEL_BATCH_TIMEOUT).equals(
          deep.get(TrainSettings.MODEL_BATCH_TIMEOUT)), m.key(TrainSettings.MODEL_BATCH_TIMEOUT),
          deep.key(TrainSettings.MODEL_BATCH_TIMEOUT), "the trainer steps the partial batches"
              + " of every candidate of a race after one batch_timeout; give them one value");
    }
    InputLimits inputLimits = new InputLimits(input.get(INPUT_MAX_EVENT_TIME_AHEAD),
        input.get(INPUT_MAX_ABS_VALUE), denseInputs);

    for (LearnerSpec candidate : candidates.values()) {
      // FTRL's weights are a closed form of z, n and alpha: a larger alpha rescales every
      // weight at once instead of taking larger steps (the drift benchmark: slower recovery).
      Check.conflict(drift.has(io.gradflow.drift.DriftAction.BOOST_LR)
          && candidate.optimizer() instanceof io.gradflow.optim.FtrlSpec, "drift.actions",
          race.isEmpty() ? "optimizer.name" : "race", "boost_lr scales FTRL's alpha, which"
              + " rescales every weight at once rather than taking larger steps (it recovered"
              + " more slowly than no adaptation in bench/run-drift.sh); use reset_slots or"
              + " decay_slots with Ftrl");
    }

    Section.Values labels = LABELS.read("labels", root.raw("labels"), report);
    float defaultLabel = labels.get(LABELS_DEFAULT_LABEL).floatValue();
    if (!loss.acceptsLabel(defaultLabel)) {
      throw new ConfigException(labels.key(LABELS_DEFAULT_LABEL), labels.key(LABELS_DEFAULT_LABEL)
          + " must be " + loss.labelDomain() + " for the " + loss.configName() + " loss, but was "
          + defaultLabel);
    }
    LabelSettings labelSettings = new LabelSettings(labels.get(LABELS_DELAYED),
        labels.get(LABELS_TIMEOUT), labels.get(LABELS_ON_TIMEOUT).equals("drop")
            ? OnTimeout.DROP : OnTimeout.DEFAULT_LABEL, defaultLabel);

    Section.Values state = STATE.read("state", root.raw("state"), report);
    Section.Values checkpoints = CHECKPOINTS.read("checkpoints", root.raw("checkpoints"), report);
    StateSettings stateSettings = new StateSettings(state.get(STATE_BACKEND),
        checkpoints.get(CHECKPOINTS_INTERVAL), checkpoints.get(CHECKPOINTS_DIRECTORY),
        checkpoints.get(CHECKPOINTS_INCREMENTAL), state.get(STATE_COMPRESSION),
        checkpoints.get(TrainSettings.CHECKPOINTS_RESTART_ATTEMPTS),
        checkpoints.get(TrainSettings.CHECKPOINTS_RESTART_DELAY));
    if (kafka != null) {
      kafka.checkTransactionTimeout(stateSettings.checkpointInterval(),
          stateSettings.restartDelay());
    }

    Section.Values metrics = METRICS.read("metrics", root.raw("metrics"), report);
    MetricsSpec metricsSpec = new MetricsSpec(metrics.get(METRICS_WINDOW),
        metrics.get(METRICS_FADING_FACTOR), metrics.get(METRICS_CALIBRATION_BINS));
    Section.Values changelog = CHANGELOG.read("changelog", root.raw("changelog"), report);
    Section.Values rows = TrainSettings.ROWS.read("rows", root.raw("rows"), report);
    TrainerSettings trainer = new TrainerSettings(TrainSettings.cacheSize(state),
        state.get(STATE_PAGE_BITS), metrics.get(METRICS_EVERY), changelog.get(CHANGELOG_EVERY),
        metricsSpec, TrainSettings.rowPolicy(rows), ModelSession.Replay.NONE,
        (deep != null ? deep : model).get(TrainSettings.MODEL_BATCH_TIMEOUT));

    return new TrainConfig(job.get(JOB_NAME), job.get(JOB_PARALLELISM),
        job.get(JOB_DECODE_PARALLELISM), kafka,
        model.get(MODEL_HASH_BITS), model.get(MODEL_DEFAULT_KEY), candidates, trainer,
        labelSettings, stateSettings, inputLimits, List.copyOf(report.entries()));
  }

  /** A loss with its label domain, as {@code --validate-only} shows it. */
  static String describe(Loss loss) {
    String domain = loss.labelDomain();
    return loss.configName() + " (labels " + (domain.startsWith("in ") ? domain
        : "are " + domain) + ")";
  }

  private static List<?> race(Object raw) {
    if (raw == null) {
      return List.of();
    }
    if (raw instanceof List<?> list) {
      return list;
    }
    throw new ConfigException("race", "race must be a list of candidates such as"
        + " [{name: a, optimizer: {name: Adam}}], but was " + (raw instanceof Map ? "a map"
        : "'" + raw + "'"));
  }

  /** The loss of a read model section: its {@code loss}, else its type's. */
  private static Loss loss(Section.Values model) {
    return model.isSet(MODEL_LOSS) ? Loss.parse(model.key(MODEL_LOSS), model.get(MODEL_LOSS))
        : model.get(MODEL_TYPE).equals("linear_regression") ? Loss.SQUARED : Loss.LOGISTIC;
  }

  /**
   * A race candidate's {@code model} section ({@code raw}, at {@code key}), read over the
   * top-level one: a key it does not set is the top level's, if that key applies to the
   * candidate's type ({@link TrainSettings#appliesTo}). What every candidate reads alike must
   * not differ from the top level's, else the file is refused naming both keys: the loss (the
   * labels' domain, the metrics, drift detection), {@code hash_bits} and {@code default_key}
   * (examples are decoded once).
   */
  private static Section.Values candidateModel(String key, Object raw, Section.Values top,
      Loss topLoss, ConfigReport report) {
    Map<String, ?> own = Section.asMap(key, raw);
    Object ownType = own.get(MODEL_TYPE.name());
    String type = ownType instanceof String t && TrainSettings.MODEL_TYPES.contains(t) ? t
        : top.get(MODEL_TYPE);
    Map<String, Object> merged = new LinkedHashMap<>();
    for (Setting<?> s : MODEL.settings()) {
      if (top.isSet(s) && TrainSettings.appliesTo(s, type)) {
        merged.put(s.name(), top.raw(s.name()));
      }
    }
    merged.putAll(own);
    Section.Values model = MODEL.read(key, merged, report);
    Loss loss = loss(model);
    report.resolve(model.key(MODEL_LOSS), loss.configName(), describe(loss));
    Check.conflict(loss != topLoss, model.key(own.containsKey(MODEL_LOSS.name()) ? MODEL_LOSS
        : MODEL_TYPE), top.key(top.isSet(MODEL_LOSS) ? MODEL_LOSS : MODEL_TYPE),
        "the candidates of a race share the loss (the labels' domain, the metrics), but this"
            + " candidate's is " + loss.configName() + " and the top-level model's "
            + topLoss.configName() + "; set model.loss");
    for (Setting<?> s : List.of(MODEL_HASH_BITS, MODEL_DEFAULT_KEY)) {
      Check.conflict(!model.get(s).equals(top.get(s)), model.key(s), top.key(s),
          "the candidates of a race read the same decoded examples; set " + s.name()
              + " on the top-level model only");
    }
    return model;
  }

  private static LearnerSpec learner(OptimizerConfig.Parsed optimizer, ModelSpec spec, Loss loss,
      GradientSpec gradient, ScheduleConfig.Parsed schedule, Section.Values model) {
    if (spec instanceof DeepModelSpec deep
        && DenseBackends.resolve(deep) == DeepModelSpec.DenseBackend.ND4J) {
      try {
        DenseBackends.nd4j((DeepModel) deep.create()); // ND4J missing: stops here
      } catch (ConfigException e) {
        // DenseBackends knows no prefix; a race candidate's own key is race[i].model...
        String key = model.key(TrainSettings.MODEL_DENSE_BACKEND);
        throw new ConfigException(key, e.getMessage().replace(e.key(), key));
      }
    }
    GradientSpec withMaximize =
        new GradientSpec(gradient.clipValue(), gradient.maxNorm(), optimizer.maximize());
    return new LearnerSpec(spec, loss, optimizer.spec(), withMaximize, schedule.spec(),
        schedule.clock(), model.get(MODEL_STANDARDIZE), model.get(MODEL_STANDARDIZE_CLIP));
  }
}
