package io.gradflow.jobs.evaluate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.gradflow.config.ConfigReport;
import io.gradflow.config.Durations;
import io.gradflow.jobs.cli.Command;
import io.gradflow.jobs.cli.Counts;
import io.gradflow.jobs.cli.Flag;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.produce.FileReplay;
import io.gradflow.jobs.produce.ProduceCommand;
import io.gradflow.jobs.train.TrainCommand;
import io.gradflow.jobs.train.TrainConsole;
import io.gradflow.schema.Example;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.HeartbeatManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;

/**
 * {@code gradflow evaluate}: the training job's own operators over a file of history (CSV,
 * LibSVM, VW), on a local MiniCluster, in file order: every example is predicted, then learned
 * (progressive validation, as VW, MOA's {@code EvaluatePrequential} and River's
 * {@code progressive_val_score} do). No Kafka: a job file without a {@code kafka} section is
 * valid here ({@link TrainConfig.Use#EVALUATE}).
 *
 * <p>The file is read exactly as {@code produce} reads it ({@link ProduceCommand#openFile}, the
 * same flags, {@link ProduceCommand#FILE_FLAGS}): malformed lines are skipped with line-numbered
 * reasons or stop the run ({@code --on-error}). Each example is encoded as the job reads it from
 * Kafka (its topic is the file's name, its offset the line), then decoded and validated by the
 * job's decoder (invalid examples are dead letters, by reason), trained by the job's trainer
 * ({@link EvaluateJob}). The console is {@code train}'s ({@link TrainConsole}); {@code --json}
 * writes {@link EvaluateReport}, {@code --plot} a {@link LossPlot}.
 *
 * <p>{@code --final-savepoint DIR}: after the file's last example, a savepoint of the training
 * job's state in {@code DIR} ({@link FinalSavepoint}: the file's source holds there, the savepoint
 * is taken without stopping the job and keeps the training operators' state only, then the
 * evaluation ends as without it), which {@code train --savepoint}, {@code export} and
 * {@code validate} take; the summary and the JSON ({@code savepoint}) give its path.
 * {@code --json} and {@code --plot} must name new files, as {@code export}'s and
 * {@code validate}'s outputs: nothing is overwritten.
 *
 * <p>Exit codes: 0 done; 1 a file with no example to evaluate, a bad line under
 * {@code --on-error fail}, or a final savepoint that failed (the evaluation is complete); 2 a
 * command line or configuration that cannot run, or an output that exists.
 */
public final class EvaluateCommand {
  public static final List<Flag> FLAGS = Stream.concat(
      TrainCommand.FLAGS.stream().filter(f -> List.of("config", "quiet", "progress-every")
          .contains(f.name())),
      Stream.concat(Stream.of(
          Flag.of("json", Flag.Type.STRING, null, "write the evaluation as one JSON object to"
              + " this file"),
          Flag.of("plot", Flag.Type.STRING, null,
              "draw the prequential loss over examples into this .png or .svg file (by its"
              + " extension)"),
          Flag.of("final-savepoint", Flag.Type.STRING, null, "after the file's last example,"
              + " a savepoint of the training job's state in this new or empty directory, to"
              + " start train from (--savepoint), to export or to validate; the evaluation"
              + " then ends as without it")),
          ProduceCommand.FILE_FLAGS.stream().map(EvaluateCommand::ownWords))).toList();

  /**
   * {@code produce}'s file flags in evaluate's words where produce's speak of generators or of
   * writing to Kafka: the same names, types and defaults, so the file is read as produce reads
   * it.
   */
  private static Flag ownWords(Flag f) {
    String help = switch (f.name()) {
      case "file" -> "the file to evaluate on, read as it is evaluated (- for stdin), UTF-8";
      case "count" -> "evaluate the first N examples of the file only (default: all)";
      case "start-time" -> "event time of the file's first example when it has no timestamps"
          + " (no --csv-timestamp): ISO-8601, epoch millis or now; each next one --interval-ms"
          + " later";
      default -> null;
    };
    return help == null ? f : new Flag(f.name(), f.type(), f.defaultValue(), help, f.choices());
  }

