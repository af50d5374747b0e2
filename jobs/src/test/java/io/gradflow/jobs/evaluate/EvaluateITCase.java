package io.gradflow.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradflow.config.ConfigReport;
import io.gradflow.flink.CompactExampleTypeInfo;
import io.gradflow.flink.MetricsEvent;
import io.gradflow.flink.Scored;
import io.gradflow.jobs.cli.Flag;
import io.gradflow.jobs.cli.Main;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.kafka.ExampleDecoder;
import io.gradflow.jobs.produce.FileReplay;
import io.gradflow.jobs.produce.ProduceCommand;
import io.gradflow.jobs.train.TrainPipeline;
import io.gradflow.model.CompactExample;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Example;
import io.gradflow.schema.RecordCodec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gradflow evaluate} end to end on a local MiniCluster: a CSV, a LibSVM and a VW file
 * written here, the JSON's counts exact, its log loss that of the training pipeline on the same
 * examples, a weight-0 example scored and not learned, a race, and the plot.
 */
public class EvaluateITCase {
  public static final String START = "2020-01-01T00:00:00Z";
  public static final String LOGISTIC = "model: {type: logistic_regression, hash_bits: 18}\n"
      + "optimizer: {name: Adagrad, lr: 0.1}\n"
      + "metrics: {every: 100, window: 100}\n"
      + "state: {backend: hashmap}\n";

  @TempDir
  Path temp;

  /** What {@code gradflow evaluate} printed and the JSON it wrote. */
  public record Run(int exit, String out, String err, JsonNode json) {}

  Run evaluate(String yaml, String... args) throws Exception {
    return evaluate(temp, yaml, args);
  }

