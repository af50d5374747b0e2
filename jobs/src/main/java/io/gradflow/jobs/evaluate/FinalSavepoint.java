package io.gradflow.jobs.evaluate;

import io.gradflow.jobs.kafka.InputAccumulator;
import io.gradflow.jobs.train.TrainCommand;
import io.gradflow.jobs.train.TrainConsole;
import io.gradflow.jobs.train.TrainPipeline;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.state.api.OperatorIdentifier;

/**
 * {@code evaluate --final-savepoint DIR}: once the file's source holds at its end
 * ({@link HoldingSource}; the decode function has counted its end marker in
 * {@link InputAccumulator#ENDED_EXAMPLES}), a canonical savepoint in {@code DIR} that does not
 * stop the job ({@link TrainCommand#savepointAtEnd}, {@code train --final-savepoint}'s mechanism:
 * asked again while a task is still starting), then the savepoint is made one of the training
 * job's ({@link #keepTrainingState}), then the source is released and the evaluation ends as
 * without a savepoint.
 *
 * <p>So the savepoint holds the state after the file's last example, as {@code train
 * --final-savepoint} after the same examples from Kafka would: every model's pages and session,
 * examples still waiting for a delayed label, no partial metrics report. It holds no Kafka
 * position: a job started from it reads from {@code kafka.starting_offsets}. Not thread-safe; one
 * call per run.
 */
final class FinalSavepoint {
  /** How often the end of the file is looked for. */
  private static final long POLL_MILLIS = 200;

  private FinalSavepoint() {}

  /**
   * Waits until the file's source holds at its end, takes the savepoint and keeps only the
   * training job's state in it; returns its path, or null when the job ended first (it failed:
   * its result says how).
   *
   * @throws io.gradflow.jobs.cli.UserException when Flink refused or failed the savepoint
   */
  static String take(JobClient job, String dir, TrainConsole console) throws Exception {
    while (!job.getJobExecutionResult().isDone()) {
      try {
        if (job.getAccumulators().get(POLL_MILLIS * 5, TimeUnit.MILLISECONDS)
            .get(InputAccumulator.ENDED_EXAMPLES) instanceof Integer n && n >= 1) {
          String savepoint = TrainCommand.savepointAtEnd(job, dir, console, 1, false, false);
          if (savepoint != null) {
            try {
              keepTrainingState(savepoint);
            } catch (IOException e) {
              throw new io.gradflow.jobs.cli.UserException("--final-savepoint: the savepoint "
                  + savepoint + " was taken, but its _metadata could not be rewritten to hold the"
                  + " training job's state alone (" + e.getMessage() + "); train cannot restore"
                  + " it as it is", 1);
            }
          }
          return savepoint;
        }
      } catch (ExecutionException | TimeoutException | IllegalStateException e) {
        // starting or ending: no values now
      }
      Thread.sleep(POLL_MILLIS);
    }
    return null;
  }

  /**
   * Rewrites the savepoint's {@code _metadata} with the state of the training job's operators
   * only ({@link TrainPipeline#OPERATOR_UIDS}: the trainer, and the label join with delayed
   * labels), leaving out the evaluation's own (the file's source and its enumerator, the
   * collecting sink), which no training job has: Flink refuses to start a job from a savepoint
   * holding state that no operator of the job takes, unless told to drop it
   * ({@code --allowNonRestoredState}). Their files, if any, stay in the directory, unreferenced.
   *
   * @return the uids kept that had state (the trainer's at least)
   */
  static List<String> keepTrainingState(String savepoint) throws IOException {
    Path metadata = new Path(savepoint, "_metadata");
    FileSystem fs = metadata.getFileSystem();
    CheckpointMetadata read;
    try (DataInputStream in = new DataInputStream(fs.open(metadata))) {
      read = Checkpoints.loadCheckpointMetadata(in, FinalSavepoint.class.getClassLoader(),
          savepoint);
    }
    java.util.Map<OperatorID, String> training = TrainPipeline.OPERATOR_UIDS.stream()
        .collect(Collectors.toMap(uid -> OperatorIdentifier.forUid(uid).getOperatorId(),
            uid -> uid));
    List<OperatorState> kept = read.getOperatorStates().stream()
        .filter(o -> training.containsKey(o.getOperatorID())).toList();
    Path rewritten = new Path(savepoint, "_metadata.training");
    try (DataOutputStream out = new DataOutputStream(fs.create(rewritten,
        FileSystem.WriteMode.OVERWRITE))) {
      Checkpoints.storeCheckpointMetadata(new CheckpointMetadata(read.getCheckpointId(), kept,
          read.getMasterStates(), read.getCheckpointProperties()), out);
    }
    // The local file system's rename replaces the old file in one step (no window without a
    // _metadata); a file system whose rename does not replace gets the old file deleted first.
    if (!fs.rename(rewritten, metadata)
        && !(fs.delete(metadata, false) && fs.rename(rewritten, metadata))) {
      throw new IOException("could not rename " + rewritten + " to " + metadata);
    }
    return kept.stream().filter(o -> o.getNumberCollectedStates() > 0)
        .map(o -> training.get(o.getOperatorID())).sorted().toList();
  }
}
