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

/** Stop with a savepoint at parallelism 1, resume at 2: the same predictions and model as an uninterrupted run. */
class RescaleITCase extends TrainJobITCase {
  @Test
  void stopWithASavepointAtParallelismOneAndResumeAtTwoKeepsTheModel() throws Exception {
    String examples = "rescale-examples";
    kafka.createTopics(2, examples);
    String[] models = {"m1", "m2", "m3", "m4"};
    produce(examples, 13, 0, 8_000, models);
    String optimizer = "optimizer: {name: Adagrad, lr: 0.1}";

    Run split = Run.create(examples, "labels");
    String atOne = split.yaml(optimizer, false);
    String savepoint = runUntil(config(atOne, temp.resolve("one")), split.predictions(), 8_000,
        null, temp.resolve("savepoints"));
    produce(examples, 13, 8_000, 8_000, models);
    String atTwo = atOne.replace("job: {name: " + split.name() + "}",
        "job: {name: " + split.name() + "-resumed, parallelism: 2}");
    runUntil(config(atTwo, temp.resolve("two")), split.predictions(), 16_000, savepoint,
        temp.resolve("savepoints"));

    // Each run's committed output is read right after the run (see README.md, "Known issues").
    Map<String, Double> resumed = predictions(split.predictions(), 16_000);
    Map<String, List<Float>> resumedModel = finalRows(split.changelog());

    Run whole = Run.create(examples, "labels");
    runBounded(config(whole.yaml(optimizer, true), temp.resolve("whole")),
        UnaryOperator.identity(), new Configuration());
    Map<String, Double> expected = predictions(whole.predictions(), 16_000);
    assertEquals(16_000, expected.size());
    assertSameEntries(expected, resumed, "predictions");
    assertSameEntries(finalRows(whole.changelog()), resumedModel, "model");
  }
}
