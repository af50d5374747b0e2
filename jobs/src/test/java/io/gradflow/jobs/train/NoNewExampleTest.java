package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * A bounded run that read no example (trial 23 F12): resumed from the checkpoint of a caught-up
 * job with delayed labels, it learns the examples its state held waiting for their labels, and
 * says so in a note instead of "nothing was learned" (which also set exit code 1).
 */
class NoNewExampleTest {
  @Test
  void examplesLearnedFromTheRestoredStateAreNotNothing() {
    assertEquals("  note            no new example on kafka.topics.examples ('imp'): the 571"
        + " learned predictions were of examples waiting in the restored state (for a label, or a"
        + " timeout's default label)", TrainCommand.noNewExample("imp", 571));
    assertEquals("  note            no new example on kafka.topics.examples ('imp'): the 1"
        + " learned prediction was of an example waiting in the restored state (for a label, or a"
        + " timeout's default label)", TrainCommand.noNewExample("imp", 1));
    assertEquals("gradflow train: the job read no example from kafka.topics.examples ('imp'):"
        + " nothing was learned", TrainCommand.noNewExample("imp", 0));
  }
}
