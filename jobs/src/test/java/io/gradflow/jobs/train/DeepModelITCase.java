package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.produce.DriftSpec;
import io.gradflow.jobs.produce.GradflowProducer;
import io.gradflow.jobs.produce.TabularGenerator;
import io.gradflow.model.DeepModelSpec;
import io.gradflow.model.DenseBackends;
import io.gradflow.schema.MetricsReport;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

/**
 * The deep models end to end, on a MiniCluster against Kafka's broker: on the tabular stream
 * with its non-linear truth ({@link TabularGenerator}), {@code mlp} and {@code wide_and_deep}
 * reach a lower prequential log loss than {@code logistic_regression} and
 * {@code factorization_machine}; a failure injected mid-stream restores and the run's
 * predictions are an uninterrupted run's, bit for bit; in a race of a linear and a deep
 * candidate each equals its model's run alone, bit for bit, and the deep one wins.
 */
class DeepModelITCase extends TrainJobITCase {
  /** Examples per topic. */
  static final int COUNT = 30_000;
  /** Dense columns of the stream: the deep models' {@code model.inputs}. */
  static final int INPUTS = 8;

  /**
   * The stream: 8 dense columns and 2 categorical ones (vocabulary 50), coefficients of scale
   * 0.5, the default non-linear terms (γ = 1): the dense columns carry most of the signal, so
   * an MLP that sees only them has something to win, and the categories something to add.
   */
  static TabularGenerator.Spec spec() {
    return new TabularGenerator.Spec(23, INPUTS, 2, 50, 1.0, 0.5, -0.3, 1.0, false, 0.5,
        DriftSpec.NONE, null, 1_700_000_000_000L, 10);
  }

  static final String OPTIMIZER = "optimizer: {name: Adagrad, lr: 0.1}";

  static String model(String type, int batchSize, String batchTimeout) {
    return switch (type) {
      case "logistic_regression" -> "model: {type: logistic_regression, hash_bits: 18}";
      case "factorization_machine" ->
          "model: {type: factorization_machine, hash_bits: 18, factors: 8}";
      case "mlp" -> "model: {type: mlp, hash_bits: 18, inputs: " + INPUTS + ", hidden: [32, 16],"
          + " batch_size: " + batchSize + ", batch_timeout: " + batchTimeout + "}";
      default -> "model: {type: wide_and_deep, hash_bits: 18, inputs: " + INPUTS
          + ", hidden: [32, 16], factors: 8, batch_size: " + batchSize + ", batch_timeout: "
          + batchTimeout + "}";
    };
  }

  /** Writes {@link #COUNT} examples of {@link #spec()} to {@code topic}. */
  static void produceTabular(String topic) throws Exception {
    produceTabular(topic, COUNT);
  }

  /** Writes the first {@code count} examples of {@link #spec()} to a new {@code topic}. */
  static void produceTabular(String topic, int count) throws Exception {
    kafka.createTopics(1, topic);
    TabularGenerator generator = new TabularGenerator(spec());
    try (GradflowProducer producer =
             GradflowProducer.builder(kafka.bootstrapServers()).examplesTopic(topic).build()) {
      for (int i = 0; i < count; i++) {
        producer.send(generator.next().example());
      }
      producer.flush();
    }
  }

  /** The prequential log loss of each model key: its reports' log losses weighted by count. */
  static Map<String, Double> prequentialLogLoss(List<MetricsReport> reports) {
    Map<String, double[]> sums = new LinkedHashMap<>();
    for (MetricsReport r : reports) {
      double[] s = sums.computeIfAbsent(r.getModelKey(), k -> new double[2]);
      s[0] += r.getLogLoss() * r.getCount();
      s[1] += r.getCount();
    }
    Map<String, Double> out = new LinkedHashMap<>();
    sums.forEach((k, s) -> out.put(k, s[1] == COUNT ? s[0] / s[1] : Double.NaN));
    return out;
  }

  @Test
  void deepModelsBeatTheLinearModelAndTheFactorizationMachine() throws Exception {
    String examples = "deep-tabular";
    produceTabular(examples);
    Map<String, Double> logLoss = new LinkedHashMap<>();
    for (String type : List.of("logistic_regression", "factorization_machine", "mlp",
        "wide_and_deep")) {
      Run run = Run.create(examples, "labels");
      runBounded(config(run.yaml(model(type, 1, "1s") + "\n" + OPTIMIZER, true),
          temp.resolve(type)), UnaryOperator.identity(), new Configuration());
      Map<String, Double> byKey = prequentialLogLoss(metrics(run.metrics()));
      assertEquals(1, byKey.size(), type + ": " + byKey);
      logLoss.put(type, byKey.values().iterator().next());
    }
    StringBuilder figures = new StringBuilder("prequential log loss on " + COUNT
        + " tabular examples (seed 23):");
    logLoss.forEach((k, v) -> figures.append(String.format(Locale.ROOT, " %s %.4f,", k, v)));
    System.out.println(figures);
    for (String deep : List.of("mlp", "wide_and_deep")) {
      for (String shallow : List.of("logistic_regression", "factorization_machine")) {
        assertTrue(logLoss.get(deep) < logLoss.get(shallow), deep + " below " + shallow + ": "
            + figures);
      }
    }
  }

  /**
   * At batch size 1 no batch is ever in flight: a run that fails once, at example 18,000, and
   * restores from its last checkpoint makes the uninterrupted run's predictions, bit for bit,
   * and ends with its rows (the changelog's last version of each).
   */
  @Test
  void aFailureRestoresBitIdenticalAtBatchSize1() throws Exception {
    failureRestoresBitIdentical("deep-failure-1", 1, "1s");
  }

