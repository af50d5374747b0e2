package io.gradflow.jobs.train;

import io.gradflow.config.Durations;
import io.gradflow.jobs.cli.Command;
import io.gradflow.jobs.cli.Counts;
import io.gradflow.jobs.cli.Flag;
import io.gradflow.jobs.cli.Flag.Type;
import io.gradflow.jobs.cli.UserException;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.kafka.InputAccumulator;
import io.gradflow.jobs.kafka.InputPositions;
import io.gradflow.jobs.kafka.KafkaPreflight;
import io.gradflow.jobs.kafka.KafkaPreflight.PartitionExtent;
import io.gradflow.jobs.kafka.KafkaSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.configuration.HeartbeatManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplit;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.checkpoint.CheckpointException;
import org.apache.flink.runtime.checkpoint.CheckpointFailureReason;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.common.TopicPartition;

/**
 * {@code gradflow train --config job.yaml [--savepoint PATH]}: builds the training job from one
 * validated YAML file and runs it, embedded on a local MiniCluster when started from the command
 * line, or on the cluster when the jobs jar is submitted with {@code flink run} (the same code,
 * the same file).
 *
 * <p>Before the job is submitted it checks, with a short timeout, what a user can get wrong: the
 * brokers answer, the input topics exist, the checkpoint directory is writable and the savepoint
 * exists (the last two for embedded runs, whose paths are local); each failure stops with one
 * message naming the setting. It prints the input's extent, the job id and where checkpoints go;
 * while the job runs, a progress line every few seconds, a loud line at the first dead letter of
 * each reason, and data loss (records the broker deleted before the job read them); at the end a
 * summary ({@link TrainConsole}). A finished bounded run deletes its checkpoints when they are in
 * the default temporary directory. Exit code 1 when the job failed, a bounded run's input was
 * empty or every example it read was a dead letter, or input records were lost; 130 when an
 * embedded run was stopped with Ctrl-C (it cancels the job and prints the summary of the counts
 * the job ended with, {@link FinalAccumulators}). Under {@code flink run -d} (detached) it
 * returns once the job is submitted.
 *
 * <p>{@code --final-savepoint DIR} (a bounded run, attached): the job's sources hold at the end
 * of their input instead of ending ({@link TrainJob#build(StreamExecutionEnvironment,
 * TrainConfig, java.util.function.UnaryOperator, boolean)}); once every source subtask holds,
 * the command stops the job with a canonical savepoint in {@code DIR} (asking again while Flink
 * refuses it because a task is still starting) and prints its path in the summary. An embedded
 * run serves its MiniCluster's REST API on 127.0.0.1 ({@code --rest-port}, a free port by
 * default) and leaves a {@link RunningTrain} file beside its checkpoints while it runs, so
 * {@code gradflow savepoint} ({@link SavepointCommand}) can reach it.
 */
public final class TrainCommand {
  public static final List<Flag> FLAGS = List.of(
      Flag.of("config", Type.STRING, null, "the job's YAML configuration (required)"),
      Flag.of("savepoint", Type.STRING, null, "start from this savepoint or checkpoint"),
      Flag.of("resume", Type.STRING, null, "start from the newest complete checkpoint (chk-N"
          + " with a _metadata file) under this directory, across its job id directories"
          + " (checkpoints.directory, or the checkpoints line train printed)"),
      Flag.of("accept-lost-output", Type.SWITCH, null, "start from a checkpoint older than"
          + " kafka.transaction_timeout allows: the broker has aborted its last transactions,"
          + " so the output of its last checkpoint interval may be missing"),
      Flag.of("final-savepoint", Type.STRING, null, "a bounded run (kafka.bounded) ends with a"
          + " savepoint in this new or empty directory, to start the live job from"
          + " (--savepoint) or to validate; the job stays running at the end of its input until"
          + " the savepoint is taken"),
      Flag.of("rest-port", Type.STRING, "0", "the port of an embedded run's Flink REST endpoint"
          + " on 127.0.0.1, which gradflow savepoint calls (0: a free port)"),
      Flag.of("validate-only", Type.SWITCH, null, "check the configuration and stop"),
      Flag.of("create-topics", Type.SWITCH, null, "create missing output topics (predictions,"
          + " metrics, dead letters, a compacted changelog) with the examples topic's partitions"
          + " before the job starts"),
      Flag.of("quiet", Type.SWITCH, null,
          "print no start-up facts, progress or summary (warnings and errors still print)"),
      Flag.of("keep-checkpoints", Type.SWITCH, null, "keep a finished bounded run's checkpoints"
          + " in the default temporary directory (a set checkpoints.directory always keeps them)"),
      Flag.of("progress-every", Type.STRING, "5s", "how often the progress line prints"),
      Flag.of("startup-timeout", Type.STRING, "10s",
          "how long the start-up checks wait for the Kafka brokers"));

  /** How often the task managers report accumulators to an embedded job's client. */
  static final Duration EMBEDDED_HEARTBEAT = Duration.ofSeconds(1);

  /** How long {@code --final-savepoint} asks again while Flink says a task is not running. */
  static final Duration FINAL_SAVEPOINT_PATIENCE = Duration.ofMinutes(2);

  /** The pause between two asks of {@code --final-savepoint}. */
  private static final Duration FINAL_SAVEPOINT_PAUSE = Duration.ofMillis(500);

  private TrainCommand() {}

  /** For {@code flink run -c io.gradflow.jobs.train.TrainCommand gradflow-jobs.jar --config ...}. */
  public static void main(String[] args) throws Exception {
    System.exit(io.gradflow.jobs.cli.Main.run(withCommand(args), System.in, System.out,
        System.err));
  }

  private static String[] withCommand(String[] args) {
    String[] all = new String[args.length + 1];
    all[0] = "train";
    System.arraycopy(args, 0, all, 1, args.length);
    return all;
  }

