package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.common.JobID;
import org.apache.flink.client.deployment.StandaloneClusterId;
import org.apache.flink.client.program.rest.RestClusterClient;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.junit.jupiter.api.Test;

/**
 * {@code gradflow savepoint --config job.yaml --dir DIR} against a running, unbounded, embedded
 * {@code gradflow train} in this JVM, found through the file it writes beside its checkpoints and
 * reached through its MiniCluster's REST endpoint: the savepoint is taken while the job runs on,
 * after it has read every example there is, and a bounded run started from it over new examples
 * predicts them bit for bit as one uninterrupted run over all examples does (the live job's
 * partitions, which have no end, get the bounded run's end). Then the mistakes: nothing running,
 * a directory that is not empty.
 */
class SavepointCommandITCase extends TrainJobITCase {

  @Test
  void aSavepointOfARunningTrainContinuesExactly() throws Exception {
    String examples = "live";
    kafka.createTopics(2, examples);
    produce(examples, 31, 0, 1_500, "m1", "m2");

    Run live = Run.create(examples, "labels");
    Path liveJob = Files.createTempFile(temp, "live", ".yaml");
    Files.writeString(liveJob, job(live, false));
    CompletableFuture<Integer> running = CompletableFuture.supplyAsync(() -> gradflow("train",
        "--config", liveJob.toString(), "--progress-every", "1s", "--quiet"));
    // Every example there is has been read and learned once all its predictions are committed.
    assertEquals(1_500, predictions(live.predictions(), 1_500).size());
    assertTrue(out().isEmpty() || !out().contains("REST"), "--quiet prints no start-up facts");

    Path dir = temp.resolve("taken");
    assertEquals(0, gradflow("savepoint", "--config", liveJob.toString(), "--dir",
        dir.toString()), both());
    String savepoint = FinalSavepointITCase.savepointIn(out());
    assertTrue(Files.exists(Path.of(URI.create(savepoint)).resolve("_metadata")), savepoint);
    assertFalse(running.isDone(), "the job runs on after its savepoint: " + both());

    List<RunningTrain.Endpoint> trains =
        RunningTrain.find(temp.resolve("checkpoints"));
    assertEquals(1, trains.size(), trains::toString);
    cancel(trains.get(0));
    running.get();
    assertTrue(RunningTrain.find(temp.resolve("checkpoints")).isEmpty(),
        "train deletes its file when it exits");

    produce(examples, 31, 1_500, 1_000, "m1", "m2");
    Run continued = Run.create(examples, "labels");
    assertEquals(0, train(job(continued, true), "--savepoint", savepoint), both());
    Run whole = Run.create(examples, "labels");
    assertEquals(0, train(job(whole, true)), both());
    Map<String, Double> all = predictions(whole.predictions(), 2_500);
    assertSameEntries(FinalSavepointITCase.part(all, 0, 1_500),
        predictions(live.predictions(), 1_500), "the live run against the uninterrupted one");
    assertSameEntries(FinalSavepointITCase.part(all, 1_500, 2_500),
        predictions(continued.predictions(), 1_000),
        "the run from the live savepoint against the uninterrupted one");

    // Mistakes: nothing runs any more; the directory holds a savepoint already.
    err.reset();
    assertEquals(1, gradflow("savepoint", "--config", liveJob.toString(), "--dir",
        temp.resolve("other").toString()), both());
    assertTrue(err().contains("no running gradflow train of " + liveJob), both());
    assertEquals(2, gradflow("savepoint", "--rest", "http://127.0.0.1:1", "--job",
        new JobID().toHexString(), "--dir", dir.toString()), both());
    assertTrue(err().contains("--dir " + dir + " is not empty"), both());
    assertEquals(1, gradflow("savepoint", "--rest", "http://127.0.0.1:1", "--job",
        new JobID().toHexString(), "--dir", temp.resolve("other").toString()), both());
    assertTrue(err().contains("(nothing answers there: has the train exited?)"), both());
    assertFalse(err().contains("\tat "), both());
  }

  /**
   * {@code savepoint --stop} (trial 23 F10): the job stops with its savepoint, train exits, and a
   * job started from the savepoint writes nothing the stopped one wrote; the predictions topic
   * holds each example once over both runs.
   */
  @Test
  void aSavepointWithStopEndsTheTrainAndNothingIsWrittenTwice() throws Exception {
    String examples = "stopped";
    kafka.createTopics(2, examples);
    produce(examples, 37, 0, 1_000, "m1", "m2");
    Run live = Run.create(examples, "labels");
    Path liveJob = Files.createTempFile(temp, "stop", ".yaml");
    Files.writeString(liveJob, job(live, false, "stop-checkpoints"));
    CompletableFuture<Integer> running = CompletableFuture.supplyAsync(() -> gradflow("train",
        "--config", liveJob.toString(), "--progress-every", "1s", "--quiet"));
    assertEquals(1_000, predictions(live.predictions(), 1_000).size());

    assertEquals(0, gradflow("savepoint", "--config", liveJob.toString(), "--dir",
        temp.resolve("stopped-at").toString(), "--stop"), both());
    String savepoint = FinalSavepointITCase.savepointIn(out());
    assertTrue(out().contains("the job stopped with it"), both());
    assertEquals(0, running.get(2, java.util.concurrent.TimeUnit.MINUTES), both());

    // The live job's topic, with the resumed job writing to it too: every example once.
    produce(examples, 37, 1_000, 500, "m1", "m2");
    assertEquals(0, train(job(live, true, "stop-checkpoints-2"), "--savepoint", savepoint),
        both());
    // predictions() fails on an example predicted twice
    assertEquals(1_500, predictions(live.predictions(), 1_500).size());
  }

  /** A run's job file, with checkpoints every 300 ms in this test's directory. */
  String job(Run run, boolean bounded) {
    return job(run, bounded, "checkpoints");
  }

  /** A run's job file, with checkpoints every 300 ms in {@code checkpoints} of this test's. */
  String job(Run run, boolean bounded, String checkpoints) {
    return run.yaml("", bounded) + "\ncheckpoints: {interval: 300ms, directory: "
        + temp.resolve(checkpoints).toUri() + "}\n";
  }

  /** Cancels a running train's job through its REST endpoint, as Flink's CLI would. */
  private static void cancel(RunningTrain.Endpoint train) throws Exception {
    URI rest = URI.create(train.rest());
    Configuration conf = new Configuration();
    conf.set(RestOptions.ADDRESS, rest.getHost());
    conf.set(RestOptions.PORT, rest.getPort());
    try (RestClusterClient<StandaloneClusterId> client =
             new RestClusterClient<>(conf, StandaloneClusterId.getInstance())) {
      client.cancel(JobID.fromHexString(train.jobId())).get();
    }
  }
}
