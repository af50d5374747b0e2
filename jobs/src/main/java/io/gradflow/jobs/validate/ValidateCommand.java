package io.gradflow.jobs.validate;

import io.gradflow.config.ConfigReport;
import io.gradflow.flink.TrainerSettings;
import io.gradflow.jobs.cli.Command;
import io.gradflow.jobs.cli.Counts;
import io.gradflow.jobs.cli.Figures;
import io.gradflow.jobs.cli.Flag;
import io.gradflow.jobs.cli.UserException;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.evaluate.EvaluateJob;
import io.gradflow.jobs.evaluate.EvaluateOutput;
import io.gradflow.jobs.evaluate.EvaluateReport;
import io.gradflow.jobs.kafka.RawRecord;
import io.gradflow.jobs.snapshot.Provenance;
import io.gradflow.jobs.snapshot.SavepointModels;
import io.gradflow.jobs.train.TrainCommand;
import io.gradflow.session.ModelSession;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;

/**
 * {@code gradflow validate}: replays a bounded range of the examples topic through one or more
 * savepoints of the training job and scores each, so that a challenger can be compared with the
 * champion before it is deployed (DESIGN.md, "Replay and validation").
 *
 * <pre>
 * gradflow validate --config job.yaml --savepoint A --name champion --savepoint B --name challenger \
 *     [--config challenger.yaml: one --config per --savepoint, in order] \
 *     [--from earliest|offsets-in-savepoint|TIMESTAMP] [--to latest|TIMESTAMP|OFFSETS] \
 *     [--mode frozen|prequential] [--json OUT] [--report OUT.html] [--gate EXPR]
 * </pre>
 *
 * <p>The range is read once, into memory ({@link ReplayRange}), and every savepoint replays the
 * same records in the same order, each on its own local MiniCluster at parallelism 1 through the
 * training job's own decoder and trainer ({@link EvaluateJob}), restored from the savepoint
 * (state the replay does not use, such as the Kafka source's, is left aside). {@code frozen}
 * scores only; {@code prequential} predicts, then learns, as the live job does. Either way the
 * metrics measure the replay alone ({@link ModelSession.Replay}). Nothing is written to Kafka:
 * a replay needs no output topic and never touches the live job's. Savepoints are the only input:
 * a live job's checkpoints may be deleted while they are read.
 *
 * <p>One {@code --config} applies to every savepoint; given once per {@code --savepoint}, each
 * savepoint replays with its own job's model, optimizer and trainer (a challenger of another
 * configuration), and the first one's Kafka settings read the range: the jobs must agree on the
 * examples topic, the labels and the kind of prediction ({@link #rangeMismatch}). Every savepoint's
 * model signature is checked against its configuration at start-up, before the range is read,
 * and a mismatch is refused naming the savepoint and the setting.
 *
 * <p>{@code --report} renders the same as one HTML file ({@link HtmlReport}); {@code --gate}
 * checks a condition over the savepoints' overall metrics ({@link ValidationGate}), prints the
 * numbers it compared, and fails the command when it does not hold, so a deployment pipeline can
 * use it.
 *
 * <p>Exit codes: 0 done (and the gate passed); 1 the gate failed, or the range holds no record;
 * 2 a command line, configuration or savepoint that cannot run.
 */
