package io.gradflow.jobs.train;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.accumulators.AccumulatorHelper;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.jobmaster.JobResult;
import org.apache.flink.runtime.minicluster.MiniClusterJobClient;

/**
 * The accumulators an embedded job ended with when it was cancelled (train's Ctrl-C or SIGTERM).
 *
 * <p>Flink keeps a cancelled job's final accumulators in its {@link JobResult}: every task reports
 * its accumulators with its final state, cancelled ones too. {@link
 * JobClient#getJobExecutionResult()} turns a result that is not a success into an exception and
 * drops them, and the embedded MiniCluster shuts down once the job ends, so {@link
 * JobClient#getAccumulators()} cannot be asked afterwards. {@link MiniClusterJobClient} holds the
 * {@link JobResult} future it got from the MiniCluster, without a getter: it is read here
 * reflectively. Where that fails (another client, a Flink that renamed the field) the answer is
 * null and train says its counts are as of the last look ({@link TrainConsole#countsAsOf}).
 *
 * <p>Stateless; safe from any thread.
 */
final class FinalAccumulators {
  private FinalAccumulators() {}

  /** The job's final accumulators, or null when its client does not give them. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> of(JobClient job) {
    if (!(job instanceof MiniClusterJobClient)) {
      return null;
    }
    try {
      java.lang.reflect.Field field =
          MiniClusterJobClient.class.getDeclaredField("jobResultFuture");
      field.setAccessible(true);
      JobResult result = ((CompletableFuture<JobResult>) field.get(job))
          .get(5, TimeUnit.SECONDS);
      Map<String, Object> values = AccumulatorHelper.deserializeAndUnwrapAccumulators(
          result.getAccumulatorResults(), FinalAccumulators.class.getClassLoader());
      return values.isEmpty() ? null : values;
    } catch (Exception | LinkageError unavailable) {
      return null;
    }
  }
}
