package io.gradflow.jobs.cli;

/**
 * A failure the user can fix (an unreachable broker, a missing topic or file, an unwritable
 * directory): {@link Main} prints its message, which names the setting and says what to do, as
 * one line without a stack trace, and exits with {@link #exitCode()}. It has no stack trace of its
 * own: it is a verdict on the environment, not a bug.
 */
public class UserException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int exitCode;

  /** A failure while running: exit code 1. */
  public UserException(String message) {
    this(message, 1);
  }

  /** @param exitCode 1 for a failure while running, 2 for a command line or configuration */
  public UserException(String message, int exitCode) {
    super(message, null, false, false);
    this.exitCode = exitCode;
  }

  /**
   * A failure whose cause is not the user's to fix (a job that failed on a bug or in its
   * environment): {@link Main} prints the message, then the cause's stack trace.
   */
  public UserException(String message, Throwable cause) {
    super(message, cause, false, false);
    this.exitCode = 1;
  }

  public int exitCode() {
    return exitCode;
  }

  /**
   * Refuses an output path that exists, naming its flag (exit code 2): a command writes new
   * files only, and never overwrites one.
   */
  public static void requireAbsent(String flag, java.nio.file.Path path) {
    if (java.nio.file.Files.exists(path)) {
      throw new UserException(flag + " " + path + " exists; give a path that does not (nothing"
          + " was overwritten)", 2);
    }
  }
}