public final class ValidateCommand {
  public static final List<Flag> FLAGS = List.of(
      Flag.repeated("config", "FILE", "the training job's YAML: Kafka settings, the"
          + " examples topic and the model; once for every savepoint, or once per --savepoint"
          + " in the same order (a challenger with another model or optimizer)"),
      Flag.repeated("savepoint", "PATH", "a savepoint of the training job to replay (repeat"
          + " for several)"),
      Flag.repeated("name", "NAME", "the name of the savepoint given before it"
          + " (champion, challenger, ...); default: the savepoint directory's name"),
      Flag.of("from", Flag.Type.STRING, "earliest", "where the replay starts: earliest,"
          + " offsets-in-savepoint (where the savepoints' job had read to, the furthest of them)"
          + " or a timestamp (ISO-8601)"),
      Flag.of("to", Flag.Type.STRING, "latest", "where it ends (exclusive): latest, a timestamp"
          + " (ISO-8601), or offsets (5000, or 0:5000,1:4200)"),
      Flag.choice("mode", "frozen", "frozen: score only; prequential: predict, then learn",
          "frozen", "prequential"),
      Flag.of("json", Flag.Type.STRING, null, "write the metrics per savepoint and model key to"
          + " this JSON file"),
      Flag.of("report", Flag.Type.STRING, null, "write the same for people to this HTML file"
          + " (charts inlined: it opens offline)"),
      Flag.choice("report-x", "examples", "the report's x axis", "examples", "event_time"),
      Flag.of("gate", Flag.Type.STRING, null, "a condition over the savepoints' metrics, such"
          + " as 'challenger.log_loss <= champion.log_loss * 1.01' or"
          + " 'challenger.expected_calibration_error <= 0.02'; exit 1 when it fails"),
      Flag.of("timeout", Flag.Type.STRING, "30s", "how long to wait for the broker"),
      Flag.of("quiet", Flag.Type.SWITCH, null, "print only warnings and errors"));

  public static final String SUMMARY = "replay a range of the examples topic through one or more"
      + " savepoints of the training job and compare them (frozen or prequential)";

  private ValidateCommand() {}

