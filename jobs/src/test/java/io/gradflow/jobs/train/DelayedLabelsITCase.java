package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.produce.ClickThroughGenerator;
import io.gradflow.jobs.produce.GradflowProducer;
import io.gradflow.jobs.kafka.KafkaTestSupport;
import io.gradflow.schema.DeadLetterRecord;
import io.gradflow.schema.Example;
import io.gradflow.schema.Label;
import io.gradflow.schema.MetricsReport;
import java.time.Duration;
import java.util.HashMap;
import java.util.TreeMap;
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

/**
 * Delayed labels are joined to their examples; missing ones time out to the default label; labels
 * decoded on a pool ({@code job.decode_parallelism: 2}) join exactly as on the source's thread.
 */
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
    TrainConfig config = config(run.yaml("optimizer: {name: Adagrad, lr: 0.1}\n"
        + "labels: {delayed: true, timeout: 10m, on_timeout: default_label, default_label: 0}",
        true), temp.resolve("delayed"));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
        TrainJob.flinkConfiguration(config));
    TrainJob.configure(env, config);
    TrainJob.build(env, config, UnaryOperator.identity());
    Map<String, Object> accumulators = env.execute(config.jobName()).getAllAccumulatorResults();
    // What train's console says of the join (TrainConsole), from LabelJoinFunction's counts.
    TrainConsole console = new TrainConsole(System.out, System.err, false, true, examples);
    console.labels(config.labels());
    assertEquals(String.format(java.util.Locale.ROOT, "%,d read: %,d joined, %,d examples"
        + " learned with the default label 0.0 (no label within labels.timeout 10m), 0 orphans"
        + " (no example with their id)", labeled, labeled, count - labeled),
        console.describe(TrainConsole.LabelCounts.of(accumulators)));
    Map<String, Double> scores = predictions(run.predictions(), 2 * count);
    long scored = scores.keySet().stream().filter(k -> k.endsWith("/scored")).count();
    long learned = scores.keySet().stream().filter(k -> k.endsWith("/learned")).count();
    assertEquals(count, scored, "every example is scored when it arrives");
    assertEquals(count, learned, labeled + " joined and the rest defaulted, all learned");
    List<MetricsReport> reports = metrics(run.metrics());
    long total = reports.stream().mapToLong(MetricsReport::getCount).sum();
    assertEquals(count, total);
  }

  /**
   * Every example is scored first (a bounded run that ends with a savepoint, no label yet), then
   * the labels come, so the trainer learns in the labels topic's order and two runs are comparable
   * bit for bit. Both continued runs start from the same savepoint of a job without decode pools:
   * one decodes on the source's thread, one on pools of 2 threads ({@code decode-examples-pool.v1}
   * and {@code decode-labels-pool.v1}, new operators restored empty). Same learned predictions,
   * same model, same dead letters (reason, detail, offset) for the refused labels.
   */
  @Test
  void labelsDecodedOnAPoolJoinExactlyAsOnTheSourceThread() throws Exception {
    String examples = "pool-delayed-examples";
    String labels = "pool-delayed-labels";
    kafka.createTopics(1, examples, labels);
    ClickThroughGenerator generator =
        new ClickThroughGenerator(ClickThroughGenerator.Spec.defaults(29));
    int count = 3_000;
    int late = 5;
    List<Label> toSend = new java.util.ArrayList<>();
    try (GradflowProducer producer = GradflowProducer.builder(kafka.bootstrapServers())
        .examplesTopic(examples).labelsTopic(labels).build()) {
      for (int i = 0; i < count; i++) {
        Example e = generator.next().example();
        producer.send(Example.newBuilder(e).setExampleId("p" + i).setModelKey("ctr")
            .setLabel(null).build());
        toSend.add(Label.newBuilder().setExampleId("p" + i).setModelKey("ctr")
            .setEventTime(e.getEventTime()).setLabel(e.getLabel()).build());
      }
      producer.flush();
    }
    String delayed = "optimizer: {name: Adam, lr: 0.01}\n"
        + "labels: {delayed: true, timeout: 10m, on_timeout: default_label, default_label: 0}";
    Run first = Run.create(examples, labels);
    assertEquals(0, train(withCheckpoints(first.yaml(delayed, true)), "--final-savepoint",
        temp.resolve("scored").toString()), both());
    String savepoint = FinalSavepointITCase.savepointIn(out());

    java.util.Collections.shuffle(toSend, new java.util.Random(3)); // labels come in any order
    try (GradflowProducer producer = GradflowProducer.builder(kafka.bootstrapServers())
        .examplesTopic(examples).labelsTopic(labels).build()) {
      for (int i = 0; i < count; i++) {
        producer.send(toSend.get(i));
        if (i % 700 == 0) { // refused: out of the logistic loss's domain, and an empty id
          producer.send(Label.newBuilder(toSend.get(i)).setLabel(1.5f).build());
          producer.send(Label.newBuilder(toSend.get(i)).setExampleId("").build());
        }
      }
      // A run must read examples: a few of another model, which never get a label (scored by
      // their own untrained model, learned with the default label at the end of input).
      for (int i = 0; i < late; i++) {
        producer.send(Example.newBuilder(generator.next().example()).setExampleId("q" + i)
            .setModelKey("other").setLabel(null).build());
      }
      producer.flush();
    }
    Run one = Run.create(examples, labels);
    assertEquals(0, train(withCheckpoints(one.yaml(delayed, true)), "--savepoint", savepoint),
        both());
    Run pool = Run.create(examples, labels);
    String job = "job: {name: " + pool.name() + "}";
    String yaml = withCheckpoints(pool.yaml(delayed, true));
    assertTrue(yaml.contains(job), yaml);
    assertEquals(0, train(yaml.replace(job, "job: {name: " + pool.name()
        + ", decode_parallelism: 2}"), "--savepoint", savepoint), both());

    Map<String, Double> learned = predictions(one.predictions(), count + 2 * late);
    assertEquals(count + 2 * late, learned.size());
    assertEquals(count, learned.keySet().stream()
        .filter(k -> k.startsWith("ctr/") && k.endsWith("/learned")).count());
    assertSameEntries(learned, predictions(pool.predictions(), count + 2 * late),
        "predictions");
    Map<String, List<Float>> model = finalRows(one.changelog());
    assertTrue(model.size() > 100, model.size() + " rows");
    assertSameEntries(model, finalRows(pool.changelog()), "model");
    Map<Long, String> refused = deadLetters(one.deadLetters());
    assertEquals(2 * ((count + 699) / 700), refused.size(), refused.toString());
    assertTrue(refused.values().stream().anyMatch(r -> r.startsWith("LABEL_OUT_OF_DOMAIN ")));
    assertTrue(refused.values().stream().anyMatch(r -> r.startsWith("MISSING_ID ")));
    assertEquals(refused, deadLetters(pool.deadLetters()));
  }

  /** A job file with checkpoints every 300 ms in this test's directory. */
  private String withCheckpoints(String yaml) {
    return yaml + "\ncheckpoints: {interval: 300ms, directory: "
        + temp.resolve("checkpoints").toUri() + "}\n";
  }

  /** Dead letters by source offset: reason and detail. */
  private static Map<Long, String> deadLetters(String topic) throws Exception {
    Map<Long, String> byOffset = new TreeMap<>();
    for (var r : KafkaTestSupport.readAll(kafka, topic, Integer.MAX_VALUE,
        Duration.ofSeconds(5))) {
      DeadLetterRecord d = DeadLetterRecord.getDecoder().decode(r.value());
      byOffset.put(d.getSourceOffset(), d.getReason() + " " + d.getDetail());
    }
    return byOffset;
  }
}
