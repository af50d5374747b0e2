package io.gradflow.jobs.kafka;

import java.nio.charset.StandardCharsets;

/**
 * The UTF-8 bytes ({@link String#getBytes} with UTF-8: an unpaired surrogate becomes {@code ?},
 * as in Avro's strings) of a string that repeats from one record to the next, such as an
 * output's model key: encoded again only when the string changes. A string equal to the last
 * one, or the same instance (the exchange's deserializer hands out one instance while the key
 * repeats), gets the array returned before.
 *
 * <p>The array is shared by every record of that key and must not be written to. Kafka's
 * producer copies a record's key into its batch during {@code send} and keeps no reference to
 * it, and Flink's Kafka writer keeps none either.
 *
 * <p>Memory: the last key and its bytes. Not thread-safe: one per sink writer's thread.
 */
public final class RepeatedKeyBytes {
  private String last;
  private byte[] bytes;

  /**
   * The UTF-8 bytes of {@code key}.
   *
   * @throws NullPointerException when {@code key} is null, as {@code key.getBytes} would
   */
  public byte[] of(String key) {
    if (key != last) {
      if (!key.equals(last)) {
        bytes = key.getBytes(StandardCharsets.UTF_8);
      }
      last = key;
    }
    return bytes;
  }
}
