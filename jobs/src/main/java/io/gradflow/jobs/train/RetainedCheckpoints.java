package io.gradflow.jobs.train;

import io.gradflow.config.Durations;
import io.gradflow.config.TrainSettings;
import io.gradflow.jobs.cli.UserException;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.kafka.KafkaSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.flink.connector.base.DeliveryGuarantee;

/**
 * The checkpoints Flink keeps on a local file system ({@code <dir>/<job id>/chk-N/_metadata}), as
 * {@code train} finds them to restart from ({@code --resume}), and the rule that keeps a restart
 * from losing output: a checkpoint's last Kafka transactions are committed only by the job that
 * wrote it (once the checkpoint completes) or by the restart from it; the broker aborts them
 * {@code kafka.transaction_timeout} after they began, about one checkpoint interval before the
 * checkpoint was written. So a checkpoint older than {@code transaction_timeout - interval -}
 * {@link TrainSettings#TRANSACTION_TIMEOUT_MARGIN} may have lost its last interval's output, and
 * a restart from it is refused unless the user accepts that ({@code --accept-lost-output}).
 * Savepoints are not checked: the job that takes one commits its transactions when it completes
 * (stop-with-savepoint waits for that).
 *
 * <p>A checkpoint's time is its {@code _metadata} file's modification time. Stateless.
 */
final class RetainedCheckpoints {
  private static final Pattern CHECKPOINT = Pattern.compile("chk-(\\d+)");

  private RetainedCheckpoints() {}

  /** A complete checkpoint: its directory, number and the time its metadata was written. */
  record Found(Path directory, long number, Instant written) {
    Duration age(Instant now) {
      return Duration.between(written, now);
    }
  }

  /**
   * The newest complete checkpoint ({@code chk-N} with a {@code _metadata} file) at or under
   * {@code root}: {@code root} itself, its {@code chk-N} children (a job's directory) or its
   * grandchildren (a checkpoint directory holding a directory per job id). Newest by the
   * metadata's time, then by number.
   */
  static Optional<Found> newest(Path root) {
    List<Found> found = new ArrayList<>();
    add(root, found);
    for (Path child : children(root)) {
      add(child, found);
      if (!CHECKPOINT.matcher(child.getFileName().toString()).matches()) {
        children(child).forEach(grandchild -> add(grandchild, found));
      }
    }
    return found.stream().max(Comparator.comparing(Found::written)
        .thenComparingLong(Found::number));
  }

  /** The checkpoint at a {@code --savepoint} path, or empty when it is not a {@code chk-N}. */
  static Optional<Found> at(Path path) {
    Path directory = path.getFileName() != null
        && path.getFileName().toString().equals("_metadata") ? path.getParent() : path;
    List<Found> found = new ArrayList<>();
    if (directory != null) {
      add(directory, found);
    }
    return found.stream().findFirst();
  }

  /**
   * The newest complete checkpoint under a {@code --resume} directory.
   *
   * @throws UserException naming --resume, when there is none
   */
  static Found resume(String location) {
    Path root = TrainCommand.localPath(location);
    if (root == null) {
      throw new UserException("--resume " + location + ": only a local directory (or a file:"
          + " URI) is searched; for another file system give the checkpoint itself with"
          + " --savepoint <dir>/<job id>/chk-N", 2);
    }
    if (!Files.isDirectory(root)) {
      throw new UserException("--resume " + location + " is not a directory; give the"
          + " checkpoint directory of the job to restart (checkpoints.directory, or the"
          + " checkpoints line train printed)", 2);
    }
    return newest(root).orElseThrow(() -> new UserException("--resume " + location
        + " holds no complete checkpoint (a chk-N directory with a _metadata file, directly or"
        + " in a job id's directory): nothing to restart from. Flink deletes a finished job's"
        + " checkpoints; start without --resume, or give a savepoint with --savepoint", 2));
  }