  public static int run(List<String> args, InputStream in, PrintStream out, PrintStream err)
      throws Exception {
    Flag.Values flags = Flag.parse(FLAGS, args);
    if (!flags.isSet("config")) {
      throw new Command.UsageException("--config is required\n" + Flag.help(FLAGS));
    }
    TrainConfig config = TrainConfig.load(Path.of(flags.string("config")));
    if (flags.on("validate-only")) {
      // The effective configuration, from the settings' declarations; defaults are marked.
      io.gradflow.config.ConfigReport report = new io.gradflow.config.ConfigReport();
      TrainConfig.load(Path.of(flags.string("config")), report);
      out.println("configuration is valid: " + Counts.of(config.candidates().size(), "learner")
          + ", "
          + "state backend " + config.state().backend() + "; effective settings:");
      report.lines().forEach(line -> out.println("  " + line));
      return 0;
    }
    Duration progressEvery = Durations.parse("--progress-every", flags.string("progress-every"));
    Duration startupTimeout =
        Durations.parse("--startup-timeout", flags.string("startup-timeout"));
    if (progressEvery.toMillis() < 100) {
      throw new Command.UsageException("--progress-every must be at least 100ms, but was "
          + flags.string("progress-every"));
    }
    if (startupTimeout.toMillis() < 100) {
      throw new Command.UsageException("--startup-timeout must be at least 100ms, but was "
          + flags.string("startup-timeout"));
    }
    boolean quiet = flags.on("quiet");
    boolean createTopics = flags.on("create-topics");
    KafkaSpec kafka = config.kafka();
    String finalSavepoint = flags.isSet("final-savepoint") ? flags.string("final-savepoint")
        : null;
    if (finalSavepoint != null) {
      finalSavepoint = checkFinalSavepoint(finalSavepoint, kafka.bounded() != null,
          flags.string("config"));
    }
    int restPort = restPort(flags.string("rest-port"));
    String examplesTopic = kafka.topics().examples();
    TrainConsole console = new TrainConsole(out, err, quiet,
        config.loss().predictsProbability(),
        examplesTopic);
    console.labels(config.labels());
    console.pageCache(config.trainer().cache());
    if (config.labels().delayed()) {
      console.delayedLabels();
    }

    Configuration conf = TrainJob.flinkConfiguration(config);
    String savepoint = flags.isSet("savepoint") ? flags.string("savepoint") : null;
    RetainedCheckpoints.Found restoring = null;
    // A restored run that stops or fails before its own first checkpoint goes on from here.
    String startedFrom = null;
    String restoreFlag = "--savepoint " + savepoint;
    if (flags.isSet("resume")) {
      if (savepoint != null) {
        throw new Command.UsageException("--resume and --savepoint both say where to start:"
            + " give one of them");
      }
      restoring = RetainedCheckpoints.resume(flags.string("resume"));
      savepoint = restoring.directory().toString();
      restoreFlag = "--resume " + flags.string("resume");
      console.fact("resuming from " + savepoint + ", the newest complete checkpoint under "
          + flags.string("resume") + " (checkpoint " + restoring.number() + ", written "
          + RetainedCheckpoints.describe(restoring.age(java.time.Instant.now())) + " ago)");
    } else if (savepoint != null && localPath(savepoint) != null) {
      restoring = RetainedCheckpoints.at(localPath(savepoint)).orElse(null);
    }
    if (savepoint != null) {
      conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
      startedFrom = "gradflow train --config " + flags.string("config") + " " + restoreFlag
          + (flags.on("accept-lost-output") ? " --accept-lost-output" : "");
    }
    conf.set(HeartbeatManagerOptions.HEARTBEAT_INTERVAL, EMBEDDED_HEARTBEAT);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    boolean embedded = env instanceof LocalStreamEnvironment;
    String rest = null;
    if (embedded) {
      // The MiniCluster's REST endpoint, on the loopback interface only, for gradflow savepoint.
      rest = "http://127.0.0.1:" + (restPort == 0 ? freePort() : restPort);
      conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
      conf.set(RestOptions.ADDRESS, "127.0.0.1");
      conf.set(RestOptions.BIND_PORT, rest.substring(rest.lastIndexOf(':') + 1));
      env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    } else if (finalSavepoint != null
        && !env.getConfiguration().get(DeploymentOptions.ATTACHED)) {
      throw new UserException("--final-savepoint needs an attached run (flink run without -d):"
          + " the command stops the job with a savepoint when its input has ended", 2);
    }
    String checkpoints = TrainJob.checkpointDirectory(config);
    boolean defaultCheckpoints = config.state().checkpointDirectory() == null;
    // Where a restored examples source reads on from, when read here (an embedded run's
    // savepoint); null when not known before the job runs.
    Map<String, Long> positions = null;
    if (embedded) {
      TrainJob.checkCacheFits(config, conf, config.parallelism());
      checkWritable(checkpoints, defaultCheckpoints);
      if (savepoint != null) {
        checkSavepoint(savepoint);
        // The trainer refuses another model's state at restore; refused here first, before
        // anything is connected or warned about a run that would not start.
        String refusal = null;
        List<io.gradflow.jobs.snapshot.Provenance.Change> changed = List.of();
        try {
          var check = io.gradflow.jobs.snapshot.SavepointModels.restoreCheck(savepoint, config,
              checkpoints);
          refusal = check.refusal();
          positions = check.examplesPositions();
          changed = check.changed();
        } catch (java.io.IOException unreadable) {
          // _metadata that Flink cannot read: the restore says so, as it did before this check.
        }
        if (refusal != null) {
          throw new UserException(restoreFlag + ": " + refusal, 2);
        }
        if (!changed.isEmpty()) {
          console.warn(changedSettings(changed));
        }
      }
    }
    if (restoring != null) {
      String loss = RetainedCheckpoints.checkAge(restoring, config, java.time.Instant.now(),
          flags.on("accept-lost-output"), restoreFlag);
      if (loss != null) {
        console.warn(loss);
      }
    }

    List<PartitionExtent> extents;
    List<String> notes = new ArrayList<>();
    try (KafkaPreflight preflight = KafkaPreflight.connect(kafka, startupTimeout)) {
      if (config.labels().delayed()) {
        preflight.checkTopic("kafka.topics.labels", kafka.topics().labels());
      }
      extents = preflight.extent(examplesTopic, "kafka.topics.examples");
      KafkaSpec.Topics topics = kafka.topics();
      List<String[]> outputs = new ArrayList<>(List.of(
          new String[] {"kafka.topics.predictions", topics.predictions()},
          new String[] {"kafka.topics.metrics", topics.metrics()},
          new String[] {"kafka.topics.dead_letters", topics.deadLetters()}));
      if (config.trainer().changelogEvery() > 0) {
        outputs.add(new String[] {"kafka.topics.changelog", topics.changelog()});
      }
      for (String[] output : outputs) {
        String note = createTopics
            ? preflight.createOutputTopic(output[0], output[1], extents.size(),
                output[0].equals("kafka.topics.changelog")
                    ? Map.of("cleanup.policy", "compact") : Map.of())
            : preflight.checkOutputTopic(output[0], output[1]);
        if (note != null) {
          notes.add(note);
        }
      }
    }
    console.fact("gradflow train: job " + config.jobName() + ", brokers "
        + kafka.bootstrapServers());
    boolean bounded = kafka.bounded() != null;
    // A restored run's input and restore lines are printed once the job is accepted: a restore
    // the cluster refuses (no savepoint at the path) then prints only its refusal.
    if (savepoint == null) {
      console.extent(examplesTopic, extents);
    }
    notes.forEach(console::fact);
    if (savepoint == null) {
      startLosses(console, extents);
      if (bounded && extents.stream().mapToLong(PartitionExtent::toRead).sum() == 0) {
        console.warn("gradflow train: the input is empty: kafka.topics.examples ('" + examplesTopic
            + "') holds no record between the starting offsets (kafka.starting_offsets) and the"
            + " end (kafka.bounded); nothing to train on. Produce examples first (gradflow"
            + " produce) or check the topic name"
            + (extents.stream().anyMatch(e -> e.logStart() > 0) ? "; records that were there"
                + " have been deleted by the broker (look at the topic's retention.ms)" : ""));
        return 1;
      }
    }

    TrainJob.configure(env, config);
    TrainJob.build(env, config, java.util.function.UnaryOperator.identity(),
        finalSavepoint != null);
    long started = System.nanoTime();
    // Where the job starts reading, per partition, when known here: then records the broker
    // deleted below it are judged as on a fresh run; null when not known (no loss judged).
    List<PartitionExtent> judged = extents;
    boolean holdsPositions = savepoint != null && holdsExamplesPositions(savepoint);
    List<PartitionExtent> restored = positions == null ? null
        : fromPositions(extents, examplesTopic, positions);
    if (savepoint != null) {
      judged = restoredStarts(extents, restored, examplesTopic, positions, holdsPositions);
    }
    JobClient job = env.executeAsync(config.jobName());
    if (savepoint != null) {
      restoreLines(console, examplesTopic, extents, restored, judged, holdsPositions, savepoint);
    }
    String jobCheckpoints = checkpoints.endsWith("/") ? checkpoints + job.getJobID()
        : checkpoints + "/" + job.getJobID();
    Path endpoint = null;
    if (rest != null) {
      endpoint = RunningTrain.write(localPath(checkpoints), job.getJobID().toString(), rest,
          flags.string("config"));
      console.fact("job id " + job.getJobID() + ", REST " + rest + " (gradflow savepoint"
          + " --config " + flags.string("config") + " --dir DIR takes a savepoint)");
    } else {
      console.fact("job id " + job.getJobID());
    }
    Duration interval = config.state().checkpointInterval();
    console.fact("checkpoints " + jobCheckpoints + (interval.isZero() ? " (checkpoints are off)"
        : " every " + interval.toMillis() / 1000.0 + " s")
        + (defaultCheckpoints ? " (the default temporary directory"
            + (bounded && !flags.on("keep-checkpoints")
                ? ": deleted when the bounded run finishes; --keep-checkpoints keeps them)" : ")")
            : ""));
    if (!embedded && !env.getConfiguration().get(DeploymentOptions.ATTACHED)) {
      return 0; // flink run -d: submitted, the cluster runs it
    }

    List<TopicPartition> partitions = extents.stream().map(PartitionExtent::partition).toList();
    boolean judgeLoss = judged != null;
    CompletableFuture<JobExecutionResult> result = job.getJobExecutionResult();
    // Ctrl-C on an embedded run: cancel the job, print what it did, then let the JVM exit.
    AtomicBoolean stopping = new AtomicBoolean();
    CountDownLatch reported = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      stopping.set(true);
      job.cancel();
      try {
        reported.await(15, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "gradflow-train-stop");
    if (embedded) {
      Runtime.getRuntime().addShutdownHook(hook);
    }
    boolean lost = console.lostRecords();
    InputPositions.Watch lossWatch = new InputPositions.Watch(judgeLoss ? judged : List.of());
    Map<String, Object> accumulators = Map.of();
    java.time.Instant polledAt = null; // when the accumulators above were read
    Map<String, long[]> read = new java.util.HashMap<>();
    boolean restarted = false;
    RetainedCheckpoints.Found lastCheckpoint = null;
    String resume = "gradflow train --config " + flags.string("config") + " --resume "
        + checkpoints;
    String savepointPath = null;
    String servers = kafka.bootstrapServers();
    console.restartAttempts(config.state().restartAttempts(), java.time.ZoneId.systemDefault());
    console.restartSource(embedded && localPath(jobCheckpoints) != null, savepoint == null ? null
        : (flags.isSet("resume") ? "the checkpoint " : "the savepoint ") + savepoint);
    try (KafkaPreflight watch = connectOrNull(kafka, startupTimeout, console);
        StatusWatch status = new StatusWatch(job)) {
      while (!result.isDone()) {
        try {
          result.get(progressEvery.toMillis(), TimeUnit.MILLISECONDS);
          break;
        } catch (TimeoutException e) {
          // time for a progress line
        } catch (ExecutionException e) {
          break; // reported below
        }
        try {
          accumulators = job.getAccumulators().get(progressEvery.toMillis(),
              TimeUnit.MILLISECONDS);
          polledAt = java.time.Instant.now();
        } catch (ExecutionException | TimeoutException e) {
          continue; // the job is starting or ending: no values yet
        } catch (IllegalStateException e) {
          // The embedded MiniCluster shut down: the job ended between the two calls.
          continue;
        }
        RetainedCheckpoints.Found newest = newestOf(jobCheckpoints, embedded);
        if (newest != null && (lastCheckpoint == null
            || newest.number() != lastCheckpoint.number())) {
          if (lastCheckpoint == null) {
            console.fact("first checkpoint complete (" + newest.directory() + "): a stopped,"
                + " failed or killed run restarts from its newest checkpoint with " + resume);
          }
          lastCheckpoint = newest;
        }
        console.progress(accumulators, seconds(started), name(lastCheckpoint));
        if (finalSavepoint != null && savepointPath == null
            && ended(accumulators, env.getParallelism(), config.labels().delayed())) {
          savepointPath = stopWithSavepoint(job, finalSavepoint, console,
              env.getParallelism(), config.labels().delayed());
        }
        restarted |= InputPositions.remember(read, TrainConsole.input(accumulators));
        status.report(console, name(lastCheckpoint), servers);
        lost |= checkLoss(console, logStarts(watch), lossWatch, partitions, judgeLoss, read,
            false, servers, name(lastCheckpoint));
      }
      status.report(console, name(lastCheckpoint), servers);
      JobExecutionResult done;
      try {
        done = result.get();
      } catch (ExecutionException e) {
        if (stopping.get()) {
          // The counts the cancelled job ended with; failing them, the last look's, said so.
          Map<String, Object> last = FinalAccumulators.of(job);
          console.summary(last != null ? last : accumulators, seconds(started),
              cleanUp(jobCheckpoints, false, embedded, true, startedFrom)
                  + restartHint(jobCheckpoints, resume),
              TrainConsole.Ending.STOPPED);
          if (last == null) {
            console.fact(TrainConsole.countsAsOf(polledAt, java.time.ZoneId.systemDefault()));
          }
          String nothing = console.nothingScored(last != null ? last : accumulators);
          if (nothing != null) {
            console.warn("gradflow train: " + nothing);
          }
          return 130; // stopped by a signal, as shells report Ctrl-C
        }
        java.util.Optional<String> incompatible =
            io.gradflow.learn.IncompatibleModelException.messageIn(e);
        if (incompatible.isPresent()) { // refused at restore, once: a configuration mistake
          throw new UserException((savepoint == null ? "" : "--savepoint " + savepoint + ": ")
              + incompatible.get(), 2);
        }
        java.util.Optional<String> refused = io.gradflow.config.ConfigException.messageIn(e);
        if (refused.isPresent()) { // a setting refused where the job runs (state.cache_memory)
          throw new UserException(refused.get(), 2);
        }
        java.util.Optional<String> unmapped = io.gradflow.jobs.cli.RestoreRefusal.in(e);
        if (unmapped.isPresent()) { // also under flink run -s, where no flag named it
          throw new UserException((savepoint == null ? "" : restoreFlag + ": ")
              + unmapped.get(), 2);
        }
        RetainedCheckpoints.Found newest = newestOf(jobCheckpoints, embedded);
        status.report(console, name(lastCheckpoint), servers);
        Throwable root = root(e.getCause());
        boolean kafkaFailure = root instanceof org.apache.kafka.common.errors.ApiException
            || root instanceof org.apache.kafka.common.errors.TimeoutException;
        // Named an outage only when a Kafka client gave up while no broker answered train either.
        boolean outage = kafkaFailure && console.kafkaDown();
        String message = "the job failed: " + (outage ? "Kafka unreachable at " + servers
            + " since " + console.kafkaDownSince() + ", longer than Flink's restarts last"
            + " (checkpoints.restart_attempts " + config.state().restartAttempts()
            + ", restart_delay " + io.gradflow.config.Durations.format(
                config.state().restartDelay()) + "): " : "") + rootMessage(e.getCause())
            + "\n  (no summary; checkpoints are kept)"
            + (newest != null ? "\n  to restart from its newest checkpoint ("
                + newest.directory() + "): " + (outage ? "start the broker again, then " : "")
                + resume
            : startedFrom != null ? "\n  no checkpoint of this run is seen; to go on from where it"
                + " started: " + (outage ? "start the broker again, then " : "") + startedFrom
            : !outage ? ""
            : embedded ? "\n  start the broker again, then run the job again"
            : "\n  start the broker again, then go on from the job's newest retained checkpoint"
                + " (checkpoints.directory) with --resume");
        // Kafka refusing or timing out is the environment's to fix; anything else gets its trace.
        throw kafkaFailure || root instanceof UserException
            ? new UserException(message) : new UserException(message, root);
      }
      accumulators = done.getAllAccumulatorResults();
      console.deadLetterAlerts(accumulators);
      restarted |= InputPositions.remember(read, TrainConsole.input(accumulators));
      lost |= checkLoss(console, logStarts(watch), lossWatch, partitions, judgeLoss, read, true,
          servers, name(lastCheckpoint));
      console.suspectedLoss(lossWatch.suspected());
      String checkpointLine = cleanUp(jobCheckpoints, defaultCheckpoints && bounded
          && !flags.on("keep-checkpoints"), embedded, false);
      // A stop with a savepoint writes no partial metrics report, as a cancel does not.
      console.summary(accumulators, seconds(started), checkpointLine, !bounded
          ? TrainConsole.Ending.STOPPED : savepointPath == null ? TrainConsole.Ending.FINISHED
          : TrainConsole.Ending.FINISHED_WITH_SAVEPOINT);
      if (savepointPath != null) {
        out.println("  savepoint       " + savepointPath + " (to go on from it: gradflow train"
            + " --config FILE --savepoint " + savepointPath + ")");
      }
      if (restarted) {
        console.fact("  note            the job restarted from a checkpoint during the run: the"
            + " counts above are those since the restart (Flink's accumulators start again)");
      }
      int exit = 0;
      // Over every attempt: accumulators start again when the job restarts from a checkpoint.
      long examplesRead = read.entrySet().stream()
          .filter(e -> e.getKey().startsWith(examplesTopic + ":"))
          .mapToLong(e -> e.getValue()[InputAccumulator.COUNT]).sum();
      String nothingScored = console.nothingScored(accumulators);
      if (bounded && examplesRead == 0 && console.examplesRead(accumulators) == 0) {
        long learned = TrainConsole.predictions(accumulators).values().stream()
            .mapToLong(p -> p[1]).sum();
        String noExample = noNewExample(examplesTopic, learned);
        if (learned > 0) {
          console.fact(noExample);
        } else {
          console.warn(noExample);
          exit = 1;
        }
      } else if (nothingScored != null) {
        // A bounded run refused all its input, as good as empty; a live one goes on (it is
        // stopped, not finished, and says so there).
        console.warn("gradflow train: " + nothingScored + (bounded ? ": exit code 1" : ""));
        exit = bounded ? 1 : exit;
      }
      if (lost) {
        console.warn("gradflow train: input records were lost (see DATA LOSS above): exit code 1");
        exit = 1;
      }
      return exit;
    } finally {
      reported.countDown();
      if (endpoint != null) {
        Files.deleteIfExists(endpoint);
      }
      if (embedded && !stopping.get()) {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
          // the JVM is shutting down already
        }
      }
    }
  }

