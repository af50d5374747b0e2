package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.produce.ClickThroughGenerator;
import io.gradflow.jobs.produce.GradflowProducer;
import io.gradflow.schema.Example;
import io.gradflow.schema.Label;
import io.gradflow.schema.MetricsReport;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A failure injected mid-stream: restored from the last checkpoint, the job ends with the same model and exactly one prediction per example. */
class ExactlyOnceITCase extends TrainJobITCase {
  @Test
  void aFailureMidStreamEndsWithTheSameModelAndExactlyOnePredictionPerExample()
      throws Exception {
    failMidStream("failure-examples", 1);
  }

  /**
   * The failing run decodes on a pool of 2 threads ({@code job.decode_parallelism}), the clean
   * run on the source's thread: the pool keeps the order (same predictions and model bit for bit)
   * and its records in flight are restored with the checkpoint (exactly one prediction each).
   */
  @Test
  void decodingOnAPoolLearnsTheSameAndSurvivesAFailure() throws Exception {
    failMidStream("pool-failure-examples", 2);
  }

  private void failMidStream(String examples, int decodeParallelism) throws Exception {
    kafka.createTopics(1, examples);
    produce(examples, 11, 0, 20_000, "a", "b", "c");
    String optimizer = "optimizer: {name: Adam, lr: 0.01}";

    Run clean = Run.create(examples, "labels");
    runBounded(config(clean.yaml(optimizer, true), temp.resolve("clean")),
        UnaryOperator.identity(), new Configuration());
    // Each run's committed output is read right after the run (see README.md, "Known issues").
    Map<String, Double> expected = predictions(clean.predictions(), 20_000);
    assertEquals(20_000, expected.size());
    Map<String, List<Float>> model = finalRows(clean.changelog());
    assertTrue(model.size() > 1000, model.size() + " rows");

    Run failing = Run.create(examples, "labels");
    String job = "job: {name: " + failing.name() + "}";
    String yaml = failing.yaml(optimizer, true);
    assertTrue(yaml.contains(job), yaml);
    TrainConfig config = config(yaml.replace(job, "job: {name: " + failing.name()
        + ", decode_parallelism: " + decodeParallelism + "}"), temp.resolve("failing"));
    assertEquals(decodeParallelism, config.decodeParallelism());
    FailOnce fail = FailOnce.at(12_000);
    runBounded(config, s -> s.map(fail).name("fail-once"), new Configuration());
    assertTrue(fail.failed(), "the failure was injected");

    assertSameEntries(expected, predictions(failing.predictions(), 20_000), "predictions");
    assertSameEntries(model, finalRows(failing.changelog()), "model");
  }
}
