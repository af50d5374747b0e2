package io.gradflow.jobs.cli;

import java.util.Optional;

/**
 * Flink's refusal to restore a savepoint that holds state of an operator the job does not have,
 * recognised by its message (Flink 2.2's {@code Checkpoints.loadAndValidateCheckpoint}) anywhere
 * in a failure's causes and said in a user's words: a savepoint named on the command line that
 * this job cannot restore is the user's to fix, not a bug. Gradflow never sets {@code allowNonRestoredState}: a
 * savepoint is restored whole or not at all. A Flink upgrade must check the message again
 * ({@code MainTest} quotes it).
 */
public final class RestoreRefusal {
  private static final String UNMAPPED = "Cannot map checkpoint/savepoint state for operator ";

  private RestoreRefusal() {}

  /**
   * Why the savepoint could not be restored, in Gradflow's words, or empty when {@code thrown}
   * and its causes do not hold that refusal.
   */
  public static Optional<String> in(Throwable thrown) {
    int depth = 0;
    for (Throwable t = thrown; t != null && depth++ < 32; t = t.getCause()) {
      String m = t.getMessage();
      if (!(t instanceof IllegalStateException) || m == null) {
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
