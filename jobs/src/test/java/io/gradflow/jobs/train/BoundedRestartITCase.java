package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.model.CompactExample;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

/**
 * A bounded job stopped mid-run, then started again with {@code gradflow train} from what it left:
 * a retained checkpoint of a cancelled run ({@code --resume DIR}, which finds the newest one), or
 * a savepoint ({@code --savepoint}). Before the {@link EndingKafkaSource} workaround of
 * FLINK-31006 the restarted job committed everything and then never ended. Each restarted job
 * must end by itself, and the two runs together write exactly one prediction per example.
 */
class BoundedRestartITCase extends TrainJobITCase {
  /** Far beyond any expected run: a job that does not end fails the test instead of hanging. */
  private static final Duration HANG = Duration.ofMinutes(4);
  private static final int EXAMPLES = 6_000;


  @Test
  void aCancelledBoundedRunResumesFromItsNewestCheckpointAndEnds() throws Exception {
    String examples = "resume-examples";
    kafka.createTopics(1, examples);
    produce(examples, 17, 0, EXAMPLES, "a", "b");
    Run run = Run.create(examples, "labels");
    String yaml = yaml(run, temp.resolve("checkpoints"), "40s");

    JobClient first = startSlowly(yaml);
    awaitCheckpoint(temp.resolve("checkpoints"));
    first.cancel().get();
    assertThrows(ExecutionException.class, () -> first.getJobExecutionResult().get(),
        "the first run was cancelled before its input ended");
    RetainedCheckpoints.Found retained =
        RetainedCheckpoints.newest(temp.resolve("checkpoints")).orElseThrow();

    int exit = assertTimeoutPreemptively(HANG, () -> train(yaml, "--resume",
        temp.resolve("checkpoints").toString()), this::both);

    assertEquals(0, exit, this::both);
    assertTrue(out().contains("resuming from " + retained.directory()), this::both);
    assertTrue(out().contains("gradflow train: finished"), this::both);
    assertEquals(EXAMPLES, predictions(run.predictions(), EXAMPLES).size());
  }

  @Test
  void aBoundedRunStoppedWithASavepointStartsAgainFromItAndEnds() throws Exception {
    String examples = "savepoint-examples";
    kafka.createTopics(1, examples);
    produce(examples, 19, 0, EXAMPLES, "a", "b");
    Run run = Run.create(examples, "labels");
    String yaml = yaml(run, temp.resolve("checkpoints"), "40s");

    JobClient first = startSlowly(yaml);
    awaitCheckpoint(temp.resolve("checkpoints"));
    String savepoint = first.stopWithSavepoint(false, temp.resolve("savepoints").toUri()
        .toString(), SavepointFormatType.CANONICAL).get();
    first.getJobExecutionResult().get();

    int exit = assertTimeoutPreemptively(HANG, () -> train(yaml, "--savepoint", savepoint),
        this::both);

    assertEquals(0, exit, this::both);
    assertTrue(out().contains("gradflow train: finished"), this::both);
    assertEquals(EXAMPLES, predictions(run.predictions(), EXAMPLES).size());
  }

  /**
   * A cancelled run's checkpoint, restarted later than its transactions allow (a transaction
   * timeout of 11s against a 300ms interval leaves 11s - 300ms - 10s = 700ms): refused, naming
   * the setting and the checkpoint; with --accept-lost-output the job starts from it, says
   * what may be missing, and ends.
   */
  @Test
  void aCheckpointTooOldForItsTransactionsIsRefusedUnlessTheLossIsAccepted() throws Exception {
    String examples = "late-examples";
    kafka.createTopics(1, examples);
    produce(examples, 23, 0, EXAMPLES, "a", "b");
    Run run = Run.create(examples, "labels");
    String yaml = yaml(run, temp.resolve("checkpoints"), "11s");

    JobClient first = startSlowly(yaml);
    awaitCheckpoint(temp.resolve("checkpoints"));
    first.cancel().get();
    assertThrows(ExecutionException.class, () -> first.getJobExecutionResult().get());
    RetainedCheckpoints.Found retained =
        RetainedCheckpoints.newest(temp.resolve("checkpoints")).orElseThrow();
    while (retained.age(java.time.Instant.now()).toMillis() <= 700) {
      Thread.sleep(100); // the restart comes too late
    }

    assertEquals(2, train(yaml, "--resume", temp.resolve("checkpoints").toString()), this::both);
    String refusal = err.toString(StandardCharsets.UTF_8);
    assertTrue(refusal.contains("checkpoint " + retained.directory() + " was written "),
        this::both);
    assertTrue(refusal.contains("kafka.transaction_timeout is 11s"), this::both);
    assertTrue(refusal.contains("add --accept-lost-output"), this::both);
    assertTrue(!refusal.contains("\tat "), "no stack trace");

    int exit = assertTimeoutPreemptively(HANG, () -> train(yaml, "--resume",
        temp.resolve("checkpoints").toString(), "--accept-lost-output"), this::both);
    assertEquals(0, exit, this::both);
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("OUTPUT LOST: checkpoint "
        + retained.directory()), this::both);
    assertTrue(out().contains("gradflow train: finished"), this::both);
  }

  /**
   * The run's job file. A transaction timeout of 40s leaves the restart time to commit the first
   * run's last checkpoint (train refuses a checkpoint older than timeout - interval - 10s).
   */
  private static String yaml(Run run, Path checkpoints, String transactionTimeout) {
    return run.yaml("optimizer: {name: Adagrad, lr: 0.1}", true)
        .replace("transaction_timeout: 15s", "transaction_timeout: " + transactionTimeout)
        + "checkpoints: {interval: 300ms, directory: " + checkpoints.toUri() + "}\n";
  }

  /** Starts the job with a slow pass-through, so it is stopped long before its input ends. */
  private static JobClient startSlowly(String yaml) throws Exception {
    TrainConfig config = TrainConfig.fromYaml(yaml);
    Configuration conf = TrainJob.flinkConfiguration(config);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    TrainJob.configure(env, config);
    TrainJob.build(env, config, s -> s.map(new Slow()).name("slow").uid("slow.v1"));
    return env.executeAsync(config.jobName());
  }

  /** Waits for the second complete checkpoint of the running job. */
  private static void awaitCheckpoint(Path checkpoints) throws InterruptedException {
    while (RetainedCheckpoints.newest(checkpoints).map(RetainedCheckpoints.Found::number)
        .orElse(0L) < 2) {
      Thread.sleep(100);
    }
  }

  /** Sleeps 50 ms every 50 examples: 6,000 examples take at least 6 s. */
  static final class Slow implements MapFunction<CompactExample, CompactExample> {
    private int seen;

    @Override
    public CompactExample map(CompactExample e) throws Exception {
      if (++seen % 50 == 0) {
        Thread.sleep(50);
      }
      return e;
    }
  }


}