  /**
   * Checks {@code --final-savepoint DIR} at start-up: the run must be bounded, and a local
   * {@code DIR} new or empty (nothing is overwritten); a new one is created. Returns the
   * directory as Flink takes it (a local path as an absolute {@code file:} URI).
   */
  public static String checkFinalSavepoint(String dir, boolean bounded, String configFile) {
    if (!bounded) {
      throw new UserException("--final-savepoint needs a bounded run: set kafka.bounded (latest,"
          + " {timestamp: ..} or {offsets: ..}) in " + configFile + "; a running job's savepoint"
          + " is taken with gradflow savepoint (embedded) or flink savepoint (on a cluster)", 2);
    }
    Path path = localPath(dir);
    if (path == null) {
      return dir; // s3://, hdfs://, ...: Flink writes a new savepoint-* directory under it
    }
    if (Files.isRegularFile(path)) {
      throw new UserException("--final-savepoint " + dir + " is a file; give a new or empty"
          + " directory", 2);
    }
    if (Files.isDirectory(path)) {
      try (Stream<Path> entries = Files.list(path)) {
        if (entries.findAny().isPresent()) {
          throw new UserException("--final-savepoint " + dir + " is not empty; give a new or"
              + " empty directory (nothing is overwritten)", 2);
        }
      } catch (IOException e) {
        throw new UserException("--final-savepoint " + dir + " cannot be read: "
            + describe(e), 2);
      }
    }
    try { // now, not after a long run
      Files.createDirectories(path);
    } catch (IOException e) {
      throw new UserException("--final-savepoint " + dir + " cannot be created: "
          + describe(e), 2);
    }
    return path.toAbsolutePath().toUri().toString();
  }

