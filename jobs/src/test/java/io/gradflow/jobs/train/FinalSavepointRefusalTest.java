package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.flink.runtime.checkpoint.CheckpointException;
import org.apache.flink.runtime.checkpoint.CheckpointFailureReason;
import org.apache.flink.util.SerializedThrowable;
import org.junit.jupiter.api.Test;

/**
 * Which refused savepoints {@code train --final-savepoint} asks again: those Flink refused because
 * a task was not RUNNING, as the exception itself (an embedded run) or as a serialized copy (a
 * cluster answering through REST); any other failure is final.
 */
class FinalSavepointRefusalTest {
  private static CheckpointException refused(CheckpointFailureReason reason) {
    return new CheckpointException("Checkpoint triggering task trainer (1/1) of job 0 is not"
        + " being executed at the moment. Aborting checkpoint.", reason);
  }

  @Test
  void aTaskNotRunningIsAskedAgainWhateverWrapsIt() {
    CheckpointException e = refused(CheckpointFailureReason.NOT_ALL_REQUIRED_TASKS_RUNNING);
    assertTrue(TrainCommand.refusedAsNotRunning(e));
    assertTrue(TrainCommand.refusedAsNotRunning(
        new ExecutionException(new CompletionException(e))));
    assertTrue(TrainCommand.refusedAsNotRunning(
        new ExecutionException(new SerializedThrowable(e))));
  }

  @Test
  void otherFailuresAreFinal() {
    assertFalse(TrainCommand.refusedAsNotRunning(new ExecutionException(
        refused(CheckpointFailureReason.CHECKPOINT_DECLINED_TASK_CLOSING))));
    assertFalse(TrainCommand.refusedAsNotRunning(new ExecutionException(new SerializedThrowable(
        refused(CheckpointFailureReason.IO_EXCEPTION)))));
    assertFalse(TrainCommand.refusedAsNotRunning(
        new ExecutionException(new IllegalStateException("the job is not running"))));
  }
}
