package io.gradflow.jobs.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.List;

/**
 * One command of the {@code gradflow} command line: its name, its arguments as shown in
 * {@code --help}, a one-line summary, the help of its flags (from the command's flag table, or
 * empty) and what runs it.
 */
public record Command(String name, String arguments, String summary, String flagHelp,
    Handler handler) {

  /** Runs a command with its arguments (the command name removed); returns the exit code. */
  @FunctionalInterface
  public interface Handler {
    int run(List<String> args, InputStream in, PrintStream out, PrintStream err) throws Exception;
  }

  /** Thrown for a command line that cannot be run as written; printed with the usage. */
  public static final class UsageException extends RuntimeException {
    public UsageException(String message) {
      super(message);
    }
  }
}
