package io.gradflow.config;

import java.util.Optional;

/**
 * Finds the message of an exception of a given type among a thrown exception and its causes,
 * also where it crossed a process boundary as a stand-in (Flink's serialized throwables, whose
 * message is the original's {@code "<class name>: <message>"}), so a command line can
 * print a refusal made where the job runs as one line. Stateless.
 */
public final class CarriedMessages {
  private CarriedMessages() {}

  /** The message of the first {@code type} among {@code thrown} and its causes, if any. */
  public static Optional<String> of(Class<? extends Throwable> type, Throwable thrown) {
    String prefix = type.getName() + ": ";
    for (Throwable t = thrown; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return Optional.ofNullable(t.getMessage());
      }
      String text = String.valueOf(t);
      // A stand-in's message is the original's toString(), so its own text names the type twice.
      while (text.startsWith(prefix)) {
        text = text.substring(prefix.length());
        if (!text.startsWith(prefix)) {
          return Optional.of(text);
        }
      }
    }
    return Optional.empty();
  }
}
