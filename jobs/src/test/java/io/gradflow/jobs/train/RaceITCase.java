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

/** A hyper-parameter race trains every candidate on every example. */
class RaceITCase extends TrainJobITCase {
  @Test
  void aRaceTrainsEveryCandidateOnTheSameExamples() throws Exception {
    String examples = "race-examples";
    kafka.createTopics(1, examples);
    produce(examples, 19, 0, 4_000, "ctr");
    Run run = Run.create(examples, "labels");
    runBounded(config(run.yaml("race:\n"
        + "  - {name: adagrad, optimizer: {name: Adagrad, lr: 0.1}}\n"
        + "  - {name: ftrl, optimizer: {name: Ftrl, alpha: 0.1, l1: 0.01}}\n"
        + "  - {name: adam, optimizer: {name: Adam, lr: 0.01}}", true), temp.resolve("race")),
        UnaryOperator.identity(), new Configuration());
    Map<String, Double> scores = predictions(run.predictions(), 12_000);
    assertEquals(12_000, scores.size());
    Map<String, Long> perCandidate = new HashMap<>();
    for (MetricsReport r : metrics(run.metrics())) {
      perCandidate.merge(r.getModelKey(), r.getCount(), Long::sum);
    }
    assertEquals(Map.of("ctr#adagrad", 4_000L, "ctr#ftrl", 4_000L, "ctr#adam", 4_000L),
        perCandidate);
  }
}
