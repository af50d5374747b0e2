package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gradflow.jobs.evaluate.EvaluateITCase;
import io.gradflow.jobs.snapshot.SavepointModels;
import io.gradflow.jobs.snapshot.SnapshotFiles;
import io.gradflow.schema.MetricsReport;
import io.gradflow.schema.ModelSnapshot;
import io.gradflow.schema.SnapshotRow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.runtime.SavepointLoader;
import org.junit.jupiter.api.Test;

/**
 * {@code gradflow evaluate --final-savepoint}: a data scientist's file run to a deployable model,
 * without Kafka. On a CSV file of 1,500 examples:
 *
 * <ol>
 *   <li>{@code evaluate --count 1000 --final-savepoint DIR} writes a savepoint whose path the
 *       summary and the JSON name, and an evaluation equal to one without the flag (the source's
 *       hold changes nothing it reports);
 *   <li>the savepoint holds the training job's operators only (no file source, no collecting
 *       sink), so {@code train --savepoint} starts from it without dropping state;
 *   <li>{@code export --with-slots} of it equals, row for row and float for float, the export of
 *       {@code train --final-savepoint} after the same 1,000 examples produced to Kafka (a second
 *       path to the same model): the state is that after the file's last example, no sooner;
 *       {@code validate} replays the topic from it;
 *   <li>{@code train --savepoint} from it over the topic's other 500 examples predicts, bit for
 *       bit, what one bounded run over all 1,500 predicts for them, and its last metrics report
 *       stands at model step 1,500: the model and its step carried over.
 * </ol>
 */
class EvaluateFinalSavepointITCase extends TrainJobITCase {
  private static final int FIRST = 1_000;
  private static final int ALL = 1_500;

