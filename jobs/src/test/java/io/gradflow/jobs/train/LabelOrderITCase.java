package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.kafka.KafkaTestSupport;
import io.gradflow.jobs.produce.ClickThroughGenerator;
import io.gradflow.jobs.produce.GradflowProducer;
import io.gradflow.schema.Example;
import io.gradflow.schema.Label;
import io.gradflow.schema.MetricsReport;
import io.gradflow.schema.Prediction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * With delayed labels, the trainer scores every example before it learns it, even when the
 * labels topic already holds every label when the job starts (a replay), so a label can never
 * leak into its own example's score or the prequential metrics.
 *
 * <p>The labels are written before the examples, on 2 partitions, for 2 model keys, and the job
 * runs at parallelism 2: the label join finds every label waiting for its example. Before the
 * join emitted the unlabeled copy itself, that copy took another path to the trainer and came
 * after the learned one for most of these examples.
 */
class LabelOrderITCase extends TrainJobITCase {
  @Test
  void everyExampleIsScoredBeforeItIsLearnedWhenTheLabelsAreAlreadyThere() throws Exception {
    String examples = "order-examples";
    String labels = "order-labels";
    kafka.createTopics(2, examples, labels);
    ClickThroughGenerator generator =
        new ClickThroughGenerator(ClickThroughGenerator.Spec.defaults(41));
    int count = 4_000;
    List<Example> toSend = new ArrayList<>();
    int inline = 0;
    int withoutLabel = 0;
    try (GradflowProducer producer = GradflowProducer.builder(kafka.bootstrapServers())
        .examplesTopic(examples).labelsTopic(labels).build()) {
      for (int i = 0; i < count; i++) {
        Example e = generator.next().example();
        String model = i % 2 == 0 ? "ctr-a" : "ctr-b";
        if (i % 10 == 3) { // labeled at the source: learned once, never scored unlabeled
          toSend.add(Example.newBuilder(e).setExampleId("o" + i).setModelKey(model).build());
          inline++;
          continue;
        }
        toSend.add(Example.newBuilder(e).setExampleId("o" + i).setModelKey(model)
            .setLabel(null).build());
        if (i % 50 == 7) { // no label ever: the default label at the end of input
          withoutLabel++;
          continue;
        }
        producer.send(Label.newBuilder().setExampleId("o" + i).setModelKey(model)
            .setEventTime(e.getEventTime()).setLabel(e.getLabel()).build());
      }
      producer.flush(); // every label is in the topic before any example
      for (Example e : toSend) {
        producer.send(e);
      }
      producer.flush();
    }
    Run run = Run.create(examples, labels);
    String job = "job: {name: " + run.name() + "}";
    String yaml = run.yaml("optimizer: {name: Adagrad, lr: 0.1}\n"
        + "labels: {delayed: true, timeout: 10m, on_timeout: default_label, default_label: 0}",
        true);
    assertTrue(yaml.contains(job), yaml);
    runBounded(config(yaml.replace(job, "job: {name: " + run.name() + ", parallelism: 2}"),
        temp.resolve("order")), UnaryOperator.identity(), new Configuration());

    int unlabeled = count - inline;
    Map<String, Long> scoredAt = new HashMap<>();
    Map<String, Long> learnedAt = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : KafkaTestSupport.readAll(kafka, run.predictions(),
        count + unlabeled, Duration.ofSeconds(60))) {
      Prediction p = Prediction.getDecoder().decode(r.value());
      Map<String, Long> at = p.getLabel() == null ? scoredAt : learnedAt;
      Long previous = at.put(p.getModelKey() + "/" + p.getExampleId(), p.getModelStep());
      assertTrue(previous == null, "duplicate prediction " + p);
    }
    assertEquals(unlabeled, scoredAt.size(), "every unlabeled example is scored once");
    assertEquals(count, learnedAt.size(), "every example is learned once ("
        + withoutLabel + " with the default label)");
    // The learned prediction is made at the model's step before learning; a score made after
    // that has a step at least one higher. So score first <=> score step <= learned step.
    List<String> learnedFirst = new ArrayList<>();
    for (Map.Entry<String, Long> scored : scoredAt.entrySet()) {
      long learned = learnedAt.get(scored.getKey());
      if (scored.getValue() > learned) {
        learnedFirst.add(scored.getKey() + " learned at step " + learned + ", scored at "
            + scored.getValue());
      }
    }
    assertEquals(0, learnedFirst.size(), () -> learnedFirst.size() + " of " + unlabeled
        + " examples learned before they were scored, e.g. "
        + learnedFirst.subList(0, Math.min(5, learnedFirst.size())));
    List<MetricsReport> reports = metrics(run.metrics());
    assertEquals(count, reports.stream().mapToLong(MetricsReport::getCount).sum(),
        "prequential metrics count every learned example once");
  }
}