  public static int run(List<String> args, InputStream in, PrintStream out, PrintStream err)
      throws Exception {
    Flag.Values v = Flag.parse(FLAGS, args);
    if (!v.isSet("config")) {
      throw new Command.UsageException("--config is needed: the training job's YAML");
    }
    List<String> savepoints = v.all("savepoint");
    if (savepoints.isEmpty()) {
      throw new Command.UsageException("--savepoint is needed: one or more savepoints of the"
          + " training job (take one with gradflow train --final-savepoint, gradflow savepoint"
          + " or flink savepoint)");
    }
    Map<String, String> named = names(savepoints, v.all("name"));
    List<String> configPaths = v.all("config");
    if (configPaths.size() != 1 && configPaths.size() != savepoints.size()) {
      throw new Command.UsageException("--config must be given once (for every savepoint) or"
          + " once per --savepoint, in the same order (" + Counts.of(savepoints.size(),
          "savepoint") + ", " + Counts.of(configPaths.size(), "config") + ")");
    }
    for (String savepoint : savepoints) {
      TrainCommand.checkSavepoint(savepoint);
    }
    // Refused before the run: a file that exists, or a path that could not be written after it.
    if (v.isSet("json")) {
      UserException.requireAbsent("--json", Path.of(v.string("json")));
      io.gradflow.jobs.evaluate.EvaluateCommand.checkOutput("--json", v.string("json"));
    }
    if (v.isSet("report")) {
      UserException.requireAbsent("--report", Path.of(v.string("report")));
      io.gradflow.jobs.evaluate.EvaluateCommand.checkOutput("--report", v.string("report"));
    }
    ValidationGate gate = v.isSet("gate")
        ? ValidationGate.parse(v.string("gate"), named.keySet()) : null;
    boolean frozen = v.string("mode").equals("frozen");
    Duration timeout = io.gradflow.config.Durations.parse("--timeout", v.string("timeout"));
    // Each savepoint's job, by name; the first one's Kafka settings, topics and labels read the
    // range, which every savepoint replays.
    Map<String, String> configOf = new LinkedHashMap<>();
    Map<String, TrainConfig> loaded = new LinkedHashMap<>();
    int at = 0;
    for (String name : named.keySet()) {
      String path = configPaths.get(configPaths.size() == 1 ? 0 : at++);
      configOf.put(name, path);
      if (!loaded.containsKey(path)) {
        loaded.put(path, TrainConfig.load(Path.of(path), new ConfigReport()));
      }
    }
    // What each savepoint was judged with, for the go/no-go record: the file's bytes' digest
    // and the configuration as the audit record states it.
    Map<String, Map<String, Object>> configRecords = new LinkedHashMap<>();
    for (Map.Entry<String, TrainConfig> c : loaded.entrySet()) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("config_sha256", sha256(Path.of(c.getKey())));
      r.put("configuration", Provenance.configurationOf(c.getValue()));
      configRecords.put(c.getKey(), r);
    }
    TrainConfig config = loaded.values().iterator().next();
    boolean probabilities = predictsProbability(config);
    for (Map.Entry<String, TrainConfig> other : loaded.entrySet()) {
      String mismatch = rangeMismatch(config, other.getValue(), probabilities);
      if (mismatch != null) {
        throw new UserException("--config " + other.getKey() + " " + mismatch + " than --config "
            + configPaths.get(0) + "; the savepoints are compared on one range of one topic,"
            + " so their jobs must agree on it", 2);
      }
    }
    // A cache this JVM cannot give (each replay's MiniCluster runs here, at parallelism 1).
    for (TrainConfig c : loaded.values()) {
      io.gradflow.jobs.train.TrainJob.checkCacheFits(c, EvaluateJob.flinkConfiguration(c), 1);
    }
    // Every savepoint against its job's model, before anything is read or replayed; the same
    // read of its operator state gives where its job had read the examples to (as train
    // --savepoint reads it).
    Map<String, TrainConfig> replays = new LinkedHashMap<>();
    loaded.forEach((path, c) -> replays.put(path, replayConfig(c, frozen)));
    Map<String, SavepointModels.RestoreCheck> checks = new LinkedHashMap<>();
    Map<String, Map<String, Long>> examplesPositions = new LinkedHashMap<>();
    for (Map.Entry<String, String> sp : named.entrySet()) {
      SavepointModels.RestoreCheck check = SavepointModels.restoreCheck(sp.getValue(),
          replays.get(configOf.get(sp.getKey())), null);
      checks.put(sp.getKey(), check);
      examplesPositions.put(sp.getKey(), check.examplesPositions());
      String refusal = check.refusal();
      if (refusal != null) {
        throw new UserException("--savepoint " + sp.getValue() + " (" + sp.getKey() + ") cannot"
            + " be replayed with --config " + configOf.get(sp.getKey()) + ": " + refusal
            + "; nothing was replayed", 2);
      }
    }
    boolean quiet = v.on("quiet");
    if (gate != null) {
      gate.requireMetrics(probabilities
          ? List.of("examples", "learned", "log_loss", "base_rate_log_loss", "auc", "calibration",
              "expected_calibration_error")
          : List.of("examples", "learned", "rmse", "calibration"));
    }
    String topic = config.kafka().topics().examples();