  /**
   * Runs {@code gradflow evaluate --json} through {@link Main#run} on a job file holding
   * {@code yaml}, with the event times starting at {@link #START}, its files in {@code dir};
   * fails unless it exits with 0.
   */
  public static Run evaluate(Path dir, String yaml, String... args) throws Exception {
    Path config = dir.resolve("job-" + System.nanoTime() + ".yaml");
    Files.writeString(config, yaml);
    Path json = dir.resolve("out-" + System.nanoTime() + ".json");
    List<String> all = new ArrayList<>(List.of("evaluate", "--config", config.toString(),
        "--json", json.toString(), "--start-time", START));
    all.addAll(List.of(args));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = Main.run(all.toArray(String[]::new), new ByteArrayInputStream(new byte[0]),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    String o = out.toString(StandardCharsets.UTF_8);
    String e = err.toString(StandardCharsets.UTF_8);
    assertEquals(0, exit, "exit code; stdout:\n" + o + "\nstderr:\n" + e);
    return new Run(exit, o, e, new ObjectMapper().readTree(json.toFile()));
  }

  Path learnableCsv() throws Exception {
    return learnableCsv(temp);
  }

  /**
   * Writes learnable.csv into {@code dir}: 1,000 learnable lines (x=a is mostly 1, x=b mostly 0),
   * a malformed one, a label of 3; read with {@link #CSV_FLAGS}.
   */
  public static Path learnableCsv(Path dir) throws Exception {
    StringBuilder b = new StringBuilder("x,n,y\n");
    Random random = new Random(7);
    for (int i = 0; i < 1000; i++) {
      boolean a = random.nextBoolean();
      int y = random.nextDouble() < (a ? 0.9 : 0.1) ? 1 : 0;
      b.append(a ? "a" : "b").append(',').append(random.nextInt(10)).append(',').append(y)
          .append('\n');
      if (i == 500) {
        b.append("a,not-a-number,1\n");
        b.append("b,3,3\n");
      }
    }
    Path csv = dir.resolve("learnable.csv");
    Files.writeString(csv, b.toString());
    return csv;
  }

  public static final String[] CSV_FLAGS = {"--format", "csv", "--csv-categorical", "x",
      "--csv-numeric", "n", "--csv-label", "y"};

  /**
   * A CSV whose time column is in seconds: learned, and said (console and JSON); a file without
   * a time column gets event times from --start-time, made up here, so never a warning.
   */
  @Test
  void eventTimesInSecondsAreSaid() throws Exception {
    StringBuilder b = new StringBuilder("t,x,y\n");
    for (int i = 0; i < 50; i++) {
      b.append(1_733_000_000L + i).append(",v").append(i % 3).append(',').append(i % 2)
          .append('\n');
    }
    Path csv = Files.writeString(temp.resolve("seconds.csv"), b.toString());
    Run seconds = evaluate(LOGISTIC, "--file", csv.toString(), "--format", "csv",
        "--csv-timestamp", "t", "--csv-categorical", "x", "--csv-label", "y");
    assertEquals(50, seconds.json().get("event_time_before_2000").asLong());
    assertTrue(seconds.err().contains("gradflow evaluate: warning: 50 examples have an event_time"
        + " before 2000-01-01 (earliest: 1733000000 = 1970-01-21T01:23:20Z)"), seconds.err());
    Path config = Files.writeString(temp.resolve("synthetic.yaml"), LOGISTIC);
    Path json = temp.resolve("synthetic.json");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertEquals(0, Main.run(new String[] {"evaluate", "--config", config.toString(), "--json",
        json.toString(), "--file", csv.toString(), "--format", "csv", "--csv-categorical", "x",
        "--csv-label", "y", "--start-time", "1970-01-02T00:00:00Z"},
        new ByteArrayInputStream(new byte[0]), new PrintStream(new ByteArrayOutputStream()),
        new PrintStream(err, true, StandardCharsets.UTF_8)), err::toString);
    assertNull(new ObjectMapper().readTree(json.toFile()).get("event_time_before_2000"));
    assertTrue(!err.toString(StandardCharsets.UTF_8).contains("event_time"), err::toString);
  }

  @Test
  void csvFile() throws Exception {
    Path csv = learnableCsv();
    Path png = temp.resolve("loss.png");
    List<String> args = new ArrayList<>(List.of("--file", csv.toString(), "--plot",
        png.toString()));
    args.addAll(List.of(CSV_FLAGS));
    Run run = evaluate(LOGISTIC, args.toArray(String[]::new));
    JsonNode j = run.json();
    assertEquals(1000, j.get("examples").asLong());
    assertEquals(1000, j.get("learned").asLong());
    assertEquals(1, j.get("malformed").asLong());
    assertEquals(1, j.get("dead_letters").get("LABEL_OUT_OF_DOMAIN").asLong());
    assertEquals(1, j.get("dead_letters").size());
    double logLoss = j.get("log_loss").asDouble();
    double base = j.get("base_rate_log_loss").asDouble();
    assertTrue(Double.isFinite(logLoss) && logLoss < base, logLoss + " vs base rate " + base);
    assertTrue(j.get("auc").asDouble() > 0.8, "AUC " + j.get("auc"));
    assertNull(j.get("rmse"));
    assertEquals(10, j.get("windows").size());
    JsonNode last = j.get("windows").get(9);
    assertEquals(1000, last.get("end_example").asLong());
    assertEquals(logLoss, last.get("prequential_log_loss").asDouble(), 1e-12);
    assertTrue(last.get("end_event_time").asText().startsWith("2020-01-01T"));
    // bias, one dense row, the two values of x and the missing indicator at most
    assertTrue(j.get("rows").asLong() >= 4, "rows " + j.get("rows"));
    assertTrue(j.get("seconds").asDouble() > 0);
    assertTrue(j.get("examples_per_second").asDouble() > 0);
    assertTrue(run.err().contains("line 503"), run.err()); // the malformed line, by number
    assertTrue(run.err().contains("dead letter: LABEL_OUT_OF_DOMAIN"), run.err());
    assertTrue(run.out().contains("gradflow evaluate: finished"), run.out());
    assertTrue(run.out().contains("1,000 scored, 1,000 learned"), run.out());
    byte[] image = Files.readAllBytes(png);
    assertTrue(image.length > 1000);
    assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'},
        java.util.Arrays.copyOf(image, 8));
  }

