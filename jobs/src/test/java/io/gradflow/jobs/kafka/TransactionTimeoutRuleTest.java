package io.gradflow.jobs.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.config.ConfigException;
import io.gradflow.jobs.config.TrainConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@code kafka.transaction_timeout} against {@code checkpoints.interval} and {@code
 * restart_delay}: at least 2 x interval + restart_delay + 9s (+ 10s with the default 1s delay)
 * with exactly-once output, refused at configuration naming the settings.
 */
class TransactionTimeoutRuleTest {
  private static final String KAFKA = "kafka: {bootstrap_servers: localhost:9092";

  private static String error(String yaml) {
    return assertThrows(ConfigException.class, () -> TrainConfig.fromYaml(yaml)).getMessage();
  }

  @Test
  void aTimeoutShorterThanTheIntervalIsRefusedNamingBothSettings() {
    assertEquals("kafka.transaction_timeout conflicts with checkpoints.interval:"
        + " kafka.transaction_timeout must be at least 2 x checkpoints.interval +"
        + " checkpoints.restart_delay + 9s = 12s, but was 500ms (checkpoints.interval 1s,"
        + " checkpoints.restart_delay 1s): the broker would abort a checkpoint's transactions"
        + " before the job commits them, or while it restarts, and their output would be lost."
        + " Raise kafka.transaction_timeout (the default is 15m) or lower checkpoints.interval or"
        + " checkpoints.restart_delay",
        error(KAFKA + ", transaction_timeout: 500ms}\ncheckpoints: {interval: 1s}"));
  }

  @Test
  void theBoundIsTwoIntervalsPlusTenSeconds() throws Exception {
    assertEquals(Duration.ofSeconds(30),
        KafkaSpec.minimumTransactionTimeout(Duration.ofSeconds(10), Duration.ofSeconds(1)));
    TrainConfig.fromYaml(KAFKA + ", transaction_timeout: 30s}\ncheckpoints: {interval: 10s}");
    error(KAFKA + ", transaction_timeout: 29999ms}\ncheckpoints: {interval: 10s}");
    // a long interval needs a long timeout
    error(KAFKA + "}\ncheckpoints: {interval: 8m}");
  }

  /** A longer restart delay needs a longer timeout; the message names the delay. */
  @Test
  void theRestartDelayCountsInTheBound() throws Exception {
    assertEquals(Duration.ofSeconds(89),
        KafkaSpec.minimumTransactionTimeout(Duration.ofSeconds(10), Duration.ofMinutes(1)));
    TrainConfig.fromYaml(KAFKA + ", transaction_timeout: 89s}\ncheckpoints: {interval: 10s,"
        + " restart_delay: 1m}");
    String message = error(KAFKA + ", transaction_timeout: 88s}\ncheckpoints: {interval: 10s,"
        + " restart_delay: 1m}");
    assertTrue(message.startsWith("kafka.transaction_timeout conflicts with"
        + " checkpoints.restart_delay: kafka.transaction_timeout must be at least 2 x"
        + " checkpoints.interval + checkpoints.restart_delay + 9s = 89s"), message);
  }

  @Test
  void theDefaultsPass() throws Exception {
    TrainConfig config = TrainConfig.fromYaml(KAFKA + "}");
    assertEquals(Duration.ofMinutes(15), config.kafka().transactionTimeout());
    assertEquals(Duration.ofSeconds(10), config.state().checkpointInterval());
  }

  @Test
  void withoutTransactionsOrCheckpointsThereIsNothingToCheck() throws Exception {
    TrainConfig.fromYaml(KAFKA + ", transaction_timeout: 500ms, delivery_guarantee:"
        + " at_least_once}\ncheckpoints: {interval: 1s}");
    TrainConfig.fromYaml(KAFKA + ", transaction_timeout: 500ms}\ncheckpoints: {interval: 0}");
  }
}
