package io.gradflow.jobs.train;

import io.gradflow.config.MemoryAmount;
import io.gradflow.flink.TrainerOperator;
import io.gradflow.jobs.cli.Counts;
import io.gradflow.jobs.cli.Figures;
import io.gradflow.jobs.kafka.DeadLetterAccumulator;
import io.gradflow.jobs.kafka.EarlyEventTimes;
import io.gradflow.jobs.kafka.InputAccumulator;
import io.gradflow.jobs.kafka.InputPositions.Loss;
import io.gradflow.jobs.kafka.KafkaPreflight.PartitionExtent;
import io.gradflow.state.CacheSize;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What {@code gradflow train} tells its user, from the job's accumulators ({@link ProgressTaps},
 * {@link InputAccumulator}, {@link DeadLetterAccumulator}): the input's extent at start, a
 * progress line every few seconds, one loud line when a dead-letter reason first appears, data
 * loss warnings, a line when Kafka stops answering, when the job restarts and when Kafka answers
 * again ({@link #kafka}, {@link #jobStatus}), and a summary at the end.
 *
 * <p>Streams: the start-up facts and the summary go to standard output; the progress lines,
 * warnings and errors to standard error. {@code --quiet} turns off the start-up facts, the
 * progress and the summary; warnings and errors still print. Not thread-safe: one caller.
 * {@code evaluate} prints with it too, under its own command name.
 */
public final class TrainConsole {
  /** Model keys the summary lists one by one; beyond, a total, the best and the worst. */
  static final int LISTED_MODELS = 10;

  private final PrintStream out;
  private final PrintStream err;
  private final boolean quiet;
  private final boolean probabilities;
  private final String examplesTopic;
  private final String command;
  private final Set<String> reasonsSeen = new HashSet<>();
  private final Map<String, Long> lossesReported = new HashMap<>();
  /** The delayed labels' settings (labels.delayed), for the labels line; null when unknown. */
  private io.gradflow.jobs.config.TrainConfig.LabelSettings labels;
  private boolean labelsTopic = true;
  private boolean delayedLabels;
  private boolean labelsWarned;
  /** Whether the examples' event times are the data's (not evaluate's synthetic ones). */
  private boolean eventTimesGiven = true;
  /** What to give when the times were read from a file's column (evaluate); "" otherwise. */
  private String eventTimesAdvice = "";
  private boolean earlyWarned;
  /** The examples and the time of the previous progress line (the recent rate's start). */
  private long lastExamples;
  private double lastSeconds;
  /** The newest attempt number the counts came from ({@link InputAccumulator#ATTEMPT}). */
  private int lastAttempt;
  /** Since when no Kafka broker answers {@code train}'s own client; null while one answers. */
  private java.time.Instant kafkaDownSince;
  /** The job's status as last seen (Flink's JobStatus name); restarts seen in this run. */
  private String jobStatus = "RUNNING";
  private int restarts;
  /** Flink's restart strategy's attempts (checkpoints.restart_attempts); -1 when unknown. */
  private int restartAttempts = -1;
  /** Whether the job's checkpoints can be seen from here (an embedded run, local storage). */
  private boolean checkpointsSeen = true;
  /** The savepoint or checkpoint the run was restored from ({@code --savepoint 'PATH'}); null. */
  private String restoredFrom;
  /** How the job sizes its page cache (state.cache_pages or state.cache_memory). */
  private CacheSize cache = CacheSize.DEFAULT;
  /** The zone of the times of day printed. */
  private java.time.ZoneId zone = java.time.ZoneId.systemDefault();

  TrainConsole(PrintStream out, PrintStream err, boolean quiet, boolean probabilities,
      String examplesTopic) {
    this(out, err, quiet, probabilities, examplesTopic, "train");
  }

  /**
   * @param examplesTopic where examples are read from: the topic, or the file that {@code
   *     evaluate} names as the topic of its records
   * @param command the command the summary names ({@code gradflow COMMAND: finished ...})
   */
  public TrainConsole(PrintStream out, PrintStream err, boolean quiet, boolean probabilities,
      String examplesTopic, String command) {
    this.command = command;
    this.out = out;
    this.err = err;
    this.quiet = quiet;
    this.probabilities = probabilities;
    this.examplesTopic = examplesTopic;
  }

  /**
   * The job's label settings: with {@code labels.delayed}, the summary's labels line names the
   * default label and the timeout. The line itself comes from {@link LabelJoinFunction}'s
   * accumulators whether or not this is called.
   */
  public void labels(io.gradflow.jobs.config.TrainConfig.LabelSettings settings) {
    this.labels = settings;
  }

  /** How the job sizes its page cache: the summary's page cache line names that setting. */
  public void pageCache(CacheSize size) {
    this.cache = size;
  }

  /**
   * The job joins delayed labels ({@code labels.delayed}): the summary notes that its figures are
   * those of the predictions learned from, made when a label joined or timed out, not the scores
   * served on arrival (README, known issue "With delayed labels the metrics measure the learned
   * predictions").
   */
  public void delayedLabels() {
    this.delayedLabels = true;
  }

  /**
   * No labels topic is read (evaluate: a file's labels are its own): the label join's counts are
   * left out of the progress line and the summary, and nothing warns that no label was read.
   */
  public void noLabelsTopic() {
    this.labelsTopic = false;
  }

  /**
   * The examples' event times are made up, not the data's ({@code evaluate} on a file without a
   * time column: {@code --start-time} and {@code --interval-ms}): event times before 2000 are
   * not warned about.
   */
  public void syntheticEventTimes() {
    this.eventTimesGiven = false;
  }

  /**
   * The examples' event times are read from a CSV's time column ({@code evaluate --file F
   * --csv-timestamp C}): the warning about event times before 2000 names the flag that reads
   * them as epoch seconds, as {@code produce}'s note does.
   */
  public void csvEventTimes() {
    this.eventTimesAdvice = "; if the file's times are epoch seconds, give"
        + " --csv-timestamp-format epoch-seconds";
  }

  /**
   * The restart strategy's attempts (a restart line says {@code restart 2 of 3}) and the zone of
   * the times of day printed.
   */
  void restartAttempts(int attempts, java.time.ZoneId zone) {
    this.restartAttempts = attempts;
    this.zone = zone;
  }

  /**
   * Where a restart goes before the first checkpoint a restart line can name: whether the job's
   * checkpoints can be seen from here (false on a cluster or remote storage: the line then says
   * {@code its newest checkpoint}), and what the run was restored from ({@code the savepoint
   * 'PATH'}), null for a fresh start.
   */
  void restartSource(boolean checkpointsSeen, String restoredFrom) {
    this.checkpointsSeen = checkpointsSeen;
    this.restoredFrom = restoredFrom;
  }

  /**
   * Whether a Kafka broker answered {@code train}'s own client at {@code now}: one warning when
   * none answers any more, the progress line's {@code Kafka unreachable since HH:MM:SS}
   * meanwhile, and one warning when one answers again, with how long it did not and the restarts
   * since.
   *
   * @param servers the brokers asked (kafka.bootstrap_servers)
   * @param checkpoint the newest complete checkpoint ({@code checkpoint 12}), or null
   */
  void kafka(boolean answered, java.time.Instant now, String servers, String checkpoint) {
    if (!answered && kafkaDownSince == null) {
      kafkaDownSince = now;
      warn("gradflow train: Kafka unreachable at " + servers + " since " + timeOfDay(now)
          + (checkpoint == null ? "" : " (newest " + checkpoint + ")")
          + "; the job waits for the broker and "
          + (restartAttempts == 0 ? "fails" : "restarts") + " when a Kafka client gives up"
          + restartBudget());
    } else if (answered && kafkaDownSince != null) {
      long seconds = java.time.Duration.between(kafkaDownSince, now).toSeconds();
      warn("gradflow train: Kafka at " + servers + " answers again, after " + seconds
          + " s unreachable (since " + timeOfDay(kafkaDownSince) + "); the job is "
          + jobStatus.toLowerCase(Locale.ROOT)
          + (restarts == 0 ? "" : " (" + Counts.of(restarts, "restart") + " in this run)"));
      kafkaDownSince = null;
    }
  }

  /**
   * The job's status ({@code RUNNING}, {@code RESTARTING}, ... as Flink names them) and the
   * restarts counted so far in this run: one warning when the count grows, naming the checkpoint
   * the job restarts from, the restart's number and, while no broker answers, since when.
   */
  void jobStatus(String status, int restartsSoFar, String checkpoint, String servers) {
    if (restartsSoFar > restarts) {
      restarts = restartsSoFar;
      warn("gradflow train: " + (kafkaDownSince == null ? ""
          : "Kafka unreachable at " + servers + " since " + timeOfDay(kafkaDownSince) + "; ")
          + "the job restarts from " + restartPoint(checkpoint)
          + " (restart " + restarts + (restartAttempts > 0 ? " of " + restartAttempts : "")
          + (restartAttempts > 0 && restarts >= restartAttempts
              ? ", the last checkpoints.restart_attempts allows" : "") + ")");
    }
    jobStatus = status;
  }

  /** What a restart goes back to: the newest checkpoint seen, else what can be known. */
  private String restartPoint(String checkpoint) {
    if (checkpoint != null) {
      return checkpoint;
    }
    if (!checkpointsSeen) {
      return "its newest checkpoint" + (restoredFrom == null ? ""
          : ", or " + restoredFrom + " before the first");
    }
    return restoredFrom == null ? "its start (no checkpoint yet)"
        : restoredFrom + " (no checkpoint yet)";
  }

  /** Whether no Kafka broker answered at the last look. */
  boolean kafkaDown() {
    return kafkaDownSince != null;
  }

  /** {@code since 11:52:03}: when Kafka stopped answering, for the failure's message. */
  String kafkaDownSince() {
    return kafkaDownSince == null ? null : timeOfDay(kafkaDownSince);
  }

  private String restartBudget() {
    return restartAttempts < 0 ? "" : " (checkpoints.restart_attempts: " + restartAttempts
        + (restarts > 0 ? ", " + restarts + " used" : "") + ")";
  }

  private String timeOfDay(java.time.Instant t) {
    return timeOfDay(t, zone);
  }

  private static String timeOfDay(java.time.Instant t, java.time.ZoneId zone) {
    return java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss", Locale.ROOT)
        .format(t.atZone(zone));
  }

  /** A fact at start-up (standard output, off with --quiet). */
  public void fact(String line) {
    if (!quiet) {
      out.println(line);
      out.flush();
    }
  }

  /** A warning: always printed, on standard error. */
  public void warn(String line) {
    err.println(line);
    err.flush();
  }

  /** The input's extent, per partition. */
  void extent(String topic, List<PartitionExtent> extents) {
    extent(topic, extents, "");
  }

  /**
   * The input's extent; {@code from} ends the first line, saying where the reading starts when it
   * is not the starting offsets (a restored run: {@code ", from the savepoint's positions"}).
   */
  void extent(String topic, List<PartitionExtent> extents, String from) {
    long total = extents.stream().mapToLong(PartitionExtent::toRead).sum();
    boolean bounded = !extents.isEmpty() && extents.get(0).end() >= 0;
    fact("input " + topic + ": " + Counts.of(extents.size(), "partition") + ", "
        + Counts.of(total, "record") + " to read" + (bounded ? " (bounded)"
        : " now (then whatever arrives)") + from);
    for (PartitionExtent e : extents) {
      fact(String.format(Locale.ROOT, "  %s-%d: log %,d..%,d, reading %,d..%s: %s%s",
          topic, e.partition().partition(), e.logStart(), e.logEnd(),
          Math.max(e.start(), e.logStart()),
          e.end() < 0 ? "end" : String.format(Locale.ROOT, "%,d", e.end()),
          Counts.of(e.toRead(), "record"),
          e.logStart() > 0 && e.deletedBeforeStart() == 0
              ? String.format(Locale.ROOT, " (offsets below %,d were deleted or compacted"
                  + " before the job started)", e.logStart()) : ""));
    }
  }

  /**
   * The extent of a restored run whose savepoint's positions are not known here (a savepoint on a
   * cluster's file system, or unreadable): the logs, and no claim of a range.
   */
  void extentFromUnknownPositions(String topic, List<PartitionExtent> extents, String savepoint) {
    boolean bounded = !extents.isEmpty() && extents.get(0).end() >= 0;
    fact("input " + topic + ": " + Counts.of(extents.size(), "partition") + (bounded
        ? " (bounded)" : "") + ", read from the positions in " + savepoint + " (not readable"
        + " here, so how much is to read is not known)");
    for (PartitionExtent e : extents) {
      fact(String.format(Locale.ROOT, "  %s-%d: log %,d..%,d, reading from the savepoint's"
          + " position to %s", topic, e.partition().partition(), e.logStart(), e.logEnd(),
          e.end() < 0 ? "the end and on" : String.format(Locale.ROOT, "%,d", e.end())));
    }
  }

  /** The progress line, and any new dead-letter reason or data loss. */
  public void progress(Map<String, Object> accumulators, double seconds) {
    progress(accumulators, seconds, null);
  }

  /** The progress line, ending with the newest complete checkpoint (when known). */
  void progress(Map<String, Object> accumulators, double seconds, String checkpoint) {
    deadLetterAlerts(accumulators);
    if (!earlyWarned) {
      earlyEventTimes(accumulators);
    }
    if (quiet) {
      return;
    }
    long examples = examplesRead(accumulators);
    Totals t = totals(accumulators);
    StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
        "[%.0fs] examples %,d (%s)", seconds, examples, recentRate(examples, seconds,
        attempt(accumulators))));
    if (t.count > 0) {
      b.append(quality(t, " | "));
    }
    b.append(String.format(Locale.ROOT, " | dead letters %,d", deadLetterTotal(accumulators)));
    LabelCounts l = labelsTopic ? LabelCounts.of(accumulators) : null;
    if (l != null) {
      b.append(String.format(Locale.ROOT, " | labels %,d joined, %,d timed out", l.joined,
          l.timedOut()));
    }
    if (t.drifts > 0) {
      b.append(String.format(Locale.ROOT, " | drifts %,.0f", t.drifts));
    }
    if (checkpoint != null) {
      b.append(" | ").append(checkpoint);
    }
    if (kafkaDownSince != null) {
      b.append(" | Kafka unreachable since ").append(timeOfDay(kafkaDownSince));
    }
    if (!jobStatus.equals("RUNNING")) {
      b.append(" | job ").append(jobStatus.toLowerCase(Locale.ROOT));
    }
    err.println(b);
    err.flush();
  }

  /**
   * The rate since the previous progress line (since the start for the first), so that a live
   * job that stops receiving shows 0/s at once; the average since the start is the summary's.
   * The counts start again when the job restarts from a checkpoint: the line then says so
   * instead of a rate it cannot know. A restart is known for certain from the attempt number
   * the counts came from ({@code attempt}, -1 when the snapshot has none), whether or not the
   * new attempt has passed the previous line's count yet; a count that fell says so too.
   */
  private String recentRate(long examples, double seconds, int attempt) {
    long before = lastExamples;
    double since = lastSeconds;
    int attemptBefore = lastAttempt;
    lastExamples = examples;
    lastSeconds = seconds;
    lastAttempt = Math.max(lastAttempt, attempt);
    if (attempt > attemptBefore || examples < before) {
      return "counting again after a restart";
    }
    return String.format(Locale.ROOT, "%,.0f/s", (examples - before)
        / Math.max(seconds - since, 1e-9));
  }

  private String quality(Totals t, String sep) {
    if (probabilities) {
      return String.format(Locale.ROOT, "%slog loss %.4f (base rate %.4f)%sAUC %s", sep,
          t.logLoss(), t.baseRate(), sep, Figures.auc(t.auc));
    }
    return String.format(Locale.ROOT, "%sRMSE %.4f", sep, t.rmse());
  }

  /** Prints one line per dead-letter reason the first time it appears. */
  public void deadLetterAlerts(Map<String, Object> accumulators) {
    for (Map.Entry<String, String[]> e : deadLetters(accumulators).entrySet()) {
      if (reasonsSeen.add(e.getKey())) {
        String[] v = e.getValue();
        warn(String.format(Locale.ROOT, "dead letter: %s at %s-%s@%s: %s%n  what to do: %s",
            e.getKey(), v[2], v[3], v[4], v[1], advice(e.getKey(), v[2])));
      }
    }
  }

  /** The dead letters by reason, in name order: {@code "DENSE_WIDTH 10,000, UNDECODABLE 2"}. */
  static String reasonCounts(Map<String, Object> accumulators) {
    StringBuilder reasons = new StringBuilder();
    new TreeMap<>(deadLetters(accumulators)).forEach((reason, v) -> reasons
        .append(reasons.length() == 0 ? "" : ", ").append(reason).append(' ')
        .append(String.format(Locale.ROOT, "%,d", Long.parseLong(v[0]))));
    return reasons.toString();
  }

  /**
   * Why nothing was learned when every one of {@code examples} was refused, for train's and
   * evaluate's closing line: {@code "every example ... was a dead letter (DENSE_WIDTH 10,000; what
   * to do: ...)"}, with the reason's advice when there is one reason, or a pointer to each
   * reason's alert line when there are several.
   */
  public static String allDeadLetters(String examples, Map<String, Object> accumulators) {
    Map<String, String[]> dead = deadLetters(accumulators);
    return examples + " was a dead letter (" + (dead.isEmpty() ? "see the dead letters above"
        : reasonCounts(accumulators) + "; what to do: " + (dead.size() == 1
            ? advice(dead.keySet().iterator().next())
            : "see each reason's dead letter line above")) + ")";
  }

  /**
   * {@link #advice(String)} for a dead letter of {@code topic}: a record of another topic than
   * the examples' (the labels topic) that cannot be decoded is named as a Label (trial 23 L6).
   */
  String advice(String reason, String topic) {
    if (reason.equals("UNDECODABLE") && topic != null && !topic.equals(examplesTopic)) {
      return "the record is not a Gradflow Label (Avro single-object encoding of a known"
          + " schema): write labels with GradflowProducer or the published schemas, and check that"
          + " kafka.topics.labels names the labels topic";
    }
    return advice(reason);
  }

  /** What to do about a dead-letter reason. */
  static String advice(String reason) {
    return switch (reason) {
      case "LABEL_OUT_OF_DOMAIN" -> "the labels do not fit the loss (model.loss; logistic"
          + " needs labels in [0, 1]). For real-valued labels such as ratings set model.loss:"
          + " squared; for a binary task map the labels when producing: gradflow produce"
          + " --label-threshold T, --csv-positive VALUE, or --binary-labels (LibSVM, VW)";
      case "UNDECODABLE" -> "the record is not a Gradflow Example (Avro single-object encoding"
          + " of a known schema): write with gradflow produce or the published schemas, and check"
          + " that kafka.topics.examples names the examples topic";
      case "NO_FEATURES" -> "the example has no feature, entity or dense value: check the"
          + " producer's feature columns";
      case "NON_FINITE_VALUE" -> "a feature value is NaN or infinite: fix or leave out the value"
          + " at the producer (an empty cell should be a missing feature)";
      case "INVALID_FEATURE" -> "a feature needs a namespace and exactly one of name and index:"
          + " check the producer's feature mapping";
      case "INVALID_WEIGHT" -> "importance weights must be finite and >= 0: check the producer's"
          + " weight column";
      case "MISSING_ID" -> "every example and label needs a non-empty example id: check the"
          + " producer";
      case "ID_TOO_LONG" -> "an example id or model key is longer than 1,000 characters:"
          + " check what the producer writes there (a key, not a payload)";
      case "EVENT_TIME_OUT_OF_RANGE" -> "the event time is further ahead of the clock than"
          + " input.max_event_time_ahead allows: check the producer's clock and its event-time"
          + " field (milliseconds, not seconds or microseconds), or raise the setting";
      case "VALUE_OUT_OF_RANGE" -> "a feature value is beyond input.max_abs_value: check the"
          + " feature's units at the producer, or raise input.max_abs_value (0 turns the bound"
          + " off; dense features are standardized, sparse ones are not)";
      case "DENSE_WIDTH" -> "an example does not have the model's model.inputs dense values:"
          + " check the producer's dense columns against model.inputs";
      default -> "see the records in the dead-letter topic (gradflow consume --topic"
          + " <kafka.topics.dead_letters> --from-beginning)";
    };
  }

  /** Prints the losses not printed before (or grown since); returns whether there are any. */
  /** Records deleted before the job started that it was to read: reported once, at start-up. */
  void startLoss(PartitionExtent e) {
    lossesReported.put(e.partition().toString(), e.deletedBeforeStart());
    warn(String.format(Locale.ROOT, "DATA LOSS: %s: the job starts at offset %,d but the broker"
        + " has deleted the records below %,d (%s); look at the topic's retention.ms"
        + " (and retention.bytes), raise it, and produce the records again", e.partition(),
        e.start(), e.logStart(), Counts.of(e.deletedBeforeStart(), "record")));
  }

  /** Whether a loss was reported. */
  boolean lostRecords() {
    return !lossesReported.isEmpty();
  }

  /** Offsets skipped while the broker deleted past the job's position: maybe lost, not proven. */
  void suspectedLoss(long offsets) {
    if (offsets > 0) {
      warn(String.format(Locale.ROOT, "possible data loss: the job skipped %s of"
          + " kafka.topics.examples ('%s') while the broker was deleting records past its"
          + " position; they may be transaction markers or compacted records, or records lost"
          + " to retention.ms: compare the records produced with the examples read",
          Counts.of(offsets, "offset"), examplesTopic));
    }
  }

  boolean losses(List<Loss> losses) {
    for (Loss l : losses) {
      String key = l.partition().toString();
      Long before = lossesReported.get(key);
      if (before != null && before >= l.records()) {
        continue;
      }
      lossesReported.put(key, l.records());
      warn(String.format(Locale.ROOT, "DATA LOSS: %s: %s from offset %,d %s deleted"
          + " by the broker before the job read them (the log start offset is now %,d). Look at"
          + " the topic's retention.ms (and retention.bytes): Kafka's time retention uses the"
          + " record timestamps, so records stamped with old event times are deleted on the"
          + " broker's next pass. Raise retention.ms on the topic (retention.ms=-1 keeps"
          + " everything), produce the records again and rerun.",
          l.partition(), Counts.of(l.records(), "record"), l.fromOffset(),
          l.records() == 1 ? "was" : "were", l.logStart()));
    }
    return !lossesReported.isEmpty();
  }

  /** Under the model lines of a job with delayed labels: whose predictions the figures are. */
  static final String DELAYED_NOTE = "  note            with labels.delayed these figures"
      + " are the learned predictions', made when each label joined or timed out, not the scores"
      + " served on arrival: examples whose labels come early are learned first, so the served"
      + " scores can be far worse (README: Known issues); validate --mode frozen measures a"
      + " savepoint on joined labels";

  /** Under a summary whose figures leave out examples learned after a model's last report. */
  private static final String UNREPORTED_NOTE = "  note            a model reports its metrics"
      + " every metrics.every examples, and a stopped run writes no partial report: the examples"
      + " learned after the last one are in the figures of the run that goes on from its"
      + " savepoint or checkpoint";

  /** How a run ended, as its summary tells it. */
  public enum Ending {
    /** The input ended and every model wrote a last, partial metrics report. */
    FINISHED(true, true),
    /**
     * The input ended and the job stopped with a savepoint, which writes no partial report: the
     * examples after each model's last report are not in its figures.
     */
    FINISHED_WITH_SAVEPOINT(true, false),
    /** Stopped (Ctrl-C, a signal, a stop with a savepoint) before the input ended: no report. */
    STOPPED(false, false);

    private final boolean finished;
    private final boolean reported;

    Ending(boolean finished, boolean reported) {
      this.finished = finished;
      this.reported = reported;
    }
  }

  /**
   * The summary at the end of the job (standard output, off with --quiet); {@code ending} says
   * whether the input ended and whether every learned example is in the figures.
   */
  public void summary(Map<String, Object> accumulators, double seconds, String checkpoints,
      Ending ending) {
    boolean finished = ending.finished;
    boolean reported = ending.reported;
    LabelCounts labelCounts = labelsTopic ? LabelCounts.of(accumulators) : null;
    // A run that read no example timed out only what its restored state held (trial 23 F12):
    // nothing says the labels do not reach the join.
    labelWarning(examplesRead(accumulators) == 0 ? null : labelCounts);
    earlyEventTimes(accumulators);
    if (quiet) {
      return;
    }
    long examples = examplesRead(accumulators);
    out.printf(Locale.ROOT, "gradflow %s: %s after %.1f s%n", command,
        finished ? "finished" : "stopped", seconds);
    out.printf(Locale.ROOT, "  examples read   %,d from %s (%,.0f/s on average)%n", examples,
        examplesTopic, examples / Math.max(seconds, 1e-9));
    Map<String, long[]> predictions = predictions(accumulators);
    long scored = 0;
    long learned = 0;
    for (long[] p : predictions.values()) {
      scored += p[0];
      learned += p[1];
    }
    out.printf(Locale.ROOT, "  predictions     %,d scored, %,d learned (%s)%n",
        scored, learned, Counts.of(predictions.size(), "model key"));
    String reasons = reasonCounts(accumulators);
    out.printf(Locale.ROOT, "  dead letters    %,d%s%n", deadLetterTotal(accumulators),
        reasons.isEmpty() ? "" : ": " + reasons);
    if (labelCounts != null) {
      out.println("  labels          " + describe(labelCounts));
    }
    Map<String, double[]> metrics = metrics(accumulators);
    List<String> keys = new ArrayList<>(new TreeMap<>(predictions).keySet());
    metrics.keySet().stream().filter(k -> !predictions.containsKey(k)).forEach(keys::add);
    if (keys.size() <= LISTED_MODELS) {
      boolean unreported = false;
      for (String key : keys) {
        long[] p = predictions.get(key);
        double[] m = metrics.get(key);
        long after = reported ? 0 : unreported(p, m);
        unreported |= after > 0;
        out.println("  model " + shown(key) + ": " + describe(p, m, after));
      }
      if (unreported) {
        out.println(UNREPORTED_NOTE);
      }
    } else {
      Totals t = totals(accumulators);
      long after = 0;
      for (String key : keys) {
        after += reported ? 0 : unreported(predictions.get(key), metrics.get(key));
      }
      out.printf(Locale.ROOT, "  %s: %s%s%n", Counts.of(keys.size(), "model"),
          after > 0 ? String.format(Locale.ROOT, "figures up to each model's last metrics report"
              + " (%,d learned after them); ", after) : "",
          t.count > 0 ? quality(t, ", ").substring(2) + (probabilities
              ? " (the AUC: the models' last windows', each weighted by its examples)" : "")
              : "no metrics reported");
      // Models without a ratio (one class only: a base rate of log loss 0) are not ranked,
      // unless no model has one: they would always be "worst" (review 23 L1).
      List<String> ranked = new ArrayList<>(metrics.keySet().stream()
          .filter(k -> Double.isFinite(score(metrics.get(k)))).toList());
      if (ranked.isEmpty()) {
        ranked.addAll(metrics.keySet());
      }
      ranked.sort(Comparator.comparingDouble(k -> score(metrics.get(k))));
      if (!ranked.isEmpty()) {
        String best = ranked.get(0);
        String worst = ranked.get(ranked.size() - 1);
        long bestAfter = reported ? 0 : unreported(predictions.get(best), metrics.get(best));
        long worstAfter = reported ? 0 : unreported(predictions.get(worst), metrics.get(worst));
        out.println("  best  " + shown(best) + ": "
            + describe(predictions.get(best), metrics.get(best), bestAfter));
        out.println("  worst " + shown(worst) + ": "
            + describe(predictions.get(worst), metrics.get(worst), worstAfter));
      }
      if (after > 0) {
        out.println(UNREPORTED_NOTE);
      }
    }
    if (delayedLabels && !metrics.isEmpty()) {
      out.println(DELAYED_NOTE);
    }
    candidates(accumulators, metrics).forEach(out::println);
    pageCaches(accumulators, cache).forEach(out::println);
    if (checkpoints != null) {
      out.println("  checkpoints     " + checkpoints);
    }
    out.flush();
  }

  /**
   * In a race over several model keys, a line per candidate over its keys ({@code KEY#NAME}):
   * its prequential log loss and base rate's, or RMSE, each weighted by the keys' examples, so
   * that the race's answer does not hide among the model lines. None without a race (the page
   * cache's accumulators name the candidates) or with one key per candidate.
   */
  List<String> candidates(Map<String, Object> accumulators, Map<String, double[]> metrics) {
    List<String> names = pageCacheNames(accumulators).stream().filter(n -> !n.isEmpty())
        .toList();
    List<String> lines = new ArrayList<>();
    if (names.size() < 2 || metrics.size() <= names.size()) {
      return lines;
    }
    int width = names.stream().mapToInt(String::length).max().orElse(0);
    for (String name : names) {
      String suffix = TrainerOperator.CANDIDATE_SEPARATOR + name;
      List<double[]> rows = metrics.entrySet().stream()
          .filter(e -> e.getKey().endsWith(suffix)).map(Map.Entry::getValue).toList();
      Totals t = totals(rows);
      if (t.count == 0) {
        continue;
      }
      lines.add(String.format(Locale.ROOT, "  candidate %-" + width + "s %s; %s", name,
          Counts.of(rows.size(), "model key"), probabilities
              ? String.format(Locale.ROOT, "log loss %.4f, base rate %.4f (%s)", t.logLoss(),
                  t.baseRate(), Figures.against(t.logLoss(), t.baseRate()))
              : String.format(Locale.ROOT, "RMSE %.4f", t.rmse())));
    }
    return lines;
  }

  /**
   * The summary's page cache lines, one per candidate (its name first in a race): the share of
   * page lookups that hit (misses read keyed state), the evictions, and the cache's capacity in
   * effect per subtask (room for so many pages, not the pages held) with the setting it came
   * from (the trainer's accumulators say the pages; {@code cache} says which setting), which say
   * whether the cache holds the working set; none when no page was looked up.
   */
  static List<String> pageCaches(Map<String, Object> accumulators, CacheSize cache) {
    String hitsPrefix = TrainerOperator.PAGE_CACHE + "hits.";
    List<String> lines = new ArrayList<>();
    pageCacheNames(accumulators).forEach(candidate -> {
          long hits = count(accumulators, hitsPrefix + candidate);
          long misses = count(accumulators, TrainerOperator.PAGE_CACHE + "misses." + candidate);
          long evictions = count(accumulators,
              TrainerOperator.PAGE_CACHE + "evictions." + candidate);
          long fewest = count(accumulators, TrainerOperator.PAGE_CACHE + "pages-min." + candidate);
          long most = count(accumulators, TrainerOperator.PAGE_CACHE + "pages-max." + candidate);
          long pageBytes = count(accumulators,
              TrainerOperator.PAGE_CACHE + "page-bytes." + candidate);
          String size = most == 0 ? "" : String.format(Locale.ROOT, "; room for %s%s pages (%s) per"
              + " subtask from %s", fewest > 0 && fewest < most
                  ? String.format(Locale.ROOT, "%,d-", fewest) : "",
              String.format(Locale.ROOT, "%,d", most), MemoryAmount.human(most * pageBytes),
              cache.describe());
          if (hits + misses > 0) {
            lines.add(String.format(Locale.ROOT, "  page cache      %shit rate %.1f%% of %s,"
                + " %s%s (raise %s if evictions are many)",
                candidate.isEmpty() ? "" : candidate + ": ",
                100.0 * hits / (hits + misses), Counts.of(hits + misses, "lookup"),
                Counts.of(evictions, "eviction"), size, cache.setting()));
          }
        });
    return lines;
  }

  /**
   * The candidates whose page caches the trainer counted, in name order: each race candidate's
   * name, or {@code ""} for a job without a race.
   */
  private static List<String> pageCacheNames(Map<String, Object> accumulators) {
    String hitsPrefix = TrainerOperator.PAGE_CACHE + "hits.";
    return new TreeMap<>(accumulators).keySet().stream().filter(k -> k.startsWith(hitsPrefix))
        .map(k -> k.substring(hitsPrefix.length())).toList();
  }

  /** A counter accumulator's value; 0 when the job has none of that name. */
  private static long count(Map<String, Object> accumulators, String name) {
    return accumulators.get(name) instanceof Number n ? n.longValue() : 0;
  }

  /**
   * A warning (standard error) when examples came with an event time before 2000, most likely
   * seconds where milliseconds are meant ({@link EarlyEventTimes}): once during the run, when
   * first seen, and again in the summary with the final count. Nothing is refused.
   */
  private void earlyEventTimes(Map<String, Object> accumulators) {
    String warning = eventTimesGiven ? EarlyEventTimes.warning(accumulators) : null;
    if (warning != null) {
      earlyWarned = true;
      warn("gradflow " + command + ": warning: " + warning + eventTimesAdvice);
    }
  }

  /**
   * The label join's counts (labels.delayed), summed over subtasks: what {@link
   * LabelJoinFunction} counted; null when the job has no label join.
   */
  record LabelCounts(long read, long joined, long defaulted, long dropped, long orphans,
      long duplicates) {
    static LabelCounts of(Map<String, Object> accumulators) {
      if (!accumulators.containsKey(LabelJoinFunction.LABELS_READ)) {
        return null;
      }
      return new LabelCounts(count(accumulators, LabelJoinFunction.LABELS_READ),
          count(accumulators, LabelJoinFunction.JOINED),
          count(accumulators, LabelJoinFunction.DEFAULTED),
          count(accumulators, LabelJoinFunction.DROPPED),
          count(accumulators, LabelJoinFunction.ORPHANS),
          count(accumulators, LabelJoinFunction.DUPLICATES));
    }

    /** Delayed examples that got no label within labels.timeout (defaulted or dropped). */
    long timedOut() {
      return defaulted + dropped;
    }
  }

  /**
   * {@code 443 read: 440 joined, 40 examples learned with the default label 0.0 (no label within
   * labels.timeout 10m), 3 orphans (no example with their id)}.
   */
  String describe(LabelCounts l) {
    List<String> parts = new ArrayList<>();
    parts.add(String.format(Locale.ROOT, "%,d joined", l.joined));
    String within = "no label within labels.timeout"
        + (labels == null ? "" : " " + io.gradflow.config.Durations.format(labels.timeout()));
    boolean dropping = labels != null
        ? labels.onTimeout() == io.gradflow.jobs.config.TrainConfig.OnTimeout.DROP
        : l.dropped > 0 && l.defaulted == 0;
    if (!dropping || l.defaulted > 0) {
      parts.add(Counts.of(l.defaulted, "example") + " learned with the default label"
          + (labels == null ? "" : " " + labels.defaultLabel()) + " (" + within + ")");
    }
    if (dropping || l.dropped > 0) {
      parts.add(Counts.of(l.dropped, "example") + " dropped (" + within
          + ", labels.on_timeout: drop)");
    }
    parts.add(Counts.of(l.orphans, "orphan") + " (no example with their id)");
    if (l.duplicates > 0) {
      parts.add(Counts.of(l.duplicates, "duplicate") + " (a second label of an example whose"
          + " first was waiting for it: ignored, the first is joined)");
    }
    long waiting = l.read - l.joined - l.orphans - l.duplicates;
    if (waiting > 0) { // so that the line adds up (trial 23 L9)
      parts.add(String.format(Locale.ROOT, "%,d waiting for their example (in the join's state,"
          + " which a checkpoint or savepoint keeps)", waiting));
    }
    return String.format(Locale.ROOT, "%,d read: ", l.read) + String.join(", ", parts);
  }

  /**
   * A warning (standard error, once) when most delayed examples timed out without their label:
   * the labels do not reach the join, or their example_id does not match the examples'.
   */
  private void labelWarning(LabelCounts l) {
    if (l == null || labelsWarned || l.timedOut() == 0 || l.timedOut() <= l.joined) {
      return;
    }
    labelsWarned = true;
    String what = l.read == 0 ? "no label was read at all: is anything writing the labels topic"
        + " (kafka.topics.labels)?"
        : String.format(Locale.ROOT, "%s read, %,d of them with no example of their id: do the"
            + " labels' example_id values match the examples' exactly, and do labels come within"
            + " labels.timeout of their example's event time?",
            Counts.of(l.read, "label"), l.orphans);
    warn(String.format(Locale.ROOT, "gradflow %s: warning: %,d of %,d delayed examples got no"
        + " label within labels.timeout (%s); %s", command, l.timedOut(),
        l.timedOut() + l.joined, l.defaulted > 0 && l.dropped == 0
            ? "learned with the default label" : l.dropped > 0 && l.defaulted == 0 ? "dropped"
            : "learned with the default label or dropped", what));
  }

  /**
   * How a model ranks among many, lowest best: its log loss over its base rate's (models of
   * different base rates, markets with different click rates, compare by what each learned), or
   * its RMSE for squared loss.
   */
  private double score(double[] m) {
    double n = m[ProgressTaps.ModelMetrics.WEIGHT];
    double v = probabilities ? m[ProgressTaps.ModelMetrics.LOG_LOSS_SUM]
        / m[ProgressTaps.ModelMetrics.BASE_RATE_SUM]
        : Math.sqrt(m[ProgressTaps.ModelMetrics.SQUARED_ERROR_SUM] / n);
    return n > 0 && Double.isFinite(v) ? v : Double.POSITIVE_INFINITY;
  }

  /**
   * A model key as the summary shows it: in single quotes when it is empty or holds white space,
   * so that {@code 'fr '} does not read as a second {@code fr} (trial 23 L11).
   */
  static String shown(String key) {
    return key.isEmpty() || key.chars().anyMatch(Character::isWhitespace) ? "'" + key + "'"
        : key;
  }

  /**
   * The examples a model learned after its last metrics report: the model step of its last
   * learned prediction less that of its last report ({@code p}: scored, learned, learnedStep;
   * {@code m}: its metrics row). Model steps are the state's, so a restored run counts right. 0
   * without a report, or when the job's counts carry no step (a job of an earlier release).
   */
  static long unreported(long[] p, double[] m) {
    if (p == null || p.length < 3 || p[2] < 0 || m == null
        || !(m[ProgressTaps.ModelMetrics.REPORTS] > 0)) {
      return 0;
    }
    return Math.max(0, p[2] - Math.round(m[ProgressTaps.ModelMetrics.LAST_STEP]));
  }

  /**
   * A model's summary: its counts ({@code p}: scored, learned), then its metrics ({@code m});
   * {@code unreported} learned examples after the last report are named beside the figures.
   */
  private String describe(long[] p, double[] m, long unreported) {
    StringBuilder b = new StringBuilder();
    if (p != null) {
      b.append(String.format(Locale.ROOT, "scored %,d, learned %,d", p[0], p[1]));
    }
    if (m == null || m[ProgressTaps.ModelMetrics.WEIGHT] == 0) {
      b.append(b.length() > 0 ? "; " : "").append("no metrics reported");
      if (p != null && p[1] > 0 && command.equals("train")) {
        // A job stopped before its first report (a run shorter than metrics.every, ended with a
        // savepoint, which writes no partial report) learned without a word on how well.
        b.append(" (a model reports every metrics.every learned examples; lower it for a short run)");
      }
      return b.toString();
    }
    double n = m[ProgressTaps.ModelMetrics.WEIGHT];
    if (unreported > 0) {
      b.append(String.format(Locale.ROOT, "; figures up to model step %,d, the last metrics"
          + " report (%,d learned after it)",
          Math.round(m[ProgressTaps.ModelMetrics.LAST_STEP]), unreported));
    }
    if (probabilities) {
      double logLoss = m[ProgressTaps.ModelMetrics.LOG_LOSS_SUM] / n;
      double base = m[ProgressTaps.ModelMetrics.BASE_RATE_SUM] / n;
      double ece = m[ProgressTaps.ModelMetrics.LAST_ECE];
      // ECE only with calibration bins (metrics.calibration_bins > 0): its window is the AUC's
      double lastCount = m[ProgressTaps.ModelMetrics.LAST_COUNT];
      b.append(String.format(Locale.ROOT, "; log loss %.4f, base rate %.4f (%s);"
          + " AUC %s%s (last window%s)", logLoss, base, Figures.against(logLoss, base),
          Figures.auc(m[ProgressTaps.ModelMetrics.LAST_AUC]), Double.isFinite(ece)
              ? String.format(Locale.ROOT, ", ECE %.4f", ece) : "", Double.isFinite(lastCount)
              ? ", " + Counts.of(lastCount, "example") : ""));
    } else {
      b.append(String.format(Locale.ROOT, "; RMSE %.4f (last window %.4f)",
          Math.sqrt(m[ProgressTaps.ModelMetrics.SQUARED_ERROR_SUM] / n),
          m[ProgressTaps.ModelMetrics.LAST_RMSE]));
    }
    double drifts = m[ProgressTaps.ModelMetrics.DRIFTS];
    if (drifts > 0) {
      b.append(String.format(Locale.ROOT, "; %s detected, the last at model step %,.0f",
          Counts.of(drifts, "drift"), m[ProgressTaps.ModelMetrics.LAST_DRIFT_STEP]));
    }
    double live = m[ProgressTaps.ModelMetrics.ROWS_LIVE];
    double expired = m[ProgressTaps.ModelMetrics.ROWS_EXPIRED];
    double refused = m[ProgressTaps.ModelMetrics.ROWS_REFUSED];
    // live counts every row the model holds; expired and refused stay 0 unless rows.* acts
    if (live + expired + refused > 0) {
      b.append(String.format(Locale.ROOT, "; rows %,.0f live", live))
          .append(expired > 0 ? String.format(Locale.ROOT, ", %,.0f expired", expired) : "")
          .append(refused > 0 ? String.format(Locale.ROOT, ", %s refused",
              Counts.of(refused, "sighting")) : "");
    }
    return b.toString();
  }

  /** Sums over every model key. */
  private static final class Totals {
    double count;
    double logLossSum;
    double baseRateSum;
    double squaredErrorSum;
    double auc = Double.NaN;
    double drifts;

    double logLoss() {
      return logLossSum / count;
    }

    double baseRate() {
      return baseRateSum / count;
    }

    double rmse() {
      return Math.sqrt(squaredErrorSum / count);
    }
  }

  private static Totals totals(Map<String, Object> accumulators) {
    return totals(metrics(accumulators).values());
  }

  private static Totals totals(java.util.Collection<double[]> models) {
    Totals t = new Totals();
    double aucWeighted = 0;
    double aucWeight = 0;
    for (double[] m : models) {
      double n = m[ProgressTaps.ModelMetrics.WEIGHT];
      t.count += n;
      t.logLossSum += m[ProgressTaps.ModelMetrics.LOG_LOSS_SUM];
      t.baseRateSum += m[ProgressTaps.ModelMetrics.BASE_RATE_SUM];
      t.squaredErrorSum += m[ProgressTaps.ModelMetrics.SQUARED_ERROR_SUM];
      t.drifts += m[ProgressTaps.ModelMetrics.DRIFTS];
      double auc = m[ProgressTaps.ModelMetrics.LAST_AUC];
      // each last window weighs its own examples (review 23 L2: a 56-example end-of-input window
      // weighed as its model's whole run); the run's weight when the count is unknown
      double last = m[ProgressTaps.ModelMetrics.LAST_COUNT];
      double w = Double.isFinite(last) ? last : n;
      if (Double.isFinite(auc) && w > 0) {
        aucWeighted += auc * w;
        aucWeight += w;
      }
    }
    // One model: its last window's AUC; several: their mean, weighted by examples.
    t.auc = aucWeight > 0 ? aucWeighted / aucWeight : Double.NaN;
    return t;
  }

  /**
   * The note under a stopped run's summary when Flink gave no final values: the counts are those
   * of the last look at the running job ({@code polledAt}, null when there was none).
   */
  static String countsAsOf(java.time.Instant polledAt, java.time.ZoneId zone) {
    return "  note            the counts above are as of " + (polledAt == null
        ? "the start (the job was stopped before its first progress line)"
        : timeOfDay(polledAt, zone) + ", the last look at the running job (Flink gave no"
            + " final values on the stop): the job did more before it stopped");
  }

  /** Examples scored, over every model key. */
  static long scored(Map<String, Object> accumulators) {
    return predictions(accumulators).values().stream().mapToLong(p -> p[0]).sum();
  }

  /**
   * The closing line of a run that read examples and scored none of them, every one refused as a
   * dead letter ({@link #allDeadLetters}), or null when it scored something, read nothing, or
   * counted fewer dead letters than examples read (a live run stopped with examples in flight).
   */
  String nothingScored(Map<String, Object> accumulators) {
    long read = examplesRead(accumulators);
    // fewer dead letters than examples read: some were still on their way when a live run
    // stopped, so not every one was refused
    if (read == 0 || scored(accumulators) > 0 || deadLetterTotal(accumulators) < read) {
      return null;
    }
    return "nothing was scored or learned: " + allDeadLetters("every example read from"
        + " kafka.topics.examples ('" + examplesTopic + "')", accumulators);
  }

  /** Records read from the examples topic. */
  long examplesRead(Map<String, Object> accumulators) {
    long n = 0;
    for (Map.Entry<String, long[]> e : input(accumulators).entrySet()) {
      if (e.getKey().substring(0, e.getKey().lastIndexOf(':')).equals(examplesTopic)) {
        n += e.getValue()[0];
      }
    }
    return n;
  }

  /**
   * The attempt number of the tasks the counts came from ({@link InputAccumulator#ATTEMPT}), -1
   * when the snapshot has none (no decode task has reported yet).
   */
  static int attempt(Map<String, Object> accumulators) {
    return accumulators.get(InputAccumulator.ATTEMPT) instanceof Integer n ? n : -1;
  }

  static long deadLetterTotal(Map<String, Object> accumulators) {
    return deadLetters(accumulators).values().stream().mapToLong(v -> Long.parseLong(v[0])).sum();
  }

  @SuppressWarnings("unchecked")
  static Map<String, long[]> input(Map<String, Object> accumulators) {
    Object v = accumulators.get(InputAccumulator.NAME);
    return v == null ? Map.of() : (Map<String, long[]>) v;
  }

  @SuppressWarnings("unchecked")
  static Map<String, String[]> deadLetters(Map<String, Object> accumulators) {
    Object v = accumulators.get(DeadLetterAccumulator.NAME);
    return v == null ? Map.of() : (Map<String, String[]>) v;
  }

  @SuppressWarnings("unchecked")
  static Map<String, long[]> predictions(Map<String, Object> accumulators) {
    Object v = accumulators.get(ProgressTaps.PREDICTIONS);
    return v == null ? Map.of() : (Map<String, long[]>) v;
  }

  /**
   * The metrics per model key, in this release's columns ({@link ProgressTaps.ModelMetrics#rows}).
   */
  static Map<String, double[]> metrics(Map<String, Object> accumulators) {
    return ProgressTaps.ModelMetrics.rows(accumulators.get(ProgressTaps.METRICS));
  }
}