  /**
   * The JSON's log loss is the training pipeline's: the same examples, decoded as the job decodes
   * them, through {@link TrainPipeline} fed from memory (as the train ITCases do), give the same
   * metrics reports, combined by weight, bit for bit; and the same number learned. Its
   * reliability diagram and expected calibration error are those of the pipeline's predictions,
   * binned here independently (ten equal-width bins, the default; every example weighs 1).
   */
  @Test
  void logLossEqualsTheTrainPipelines() throws Exception {
    Path csv = learnableCsv();
    List<String> args = new ArrayList<>(List.of("--file", csv.toString()));
    args.addAll(List.of(CSV_FLAGS));
    JsonNode j = evaluate(LOGISTIC, args.toArray(String[]::new)).json();

    TrainConfig config = TrainConfig.fromYaml(LOGISTIC, new ConfigReport(),
        TrainConfig.Use.EVALUATE);
    ExampleDecoder decoder = config.decoder();
    RecordCodec<Example> codec = Codecs.codec(Example.class);
    List<String> fileArgs = new ArrayList<>(List.of("--file", csv.toString(), "--start-time",
        START));
    fileArgs.addAll(List.of(CSV_FLAGS));
    List<CompactExample> examples = new ArrayList<>();
    try (FileReplay replay = ProduceCommand.openFile(
        Flag.parse(ProduceCommand.FILE_FLAGS, fileArgs), new ByteArrayInputStream(new byte[0]))) {
      while (replay.hasNext()) {
        try {
          examples.add(decoder.decodeExample(codec.encode(replay.next())));
        } catch (io.gradflow.jobs.kafka.RejectedRecordException e) {
          // a dead letter in the job too
        }
      }
    }
    assertEquals(1000, examples.size());
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(1);
    TrainPipeline.Outputs out = TrainPipeline.build(
        env.fromData(examples, CompactExampleTypeInfo.INSTANCE), null, config);
    DataStream<MetricsEvent> metrics = out.metrics();
    CloseableIterator<MetricsEvent> reports = metrics.collectAsync();
    CloseableIterator<Scored> predictions = out.predictions().collectAsync();
    env.executeAsync("train pipeline from memory");
    long learned = 0;
    double[][] bins = new double[10][3]; // count, sum of scores, sum of labels
    while (predictions.hasNext()) {
      Scored s = predictions.next();
      learned += s.learned ? 1 : 0;
      if (s.measured) {
        double[] bin = bins[Math.min((int) (s.score * 10), 9)];
        bin[0]++;
        bin[1] += s.score;
        bin[2] += s.label;
      }
    }
    double weight = 0;
    double logLoss = 0;
    List<Double> windows = new ArrayList<>();
    while (reports.hasNext()) {
      MetricsEvent e = reports.next();
      weight += e.windowWeight;
      logLoss += e.logLoss * e.windowWeight;
      windows.add(e.logLoss);
    }
    assertEquals(learned, j.get("learned").asLong());
    assertEquals(logLoss / weight, j.get("log_loss").asDouble(), 0.0);
    List<Double> evaluated = new ArrayList<>();
    j.get("windows").forEach(w -> evaluated.add(w.get("log_loss").asDouble()));
    assertEquals(windows, evaluated); // every window, bit for bit

    JsonNode diagram = j.get("calibration_bins");
    assertEquals(10, diagram.size());
    double ece = 0;
    double total = 0;
    for (int b = 0; b < 10; b++) {
      JsonNode bin = diagram.get(b);
      assertEquals(b / 10.0, bin.get("lower").asDouble(), 0.0);
      assertEquals((b + 1) / 10.0, bin.get("upper").asDouble(), 0.0);
      assertEquals(bins[b][0], bin.get("weight").asDouble(), 0.0, "bin " + b);
      if (bins[b][0] == 0) {
        assertTrue(bin.get("mean_prediction").isNull(), "bin " + b);
      } else {
        assertEquals(bins[b][1] / bins[b][0], bin.get("mean_prediction").asDouble(), 1e-12);
        assertEquals(bins[b][2] / bins[b][0], bin.get("mean_label").asDouble(), 1e-12);
      }
      ece += Math.abs(bins[b][1] - bins[b][2]);
      total += bins[b][0];
    }
    assertEquals(1000, total);
    assertTrue(ece > 0);
    assertEquals(ece / total, j.get("expected_calibration_error").asDouble(), 1e-12);
    assertTrue(j.get("windows").get(0).get("expected_calibration_error").asDouble() > 0);
    assertTrue(j.get("last_window").get("expected_calibration_error").asDouble() > 0);
  }