  /**
   * Whether a savepoint holds the examples source's state (its positions in the topic): false for
   * a local one without it (a savepoint of {@code evaluate --final-savepoint} or
   * {@code bootstrap}), whose job starts at {@code kafka.starting_offsets}; true otherwise, and
   * when its metadata cannot be read here (the restore says why).
   */
  static boolean holdsExamplesPositions(String savepoint) {
    Path path = localPath(savepoint);
    if (path == null) {
      return true;
    }
    try {
      org.apache.flink.runtime.jobgraph.OperatorID source =
          org.apache.flink.state.api.OperatorIdentifier.forUid(
              io.gradflow.jobs.snapshot.SavepointModels.EXAMPLES_SOURCE_UID).getOperatorId();
      return org.apache.flink.state.api.runtime.SavepointLoader.loadSavepointMetadata(
          path.toAbsolutePath().toUri().toString()).getOperatorStates().stream()
          .anyMatch(o -> o.getOperatorID().equals(source) && (o.getCoordinatorState() != null
              || o.getNumberCollectedStates() > 0));
    } catch (Exception | LinkageError unreadable) {
      return true;
    }
  }

  /**
   * What a restored run reads and what is checked on it: the input from the savepoint's
   * positions where they are known here (a local savepoint), the logs only where not (no range is
   * claimed), or from kafka.starting_offsets when the savepoint holds no position (evaluate's or
   * bootstrap's); then the records the broker deleted below where the job starts ({@code judged},
   * as on a fresh run), or, when those starts are not known here, that input lost while the job
   * was down is not checked.
   */
  private static void restoreLines(TrainConsole console, String topic,
      List<PartitionExtent> extents, List<PartitionExtent> restored,
      List<PartitionExtent> judged, boolean holdsPositions, String savepoint) {
    if (!holdsPositions) {
      console.extent(topic, extents);
      console.fact("  (" + savepoint + " holds no position in kafka.topics.examples, as a"
          + " savepoint of evaluate or bootstrap: the job reads from kafka.starting_offsets)");
    } else {
      if (restored != null) {
        console.extent(topic, restored, ", from the savepoint's positions");
      } else {
        console.extentFromUnknownPositions(topic, extents, savepoint);
      }
      console.fact("  (the job reads on from the offsets in " + savepoint + ", not from"
          + " kafka.starting_offsets)");
    }
    if (judged == null) {
      // The restart position is inside a savepoint not read here (remote storage, or a
      // position the connector resolves when the job runs): the partitions are still asked,
      // to say when Kafka stops answering, but no loss is judged.
      console.warn("gradflow train: input lost while the job was down is not checked on this"
          + " restored run (the restart position is inside " + savepoint + " and not read"
          + " here); compare the topic's log start offsets (consume, or kafka-get-offsets.sh"
          + " --time -2) with the offsets the job had committed to its group");
      return;
    }
    startLosses(console, judged);
  }

