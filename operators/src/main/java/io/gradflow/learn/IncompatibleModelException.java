package io.gradflow.learn;

import java.util.Optional;

/**
 * A restore of a model's state into another model ({@link ModelSignature#refusal}): a mistake of
 * the user's, not a bug, so it carries no stack trace. The trainer stops the job with it once,
 * without restarts, and the command line prints its message alone. Immutable.
 */
public final class IncompatibleModelException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public IncompatibleModelException(String message) {
    super(message, null, false, false);
  }

  /**
   * The message of an {@code IncompatibleModelException} among {@code thrown} and its causes, if
   * any. A copy that crossed a process boundary as a stand-in (Flink's serialized throwables,
   * whose {@code toString()} is the original's) is recognized by its text.
   */
  public static Optional<String> messageIn(Throwable thrown) {
    return io.gradflow.config.CarriedMessages.of(IncompatibleModelException.class, thrown);
  }
}