  /**
   * A model above 5 MiB of state: without file-system checkpoint storage Flink keeps a
   * savepoint's state in the JobManager's memory and refuses a stream above 5 MiB (the whole
   * trainer state at parallelism 1), so the evaluation ended without its savepoint (exit 1).
   */
  @Test
  void aModelOfMoreThanFiveMebibytesIsSaved() throws Exception {
    Random random = new Random(16);
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < 4_000; i++) {
      lines.append(random.nextBoolean() ? "+1" : "-1");
      java.util.TreeSet<Integer> indices = new java.util.TreeSet<>();
      while (indices.size() < 40) {
        indices.add(random.nextInt(1 << 24));
      }
      for (int index : indices) {
        lines.append(' ').append(index).append(":1");
      }
      lines.append('\n');
    }
    Path file = temp.resolve("wide.libsvm");
    Files.writeString(file, lines);
    Path dir = temp.resolve("wide-savepoint");
    EvaluateITCase.Run run = EvaluateITCase.evaluate(temp,
        "model: {type: logistic_regression, hash_bits: 20}\n"
            + "optimizer: {name: Adagrad, lr: 0.1}\nstate: {backend: hashmap}\n",
        "--file", file.toString(), "--format", "libsvm", "--binary-labels",
        "--final-savepoint", dir.toString());
    assertEquals(0, run.exit(), run.err());
    String savepoint = FinalSavepointITCase.savepointIn(run.out());
    long stateBytes = SavepointLoader.loadSavepointMetadata(savepoint).getOperatorStates()
        .stream().mapToLong(OperatorState::getStateSize).sum();
    assertTrue(stateBytes > 5L << 20, "a model of " + stateBytes + " bytes of state");
  }

  @Test
  void anEvaluationsSavepointExportsItsModelAndTrainGoesOnFromIt() throws Exception {
    Path csv = csv(temp, ALL);
    String topic = "evaluated-" + System.nanoTime();
    kafka.createTopics(1, topic);
    List<String> fileFlags = new ArrayList<>(List.of("--file", csv.toString()));
    fileFlags.addAll(List.of(EvaluateITCase.CSV_FLAGS));

    // 1. the evaluation of the first 1,000 examples, with and without the savepoint
    Run first = Run.create(topic, "labels");
    String evaluateYaml = yaml(first, "  bounded: {offsets: {\"" + topic + ":0\": " + FIRST
        + "}}");
    Path dir = temp.resolve("from-evaluate");
    List<String> withSavepoint = new ArrayList<>(fileFlags);
    withSavepoint.addAll(List.of("--count", String.valueOf(FIRST), "--final-savepoint",
        dir.toString()));
    EvaluateITCase.Run evaluated = EvaluateITCase.evaluate(temp, evaluateYaml,
        withSavepoint.toArray(String[]::new));
    String savepoint = FinalSavepointITCase.savepointIn(evaluated.out());
    assertTrue(Path.of(java.net.URI.create(savepoint)).startsWith(dir), savepoint);
    assertEquals(savepoint, evaluated.json().get("savepoint").asText());
    assertTrue(evaluated.out().contains("to go on from it: gradflow train --config FILE"
        + " --savepoint " + savepoint), evaluated.out());
    List<String> without = new ArrayList<>(fileFlags);
    without.addAll(List.of("--count", String.valueOf(FIRST)));
    JsonNode plain = EvaluateITCase.evaluate(temp, evaluateYaml, without.toArray(String[]::new))
        .json();
    for (String field : List.of("examples", "learned", "log_loss", "auc", "calibration",
        "windows", "rows", "last_window", "lines")) {
      assertEquals(plain.get(field), evaluated.json().get(field), field);
    }
    assertEquals(FIRST, evaluated.json().get("learned").asLong());
    // last_window holds the console's figure
    assertTrue(evaluated.out().contains(String.format(java.util.Locale.ROOT, "AUC %.4f, ECE %.4f"
        + " (last window, %,d examples)", evaluated.json().get("last_window").get("auc")
            .asDouble(),
        evaluated.json().get("last_window").get("expected_calibration_error").asDouble(),
        evaluated.json().get("last_window").get("examples").asLong())),
        evaluated.out() + evaluated.json());

    // 2. the training job's operators only
    Set<String> uids = operatorsWithState(savepoint);
    assertEquals(Set.of(SavepointModels.TRAINER_UID), uids, "operators with state in "
        + savepoint);

    // 3. the same model as train's after the same examples from Kafka
    List<String> produce = new ArrayList<>(List.of("produce", "--bootstrap-servers",
        kafka.bootstrapServers(), "--topic", topic, "--start-time", EvaluateITCase.START,
        "--quiet"));
    produce.addAll(fileFlags);
    assertEquals(0, gradflow(produce.toArray(String[]::new)), this::both);
    assertEquals(0, train(evaluateYaml, "--final-savepoint", temp.resolve("from-train")
        .toString()), this::both);
    String trained = FinalSavepointITCase.savepointIn(out());
    Map<String, ModelSnapshot> fromEvaluate = export(savepoint, "evaluate.avro");
    Map<String, ModelSnapshot> fromTrain = export(trained, "train.avro");
    assertEquals(fromTrain.keySet(), fromEvaluate.keySet());
    int rows = 0;
    for (String key : fromTrain.keySet()) {
      ModelSnapshot e = fromEvaluate.get(key);
      ModelSnapshot t = fromTrain.get(key);
      assertEquals(FIRST, e.getModelStep(), key);
      assertEquals(t.getModelStep(), e.getModelStep(), key);
      assertEquals(rowsOf(t), rowsOf(e), key);
      rows += t.getRows().size();
    }
    assertTrue(rows > 10, "rows compared: " + rows);
    // The audit record names the file evaluate read, not the job file's topic (audit version 3),
    // and leaves out as not in force what evaluate ignores.
    var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
    ModelSnapshot evaluatedModel = fromEvaluate.values().iterator().next();
    JsonNode source = mapper.readTree(evaluatedModel.getSource());
    assertEquals("evaluate", source.path("command").asText(), source.toString());
    assertEquals(csv.toString(), source.path("file").asText(), source.toString());
    assertEquals(csv.toAbsolutePath().normalize().toString(), source.path("path").asText(),
        source.toString());
    assertEquals(Files.size(csv), source.path("size_bytes").asLong(), source.toString());
    assertEquals("csv", source.path("format").asText(), source.toString());
    assertEquals(FIRST, source.path("count").asLong(), source.toString());
    assertTrue(source.path("flags").size() > 0, source.toString());
    assertEquals("{}", evaluatedModel.getProperties().get("topics"));
    JsonNode evaluatedConfig = mapper.readTree(evaluatedModel.getConfiguration());
    assertTrue(evaluatedConfig.path("checkpoints").path("interval").isNull(),
        evaluatedConfig.toString());
    assertTrue(evaluatedModel.getConfigurationNotes().get("checkpoints.interval")
        .startsWith("not in force: evaluate ignores it"));
    assertEquals("train", mapper.readTree(fromTrain.values().iterator().next().getSource())
        .path("command").asText());
    // validate replays the topic from it
    Path job = Files.writeString(temp.resolve("validate.yaml"), evaluateYaml);
    out.reset();
    assertEquals(0, gradflow("validate", "--config", job.toString(), "--savepoint", savepoint,
        "--name", "evaluated", "--from", "earliest", "--to", String.valueOf(ALL), "--mode",
        "frozen"), this::both);
    assertTrue(out().contains("evaluated: 1,500 examples, 0 learned; log loss "), this::both);

    // 4. train goes on from it on the topic's other examples, as an uninterrupted run does
    Run second = Run.create(topic, "labels");
    String onward = yaml(second, "  bounded: latest").replace("  starting_offsets: earliest",
        "  starting_offsets: {offsets: {\"" + topic + ":0\": " + FIRST + "}}");
    out.reset();
    assertEquals(0, train(onward, "--savepoint", savepoint), this::both);
    assertFalse(err().contains("\tat "), this::both);
    // The start-up line names the settings that differ from the savepoint's record.
    assertTrue(err().contains("restored with changed settings: ") && err().contains(
        "kafka.bounded ") && err().contains("(the audit record keeps both)"), this::both);
    assertTrue(out().contains(savepoint + " holds no position in kafka.topics.examples, as a"
        + " savepoint of evaluate or bootstrap: the job reads from kafka.starting_offsets"),
        this::both);
    Run whole = Run.create(topic, "labels");
    assertEquals(0, train(yaml(whole, "  bounded: latest")), this::both);

    Map<String, Double> all = predictions(whole.predictions(), ALL);
    Map<String, Double> continued = predictions(second.predictions(), ALL - FIRST);
    assertEquals(ALL - FIRST, continued.size());
    Map<String, Double> expected = new HashMap<>();
    continued.keySet().forEach(k -> expected.put(k, all.get(k)));
    assertSameEntries(expected, continued, "train from evaluate's savepoint against one run");
    List<MetricsReport> reports = metrics(second.metrics());
    assertEquals(ALL, reports.get(reports.size() - 1).getModelStep(), reports::toString);
  }

  /** A run's job file: evaluate's model, bounded by {@code bounded}. */
  private static String yaml(Run run, String bounded) {
    return run.yaml(EvaluateITCase.LOGISTIC + "checkpoints: {interval: 300ms}", true)
        .replace("metrics: {every: 2000, window: 2000}\n", "")
        .replace("  bounded: latest", bounded);
  }

  /** 1,500 learnable CSV lines, as {@link EvaluateITCase#learnableCsv} but none malformed. */
  static Path csv(Path dir, int lines) throws Exception {
    StringBuilder b = new StringBuilder("x,n,y\n");
    Random random = new Random(11);
    for (int i = 0; i < lines; i++) {
      boolean a = random.nextBoolean();
      int y = random.nextDouble() < (a ? 0.8 : 0.2) ? 1 : 0;
      b.append(a ? "a" : "b").append(random.nextInt(20)).append(',')
          .append(random.nextInt(10)).append(',').append(y).append('\n');
    }
    return Files.writeString(dir.resolve("history.csv"), b.toString());
  }

  /** The uids (of the training job's) whose operators have state in the savepoint; "?" others. */
  static Set<String> operatorsWithState(String savepoint) throws Exception {
    Map<Object, String> known = new HashMap<>();
    for (String uid : List.of(SavepointModels.TRAINER_UID, "label-join.v1", "unlabeled.v1",
        "race-fan-out.v1", "timeout-hold.v1")) {
      known.put(OperatorIdentifier.forUid(uid).getOperatorId(), uid);
    }
    List<OperatorState> states = new ArrayList<>(SavepointLoader.loadSavepointMetadata(savepoint)
        .getOperatorStates());
    assertTrue(states.stream().allMatch(o -> known.containsKey(o.getOperatorID())),
        () -> "operators besides the training job's: " + states);
    return states.stream().filter(o -> o.getNumberCollectedStates() > 0)
        .map(o -> known.getOrDefault(o.getOperatorID(), "?")).collect(Collectors.toSet());
  }

  private Map<String, ModelSnapshot> export(String savepoint, String name) throws Exception {
    Path file = temp.resolve(name);
    assertEquals(0, gradflow("export", "--savepoint", savepoint, "--out", file.toString(),
        "--with-slots"), this::both);
    Map<String, ModelSnapshot> models = new HashMap<>();
    for (ModelSnapshot m : SnapshotFiles.read("--out", file)) {
      models.put(m.getModelKey(), m);
    }
    return models;
  }

  /** Every row's values (weights, slots, step) by row id. */
  private static Map<Long, List<Float>> rowsOf(ModelSnapshot m) {
    Map<Long, List<Float>> rows = new HashMap<>();
    for (SnapshotRow r : m.getRows()) {
      rows.put(r.getRowId(), r.getValues());
    }
    return rows;
  }
}
