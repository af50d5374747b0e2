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
}
