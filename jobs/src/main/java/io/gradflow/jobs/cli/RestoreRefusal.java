package io.gradflow.jobs.cli;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Flink's refusals to restore a savepoint, recognised by their messages anywhere in a failure's
 * causes and said in a user's words: a savepoint named on the command line that this job cannot
 * restore is the user's to fix, not a bug. The refusals:
 *
 * <ul>
 *   <li>state of an operator the job does not have (Flink 2.2's {@code
 *       Checkpoints.loadAndValidateCheckpoint}). Gradflow never sets {@code
 *       allowNonRestoredState}: a savepoint is restored whole or not at all;
 *   <li>a {@code job.parallelism} above the savepoint's max parallelism (Flink 2.2's {@code
 *       StateAssignmentOperation.checkParallelismPreconditions}): keyed state is split into as
 *       many key groups as the max parallelism the job first ran with (Flink's default, as
 *       Gradflow sets none: 128 up to parallelism 85, else 1.5 times the parallelism rounded up
 *       to a power of two), and a savepoint never restores onto more subtasks than that;
 *   <li>no savepoint at the path, or a directory without {@code _metadata} (Flink 2.2's {@code
 *       AbstractFsCheckpointStorageAccess.resolveCheckpointPointer}): on a cluster ({@code flink
 *       run}), where the path is the JobManager's to read, so {@code train} cannot check it
 *       before it submits the job as it does when it runs the job itself.
 * </ul>
 *
 * A Flink upgrade must check the messages again ({@code MainTest} quotes them).
 */
public final class RestoreRefusal {
  private static final String UNMAPPED = "Cannot map checkpoint/savepoint state for operator ";
  /** Flink's words, before the savepoint's max parallelism and after it the job's parallelism. */
  private static final Pattern ABOVE_MAX = Pattern.compile(
      "The maximum parallelism \\((\\d+)\\) of the restored state is lower than the configured"
      + " parallelism \\((\\d+)\\)");
  /**
   * Flink's words for a path where nothing is, then the path: up to the words after it, as a path
   * may hold an apostrophe ({@code /data/bob's/savepoint-1}).
   */
  private static final Pattern NOT_FOUND = Pattern.compile(
      "Cannot find checkpoint or savepoint file/directory '(.*?)' on file system '");
  /** Flink's words for a directory without {@code _metadata}, then the directory (as above). */
  private static final Pattern NO_METADATA = Pattern.compile(
      "Cannot find meta data file '_metadata' in directory '(.*?)'\\. Please try to load");

  private RestoreRefusal() {}

  /**
   * Why the savepoint could not be restored, in Gradflow's words, or empty when {@code thrown}
   * and its causes do not hold that refusal.
   */
  public static Optional<String> in(Throwable thrown) {
    int depth = 0;
    for (Throwable t = thrown; t != null && depth++ < 32; t = t.getCause()) {
      String m = t.getMessage();
      if (m == null) {
        continue;
      }
      Matcher above = ABOVE_MAX.matcher(m);
      if (above.find()) {
        return Optional.of("the savepoint's state has max parallelism " + above.group(1)
            + ", below job.parallelism " + above.group(2) + ": Flink splits keyed state into"
            + " as many key groups as the max parallelism of the job that took the savepoint"
            + " (its default: 128 up to parallelism 85) and restores it onto at most that many"
            + " subtasks; set job.parallelism to " + above.group(1) + " or less");
      }
      Matcher missing = NOT_FOUND.matcher(m);
      if (missing.find()) {
        return Optional.of("no savepoint or checkpoint at " + missing.group(1) + " where the"
            + " cluster looks: give the directory of a savepoint or of a retained checkpoint"
            + " (chk-N), or its _metadata file, on a file system the JobManager reads");
      }
      Matcher empty = NO_METADATA.matcher(m);
      if (empty.find()) {
        return Optional.of(empty.group(1) + " holds no _metadata file, so it is not a savepoint"
            + " or a complete checkpoint; give the directory of a savepoint or of a retained"
            + " checkpoint (chk-N)");
      }
      if (!(t instanceof IllegalStateException)) {
        continue;
      }
      int at = m.indexOf(UNMAPPED);
      if (at >= 0) {
        String rest = m.substring(at + UNMAPPED.length());
        int end = rest.indexOf(' ');
        String operator = end < 0 ? rest : rest.substring(0, end);
        return Optional.of("the savepoint holds state of an operator this job does not have"
            + " (operator id " + operator + "): it was taken by another job, or by this job with"
            + " other settings (labels.delayed adds the label join and its source); Gradflow"
            + " restores a savepoint whole and skips no state (it never sets Flink's"
            + " --allowNonRestoredState), so restore it with the job file that took it");
      }
    }
    return Optional.empty();
  }
}