  /**
   * Writes data.libsvm into {@code dir}: 400 learnable lines (feature 1 mostly +1, feature 2
   * mostly -1, a numeric feature 3) and a malformed one; read with {@link #LIBSVM_FLAGS}.
   */
  public static Path learnableLibSvm(Path dir) throws Exception {
    StringBuilder b = new StringBuilder();
    Random random = new Random(3);
    for (int i = 0; i < 400; i++) {
      boolean one = random.nextBoolean();
      boolean positive = random.nextDouble() < (one ? 0.85 : 0.15);
      b.append(positive ? "+1" : "-1").append(one ? " 1:1" : " 2:1").append(" 3:")
          .append(random.nextInt(5)).append(".5\n");
    }
    b.append("+1 x:y\n"); // malformed
    Path file = dir.resolve("data.libsvm");
    Files.writeString(file, b.toString());
    return file;
  }

  public static final String[] LIBSVM_FLAGS = {"--format", "libsvm", "--binary-labels"};

  @Test
  void libSvmFile() throws Exception {
    Path file = learnableLibSvm(temp);
    List<String> args = new ArrayList<>(List.of("--file", file.toString()));
    args.addAll(List.of(LIBSVM_FLAGS));
    JsonNode j = evaluate(LOGISTIC, args.toArray(String[]::new)).json();
    assertEquals(400, j.get("examples").asLong());
    assertEquals(400, j.get("learned").asLong());
    assertEquals(1, j.get("malformed").asLong());
    assertEquals(0, j.get("dead_letters").size());
    assertTrue(j.get("log_loss").asDouble() < j.get("base_rate_log_loss").asDouble(),
        j.toString());
    assertEquals(4, j.get("windows").size());
  }

  /** Missing numeric cells (empty, NA) are counted as imputed, in the summary and the JSON. */
  @Test
  void missingCellsAreCountedAsImputed() throws Exception {
    Path csv = temp.resolve("holes.csv");
    Files.writeString(csv, "x,n,m,y\na,1,,1\nb,NA,2,0\nc,3,4,1\na,,,0\n");
    Run run = evaluate(LOGISTIC, "--file", csv.toString(), "--csv-categorical", "x",
        "--csv-numeric", "n,m", "--csv-label", "y");
    JsonNode j = run.json();
    assertEquals(4, j.get("examples").asLong());
    assertEquals(4, j.get("imputed").asLong());
    assertTrue(run.out().contains("5 lines read, 0 malformed lines skipped; 4 missing cells"
        + " imputed (column means so far)"), run.out());
  }

  /**
   * A file without labels (no --csv-label) is scored, nothing is learned, and the run says why
   * and what to do; a blank record is counted, so the lines add up: header + examples + blank.
   */
  @Test
  void aFileWithoutLabelsSaysWhyNothingWasLearned() throws Exception {
    Path csv = temp.resolve("unlabeled.csv");
    Files.writeString(csv, "x,n,y\na,1,1\n\nb,2,0\n");
    Run run = evaluate(LOGISTIC, "--file", csv.toString(), "--csv-categorical", "x",
        "--csv-numeric", "n");
    JsonNode j = run.json();
    assertEquals(2, j.get("examples").asLong());
    assertEquals(0, j.get("learned").asLong());
    assertEquals(4, j.get("lines").asLong());
    assertEquals(0, j.get("malformed").asLong());
    assertEquals(1, j.get("blank").asLong());
    assertTrue(run.err().contains("gradflow evaluate: nothing was learned, so no metrics were"
        + " reported: no example of unlabeled.csv has a label (name the CSV column that holds the"
        + " labels with --csv-label COLUMN)"), run.err());
    assertTrue(run.out().contains("4 lines read, 0 malformed lines and 1 blank or comment line"
        + " skipped"), run.out());
    assertTrue(run.out().contains("gradflow evaluate: unlabeled.csv, read as it is evaluated, in"
        + " file order, on a local MiniCluster (parallelism 1)"), run.out());
  }

  /** Issue 5's case: importance 0 is scored, not learned. */
  @Test
  void vwImportanceZeroIsScoredNotLearned() throws Exception {
    Path vw = Path.of("src/test/resources/cases/vw-importance-zero.vw");
    JsonNode j = evaluate(LOGISTIC, "--file", vw.toString(), "--format", "vw").json();
    assertEquals(3, j.get("examples").asLong());
    assertEquals(2, j.get("learned").asLong());
    assertEquals(1, j.get("windows").size());
    assertEquals(3, j.get("windows").get(0).get("end_example").asLong());
    assertNotNull(j.get("log_loss"));
  }