  /** Reports the records the broker deleted below where the job starts, per partition. */
  private static void startLosses(TrainConsole console, List<PartitionExtent> starts) {
    for (PartitionExtent e : starts) {
      if (e.deletedBeforeStart() > 0) {
        console.startLoss(e);
      }
    }
  }

  /**
   * Where a restored run starts reading, for the partitions where that is known before the job
   * runs, so that records the broker deleted below it (while the job was down) are judged as on
   * a fresh run: with a savepoint that holds no examples position ({@code holdsPositions}
   * false: {@link #holdsExamplesPositions}), the starting offsets ({@code extents}); with one
   * that holds them, each partition the savepoint holds at its position ({@code restored}, as
   * {@link #fromPositions} gives them from {@code positions}; a partition it does not hold, added
   * since or already finished by a bounded run, is not judged). Null when the positions are not
   * known here ({@code restored} null: a savepoint not read here, or a split at the group's
   * committed offsets).
   */
  static List<PartitionExtent> restoredStarts(List<PartitionExtent> extents,
      List<PartitionExtent> restored, String topic, Map<String, Long> positions,
      boolean holdsPositions) {
    if (!holdsPositions) {
      return extents;
    }
    if (restored == null) {
      return null;
    }
    return restored.stream().filter(e -> positions.containsKey(
        topic + ":" + e.partition().partition())).toList();
  }

  /**
   * The extents read from a savepoint's positions ({@code topic:partition} to the next offset, as
   * {@link SavepointModels.RestoreCheck#sourcePositions} gives them): a partition the savepoint
   * holds starts at its position (the connector's markers: -2 the log start, -1 the log end), one
   * it does not hold at the starting offsets (a partition added since). Null when a position is
   * not known before the job runs (-3, the group's committed offset).
   */
  static List<PartitionExtent> fromPositions(List<PartitionExtent> extents, String topic,
      Map<String, Long> positions) {
    List<PartitionExtent> out = new ArrayList<>();
    for (PartitionExtent e : extents) {
      Long at = positions.get(topic + ":" + e.partition().partition());
      long start;
      if (at == null) {
        start = e.start();
      } else if (at >= 0) {
        start = at;
      } else if (at == KafkaPartitionSplit.EARLIEST_OFFSET) {
        start = e.logStart();
      } else if (at == KafkaPartitionSplit.LATEST_OFFSET) {
        start = e.logEnd();
      } else {
        return null;
      }
      out.add(new PartitionExtent(e.partition(), e.logStart(), e.logEnd(), start, e.end()));
    }
    return out;
  }