    boolean inSavepoint = v.string("from").equals("offsets-in-savepoint");
    Map<Integer, Long> learnedTo = furthest(examplesPositions, topic);
    if (inSavepoint) {
      requirePositions(named, examplesPositions, topic);
    }
    ReplayRange.Read range = ReplayRange.read(config.kafka(), topic, "kafka.topics.examples",
        v.string("from"), v.string("to"), timeout, inSavepoint ? learnedTo : Map.of());
    if (!quiet) {
      out.printf(Locale.ROOT, "gradflow validate: %s of %s %s, %s, %s%n",
          Counts.of(range.records().size(), "record"), topic, describe(range), v.string("mode"),
          Counts.of(named.size(), "savepoint"));
    }
    String learnedNote = learnedNote(range, learnedTo);
    if (learnedNote != null) {
      err.println(learnedNote);
    }
    List<RawRecord> records = range.records();
    LabelReplay.Result joined = null;
    String labelTopic = config.kafka().topics().labels();
    if (config.labels().delayed()) {
      // Offsets name the examples topic's partitions; the labels are read to their end.
      ReplayRange.Read labels = ReplayRange.read(config.kafka(), labelTopic,
          "kafka.topics.labels", v.string("from"),
          ReplayRange.isOffsets(v.string("to")) ? "latest" : v.string("to"),
          timeout, inSavepoint ? labelOffsets(named, checks, labelTopic) : Map.of());
      joined = LabelReplay.join(records, labels.records(), config.labels(), config.decoder());
      records = joined.records();
      if (!quiet) {
        out.printf(Locale.ROOT, "  labels: %s of %s %s; %,d joined, %,d given the"
            + " default label, %,d dropped, %s, %,d refused%s%n",
            Counts.of(joined.labels(), "record"), labelTopic, describe(labels), joined.joined(),
            joined.defaulted(), joined.dropped(), Counts.of(joined.orphans(), "orphan"),
            joined.refused(), joined.duplicates() == 0 ? "" : ", " + Counts.of(
                joined.duplicates(), "duplicate") + " (ignored: the first label is joined)");
      }
      if (joined.joined() == 0 && !range.records().isEmpty()) {
        err.println("gradflow validate: warning: no label of " + labelTopic + " " + describe(labels)
            + " joined a replayed example: the examples that waited for a label were "
            + (joined.defaulted() > 0 ? "all given the default label (labels.on_timeout)"
                : "all dropped (labels.on_timeout: drop)") + ", so the figures do not measure"
            + " them against their labels; check that the labels topic's range holds their"
            + " labels" + (inSavepoint ? "" : " (--from names a position of " + topic
                + ", and the labels are read from the same time)"));
      }
    }
    if (range.records().isEmpty()) {
      err.println("gradflow validate: the range holds no record of " + topic + " "
          + describe(range) + "; check --from and --to");
      return 1;
    }