  /** The youngest a checkpoint must be for its last transactions to be committable. */
  static Duration maxAge(TrainConfig config) {
    return config.kafka().transactionTimeout()
        .minus(config.state().checkpointInterval())
        .minus(TrainSettings.TRANSACTION_TIMEOUT_MARGIN);
  }

  /**
   * Refuses a restart from a checkpoint whose last transactions the broker has (or may have)
   * aborted, unless {@code acceptLoss}; then it returns the warning to print. Returns null when
   * nothing is at risk.
   *
   * @param flag how the user named the checkpoint ({@code --resume DIR} or {@code --savepoint})
   */
  static String checkAge(Found checkpoint, TrainConfig config, Instant now, boolean acceptLoss,
      String flag) {
    KafkaSpec kafka = config.kafka();
    if (kafka.deliveryGuarantee() != DeliveryGuarantee.EXACTLY_ONCE) {
      return null;
    }
    Duration age = checkpoint.age(now);
    Duration maxAge = maxAge(config);
    if (age.compareTo(maxAge) < 0) {
      return null;
    }
    String what = String.format("checkpoint %s was written %s ago (%s), and"
            + " kafka.transaction_timeout is %s: the broker aborts a transaction that old, and"
            + " with it the output (predictions, metrics, changelog, dead letters) of the"
            + " checkpoint interval before the checkpoint, which only a restart within"
            + " transaction_timeout - checkpoints.interval - %s = %s could still commit",
        checkpoint.directory(), describe(age),
        checkpoint.written().truncatedTo(java.time.temporal.ChronoUnit.SECONDS),
        Durations.format(kafka.transactionTimeout()),
        Durations.format(TrainSettings.TRANSACTION_TIMEOUT_MARGIN), describe(maxAge));
    if (acceptLoss) {
      return "OUTPUT LOST: " + what + ". Restarting from it as --accept-lost-output says: the"
          + " model and the input offsets continue from the checkpoint, but that output is"
          + " missing from the output topics (the job's log shows an ERROR when the commit"
          + " fails)";
    }
    throw new UserException(flag + ": " + what + ". If the job that wrote it went on after"
        + " the checkpoint, or was stopped with Ctrl-C, the output was committed and nothing is"
        + " missing; if it was killed, it is. To restart from it anyway, knowing that the output"
        + " of that interval may be missing, add --accept-lost-output. To lose nothing next"
        + " time, restart within kafka.transaction_timeout (a supervisor that restarts the job),"
        + " or raise kafka.transaction_timeout (up to the broker's transaction.max.timeout.ms,"
        + " kafka.transaction_max_timeout), or stop with a savepoint", 2);
  }

  /** {@code 2h 3m}, {@code 4m 10s}, {@code 12s}. */
  static String describe(Duration d) {
    long s = Math.max(0, d.getSeconds());
    if (s >= 86_400) {
      return s / 86_400 + "d " + s % 86_400 / 3600 + "h";
    }
    if (s >= 3600) {
      return s / 3600 + "h " + s % 3600 / 60 + "m";
    }
    if (s >= 60) {
      return s / 60 + "m " + s % 60 + "s";
    }
    return s + "s";
  }

  private static void add(Path directory, List<Found> found) {
    Matcher m = CHECKPOINT.matcher(directory.getFileName() == null ? ""
        : directory.getFileName().toString());
    Path metadata = directory.resolve("_metadata");
    if (!m.matches() || !Files.isRegularFile(metadata)) {
      return;
    }
    try {
      found.add(new Found(directory, Long.parseLong(m.group(1)),
          Files.getLastModifiedTime(metadata).toInstant()));
    } catch (IOException | NumberFormatException e) {
      // deleted meanwhile (Flink discards subsumed checkpoints), or not a checkpoint
    }
  }

  private static List<Path> children(Path directory) {
    if (!Files.isDirectory(directory)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(directory)) {
      return s.filter(Files::isDirectory).toList();
    } catch (IOException | java.io.UncheckedIOException e) {
      return List.of();
    }
  }
}