  /** Whether every source subtask holds at the end of its input (TrainJob, holdAtEnd). */
  private static boolean ended(Map<String, Object> accumulators, int parallelism,
      boolean labels) {
    return count(accumulators, InputAccumulator.ENDED_EXAMPLES) >= parallelism
        && (!labels || count(accumulators, InputAccumulator.ENDED_LABELS) >= parallelism);
  }

  private static int count(Map<String, Object> accumulators, String name) {
    return accumulators.get(name) instanceof Integer n ? n : 0;
  }

  /**
   * Stops a held job with a canonical savepoint in {@code dir}; its path, null when the job ended
   * by itself meanwhile (its result says how), or a user error.
   *
   * <p>The sources can hold before every task of the job is running: a task downstream may still
   * be initialising (the trainer's chain opens three exactly-once Kafka writers, which talk to
   * the brokers first) or restarting after a failure. Flink then refuses the savepoint before it
   * touches any task ({@code NOT_ALL_REQUIRED_TASKS_RUNNING}: it checks that every task to wait
   * for is RUNNING), and the job runs on. Such a refusal is asked again, once every source holds
   * again (a restart from a checkpoint reads the end of the input anew), for up to
   * {@link #FINAL_SAVEPOINT_PATIENCE}; any other failure, or that long, cancels the job.
   */
  static String stopWithSavepoint(JobClient job, String dir, TrainConsole console,
      int parallelism, boolean labels) {
    return savepointAtEnd(job, dir, console, parallelism, labels, true);
  }