  /**
   * At batch size 8, with partial batches stepped only at checkpoints and end of input
   * ({@code batch_timeout: 0}), a run that fails equals an uninterrupted one: the batch in flight
   * is part of the checkpoint instead of being stepped before it.
   */
  @Test
  void aFailureRestoresBitIdenticalAtBatchSize8() throws Exception {
    failureRestoresBitIdentical("deep-failure-8", 8, "0s");
  }

  /**
   * The same with the batch's dense backward pass on ND4J ({@code batch_size: 64}, which
   * {@code dense_backend: auto} gives to ND4J for this model): ND4J's arithmetic repeats itself
   * after a restore as plain Java's does.
   */
  @Test
  void aFailureRestoresBitIdenticalOnNd4j() throws Exception {
    failureRestoresBitIdentical("deep-failure-nd4j", 64, "0s");
  }

  private void failureRestoresBitIdentical(String examples, int batchSize, String timeout)
      throws Exception {
    produceTabular(examples);
    String extra = model("wide_and_deep", batchSize, timeout) + "\n" + OPTIMIZER;
    assertEquals(batchSize >= 64 ? DeepModelSpec.DenseBackend.ND4J
        : DeepModelSpec.DenseBackend.JAVA, DenseBackends.resolve((DeepModelSpec)
        config(Run.create(examples, "labels").yaml(extra, true), temp.resolve("probe"))
            .candidates().values().iterator().next().model()), "the dense backend auto chooses");

    Run clean = Run.create(examples, "labels");
    runBounded(config(clean.yaml(extra, true), temp.resolve("clean")), UnaryOperator.identity(),
        new Configuration());
    Map<String, Double> expected = predictions(clean.predictions(), COUNT);
    assertEquals(COUNT, expected.size());
    Map<String, List<Float>> model = finalRows(clean.changelog());
    assertTrue(model.size() > 50, model.size() + " rows");

    Run failing = Run.create(examples, "labels");
    TrainConfig config = config(failing.yaml(extra, true), temp.resolve("failing"));
    FailOnce fail = FailOnce.at(COUNT * 3 / 5);
    runBounded(config, s -> s.map(fail).name("fail-once"), new Configuration());
    assertTrue(fail.failed(), "the failure was injected");
    assertSameEntries(expected, predictions(failing.predictions(), COUNT), "predictions");
    assertSameEntries(model, finalRows(failing.changelog()), "model");
  }

  /**
   * A race of a linear and a deep candidate ({@code race[i].model}): both learn every example and
   * are reported with their own figures, the deep one to the lower prequential log loss, and
   * each candidate's predictions and final rows are, bit for bit, those of a run of its model
   * alone (the candidates share the decoded input and nothing else).
   */
  @Test
  void aRaceOfALinearAndADeepCandidateEqualsTheirSingleRuns() throws Exception {
    String examples = "deep-race";
    produceTabular(examples);
    Run race = Run.create(examples, "labels");
    runBounded(config(race.yaml(model("wide_and_deep", 1, "1s") + "\nrace:\n"
        + "  - {name: linear, optimizer: {name: Adagrad, lr: 0.1},"
        + " model: {type: logistic_regression}}\n"
        + "  - {name: deep, optimizer: {name: Adagrad, lr: 0.1}}", true),
        temp.resolve("race")), UnaryOperator.identity(), new Configuration());
    Map<String, Double> racePredictions = predictions(race.predictions(), 2 * COUNT);
    assertEquals(2 * COUNT, racePredictions.size());
    Map<String, List<Float>> raceRows = finalRows(race.changelog());
    Map<String, Double> logLoss = prequentialLogLoss(metrics(race.metrics()));
    System.out.println(String.format(Locale.ROOT, "race on %d tabular examples (seed 23),"
        + " prequential log loss: linear %.4f, deep %.4f", COUNT,
        logLoss.get("default#linear"), logLoss.get("default#deep")));
    assertEquals(List.of("default#linear", "default#deep"), List.copyOf(logLoss.keySet()));
    assertTrue(logLoss.get("default#deep") < logLoss.get("default#linear"), logLoss.toString());
    assertTrue(logLoss.get("default#linear") < Math.log(2), "learned: " + logLoss);

    for (String[] candidate : List.of(new String[] {"linear", "logistic_regression"},
        new String[] {"deep", "wide_and_deep"})) {
      Run alone = Run.create(examples, "labels");
      runBounded(config(alone.yaml(model(candidate[1], 1, "1s") + "\n" + OPTIMIZER, true),
          temp.resolve(candidate[0])), UnaryOperator.identity(), new Configuration());
      String prefix = "default#" + candidate[0] + "/";
      assertSameEntries(predictions(alone.predictions(), COUNT),
          ofCandidate(racePredictions, prefix), candidate[0] + "'s predictions");
      Map<String, List<Float>> rows = finalRows(alone.changelog());
      assertTrue(rows.size() > 50, rows.size() + " rows");
      assertSameEntries(rows, ofCandidate(raceRows, prefix), candidate[0] + "'s rows");
    }
  }

  /** The entries of one candidate's keys ({@code model#candidate/...}) as a lone model's. */
  private static <V> Map<String, V> ofCandidate(Map<String, V> race, String prefix) {
    Map<String, V> out = new LinkedHashMap<>();
    race.forEach((k, v) -> {
      if (k.startsWith(prefix)) {
        out.put("default/" + k.substring(prefix.length()), v);
      }
    });
    return out;
  }
}
