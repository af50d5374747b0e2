package io.gradflow.config;

/**
 * A configuration value that Gradflow refuses, with the key that names it.
 *
 * <p>The message always starts with the key, states the constraint and the value that broke it,
 * for example {@code "optimizer.betas[0] must be in [0, 1), but was 1.2"}. Thrown at
 * construction of a {@code *Spec}, so a bad configuration stops a job at start-up.
 */
public final class ConfigException extends IllegalArgumentException {
  private final String key;

  public ConfigException(String key, String message) {
    super(message);
    this.key = key;
  }

  /** The configuration key that was refused, for example {@code "optimizer.lr"}. */
  public String key() {
    return key;
  }

  /**
   * The message of a {@code ConfigException} among {@code thrown} and its causes, if any: a
   * setting refused where the job runs (such as a {@code state.cache_memory} the TaskManager's
   * heap cannot give), which the command line prints alone. A copy that crossed a process
   * boundary as a stand-in (Flink's serialized throwables, whose {@code toString()} is the
   * original's) is recognized by its text.
   */
  public static java.util.Optional<String> messageIn(Throwable thrown) {
    return CarriedMessages.of(ConfigException.class, thrown);
  }
}