  /**
   * {@link #stopWithSavepoint}, or with {@code stop} false a savepoint that does not stop the job
   * ({@code evaluate --final-savepoint}: its source holds until the command releases it, then the
   * job ends by itself): asked again while Flink refuses it because a task is not running, for up
   * to {@link #FINAL_SAVEPOINT_PATIENCE}. A savepoint that fails, or that long, cancels the job
   * only when {@code stop}; either way it is a user error naming {@code dir}.
   *
   * @return the savepoint's path; null when the job ended by itself meanwhile
   */
  public static String savepointAtEnd(JobClient job, String dir, TrainConsole console,
      int parallelism, boolean labels, boolean stop) {
    String afterwards = stop ? "; the job was cancelled, its checkpoints are kept" : "";
    long deadline = System.nanoTime() + FINAL_SAVEPOINT_PATIENCE.toNanos();
    int refusals = 0;
    try {
      while (true) {
        ExecutionException failure;
        try {
          return (stop ? job.stopWithSavepoint(false, dir, SavepointFormatType.CANONICAL)
              : job.triggerSavepoint(dir, SavepointFormatType.CANONICAL)).get();
        } catch (ExecutionException e) {
          failure = e;
        }
        if (!refusedAsNotRunning(failure)) {
          if (stop) {
            job.cancel();
          }
          throw new UserException("--final-savepoint: the savepoint into " + dir + " failed: "
              + rootMessage(failure.getCause()) + afterwards, 1);
        }
        if (refusals++ == 0) {
          console.fact("final savepoint: the input has ended but not every task of the job is"
              + " running yet; asking again until it is (at most "
              + Durations.format(FINAL_SAVEPOINT_PATIENCE) + ")");
        }
        if (!awaitHeld(job, parallelism, labels, deadline)) {
          if (job.getJobExecutionResult().isDone()) {
            return null;
          }
          if (stop) {
            job.cancel();
          }
          throw new UserException("--final-savepoint: the input has ended, but for "
              + Durations.format(FINAL_SAVEPOINT_PATIENCE) + " not every task of the job was"
              + " running, so Flink refused the savepoint into " + dir + " "
              + Counts.of(refusals, "time") + " (last: " + rootMessage(failure.getCause()) + ")"
              + afterwards + ". A task that never runs is usually"
              + " failing as it starts: look for its error in the log", 1);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UserException("--final-savepoint: interrupted while the savepoint was taken", 1);
    }
  }

  /**
   * Waits a pause, then until every source subtask holds (by the job's accumulators); false
   * when the deadline passes first or the job ends.
   */
  private static boolean awaitHeld(JobClient job, int parallelism, boolean labels,
      long deadline) throws InterruptedException {
    while (System.nanoTime() - deadline < 0 && !job.getJobExecutionResult().isDone()) {
      Thread.sleep(FINAL_SAVEPOINT_PAUSE.toMillis());
      try {
        if (ended(job.getAccumulators().get(FINAL_SAVEPOINT_PAUSE.toMillis() * 4,
            TimeUnit.MILLISECONDS), parallelism, labels)) {
          return true;
        }
      } catch (ExecutionException | TimeoutException | IllegalStateException e) {
        // restarting or ending: no values now
      }
    }
    return false;
  }

  /**
   * Whether a savepoint was refused because some task of the job was not RUNNING (Flink's
   * {@link CheckpointFailureReason#NOT_ALL_REQUIRED_TASKS_RUNNING}): by the exception's reason,
   * or by its message when it came through REST or as a serialized copy.
   */
  static boolean refusedAsNotRunning(Throwable e) {
    String reason = CheckpointFailureReason.NOT_ALL_REQUIRED_TASKS_RUNNING.message();
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      boolean typed = t instanceof CheckpointException c && c.getCheckpointFailureReason()
          == CheckpointFailureReason.NOT_ALL_REQUIRED_TASKS_RUNNING;
      if (typed || t.getMessage() != null && t.getMessage().contains(reason)) {
        return true;
      }
    }
    return false;
  }

  /** The --rest-port value: 0 (a free port) or a port number. */
  private static int restPort(String value) {
    try {
      int port = Integer.parseInt(value);
      if (port >= 0 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new Command.UsageException("--rest-port must be a port in [0, 65535], but was "
        + value);
  }

  /** A port free on the loopback interface now (the REST endpoint binds it a moment later). */
  private static int freePort() throws IOException {
    try (java.net.ServerSocket socket =
             new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** How often an attached train looks at its job's status between progress lines. */
  static final Duration STATUS_EVERY = Duration.ofMillis(250);

  /** An admin client to watch the input's log start offsets, or null (then no loss checks). */
  private static KafkaPreflight connectOrNull(KafkaSpec kafka, Duration timeout,
      TrainConsole console) {
    try {
      return KafkaPreflight.connect(kafka, timeout);
    } catch (UserException e) {
      console.warn("gradflow train: " + e.getMessage() + "; data loss is not checked");
      return null;
    }
  }

  /**
   * Watches a running job's status from a daemon thread, every {@link #STATUS_EVERY}: counts the
   * restarts (a look that sees RESTARTING after another status; the job is RESTARTING for
   * checkpoints.restart_delay, so a restart shorter than a look may pass uncounted) while the
   * main loop is busy, for example asking a broker that does not answer. Thread-safe.
   */
  static final class StatusWatch implements AutoCloseable {
    private final java.util.concurrent.ScheduledExecutorService timer =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "gradflow-train-status");
          t.setDaemon(true);
          return t;
        });
    /** The last look: a status and the restarts counted up to it, published together. */
    private record Seen(String status, int restarts) {}

    private volatile Seen seen = new Seen("RUNNING", 0);

    StatusWatch(JobClient job) {
      timer.scheduleWithFixedDelay(() -> {
        try {
          String now = job.getJobStatus().get(1, TimeUnit.SECONDS).name();
          Seen before = seen; // written by this thread only
          boolean restart = now.equals("RESTARTING") && !before.status().equals("RESTARTING");
          seen = new Seen(now, before.restarts() + (restart ? 1 : 0));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
          // ending, or the cluster did not answer in time: the next look tells
        }
      }, 0, STATUS_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Tells the console what was seen since it was last told. */
    void report(TrainConsole console, String checkpoint, String servers) {
      Seen last = seen;
      console.jobStatus(last.status(), last.restarts(), checkpoint, servers);
    }

    @Override
    public void close() {
      timer.shutdownNow();
    }
  }

  /** {@code checkpoint 12}, or null before the first. */
  private static String name(RetainedCheckpoints.Found checkpoint) {
    return checkpoint == null ? null : "checkpoint " + checkpoint.number();
  }

  /**
   * Asks Kafka for the input's log start offsets and says whether it answered ({@link
   * TrainConsole#kafka}); with {@code judgeLoss} (not on a restored run whose start positions
   * are not known here: {@link #restoredStarts}), looks for input the broker deleted before the
   * job read it.
   * Returns whether input was lost. After the job {@code ended}, a broker that does not answer
   * is not an outage to report, only a check not made.
   */
  static boolean checkLoss(TrainConsole console, LogStarts probe,
      InputPositions.Watch lossWatch, List<TopicPartition> partitions, boolean judgeLoss,
      Map<String, long[]> read, boolean ended, String servers, String checkpoint) {
    if (partitions.isEmpty() || probe == null) {
      return false;
    }
    Map<TopicPartition, Long> logStarts;
    try {
      logStarts = probe.of(partitions);
      console.kafka(true, java.time.Instant.now(), servers, checkpoint);
    } catch (KafkaPreflight.Unreachable e) {
      if (!ended) {
        console.kafka(false, java.time.Instant.now(), servers, checkpoint);
        return false;
      }
      return cannotCheck(console, e, judgeLoss);
    } catch (UserException e) {
      // A broker answered, if with a refusal: Kafka is reachable again.
      console.kafka(true, java.time.Instant.now(), servers, checkpoint);
      return cannotCheck(console, e, judgeLoss);
    }
    return judgeLoss && console.losses(lossWatch.look(read, logStarts, ended));
  }

  /** The input's log start offsets, as {@link KafkaPreflight#logStarts} asks the brokers. */
  interface LogStarts {
    /**
     * @throws KafkaPreflight.Unreachable when no broker answers in time
     * @throws UserException when a broker refuses
     */
    Map<TopicPartition, Long> of(List<TopicPartition> partitions);
  }

  private static LogStarts logStarts(KafkaPreflight watch) {
    return watch == null ? null : watch::logStarts;
  }

  private static boolean cannotCheck(TrainConsole console, UserException e, boolean judgeLoss) {
    if (judgeLoss) {
      console.warn("gradflow train: could not read the log start offsets (" + e.getMessage()
          + "); data loss is not checked this time");
    }
    return false;
  }

  /**
   * The line of a bounded run that read no example: an error (nothing was learned), or, when the
   * restored state's examples waiting for their labels were learned (a caught-up job resumed
   * from its checkpoint: trial 23 F12), a note that says so.
   */
  static String noNewExample(String examplesTopic, long learned) {
    return learned > 0 ? "  note            no new example on kafka.topics.examples ('"
        + examplesTopic + "'): the " + Counts.of(learned, "learned prediction")
        + (learned == 1 ? " was of an example" : " were of examples") + " waiting in the restored"
        + " state (for a label, or a timeout's default label)"
        : "gradflow train: the job read no example from kafka.topics.examples ('" + examplesTopic
            + "'): nothing was learned";
  }

  /** The newest complete checkpoint of an embedded job with local checkpoints, or null. */
  private static RetainedCheckpoints.Found newestOf(String jobCheckpoints, boolean embedded) {
    Path path = embedded ? localPath(jobCheckpoints) : null;
    return path == null ? null : RetainedCheckpoints.newest(path).orElse(null);
  }

  private static String restartHint(String jobCheckpoints, String resume) {
    Path path = localPath(jobCheckpoints);
    return path != null && RetainedCheckpoints.newest(path).isPresent()
        ? "\n                  to go on from it: " + resume : "";
  }

  private static double seconds(long startedNanos) {
    return (System.nanoTime() - startedNanos) / 1e9;
  }

  private static Throwable root(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root;
  }

  static String rootMessage(Throwable e) {
    Throwable root = root(e);
    String m = root.getMessage();
    return root.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  /** A local path for a {@code file:} URI or a plain path; null for other file systems. */
  static Path localPath(String location) {
    if (location.startsWith("file:")) {
      return Path.of(URI.create(location));
    }
    if (location.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
      return null; // s3://, hdfs://, ...: checked by Flink on the cluster
    }
    return Path.of(location);
  }

  /** Fails, naming checkpoints.directory, when the directory cannot be created or written. */
  static void checkWritable(String directory, boolean isDefault) {
    Path path = localPath(directory);
    if (path == null) {
      return;
    }
    try {
      Files.createDirectories(path);
      Path probe = Files.createTempFile(path, ".gradflow-write-check", "");
      Files.delete(probe);
    } catch (IOException | SecurityException e) {
      throw new UserException("checkpoints.directory (" + directory + (isDefault ? ", the default"
          : "") + ") is not writable: " + describe(e) + "; set checkpoints.directory to a"
          + " directory this user can create and write", 2);
    }
  }

  /**
   * The start-up line of a restore whose settings differ from the savepoint's record: {@code
   * restored with changed settings: optimizer.lr 0.001 -> 0.01 (the audit record keeps both)}
   * (values as recorded: secrets masked).
   */
  public static String changedSettings(
      List<io.gradflow.jobs.snapshot.Provenance.Change> changed) {
    List<String> each = new ArrayList<>();
    changed.forEach(c -> each.add(c.toString()));
    return "restored with changed settings: " + String.join(", ", each)
        + " (the audit record keeps both)";
  }

  /** Fails, naming --savepoint, when a local savepoint path does not exist. */
  public static void checkSavepoint(String savepoint) {
    Path path = localPath(savepoint);
    if (path == null) {
      return;
    }
    if (!Files.exists(path)) {
      throw new UserException("--savepoint " + savepoint + " does not exist; give the directory"
          + " of a savepoint or of a retained checkpoint (chk-N), or its _metadata file", 2);
    }
    if (Files.isDirectory(path) && !Files.exists(path.resolve("_metadata"))) {
      throw new UserException("--savepoint " + savepoint + " holds no _metadata file, so it is"
          + " not a savepoint or a complete checkpoint; give the directory of a savepoint or"
          + " of a retained checkpoint (chk-N)" + inside(path), 2);
    }
    if (Files.isRegularFile(path) && !path.getFileName().toString().equals("_metadata")) {
      // Flink's own message for such a file speaks of Flink 1.0 savepoints (trial 23 L4).
      throw new UserException("--savepoint " + savepoint + " is a file, not a savepoint; give"
          + " the directory of a savepoint or of a retained checkpoint (chk-N), or its _metadata"
          + " file", 2);
    }
  }

  /**
   * What a directory given as a savepoint holds one or two levels down that is one (a
   * savepoint's parent, such as train's {@code --final-savepoint} directory's parent, or a
   * checkpoint directory holding {@code <job id>/chk-N}): {@code ", such as the newest in it,
   * DIR/savepoint-..."}, or nothing.
   */
  static String inside(Path directory) {
    List<Path> found = new ArrayList<>();
    try (java.util.stream.Stream<Path> s = Files.find(directory, 3,
        (p, a) -> a.isRegularFile() && p.getFileName().toString().equals("_metadata"))) {
      s.forEach(m -> found.add(m.getParent()));
    } catch (IOException | java.io.UncheckedIOException e) {
      return "";
    }
    if (found.isEmpty()) {
      return "";
    }
    Path newest = found.stream().max(java.util.Comparator.comparingLong(p -> {
      try {
        return Files.getLastModifiedTime(p.resolve("_metadata")).toMillis();
      } catch (IOException e) {
        return Long.MIN_VALUE;
      }
    })).orElseThrow();
    return found.size() == 1 ? "; it holds one: " + newest
        : "; it holds " + found.size() + ", the newest " + newest;
  }

  private static String describe(Exception e) {
    if (e instanceof java.nio.file.AccessDeniedException a) {
      return "permission denied on " + a.getFile();
    }
    if (e instanceof java.nio.file.FileAlreadyExistsException f) {
      return f.getFile() + " is a file, not a directory";
    }
    if (e instanceof java.nio.file.FileSystemException f) {
      return f.getReason() == null ? f.getClass().getSimpleName() + " " + f.getFile()
          : f.getReason() + " (" + f.getFile() + ")";
    }
    return e.getMessage();
  }

  /** {@link #cleanUp(String, boolean, boolean, boolean, String)} of a run not restored. */
  static String cleanUp(String jobCheckpoints, boolean delete, boolean embedded,
      boolean stopped) {
    return cleanUp(jobCheckpoints, delete, embedded, stopped, null);
  }

  /**
   * Deletes a finished bounded run's checkpoints from the default temporary directory, or says
   * where they are kept; returns the summary's line. {@code stopped}: the run was stopped (Ctrl-C)
   * rather than finished, so a missing complete checkpoint means none completed; then
   * {@code startedFrom}, the command that restores what a restored run started from (null for a
   * run that started afresh), is where to go on.
   */
  static String cleanUp(String jobCheckpoints, boolean delete, boolean embedded,
      boolean stopped, String startedFrom) {
    Path path = localPath(jobCheckpoints);
    if (path == null || !embedded) {
      return "kept in " + jobCheckpoints;
    }
    if (!Files.exists(path)) {
      return stopped ? noneCompleted(jobCheckpoints, startedFrom)
          : "none left in " + jobCheckpoints;
    }
    if (delete) {
      // Flink may still be discarding the job's last checkpoints while its MiniCluster shuts
      // down: files can vanish under the walk, so retry until the directory is gone.
      long bytes = 0;
      IOException failure = null;
      for (int attempt = 0; attempt < 10 && Files.exists(path); attempt++) {
        failure = null;
        try (Stream<Path> walk = Files.walk(path)) {
          for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
            try {
              if (Files.isRegularFile(p)) {
                bytes += Files.size(p);
              }
              Files.deleteIfExists(p);
            } catch (java.nio.file.NoSuchFileException gone) {
              // deleted by Flink meanwhile
            } catch (IOException e) {
              failure = e;
            }
          }
        } catch (IOException | java.io.UncheckedIOException e) {
          failure = e instanceof IOException io ? io : ((java.io.UncheckedIOException) e).getCause();
        }
        if (Files.exists(path)) {
          try {
            Thread.sleep(200);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            break;
          }
        }
      }
      if (Files.exists(path)) {
        return "could not delete all of " + jobCheckpoints
            + (failure == null ? "" : ": " + failure.getMessage());
      }
      return String.format(Locale.ROOT, "deleted %s (%,.1f MB): a finished bounded run no"
          + " longer needs them (--keep-checkpoints or checkpoints.directory keeps them)",
          jobCheckpoints, bytes / 1e6);
    }
    String newest = newestCheckpoint(path);
    if (newest == null && stopped) {
      return noneCompleted(jobCheckpoints, startedFrom);
    }
    return "kept in " + jobCheckpoints + (newest == null
        ? " (no complete checkpoint is left: Flink discards a finished job's checkpoints)"
        : "; the newest complete one, to restart from: --savepoint " + newest);
  }

  /**
   * A run stopped before its first checkpoint: a run started afresh has nothing to resume (a new
   * run reads from kafka.starting_offsets); a restored one goes on from where it started.
   */
  private static String noneCompleted(String jobCheckpoints, String startedFrom) {
    return "none completed before the stop (" + jobCheckpoints + "): " + (startedFrom == null
        ? "nothing to resume, a new run starts from kafka.starting_offsets"
        : "to go on from where this run started: " + startedFrom);
  }

  private static String newestCheckpoint(Path jobDirectory) {
    return RetainedCheckpoints.newest(jobDirectory).map(f -> f.directory().toString())
        .orElse(null);
  }
}
