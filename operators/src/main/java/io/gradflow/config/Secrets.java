package io.gradflow.config;

import java.util.regex.Pattern;

/**
 * Which configuration values may hold a secret, so that no message and no printout shows them:
 * Kafka client properties named like a password, a key, a token or a JAAS configuration.
 * Stateless.
 */
public final class Secrets {
  private static final Pattern SECRET_NAME =
      Pattern.compile("(?i).*(password|secret|jaas|token|credential|key).*");

  private Secrets() {}

  /** Whether a property of this name may hold a secret (its value is then shown as ****). */
  public static boolean mayHoldSecret(String name) {
    return SECRET_NAME.matcher(name).matches();
  }
}
