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

/** Delayed labels are joined to their examples; missing ones time out to the default label. */
class DelayedLabelsITCase extends TrainJobITCase {
  @Test
  void delayedLabelsAreJoinedAndMissingOnesTimeOutToTheDefault() throws Exception {
    String examples = "delayed-examples";
    String labels = "delayed-labels";
    kafka.createTopics(1, examples, labels);
    ClickThroughGenerator generator =
        new ClickThroughGenerator(ClickThroughGenerator.Spec.defaults(17));
    int count = 6_000;
    int labeled = 0;
    try (GradflowProducer producer = GradflowProducer.builder(kafka.bootstrapServers())
        .examplesTopic(examples).labelsTopic(labels).build()) {
      for (int i = 0; i < count; i++) {
        Example e = generator.next().example();
        Example unlabeled = Example.newBuilder(e).setExampleId("d" + i).setModelKey("ctr")
            .setLabel(null).build();
        producer.send(unlabeled);
        if (i % 5 != 0) { // every fifth label never comes
          producer.send(Label.newBuilder().setExampleId("d" + i).setModelKey("ctr")
              .setEventTime(e.getEventTime()).setLabel(e.getLabel()).build());
          labeled++;
        }
      }
      producer.flush();
    }
    Run run = Run.create(examples, labels);
    runBounded(config(run.yaml("optimizer: {name: Adagrad, lr: 0.1}\n"
        + "labels: {delayed: true, timeout: 10m, on_timeout: default_label, default_label: 0}",
        true), temp.resolve("delayed")), UnaryOperator.identity(), new Configuration());
    Map<String, Double> scores = predictions(run.predictions(), 2 * count);
    long scored = scores.keySet().stream().filter(k -> k.endsWith("/scored")).count();
    long learned = scores.keySet().stream().filter(k -> k.endsWith("/learned")).count();
    assertEquals(count, scored, "every example is scored when it arrives");
    assertEquals(count, learned, labeled + " joined and the rest defaulted, all learned");
    List<MetricsReport> reports = metrics(run.metrics());
    long total = reports.stream().mapToLong(MetricsReport::getCount).sum();
    assertEquals(count, total);
  }
}