  /**
   * With labels.delayed, the job's label join runs: an unlabeled example is scored on arrival,
   * then, no label arriving, joined with the default label after the timeout and learned.
   */
  @Test
  void delayedLabelsGoThroughTheLabelJoin() throws Exception {
    Path vw = temp.resolve("unlabeled.vw");
    Files.writeString(vw, "1 |f a\n|f b\n0 |f c\n|f d\n");
    JsonNode j = evaluate(LOGISTIC + "labels: {delayed: true, timeout: 1m, on_timeout:"
        + " default_label, default_label: 0}\n", "--file", vw.toString(), "--format", "vw",
        "--interval-ms", "1000").json();
    assertEquals(6, j.get("examples").asLong(), j.toString());
    assertEquals(4, j.get("learned").asLong(), j.toString());
    JsonNode dropped = evaluate(LOGISTIC + "labels: {delayed: true, timeout: 1m, on_timeout:"
        + " drop}\n", "--file", vw.toString(), "--format", "vw").json();
    assertEquals(4, dropped.get("examples").asLong(), dropped.toString());
    assertEquals(2, dropped.get("learned").asLong(), dropped.toString());
  }

  /** A race: one object per candidate under candidates, each over every example. */
  @Test
  void raceHasOneObjectPerCandidate() throws Exception {
    String race = "model: {type: logistic_regression, hash_bits: 18}\n"
        + "race: [{name: ada, optimizer: {name: Adagrad, lr: 0.1}},"
        + " {name: adam, optimizer: {name: Adam, lr: 0.01}}]\n"
        + "state: {backend: hashmap}\n";
    Path vw = Path.of("src/test/resources/cases/vw-importance-zero.vw");
    JsonNode j = evaluate(race, "--file", vw.toString(), "--format", "vw").json();
    assertEquals(3, j.get("examples").asLong());
    JsonNode candidates = j.get("candidates");
    assertEquals(2, candidates.size());
    for (String name : List.of("ada", "adam")) {
      assertEquals(3, candidates.get(name).get("examples").asLong(), name);
      assertEquals(2, candidates.get(name).get("learned").asLong(), name);
      assertTrue(candidates.get(name).get("rows").asLong() > 0, name);
    }
  }

  /**
   * A race of a linear and a wide_and_deep candidate ({@code race[i].model}) on a CSV file: each
   * candidate's log loss, AUC and windows' log losses are, bit for bit, an evaluation of its
   * model alone.
   */
  @Test
  void aRaceOfALinearAndADeepCandidateEqualsTheirSingleRuns() throws Exception {
    String deep = "{type: wide_and_deep, hash_bits: 18, inputs: 1, hidden: [4], factors: 2}";
    List<String> args = new ArrayList<>(List.of("--file", learnableCsv().toString()));
    args.addAll(List.of(CSV_FLAGS));
    String[] flags = args.toArray(String[]::new);
    JsonNode race = evaluate(LOGISTIC.replace("optimizer: {name: Adagrad, lr: 0.1}\n",
        "race: [{name: linear, optimizer: {name: Adagrad, lr: 0.1}},"
            + " {name: deep, optimizer: {name: Adagrad, lr: 0.1}, model: " + deep + "}]\n"),
        flags).json().get("candidates");
    JsonNode linear = evaluate(LOGISTIC, flags).json();
    JsonNode alone = evaluate(LOGISTIC.replace("{type: logistic_regression, hash_bits: 18}",
        deep), flags).json();
    for (var c : List.of(java.util.Map.entry("linear", linear),
        java.util.Map.entry("deep", alone))) {
      JsonNode candidate = race.get(c.getKey());
      assertEquals(1000, candidate.get("learned").asLong(), c.getKey());
      for (String figure : List.of("log_loss", "auc", "rows")) {
        assertNotNull(candidate.get(figure), c.getKey() + " " + figure);
        assertEquals(c.getValue().get(figure), candidate.get(figure), c.getKey() + " " + figure);
      }
      assertEquals(10, candidate.get("windows").size(), c.getKey());
      for (int w = 0; w < 10; w++) {
        assertEquals(c.getValue().get("windows").get(w).get("log_loss"),
            candidate.get("windows").get(w).get("log_loss"), c.getKey() + " window " + w);
      }
    }
    assertTrue(race.get("linear").get("log_loss").asDouble()
        != race.get("deep").get("log_loss").asDouble(), race.toString());
  }