  /**
   * What the model's audit record says of its examples: the file, its format, every file flag
   * given (the CSV mapping: numeric, categorical and label columns, the label threshold, ...),
   * {@code --count}, and for CSV how missing numeric cells are imputed.
   */
  static com.fasterxml.jackson.databind.node.ObjectNode source(Flag.Values v) {
    Map<String, String> given = new java.util.LinkedHashMap<>();
    for (Flag f : ProduceCommand.FILE_FLAGS) {
      if (v.isSet(f.name()) && !List.of("file", "count", "format").contains(f.name())) {
        given.put(f.name(), v.string(f.name()));
      }
    }
    String format = v.string("format");
    com.fasterxml.jackson.databind.node.ObjectNode s =
        io.gradflow.jobs.snapshot.Provenance.evaluateSource(v.string("file"), format, given,
            v.isSet("count") ? Long.valueOf(v.string("count")) : null);
    if ("csv".equals(format)) {
      s.put("imputation", "a missing numeric cell: the mean of the column's earlier values in"
          + " the file (0 before any), with the feature (column, missing) = 1");
    }
    return s;
  }

  public static final String SUMMARY = "predict, then learn every example of a file, in order,"
      + " with the training job's operators on a local MiniCluster (no Kafka)";

  private EvaluateCommand() {}

  public static int run(List<String> args, InputStream in, PrintStream out, PrintStream err)
      throws Exception {
    Flag.Values v = Flag.parse(FLAGS, args);
    if (!v.isSet("config")) {
      throw new Command.UsageException("--config is needed: the job's YAML (a kafka section is"
          + " not needed)");
    }
    if (!v.isSet("file")) {
      throw new Command.UsageException("--file is needed: the file to evaluate on (- for"
          + " stdin), with --format csv|libsvm|vw");
    }
    Duration progressEvery = Durations.parse("--progress-every", v.string("progress-every"));
    if (progressEvery.toMillis() < 100) {
      throw new Command.UsageException("--progress-every must be at least 100ms, but was "
          + v.string("progress-every"));
    }
    if (v.isSet("plot")) {
      LossPlot.checkPath(v.string("plot"));
    }
    for (String output : List.of("json", "plot")) {
      if (v.isSet(output)) {
        checkOutput("--" + output, v.string(output));
        // as export and validate: a command writes new files only, and never overwrites one
        io.gradflow.jobs.cli.UserException.requireAbsent("--" + output,
            Path.of(v.string(output)));
      }
    }
    TrainConfig config = TrainConfig.load(Path.of(v.string("config")), new ConfigReport(),
        TrainConfig.Use.EVALUATE);
    checkInputs(config, v);
    // A cache this JVM cannot give: the MiniCluster runs here, at parallelism 1.
    io.gradflow.jobs.train.TrainJob.checkCacheFits(config, EvaluateJob.flinkConfiguration(config),
        1);
    String finalSavepoint = v.isSet("final-savepoint") ? TrainCommand.checkFinalSavepoint(
        v.string("final-savepoint"), true, v.string("config")) : null;

    FileReading reading;
    boolean any;
    try {
      reading = FileReading.open(v, in);
    } catch (FileReplay.MalformedInputException e) {
      err.println("gradflow evaluate: " + e.getMessage());
      return 1;
    }
    try (reading) {
      try {
        any = reading.hasExample();
      } catch (FileReplay.MalformedInputException e) {
        err.println("gradflow evaluate: " + e.getMessage());
        return 1;
      }
      return evaluate(v, config, reading, any, finalSavepoint, out, err);
    }
  }

