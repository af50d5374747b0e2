package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.kafka.KafkaTestSupport;
import io.gradflow.schema.Prediction;
import io.gradflow.schema.RowUpdate;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * With delayed labels pending, a run that stops with a savepoint and restores from it ends as one
 * run does, bit for bit: the same prediction (score and model step) per example and kind (scored
 * on arrival, learned), the same final model.
 *
 * <p>The file ({@link EvaluateFinalSavepointOnwardITCase#csvWithIds}): 1,500 CSV lines e0..e1499,
 * the 20 lines e980..e999 without a label; no label ever comes, so they are learned with the
 * default label at their timeout (the end of the run).
 */
class DelayedLabelsRestoreITCase extends TrainJobITCase {
  private static final int FIRST = EvaluateFinalSavepointOnwardITCase.FIRST;
  private static final int ALL = EvaluateFinalSavepointOnwardITCase.ALL;
  private static final int WAITING = EvaluateFinalSavepointOnwardITCase.WAITING;
  private static final String DELAYED = EvaluateFinalSavepointOnwardITCase.DELAYED;
  private static final String MODEL = "model: {type: logistic_regression, hash_bits: 18}\n"
      + "optimizer: {name: Adagrad, lr: 0.1}\nstate: {backend: hashmap}\n";

  /**
   * {@code train} bounded at offset 1,000 with {@code --final-savepoint} (model step 980, the 20
   * examples waiting in the label join), then {@code train --savepoint} over the rest: the same
   * learned predictions (score and model step) and the same final model as one run over all
   * 1,500. The 20 are learned after e1499 in both, with the default label.
   */
  @Test
  void aSavepointWithWaitingExamplesGoesOnAsOneRun() throws Exception {
    String topic = topicWithFile("dl-restore-");
    OneRun one = oneRun(topic);

    Run first = Run.create(topic, topic + "-labels");
    out.reset();
    assertEquals(0, train(yaml(first, "  bounded: {offsets: {\"" + topic + ":0\": " + FIRST
        + "}}"), "--final-savepoint", temp.resolve("first").toString()), this::both);
    String savepoint = FinalSavepointITCase.savepointIn(out());
    List<Prediction> before = predictionsInOrder(first.predictions(), FIRST);
    Run onward = Run.create(topic, topic + "-labels");
    out.reset();
    assertEquals(0, train(yaml(onward, "  bounded: latest").replace(
        "  starting_offsets: earliest", "  starting_offsets: {offsets: {\"" + topic + ":0\": "
        + FIRST + "}}"), "--savepoint", savepoint), this::both);
    List<Prediction> after = predictionsInOrder(onward.predictions(), ALL - FIRST + WAITING);

    List<Prediction> restored = new ArrayList<>(before);
    restored.addAll(after);
    assertLikeOneRun(one, restored, latestRows(first.changelog(), onward.changelog()),
        "a savepoint at " + FIRST + " and a restore");
  }

  /**
   * A failure after the waiting examples (at the 1,100th example, several checkpoints after
   * e999), restored from the last checkpoint: the same learned predictions and final model as
   * one run, one prediction per example and kind.
   */
  @Test
  void aFailureWithWaitingExamplesEndsAsOneRun() throws Exception {
    String topic = topicWithFile("dl-failure-");
    OneRun one = oneRun(topic);

    Run failing = Run.create(topic, topic + "-labels");
    // 2 ms per example: checkpoints every 300 ms complete before the failure.
    TrainJobITCase.FailOnce fail = TrainJobITCase.FailOnce.at(1_100).pacedBy(1, 2);
    runBounded(config(failing.yaml(DELAYED + MODEL, true)
        .replace("metrics: {every: 2000, window: 2000}\n", ""), temp.resolve("failing")),
        s -> s.map(fail).name("fail-once"), new Configuration());
    assertTrue(fail.failed(), "the failure was injected");
    assertLikeOneRun(one, predictionsInOrder(failing.predictions(), ALL + WAITING),
        latestRows(failing.changelog()), "a failure and a restore from a checkpoint");
  }

  /** One run's predictions and final rows. */
  private record OneRun(List<Prediction> predictions, Map<String, RowUpdate> rows) {}

  private OneRun oneRun(String topic) throws Exception {
    Run whole = Run.create(topic, topic + "-labels");
    out.reset();
    assertEquals(0, train(yaml(whole, "  bounded: latest")), this::both);
    return new OneRun(predictionsInOrder(whole.predictions(), ALL + WAITING),
        latestRows(whole.changelog()));
  }

  /**
   * Learned predictions (score and model step) and final rows as one run's, the waiting examples
   * learned last; one scored prediction per waiting example. Their scored predictions are not
   * compared: an unlabeled example is scored when it reaches the trainer through the label
   * join, on another channel than the labeled examples, at a point that depends on timing.
   */
  private static void assertLikeOneRun(OneRun one, List<Prediction> other,
      Map<String, RowUpdate> rows, String what) {
    assertEquals(learnedOrder(one.predictions()), learnedOrder(other), what + ": learned order");
    assertSameEntries(byKind(one.predictions(), "learned"), byKind(other, "learned"),
        what + ": learned predictions against one run's");
    assertEquals(WAITING, byKind(other, "scored").size(), what);
    assertEquals(one.rows().keySet(), rows.keySet(), what + ": rows");
    Map<String, String> expected = new HashMap<>();
    Map<String, String> actual = new HashMap<>();
    // weights only: a record's step is the model's when it was written (at a checkpoint's
    // barrier or at the end), which a failure and a restore move
    one.rows().forEach((k, v) -> expected.put(k, v.getWeights().toString()));
    rows.forEach((k, v) -> actual.put(k, v.getWeights().toString()));
    assertSameEntries(expected, actual, what + ": final rows against one run's");
  }

  /** The row updates of the highest step per row over the changelog topics, in order. */
  private static Map<String, RowUpdate> latestRows(String... topics) throws Exception {
    Map<String, RowUpdate> latest = new HashMap<>();
    for (String topic : topics) {
      for (ConsumerRecord<byte[], byte[]> r :
          KafkaTestSupport.readAll(kafka, topic, Integer.MAX_VALUE, Duration.ofSeconds(3))) {
        RowUpdate u = RowUpdate.getDecoder().decode(r.value());
        String key = u.getModelKey() + "/" + u.getRowId();
        RowUpdate before = latest.get(key);
        if (before == null || before.getStep() <= u.getStep()) {
          latest.put(key, u);
        }
      }
    }
    assertTrue(latest.size() > 20, latest.size() + " rows");
    return latest;
  }

  private String topicWithFile(String prefix) throws Exception {
    Path csv = EvaluateFinalSavepointOnwardITCase.csvWithIds(temp);
    String topic = prefix + System.nanoTime();
    kafka.createTopics(1, topic, topic + "-labels");
    EvaluateFinalSavepointOnwardITCase.produceFile(this, topic, csv);
    return topic;
  }

  /** The predictions of one kind (scored, learned) by model/id: score and model step. */
  private static Map<String, String> byKind(List<Prediction> predictions, String kind) {
    Map<String, String> m = new HashMap<>();
    for (Prediction p : predictions) {
      if (kind.equals(p.getLabel() == null ? "scored" : "learned")) {
        assertNull(m.put(p.getModelKey() + "/" + p.getExampleId(), p.getScore() + " at step "
            + p.getModelStep() + " label " + p.getLabel()), "duplicate " + p);
      }
    }
    return m;
  }

  /** The learned examples' ids in prediction order, around the waiting ones. */
  private static String learnedOrder(List<Prediction> predictions) {
    StringBuilder b = new StringBuilder();
    for (Prediction p : predictions) {
      if (p.getLabel() != null) {
        int i = Integer.parseInt(p.getExampleId().toString().substring(1));
        if (i >= FIRST - WAITING - 2 && i < FIRST + 2 || i >= ALL - 2) {
          b.append(p.getExampleId()).append('@').append(p.getModelStep()).append(' ');
        }
      }
    }
    return b.toString();
  }

  private static List<Prediction> predictionsInOrder(String topic, int expected)
      throws Exception {
    List<Prediction> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r :
        KafkaTestSupport.readAll(kafka, topic, expected, Duration.ofSeconds(60))) {
      out.add(Prediction.getDecoder().decode(r.value()));
    }
    assertEquals(expected, out.size());
    return out;
  }

  private static String yaml(Run run, String bounded) {
    return run.yaml(DELAYED + MODEL + "checkpoints: {interval: 300ms}", true)
        .replace("metrics: {every: 2000, window: 2000}\n", "")
        .replace("  bounded: latest", bounded);
  }
}