  /**
   * An abrupt change halfway through a CSV (x=a turns from mostly 1 to mostly 0): the drift
   * section's detector sees it, drift_events says where and what was done, and no event comes
   * before the change.
   */
  @Test
  void driftEventsMarkTheChange() throws Exception {
    StringBuilder b = new StringBuilder("x,y\n");
    Random random = new Random(5);
    for (int i = 0; i < 4000; i++) {
      boolean a = random.nextBoolean();
      boolean flipped = i >= 2000;
      double p = a != flipped ? 0.9 : 0.1;
      b.append(a ? "a" : "b").append(',').append(random.nextDouble() < p ? 1 : 0).append('\n');
    }
    Path csv = temp.resolve("abrupt.csv");
    Files.writeString(csv, b.toString());
    Run run = evaluate(LOGISTIC + "drift: {detector: adwin, actions: [restart_schedule,"
        + " reset_slots]}\n", "--file", csv.toString(), "--csv-categorical", "x",
        "--csv-label", "y");
    JsonNode events = run.json().get("drift_events");
    assertTrue(events.size() >= 1, run.json().toString());
    JsonNode first = events.get(0);
    long at = first.get("example").asLong();
    assertTrue(at > 2000 && at < 2500, "detected soon after the change at 2,000: " + events);
    assertEquals("adwin", first.get("detector").asText());
    assertEquals("restart_schedule+reset_slots", first.get("action").asText());
    assertTrue(first.get("event_time").asText().startsWith("2020-01-01T"), first.toString());
    assertTrue(run.out().matches("(?s).*(1 drift|[0-9,]+ drifts) detected.*"), run.out());
    JsonNode none = evaluate(LOGISTIC, "--file", csv.toString(), "--csv-categorical", "x",
        "--csv-label", "y").json();
    assertEquals(0, none.get("drift_events").size(), "no drift section, no detector");
  }

  /**
   * rows.expire_after on a file whose ids are replaced over time: the rows of old ids expire, so
   * the live rows at the end are far fewer than the ids seen; rows and rows_expired say so.
   */
  @Test
  void expiredRowsLeaveTheModel() throws Exception {
    StringBuilder b = new StringBuilder("t,u,y\n");
    Random random = new Random(9);
    for (int i = 0; i < 3000; i++) {
      // A new block of 20 user ids every 100 examples (an hour apart: one example per 36 s).
      int user = (i / 100) * 20 + random.nextInt(20);
      b.append(i * 36_000L).append(",u").append(user).append(',')
          .append(user % 2 == 0 ? 1 : 0).append('\n');
    }
    Path csv = temp.resolve("replaced.csv");
    Files.writeString(csv, b.toString());
    String[] flags = {"--file", csv.toString(), "--csv-timestamp", "t", "--csv-categorical", "u",
        "--csv-label", "y"};
    JsonNode bounded = evaluate(LOGISTIC + "rows: {expire_after: 3h}\n", flags).json();
    JsonNode unbounded = evaluate(LOGISTIC, flags).json();
    long all = unbounded.get("rows").asLong();
    assertTrue(all > 590 && all <= 601, "every user id (hashed: a collision may merge two) and"
        + " the bias: " + all);
    long live = bounded.get("rows").asLong();
    assertTrue(live > 20 && live < 150, "live rows with expiry: " + live);
    assertEquals(0, unbounded.get("rows_expired").asLong());
    assertTrue(bounded.get("rows_expired").asLong() > 400, bounded.toString());
  }

  /** The squared loss reports RMSE, not log loss. */
  @Test
  void squaredLossHasRmse() throws Exception {
    StringBuilder b = new StringBuilder("x,y\n");
    for (int i = 0; i < 200; i++) {
      b.append(i % 2 == 0 ? "a,3.0\n" : "b,-1.0\n");
    }
    Path csv = temp.resolve("regression.csv");
    Files.writeString(csv, b.toString());
    JsonNode j = evaluate("model: {type: linear_regression}\n"
        + "optimizer: {name: Adagrad, lr: 0.5}\nmetrics: {every: 50}\n"
        + "state: {backend: hashmap}\n", "--file", csv.toString(), "--csv-categorical", "x",
        "--csv-label", "y").json();
    assertEquals(200, j.get("examples").asLong());
    assertTrue(j.get("rmse").asDouble() < 2.0, j.toString());
    assertNull(j.get("log_loss"));
    assertEquals(4, j.get("windows").size());
  }
}