  /** Evaluates on the opened file, read as the job consumes it; returns the exit code. */
  private static int evaluate(Flag.Values v, TrainConfig config, FileReading reading,
      boolean any, String finalSavepoint, PrintStream out, PrintStream err) throws Exception {
    boolean probabilities = config.loss().predictsProbability();
    boolean quiet = v.on("quiet");
    Duration progressEvery = Durations.parse("--progress-every", v.string("progress-every"));
    TrainConsole console = new TrainConsole(out, err, quiet, probabilities, reading.source,
        "evaluate");
    console.noLabelsTopic(); // a file's labels are its own: no labels topic to count or miss
    console.pageCache(config.trainer().cache());
    if (config.labels().delayed()) {
      console.delayedLabels();
    }
    boolean timesGiven = eventTimesGiven(v);
    if (!timesGiven) { // --start-time and --interval-ms: whatever they say is no producer's mistake
      console.syntheticEventTimes();
    } else if (adviseEpochSeconds(v)) {
      console.csvEventTimes();
    }
    if (!any) {
      printFile(reading.replay(), err);
      String failed = reading.replay().allFailed();
      console.warn("gradflow evaluate: " + reading.source + " holds no example to evaluate"
          + (failed == null ? "" : ": " + failed));
      return 1;
    }
    console.fact("gradflow evaluate: " + reading.source + ", read as it is evaluated, in file"
        + " order, on a local MiniCluster (parallelism 1)");
    if (config.labels().delayed()) {
      console.fact("  labels.delayed is set: no label arrives besides the file's own, so an"
          + " unlabeled example is scored, then scored and learned again with labels.default_label"
          + " after labels.timeout of event time (or dropped, labels.on_timeout: drop)");
    }

    Configuration conf = EvaluateJob.flinkConfiguration(config);
    Path storage = null;
    if (finalSavepoint != null) {
      storage = Files.createTempDirectory("gradflow-evaluate-checkpoints-");
      EvaluateJob.withSavepointStorage(conf, storage);
    }
    conf.set(HeartbeatManagerOptions.HEARTBEAT_INTERVAL, Duration.ofSeconds(1));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, conf);
    boolean race = config.candidates().size() > 1 || !config.candidates().containsKey("");
    EvaluateReport report = new EvaluateReport(probabilities, race,
        config.trainer().rows().stamped());
    long started = System.nanoTime();
    Map<String, Object> accumulators;
    String savepoint = null;
    String savepointFailure = null;
    HoldingSource.Hold hold = finalSavepoint == null ? null : new HoldingSource.Hold();
    try (CloseableIterator<EvaluateOutput> outputs =
        EvaluateJob.build(env, config, reading, hold, source(v)).collectAsync()) {
      JobClient job = env.executeAsync("gradflow evaluate " + reading.source);
      // The outputs are collected meanwhile: a collecting sink that nobody reads stops the job
      // (and the savepoint's barrier) once its buffer is full.
      FutureTask<String> taking = hold == null ? null : new FutureTask<>(() -> {
        try {
          return FinalSavepoint.take(job, finalSavepoint, console);
        } finally {
          hold.release();
        }
      });
      if (taking != null) {
        Thread t = new Thread(taking, "evaluate-final-savepoint");
        t.setDaemon(true);
        t.start();
      }
      ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "evaluate-progress");
        t.setDaemon(true);
        return t;
      });
      ticker.scheduleAtFixedRate(() -> {
        try {
          console.progress(job.getAccumulators().get(progressEvery.toMillis(),
              TimeUnit.MILLISECONDS), seconds(started));
        } catch (Exception e) {
          // the job is starting or ending: no values yet
        }
      }, progressEvery.toMillis(), progressEvery.toMillis(), TimeUnit.MILLISECONDS);
      try {
        outputs.forEachRemaining(report::add);
        accumulators = job.getJobExecutionResult().get().getAllAccumulatorResults();
        if (taking != null) {
          try {
            savepoint = taking.get();
          } catch (java.util.concurrent.ExecutionException e) {
            if (!(e.getCause() instanceof io.gradflow.jobs.cli.UserException refused)) {
              throw e;
            }
            savepointFailure = refused.getMessage();
          }
        }
      } finally {
        if (hold != null) {
          hold.close();
        }
        ticker.shutdownNow();
        ticker.awaitTermination(progressEvery.toMillis() * 2, TimeUnit.MILLISECONDS);
      }
    } catch (Exception e) {
      // A bad line under --on-error fail (or one that ends the input) fails the job while it
      // reads: the same one line and exit code as when the file was read before the run.
      RuntimeException failure = reading.failure();
      if (failure == null) {
        throw e;
      }
      if (failure instanceof FileReplay.MalformedInputException) {
        err.println("gradflow evaluate: " + failure.getMessage());
        return 1;
      }
      throw failure;
    } finally {
      if (storage != null) {
        org.apache.flink.util.FileUtils.deleteDirectoryQuietly(storage.toFile());
      }
    }
    if (!reading.ended()) { // a finished job has read its source to the end
      throw new IllegalStateException("the evaluation ended before its file source did");
    }
    FileInput input = new FileInput(reading.source, reading.labeled(), reading.learnable(),
        reading.imputed(), reading.replay());
    double seconds = seconds(started);
    report.file(input.replay.lines(), input.replay.skipped(), input.replay.blank(),
        input.imputed, seconds);
    console.deadLetterAlerts(accumulators);
    console.summary(accumulators, seconds, null, TrainConsole.Ending.FINISHED);
    if (!quiet) {
      out.println("  file            " + fileLine(input.replay)
          + (input.imputed > 0 ? "; " + imputedLine(input.imputed) : ""));
    }
    String unlearned = unlearned(report, input, v, accumulators);
    if (unlearned != null) {
      console.warn("gradflow evaluate: " + unlearned);
    }
    printFile(input.replay, err);
    if (savepoint != null) {
      out.println("  savepoint       " + savepoint + " (the training job's state after the"
          + " file's last example; to go on from it: gradflow train --config FILE --savepoint "
          + savepoint + ")");
    } else if (finalSavepoint != null) {
      console.warn("gradflow evaluate: " + (savepointFailure != null ? savepointFailure
          : "--final-savepoint: the job ended before the savepoint into " + finalSavepoint
          + " was taken") + "; the evaluation is complete, no savepoint was written: exit code"
          + " 1");
    }
    Map<String, Object> json = report.toMap();
    if (savepoint != null) {
      json.put("savepoint", savepoint);
    }
    if (timesGiven) {
      json.put("event_time_before_2000", io.gradflow.jobs.kafka.EarlyEventTimes.count(
          accumulators));
    }
    if (v.isSet("json")) {
      writeJson(json, Path.of(v.string("json")));
      console.fact("  json            " + v.string("json"));
    }
    if (v.isSet("plot")) {
      LossPlot.write(json, probabilities, LossPlot.driftMarkers(json), Path.of(v.string("plot")));
      console.fact("  plot            " + v.string("plot"));
    }
    return finalSavepoint != null && savepoint == null ? 1 : 0;
  }

  /**
   * Whether the file gives the examples' event times (a CSV with {@code --csv-timestamp}); else
   * they are {@code --start-time} plus {@code --interval-ms} per example, made up here.
   */
  static boolean eventTimesGiven(Flag.Values v) {
    return v.string("format").equals("csv") && v.isSet("csv-timestamp");
  }

  /**
   * Whether the warning about event times before 2000 should name {@code --csv-timestamp-format
   * epoch-seconds}: only when the times come from a CSV column read in the default format (a
   * format given, epoch-seconds or another, is the user's choice already), as {@code produce}'s
   * note.
   */
  static boolean adviseEpochSeconds(Flag.Values v) {
    return eventTimesGiven(v) && !v.isSet("csv-timestamp-format");
  }

  /**
   * What the reading of the file found, as the summary's {@code file} line says it: {@code 20,002
   * lines read, 1 malformed line skipped} and, when there are any, the blank and comment lines.
   */
  static String fileLine(FileReplay replay) {
    return Counts.of(replay.lines(), "line") + " read, " + Counts.of(replay.skipped(),
        "malformed line") + (replay.blank() > 0 ? " and " + Counts.of(replay.blank(),
        "blank or comment line") : "") + " skipped";
  }

  /** {@code 12 missing cells imputed (column means so far)}: the file line's CSV part. */
  static String imputedLine(long imputed) {
    return Counts.of(imputed, "missing cell") + " imputed (column means so far)";
  }

  /**
   * Refuses, before the run, a CSV mapping whose numeric columns (an example's dense values, one
   * per {@code --csv-numeric} column) cannot be the inputs of the job's deep model: each example
   * would be a dead letter (DENSE_WIDTH).
   *
   * @throws io.gradflow.jobs.cli.UserException naming {@code model.inputs}, its value and the
   *     columns' count (exit 2)
   */
  static void checkInputs(TrainConfig config, Flag.Values v) {
    int inputs = config.input().denseValues();
    if (inputs < 0 || !v.string("format").equals("csv")) {
      return;
    }
    List<String> numeric = v.isSet("csv-numeric") ? v.list("csv-numeric") : List.of();
    if (numeric.size() != inputs) {
      throw new io.gradflow.jobs.cli.UserException("model.inputs is " + inputs + ", but "
          + (numeric.isEmpty() ? "no --csv-numeric column is given" : "--csv-numeric gives "
          + Counts.of(numeric.size(), "column") + " (" + String.join(",", numeric) + ")")
          + ": a deep model reads exactly one dense value per numeric column, so every example"
          + " would be a dead letter (DENSE_WIDTH); set model.inputs: " + numeric.size()
          + " or map " + inputs + " numeric columns", 2);
    }
  }

  /**
   * Why nothing was learned, and what to do, or null when something was: no example of the file
   * had a label (the usual mistake: no {@code --csv-label}), or every labeled one had weight 0.
   */
  static String unlearned(EvaluateReport report, FileInput input, Flag.Values v,
      Map<String, Object> accumulators) {
    if (report.learned() > 0) {
      return null;
    }
    if (input.labeled == 0) {
      String format = v.string("format");
      String how = switch (format) {
        case "libsvm" -> "LibSVM's label is a line's first number (1 3:0.5 7:1)";
        case "vw" -> "VW's label is a line's first word, before the '|' (1 |f a b)";
        default -> v.isSet("csv-label") ? "the column --csv-label " + v.string("csv-label")
            + " is empty on every line; name the column that holds the labels"
            : "name the CSV column that holds the labels with --csv-label COLUMN";
      };
      return "nothing was learned, so no metrics were reported: no example of " + input.source
          + " has a label (" + how + ")";
    }
    return "nothing was learned, so no metrics were reported: " + (input.learnable == 0
        ? "every labeled example of " + input.source + " has importance weight 0 (scored, not"
            + " learned)"
        : TrainConsole.allDeadLetters("every labeled example of " + input.source,
            accumulators));
  }

  /** What the reading of the file found ({@link FileReading}), once the job has read it. */
  record FileInput(String source, long labeled, long learnable, long imputed,
      FileReplay replay) {}

  /**
   * The missing numeric cells of a CSV example, which were imputed: its missing indicators, the
   * features {@code (column, "missing")} of its numeric columns ({@link
   * io.gradflow.jobs.produce.CsvFormat}). Exact: a categorical feature {@code (column,
   * "missing")} would need the cell {@code missing} in a numeric column, a malformed line.
   */
  static int imputed(Example e, java.util.Set<String> numeric) {
    if (numeric.isEmpty()) {
      return 0;
    }
    int n = 0;
    for (io.gradflow.schema.Feature f : e.getFeatures()) {
      if (io.gradflow.jobs.produce.CsvFormat.MISSING_INDICATOR.equals(f.getName())
          && numeric.contains(f.getNamespace())) {
        n++;
      }
    }
    return n;
  }

  /** The malformed lines and the format's notes, as produce lists them (standard error). */
  private static void printFile(FileReplay replay, PrintStream err) {
    replay.errors().forEach(m -> err.println("  " + m));
    long unshown = replay.skipped() + replay.refused() - replay.errors().size();
    if (unshown > 0) {
      err.printf(Locale.ROOT, "  ... and %,d more (the first %d are shown; --on-error fail stops"
          + " at the first)%n", unshown, replay.errors().size());
    }
    replay.notes().forEach(err::println);
  }

  /**
   * Refuses, before the run, an output file that could not be written after it: {@code name}
   * is a directory, or its parent directory cannot be created (a file of that name is in the
   * way). Creates the parent directories, as {@link #writeJson} and the plot do.
   *
   * @throws Command.UsageException naming {@code flag} and the path in the way
   */
  public static void checkOutput(String flag, String name) {
    Path file = Path.of(name).toAbsolutePath();
    if (Files.isDirectory(file)) {
      throw new Command.UsageException(flag + " names a directory, not a file: " + name);
    }
    Path parent = file.getParent();
    if (parent == null) {
      return;
    }
    try {
      Files.createDirectories(parent);
    } catch (java.nio.file.FileAlreadyExistsException e) {
      throw new Command.UsageException(flag + " " + name + " cannot be written: " + e.getFile()
          + " is a file, not a directory");
    } catch (IOException e) {
      throw new Command.UsageException(flag + " " + name + " cannot be written: "
          + e.getMessage());
    }
    if (!Files.isWritable(parent)) {
      throw new Command.UsageException(flag + " " + name + " cannot be written: permission"
          + " denied in " + parent);
    }
  }

  /** Writes a JSON object, indented, creating the parent directories. */
  public static void writeJson(Map<String, Object> json, Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), json);
  }

  private static double seconds(long startedNanos) {
    return (System.nanoTime() - startedNanos) / 1e9;
  }
}
