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

/** A synthetic stream with a known logistic ground truth is learned. */
class LearnITCase extends TrainJobITCase {
  @Test
  void learnsAKnownGroundTruth() throws Exception {
    String examples = "learn-examples";
    kafka.createTopics(1, examples);
    produce(examples, 7, 0, 30_000, "ctr");

    Run heap = Run.create(examples, "labels");
    runBounded(config(heap.yaml("optimizer: {name: Adagrad, lr: 0.1}", true),
        temp.resolve("heap")), UnaryOperator.identity(), new Configuration());
    Map<String, Double> heapScores = predictions(heap.predictions(), 30_000);
    assertEquals(30_000, heapScores.size());
    List<MetricsReport> reports = metrics(heap.metrics());
    MetricsReport last = reports.get(reports.size() - 1);
    double base = entropy(last.getMeanLabel());
    assertTrue(last.getLogLoss() < 0.85 * base, "log loss " + last.getLogLoss() + " vs base "
        + base);
    assertTrue(last.getAuc() > 0.75, "AUC " + last.getAuc());
  }
}
