package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.evaluate.EvaluateITCase;
import io.gradflow.jobs.kafka.KafkaTestSupport;
import io.gradflow.jobs.produce.GradflowProducer;
import io.gradflow.schema.Label;
import io.gradflow.schema.MetricsReport;
import io.gradflow.schema.ModelSnapshot;
import io.gradflow.schema.Prediction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * {@code evaluate --final-savepoint} beyond the plain case of {@link
 * EvaluateFinalSavepointITCase}: with delayed labels and with a race, the savepoint goes on in
 * {@code train} on a real broker as if the run had never stopped.
 *
 * <p>The file: 1,500 CSV lines with an id column; the 20 lines before line 1,000 have no label
 * ({@value #WAITING} examples still waiting for theirs when the evaluation of the first 1,000
 * ends).
 */
class EvaluateFinalSavepointOnwardITCase extends TrainJobITCase {
  static final int FIRST = 1_000;
  static final int ALL = 1_500;
  static final int WAITING = 20;
  static final String DELAYED = "labels: {delayed: true, timeout: 1d, on_timeout:"
      + " default_label, default_label: 0}\n";
  static final String[] FILE_FLAGS = {"--format", "csv", "--csv-id", "id",
      "--csv-categorical", "x", "--csv-numeric", "n", "--csv-label", "y"};

  /**
   * With {@code labels.delayed}: the savepoint holds the label join's {@value #WAITING} waiting
   * examples and equals, row for row, {@code train --final-savepoint}'s after the same 1,000
   * examples from Kafka. {@code train --savepoint} from it learns each waiting example exactly
   * once: with no label on the labels topic, at their timeout (the end of the bounded run),
   * predicting bit for bit what {@code train --savepoint} from train's own savepoint predicts;
   * with their labels on the labels topic, joined with them, each with its own label.
   */
  @Test
  void waitingExamplesAreLearnedOnceAfterTheSavepoint() throws Exception {
    Path csv = csvWithIds(temp);
    String topic = "onward-delayed-" + System.nanoTime();
    String noLabels = topic + "-no-labels";
    String labels = topic + "-labels";
    kafka.createTopics(1, topic, noLabels, labels);
    produceFile(this, topic, csv);

    Run first = Run.create(topic, noLabels);
    String evaluateYaml = yaml(first, DELAYED + logistic(), "  bounded: {offsets: {\"" + topic
        + ":0\": " + FIRST + "}}");
    String savepoint = evaluateWithSavepoint(evaluateYaml, csv, "delayed");
    assertTrue(EvaluateFinalSavepointITCase.operatorsWithState(savepoint).containsAll(
        Set.of(TrainPipeline.TRAINER_UID, TrainPipeline.LABEL_JOIN_UID)), savepoint);

    // the same state as train's own final savepoint after the same 1,000 examples from Kafka
    Run viaTrain = Run.create(topic, noLabels);
    out.reset();
    assertEquals(0, train(yaml(viaTrain, DELAYED + logistic(), "  bounded: {offsets: {\"" + topic
        + ":0\": " + FIRST + "}}"), "--final-savepoint", temp.resolve("via-train").toString()),
        this::both);
    String trained = FinalSavepointITCase.savepointIn(out());
    Map<String, ModelSnapshot> fromTrain = export(trained, "via-train.avro");
    Map<String, ModelSnapshot> fromEvaluate = export(savepoint, "via-evaluate.avro");
    assertEquals(fromTrain.keySet(), fromEvaluate.keySet());
    for (String key : fromTrain.keySet()) {
      assertEquals(FIRST - WAITING, fromEvaluate.get(key).getModelStep(), "learned before");
      assertEquals(fromTrain.get(key).getModelStep(), fromEvaluate.get(key).getModelStep());
      assertEquals(rowsOf(fromTrain.get(key)), rowsOf(fromEvaluate.get(key)), key);
    }

    // 1. no label comes: the waiting examples time out at the end of the run, each once, and
    // the run goes on bit for bit as one from train's own savepoint does
    Run onward = Run.create(topic, noLabels);
    out.reset();
    err.reset();
    assertEquals(0, train(onwardYaml(onward, topic, DELAYED + logistic()), "--savepoint",
        savepoint), this::both);
    assertTrue(out().contains("labels          0 read: 0 joined, " + WAITING + " examples learned"
        + " with the default label 0.0"), this::both);
    Run onwardFromTrain = Run.create(topic, noLabels);
    assertEquals(0, train(onwardYaml(onwardFromTrain, topic, DELAYED + logistic()),
        "--savepoint", trained), this::both);
    Map<String, Double> continued = predictions(onward.predictions(), ALL - FIRST + WAITING);
    assertEquals(ALL - FIRST + WAITING, continued.size(), continued::toString);
    for (int i = FIRST - WAITING; i < FIRST; i++) {
      assertTrue(continued.containsKey("default/e" + i + "/learned"), "e" + i + ": " + continued);
      assertFalse(continued.containsKey("default/e" + i + "/scored"), "scored before");
    }
    assertSameEntries(predictions(onwardFromTrain.predictions(), ALL - FIRST + WAITING),
        continued, "train from evaluate's savepoint against train from train's");
    assertEquals(ALL, lastStep(onward), "every example learned once");
    // Train's own savepoint goes on as one run over all 1,500 does (the waiting examples
    // learned last, at the final watermark): DelayedLabelsRestoreITCase.

    // 2. their labels come: joined, each once
    try (GradflowProducer producer = GradflowProducer.builder(kafka.bootstrapServers())
        .labelsTopic(labels).build()) {
      for (int i = FIRST - WAITING; i < FIRST; i++) {
        producer.send(Label.newBuilder().setExampleId("e" + i).setModelKey("default")
            .setEventTime(Instant.parse(EvaluateITCase.START).plusMillis(10L * i))
            .setLabel(i % 2).build());
      }
      producer.flush();
    }
    Run joined = Run.create(topic, labels);
    out.reset();
    assertEquals(0, train(onwardYaml(joined, topic, DELAYED + logistic()), "--savepoint",
        savepoint), this::both);
    assertTrue(out().contains("labels          " + WAITING + " read: " + WAITING + " joined, 0"
        + " examples learned with the default label"), this::both);
    Map<Integer, Float> learnedLabels = new HashMap<>();
    int predictions = 0;
    for (ConsumerRecord<byte[], byte[]> r : KafkaTestSupport.readAll(kafka, joined.predictions(),
        ALL - FIRST + WAITING, Duration.ofSeconds(60))) {
      Prediction p = Prediction.getDecoder().decode(r.value());
      predictions++;
      int i = Integer.parseInt(p.getExampleId().toString().substring(1));
      if (i < FIRST) {
        assertNull(learnedLabels.put(i, p.getLabel()), "learned twice: " + p);
      }
    }
    assertEquals(ALL - FIRST + WAITING, predictions);
    assertEquals(WAITING, learnedLabels.size(), learnedLabels::toString);
    learnedLabels.forEach((i, label) -> assertEquals((float) (i % 2), label, "e" + i));
    assertEquals(ALL, lastStep(joined), "every example learned once");
  }

  /**
   * A race of two candidates: the savepoint restores into {@code train} with the same race and
   * goes on bit for bit as one run over the whole topic; {@code export} and {@code validate}
   * take it as they take train's.
   */
  @Test
  void aRacesSavepointGoesOnInTrainAndExports() throws Exception {
    Path csv = csvWithIds(temp);
    String topic = "onward-race-" + System.nanoTime();
    kafka.createTopics(1, topic, topic + "-labels");
    produceFile(this, topic, csv);
    String race = "model: {type: logistic_regression, hash_bits: 18}\n"
        + "state: {backend: hashmap}\n"
        + "race: [{name: ada, optimizer: {name: Adagrad, lr: 0.1}},"
        + " {name: sgd, optimizer: {name: SGD, lr: 0.05}}]\n";
    Run first = Run.create(topic, topic + "-labels");
    String evaluateYaml = yaml(first, race, "  bounded: {offsets: {\"" + topic + ":0\": "
        + FIRST + "}}");
    String savepoint = evaluateWithSavepoint(evaluateYaml, csv, "race");
    Map<String, ModelSnapshot> models = export(savepoint, "race.avro");
    assertEquals(Set.of("default#ada", "default#sgd"), models.keySet());
    models.values().forEach(m -> assertEquals(FIRST - WAITING, m.getModelStep()));

    Path job = Files.writeString(temp.resolve("race-validate.yaml"), evaluateYaml);
    out.reset();
    Path validated = temp.resolve("race-validate.json");
    assertEquals(0, gradflow("validate", "--config", job.toString(), "--savepoint", savepoint,
        "--name", "raced", "--from", "earliest", "--to", String.valueOf(ALL), "--mode",
        "frozen", "--json", validated.toString()), this::both);
    assertTrue(out().contains("raced: "), this::both);
    String json = Files.readString(validated);
    assertTrue(json.contains("default#ada") && json.contains("default#sgd"), json);

    Run onward = Run.create(topic, topic + "-labels");
    out.reset();
    assertEquals(0, train(onwardYaml(onward, topic, race), "--savepoint", savepoint),
        this::both);
    Run whole = Run.create(topic, topic + "-labels");
    assertEquals(0, train(yaml(whole, race, "  bounded: latest")), this::both);
    // unlabeled lines are scored, not learned, without delayed labels
    Map<String, Double> all = predictions(whole.predictions(), 2 * ALL);
    Map<String, Double> continued = predictions(onward.predictions(), 2 * (ALL - FIRST));
    assertEquals(2 * (ALL - FIRST), continued.size());
    Map<String, Double> expected = new HashMap<>();
    continued.keySet().forEach(k -> expected.put(k, all.get(k)));
    assertSameEntries(expected, continued, "a race from evaluate's savepoint against one run");
    Map<String, Long> steps = new HashMap<>();
    metrics(onward.metrics()).forEach(r -> steps.put(r.getModelKey().toString(),
        r.getModelStep()));
    assertEquals(Map.of("default#ada", (long) ALL - WAITING, "default#sgd",
        (long) ALL - WAITING), steps);
  }

  /**
   * A savepoint keeps the max parallelism of the job that took it (Flink's default, 128, for
   * evaluate's parallelism 1): {@code train --savepoint} at {@code job.parallelism: 129} is
   * refused by Flink at restore, and said in one line naming both numbers and the setting (exit
   * 2), not as an internal error with a trace. Evaluated with the job file that says
   * {@code parallelism: 129}, the savepoint has the max parallelism {@code train} runs that file
   * with (Flink's default for 129: 256), so that {@code train} can restore it. Only the
   * savepoint's metadata is checked for that: a restore at 129 subtasks, each with its
   * exactly-once Kafka sinks, is too heavy for the build machines (Flink adopts a savepoint's max
   * parallelism on restore).
   */
  @Test
  void aParallelismAboveTheSavepointsMaxParallelismIsOneLine() throws Exception {
    Path csv = csvWithIds(temp);
    String topic = "onward-wide-" + System.nanoTime();
    kafka.createTopics(1, topic, topic + "-labels");
    Run first = Run.create(topic, topic + "-labels");
    String savepoint = evaluateWithSavepoint(yaml(first, logistic(), "  bounded: latest"), csv,
        "wide");
    produceFile(this, topic, csv);
    Run wide = Run.create(topic, topic + "-labels");
    String yaml = yaml(wide, logistic(), "  bounded: latest").replace("job: {name: "
        + wide.name() + "}", "job: {name: " + wide.name() + ", parallelism: 129}");
    assertTrue(yaml.contains("parallelism: 129"), yaml);
    out.reset();
    err.reset();
    assertEquals(2, train(yaml, "--savepoint", savepoint), this::both);
    assertTrue(err().contains("gradflow train: the savepoint's state has max parallelism 128,"
        + " below job.parallelism 129: "), this::both);
    assertFalse(err().contains("\tat ") || err().contains("internal error"), this::both);

    String wideSavepoint = evaluateWithSavepoint(yaml, csv, "wide-129");
    assertEquals(Set.of(256), maxParallelisms(wideSavepoint), wideSavepoint);
    assertEquals(Set.of(128), maxParallelisms(savepoint), savepoint);
  }

  /** The max parallelism of each operator state in a savepoint's {@code _metadata}. */
  private static Set<Integer> maxParallelisms(String savepoint) throws Exception {
    org.apache.flink.core.fs.Path metadata = new org.apache.flink.core.fs.Path(savepoint,
        "_metadata");
    try (java.io.DataInputStream in = new java.io.DataInputStream(
        metadata.getFileSystem().open(metadata))) {
      return org.apache.flink.runtime.checkpoint.Checkpoints.loadCheckpointMetadata(in,
          EvaluateFinalSavepointOnwardITCase.class.getClassLoader(), savepoint)
          .getOperatorStates().stream()
          .map(org.apache.flink.runtime.checkpoint.OperatorState::getMaxParallelism)
          .collect(java.util.stream.Collectors.toSet());
    }
  }

  private Map<String, ModelSnapshot> export(String savepoint, String name) throws Exception {
    Path file = temp.resolve(name);
    assertEquals(0, gradflow("export", "--savepoint", savepoint, "--out", file.toString()),
        this::both);
    Map<String, ModelSnapshot> models = new HashMap<>();
    for (ModelSnapshot m : io.gradflow.jobs.snapshot.SnapshotFiles.read("--out", file)) {
      models.put(m.getModelKey(), m);
    }
    return models;
  }

  /** Every row's values (weights, slots, step) by row id. */
  private static Map<Long, List<Float>> rowsOf(ModelSnapshot m) {
    Map<Long, List<Float>> rows = new HashMap<>();
    m.getRows().forEach(r -> rows.put(r.getRowId(), r.getValues()));
    return rows;
  }

  private static String logistic() {
    return "model: {type: logistic_regression, hash_bits: 18}\n"
        + "optimizer: {name: Adagrad, lr: 0.1}\nstate: {backend: hashmap}\n";
  }

  /** evaluate --count 1000 --final-savepoint over the file; returns the savepoint. */
  private String evaluateWithSavepoint(String yaml, Path csv, String name) throws Exception {
    List<String> args = new ArrayList<>(List.of("--file", csv.toString()));
    args.addAll(List.of(FILE_FLAGS));
    args.addAll(List.of("--count", String.valueOf(FIRST), "--final-savepoint",
        temp.resolve(name + "-savepoint").toString()));
    EvaluateITCase.Run evaluated = EvaluateITCase.evaluate(temp, yaml,
        args.toArray(String[]::new));
    return FinalSavepointITCase.savepointIn(evaluated.out());
  }

  /** Produces the CSV file to {@code topic}, with event times from {@link EvaluateITCase#START}. */
  static void produceFile(TrainJobITCase test, String topic, Path csv) {
    List<String> produce = new ArrayList<>(List.of("produce", "--bootstrap-servers",
        kafka.bootstrapServers(), "--topic", topic, "--start-time", EvaluateITCase.START,
        "--quiet", "--file", csv.toString()));
    produce.addAll(List.of(FILE_FLAGS));
    assertEquals(0, test.gradflow(produce.toArray(String[]::new)), test::both);
  }

  /** A run's job file with {@code model}, bounded by {@code bounded}. */
  private static String yaml(Run run, String model, String bounded) {
    return run.yaml(model + "checkpoints: {interval: 300ms}", true)
        .replace("metrics: {every: 2000, window: 2000}\n", "")
        .replace("  bounded: latest", bounded);
  }

  /** From the savepoint over the topic's examples after the first 1,000, to its end. */
  private static String onwardYaml(Run run, String topic, String model) {
    return yaml(run, model, "  bounded: latest").replace("  starting_offsets: earliest",
        "  starting_offsets: {offsets: {\"" + topic + ":0\": " + FIRST + "}}");
  }

  private static long lastStep(Run run) throws Exception {
    List<MetricsReport> reports = metrics(run.metrics());
    return reports.get(reports.size() - 1).getModelStep();
  }

  /** 1,500 CSV lines with ids e0..e1499; the 20 before e1000 without a label. */
  static Path csvWithIds(Path dir) throws Exception {
    StringBuilder b = new StringBuilder("id,x,n,y\n");
    Random random = new Random(12);
    for (int i = 0; i < ALL; i++) {
      boolean a = random.nextBoolean();
      int y = random.nextDouble() < (a ? 0.8 : 0.2) ? 1 : 0;
      b.append('e').append(i).append(',').append(a ? "a" : "b").append(random.nextInt(20))
          .append(',').append(random.nextInt(10)).append(',')
          .append(i >= FIRST - WAITING && i < FIRST ? "" : String.valueOf(y)).append('\n');
    }
    return Files.writeString(dir.resolve("ids.csv"), b.toString());
  }
}