    Map<String, Object> result = new LinkedHashMap<>();
    result.put("mode", v.string("mode"));
    result.put("topic", topic);
    result.put("from", v.string("from"));
    result.put("to", v.string("to"));
    result.put("records", (long) range.records().size());
    List<Map<String, Object>> partitions = new ArrayList<>();
    range.positions().forEach((tp, p) -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("partition", tp.partition());
      m.put("from_offset", p[0]);
      m.put("to_offset", p[1]);
      partitions.add(m);
    });
    result.put("partitions", partitions);
    if (joined != null) {
      Map<String, Object> labels = joined.counts();
      labels.put("topic", labelTopic);
      result.put("labels", labels);
    }
    Map<String, Object> bySavepoint = new LinkedHashMap<>();
    for (Map.Entry<String, String> sp : named.entrySet()) {
      long[] unlabeled = new long[1];
      EvaluateReport report = replay(replays.get(configOf.get(sp.getKey())), sp.getValue(),
          records, probabilities, frozen, joined != null ? unlabeled : null);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("path", sp.getValue());
      if (configPaths.size() > 1) {
        m.put("config", configOf.get(sp.getKey())); // one --config: the same JSON from any path
      }
      m.putAll(configRecords.get(configOf.get(sp.getKey())));
      m.putAll(report.overall());
      if (joined != null) {
        m.put("scored_before_label", unlabeled[0]);
      }
      m.put("models", report.models());
      bySavepoint.put(sp.getKey(), m);
      if (!quiet) {
        out.println("  " + sp.getKey() + ": " + summary(m, probabilities));
      }
    }
    result.put("savepoints", bySavepoint);
    ValidationGate.Result verdict = null;
    if (gate != null) {
      try {
        verdict = gate.evaluateReport(result);
      } catch (Command.UsageException e) {
        // A metric the replay could not compute (an AUC over one class): the gate cannot pass.
        verdict = new ValidationGate.Result(false, "gate failed: " + e.getMessage());
      }
    }
    if (verdict != null) {
      Map<String, Object> g = new LinkedHashMap<>();
      g.put("expression", v.string("gate"));
      g.put("passed", verdict.passed());
      g.put("message", verdict.message());
      result.put("gate", g);
    }
    if (v.isSet("json")) {
      io.gradflow.jobs.evaluate.EvaluateCommand.writeJson(result, Path.of(v.string("json")));
      if (!quiet) {
        out.println("  json            " + v.string("json"));
      }
    }
    if (v.isSet("report")) {
      HtmlReport.write(result, v.string("report-x").equals("event_time")
          ? HtmlReport.XAxis.EVENT_TIME : HtmlReport.XAxis.EXAMPLES, Path.of(v.string("report")));
      if (!quiet) {
        out.println("  report          " + v.string("report"));
      }
    }
    if (verdict != null) {
      // The gate's numbers print even with --quiet: a pipeline's log should say why.
      (verdict.passed() ? out : err).println(verdict.message());
      return verdict.passed() ? 0 : 1;
    }
    return 0;
  }

  /** The SHA-256 of a file's bytes, in lower-case hex. */
  static String sha256(Path file) throws IOException {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(Files.readAllBytes(file)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  private static boolean predictsProbability(TrainConfig config) {
    return config.loss().predictsProbability();
  }

  /**
   * What makes two jobs' savepoints impossible to compare on one replay ("reads another examples
   * topic", ...), or null when they can be: the same examples topic, the same labels and the same
   * kind of prediction (probabilities or values, so the same metrics); with delayed labels also
   * the same decoding checks (input bounds, dense width, default model key, loss), since one
   * decoder joins the labels for every savepoint.
   */
  static String rangeMismatch(TrainConfig first, TrainConfig other, boolean probabilities) {
    if (!first.kafka().topics().examples().equals(other.kafka().topics().examples())) {
      return "reads another examples topic (kafka.topics.examples " + other.kafka().topics()
          .examples() + ", not " + first.kafka().topics().examples() + ")";
    }
    if (!first.labels().equals(other.labels()) || (first.labels().delayed()
        && !first.kafka().topics().labels().equals(other.kafka().topics().labels()))) {
      return "has other labels settings (labels.*, kafka.topics.labels)";
    }
    if (predictsProbability(other) != probabilities) {
      return "predicts " + (probabilities ? "values (model.loss), not probabilities,"
          : "probabilities (model.loss), not values,");
    }
    if (first.labels().delayed() && (!first.input().equals(other.input())
        || !java.util.Objects.equals(first.defaultModelKey(), other.defaultModelKey())
        || first.loss() != other.loss())) {
      // The delayed labels are joined once, by the first job's decoder: an example it refuses
      // gets no label, which another decoder might have accepted.
      return "decodes examples with other settings (input.*, model.inputs, model.default_key,"
          + " model.loss; with labels.delayed the labels are joined once, by one decoder)";
    }
    return null;
  }

  /** The job a replay runs: the trainer replaying (frozen or prequential), on one subtask. */
  static TrainConfig replayConfig(TrainConfig config, boolean frozen) {
    // No batch timeout: a replay's mini-batches are cut by model.batch_size alone (processing
    // time would make two replays of the same range differ).
    TrainerSettings t = config.trainer().withReplay(frozen ? ModelSession.Replay.FROZEN
        : ModelSession.Replay.PREQUENTIAL).withBatchTimeout(java.time.Duration.ZERO);
    // A delayed-label job's replay gets its labels already joined (LabelReplay).
    return config.onOneSubtask(t).withoutDelayedLabels();
  }

  /**
   * One savepoint's replay, collected into a report by model key.
   *
   * @param savepoint the savepoint to restore, or null for a new model (as the tests replay)
   * @param unlabeled with delayed labels, where to count the predictions made as unlabeled
   *     examples arrived: they are left out of the report, whose examples are the labeled ones
   *     (each example counts once, as in the job's metrics); null otherwise
   */
  static EvaluateReport replay(TrainConfig config, String savepoint,
      List<RawRecord> records, boolean probabilities, boolean frozen, long[] unlabeled)
      throws Exception {
    Configuration conf = EvaluateJob.flinkConfiguration(config);
    if (savepoint != null) {
      conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
      // The source and sinks of the live job are not in a replay; their state stays unread.
      conf.set(StateRecoveryOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, true);
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, conf);
    EvaluateReport report = new EvaluateReport(probabilities, EvaluateReport.Grouping.MODEL_KEY,
        true, frozen);
    try (CloseableIterator<EvaluateOutput> outputs =
        EvaluateJob.build(env, config, records).collectAsync()) {
      var job = env.executeAsync("gradflow validate " + savepoint);
      outputs.forEachRemaining(o -> {
        if (unlabeled != null && o.prediction != null && Float.isNaN(o.prediction.label)) {
          unlabeled[0]++;
        } else {
          report.add(o);
        }
      });
      job.getJobExecutionResult().get();
    } catch (ExecutionException | RuntimeException e) {
      java.util.Optional<String> incompatible =
          io.gradflow.learn.IncompatibleModelException.messageIn(e);
      if (incompatible.isPresent()) {
        throw new UserException("--savepoint " + savepoint + ": " + incompatible.get(), 2);
      }
      throw e;
    }
    return report;
  }

  /**
   * Where the labels of the replayed examples begin on the labels topic: per partition, the
   * earliest of the savepoints' labels positions (each from its restore check: no second read).
   * The examples replay from the furthest examples position, and their labels mostly come after
   * each savepoint's labels position, while a job that read its labels topic further (a bounded
   * challenger reads the labels topic to its end) would leave no label for the range: trial 23
   * F8 replayed 0 labels and gave every example the default label. Labels of examples outside
   * the range are orphans of the replay and change nothing. Labels a savepoint's job read ahead
   * of their examples (in its join's state) are below every position and not replayed: those
   * examples get the default label (review 23 M3; a start by the first example's event time less
   * labels.timeout would find them).
   */
  private static Map<Integer, Long> labelOffsets(Map<String, String> named,
      Map<String, SavepointModels.RestoreCheck> checks, String topic) {
    Map<String, Map<String, Long>> positions = new LinkedHashMap<>();
    for (String name : named.keySet()) {
      positions.put(name, checks.get(name).positions(SavepointModels.LABELS_SOURCE_UID));
    }
    requirePositions(named, positions, topic);
    return earliest(positions, topic);
  }

  /** Refuses {@code --from offsets-in-savepoint} when a savepoint holds no position. */
  private static void requirePositions(Map<String, String> named,
      Map<String, Map<String, Long>> positions, String topic) {
    positions.forEach((name, offsets) -> {
      if (offsets.isEmpty()) {
        throw new UserException("--from offsets-in-savepoint: savepoint " + name + " ("
            + named.get(name) + ") holds no position of the " + topic + " source; give --from"
            + " earliest or a timestamp", 2);
      }
    });
  }

  /**
   * Per partition of {@code topic}, the furthest next offset of the savepoints' positions
   * ({@code topic:partition} to the next offset, as {@link SavepointModels.RestoreCheck} gives
   * them); a marker (a split not started: no record known to be read) is left out.
   */
  static Map<Integer, Long> furthest(Map<String, Map<String, Long>> positions, String topic) {
    return merged(positions, topic, Math::max);
  }

  /** As {@link #furthest}, the earliest of the savepoints' next offsets per partition. */
  static Map<Integer, Long> earliest(Map<String, Map<String, Long>> positions, String topic) {
    return merged(positions, topic, Math::min);
  }

  private static Map<Integer, Long> merged(Map<String, Map<String, Long>> positions,
      String topic, java.util.function.BinaryOperator<Long> merge) {
    Map<Integer, Long> out = new java.util.TreeMap<>();
    positions.values().forEach(offsets -> offsets.forEach((tp, offset) -> {
      int at = tp.lastIndexOf(':');
      if (tp.substring(0, at).equals(topic) && offset >= 0) {
        out.merge(Integer.parseInt(tp.substring(at + 1)), offset, merge);
      }
    }));
    return out;
  }

  /**
   * Trial L11: a note when the range holds records below a savepoint's position (its job had
   * read, so learned, them: a replay from {@code earliest} scores training data), or null.
   */
  static String learnedNote(ReplayRange.Read range, Map<Integer, Long> learnedTo) {
    long learned = range.records().stream().filter(r -> r.offset < learnedTo.getOrDefault(
        r.partition, Long.MIN_VALUE)).count();
    if (learned == 0) {
      return null;
    }
    StringBuilder at = new StringBuilder();
    learnedTo.forEach((p, o) -> at.append(at.length() == 0 ? "" : ", ").append(p).append(": ")
        .append(o));
    return String.format(Locale.ROOT, "note: the range includes %s a savepoint learned (below"
        + " where its job had read to, partition: position %s); --from offsets-in-savepoint"
        + " scores only the records after them", Counts.of(learned, "record"), at);
  }

  /** Savepoint by name, in the order given; names pair with savepoints by position. */
  static Map<String, String> names(List<String> savepoints, List<String> names) {
    if (!names.isEmpty() && names.size() != savepoints.size()) {
      throw new Command.UsageException("--name must follow each --savepoint (" + savepoints.size()
          + (savepoints.size() == 1 ? " savepoint, " : " savepoints, ") + Counts.of(names.size(),
          "name") + "), or be left out");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < savepoints.size(); i++) {
      String name = names.isEmpty() ? defaultName(savepoints.get(i)) : names.get(i);
      if (!ValidationGate.NAME.matcher(name).matches()) {
        throw new Command.UsageException("--name '" + name + "' must be a letter or _ followed"
            + " by letters, digits or _ (the gate names it: " + "NAME.log_loss)");
      }
      if (out.containsKey(name)) {
        throw new Command.UsageException("--name " + name + " is given to two savepoints ("
            + out.get(name) + " and " + savepoints.get(i) + ")");
      }
      out.put(name, savepoints.get(i));
    }
    return out;
  }

  private static String defaultName(String savepoint) {
    Path p = Path.of(savepoint).getFileName();
    String name = p == null ? "savepoint" : p.toString().replaceAll("[^A-Za-z0-9_]", "_");
    return name.matches("[A-Za-z_].*") ? name : "sp_" + name;
  }

  private static String describe(ReplayRange.Read range) {
    StringBuilder b = new StringBuilder();
    range.positions().forEach((tp, p) -> b.append(b.length() == 0 ? "" : ", ")
        .append(tp.partition()).append(": [").append(p[0]).append(", ").append(p[1])
        .append(')'));
    return "(partition: [from, to) " + b + ")";
  }

  static String summary(Map<String, Object> m, boolean probabilities) {
    String examples = Counts.of(((Number) m.get("examples")).longValue(), "example");
    if (probabilities) {
      return String.format(Locale.ROOT, "%s, %,d learned; log loss %s, base rate %s,"
          + " AUC %s, calibration %s, ECE %s", examples, m.get("learned"),
          number(m.get("log_loss")), number(m.get("base_rate_log_loss")), auc(m),
          number(m.get("calibration")), number(m.get("expected_calibration_error")));
    }
    return String.format(Locale.ROOT, "%s, %,d learned; RMSE %s, calibration %s",
        examples, m.get("learned"), number(m.get("rmse")), number(m.get("calibration")));
  }


  /**
   * The summary's AUC: {@link Figures#UNDEFINED_AUC} when the range held examples of one class
   * only (the JSON's {@code auc} is then null), {@code -} when it held none.
   */
  private static String auc(Map<String, Object> m) {
    Object auc = m.get("auc");
    return auc == null && ((Number) m.get("examples")).longValue() > 0 ? Figures.UNDEFINED_AUC
        : number(auc);
  }

  private static String number(Object value) {
    return value instanceof Number n ? String.format(Locale.ROOT, "%.4f", n.doubleValue()) : "-";
  }
}
