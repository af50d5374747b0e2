package io.gradflow.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.config.ConfigException;
import io.gradflow.config.ConfigReport;
import io.gradflow.jobs.cli.Main;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.produce.ProduceCommand;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** evaluate's command line, without a cluster: usage errors, bad files, the config's kafka. */
class EvaluateCommandTest {
  static final String YAML = "model: {type: logistic_regression}\n";

  @TempDir
  Path temp;

  record Result(int exit, String out, String err) {}

  Result run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = Main.run(args, new ByteArrayInputStream(new byte[0]),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(exit, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  Path config() throws Exception {
    Path config = temp.resolve("job.yaml");
    Files.writeString(config, YAML);
    return config;
  }

  @Test
  void kafkaIsOptionalForEvaluateOnly() throws Exception {
    assertNull(TrainConfig.fromYaml(YAML, new ConfigReport(), TrainConfig.Use.EVALUATE).kafka());
    ConfigException train = assertThrows(ConfigException.class, () -> TrainConfig.fromYaml(YAML));
    assertTrue(train.getMessage().contains("kafka.bootstrap_servers"), train.getMessage());
    // A kafka section that is there is still checked in full.
    ConfigException bad = assertThrows(ConfigException.class, () -> TrainConfig.fromYaml(
        YAML + "kafka: {bootstrap_servers: h:1, topicz: {}}\n", new ConfigReport(),
        TrainConfig.Use.EVALUATE));
    assertTrue(bad.getMessage().contains("topicz"), bad.getMessage());
  }

  /**
   * A deep model's model.inputs that the CSV mapping's numeric columns cannot give is refused
   * before the run (each example would be a DENSE_WIDTH dead letter); the right count runs.
   */
  @Test
  void modelInputsOtherThanTheNumericColumnsAreRefusedBeforeTheRun() throws Exception {
    Path csv = Files.writeString(temp.resolve("f.csv"), "a,b,y\n1,2,1\n3,4,0\n");
    Path mlp = Files.writeString(temp.resolve("mlp.yaml"), "model: {type: mlp, inputs: 3}\n");
    Result wrong = run("evaluate", "--config", mlp.toString(), "--file", csv.toString(),
        "--csv-numeric", "a,b", "--csv-label", "y");
    assertEquals(2, wrong.exit(), wrong.err());
    assertTrue(wrong.err().contains("gradflow evaluate: model.inputs is 3, but --csv-numeric"
        + " gives 2 columns (a,b): a deep model reads exactly one dense value per numeric column,"
        + " so every example would be a dead letter (DENSE_WIDTH); set model.inputs: 2 or map 3"
        + " numeric columns"), wrong.err());
    assertTrue(!wrong.out().contains("in file order"), "the run did not start: " + wrong.out());
    assertTrue(!wrong.err().contains("\tat "), wrong.err());

    Result none = run("evaluate", "--config", mlp.toString(), "--file", csv.toString(),
        "--csv-categorical", "a", "--csv-label", "y");
    assertEquals(2, none.exit(), none.err());
    assertTrue(none.err().contains("model.inputs is 3, but no --csv-numeric column is given"),
        none.err());

    // A linear model takes any number of dense values; an mlp of 2 inputs takes these 2.
    org.junit.jupiter.api.Assertions.assertDoesNotThrow(() -> EvaluateCommand.checkInputs(
        TrainConfig.fromYaml(YAML, new ConfigReport(), TrainConfig.Use.EVALUATE),
        flags("--csv-numeric", "a,b")));
    org.junit.jupiter.api.Assertions.assertDoesNotThrow(() -> EvaluateCommand.checkInputs(
        TrainConfig.fromYaml("model: {type: mlp, inputs: 2}\n", new ConfigReport(),
            TrainConfig.Use.EVALUATE), flags("--csv-numeric", "a,b")));
  }

  @Test
  void fileFlagsAreProducesOwn() {
    for (var f : ProduceCommand.FILE_FLAGS) {
      // The same flag, read as produce reads it; only its help may be evaluate's own.
      assertTrue(EvaluateCommand.FLAGS.stream().anyMatch(e -> e.name().equals(f.name())
          && e.type() == f.type() && java.util.Objects.equals(e.defaultValue(), f.defaultValue())
          && e.choices().equals(f.choices())), f.name());
    }
    assertTrue(run("--help").out().contains("evaluate"));
    Result help = run("evaluate", "--help");
    assertTrue(help.out().contains("--csv-label") && help.out().contains("--plot"), help.out());
  }

  /** evaluate's help speaks of evaluating a file, not of generators or of writing to Kafka. */
  @Test
  void helpIsInEvaluatesOwnWords() {
    String help = run("evaluate", "--help").out();
    assertTrue(!help.contains("generator") && !help.contains("to write")
        && !help.contains("replay instead"), help);
    assertTrue(help.contains("evaluate the first N examples of the file only (default: all)"),
        help);
    assertTrue(help.contains("the file to evaluate on"), help);
    assertTrue(help.contains("event time of the file's first example when it has no timestamps"),
        help);
  }

  /** An empty job file: evaluate asks for what it needs (no kafka) and gives the example's path. */
  @Test
  void anEmptyConfigSaysWhatEvaluateNeeds() throws Exception {
    Path empty = temp.resolve("empty.yaml");
    Files.writeString(empty, "# nothing yet\n");
    Path vw = temp.resolve("a.vw");
    Files.writeString(vw, "1 |f a\n");
    Result r = run("evaluate", "--config", empty.toString(), "--file", vw.toString(), "--format",
        "vw");
    assertEquals(2, r.exit());
    assertTrue(r.err().startsWith("gradflow evaluate: the configuration is empty; evaluate needs"
        + " no kafka section, but at least one setting, for example model: {type:"
        + " logistic_regression} (see jobs/src/main/resources/train-example.yaml for every"
        + " setting)\n"), r.err());
    assertTrue(!r.err().contains("\tat "), r.err());
  }

  /** Nothing learned: why (no label, weight 0, dead letters) and, for no label, how per format. */
  /** No accumulator values: a job that reported no dead letter. */
  private static final java.util.Map<String, Object> NO_VALUES = java.util.Map.of();

  @Test
  void nothingLearnedSaysWhyAndHow() {
    EvaluateReport none = new EvaluateReport(true, false);
    String csv = EvaluateCommand.unlearned(none, input("f.csv", 0, 0), flags(), java.util.Map.of());
    assertEquals("nothing was learned, so no metrics were reported: no example of f.csv has a"
        + " label (name the CSV column that holds the labels with --csv-label COLUMN)", csv);
    assertTrue(EvaluateCommand.unlearned(none, input("f.csv", 0, 0), flags("--csv-label", "y"),
        NO_VALUES)
        .endsWith("(the column --csv-label y is empty on every line; name the column that holds"
            + " the labels)"));
    assertTrue(EvaluateCommand.unlearned(none, input("f.vw", 0, 0), flags("--format", "vw"),
        NO_VALUES)
        .endsWith("(VW's label is a line's first word, before the '|' (1 |f a b))"));
    assertTrue(EvaluateCommand.unlearned(none, input("f.svm", 0, 0), flags("--format",
        "libsvm"), NO_VALUES).endsWith("(LibSVM's label is a line's first number (1 3:0.5"
            + " 7:1))"));
    assertTrue(EvaluateCommand.unlearned(none, input("f.vw", 3, 0), flags("--format", "vw"),
        NO_VALUES)
        .endsWith("every labeled example of f.vw has importance weight 0 (scored, not learned)"));
    assertTrue(EvaluateCommand.unlearned(none, input("f.vw", 3, 3), flags("--format", "vw"),
        NO_VALUES)
        .endsWith("every labeled example of f.vw was a dead letter (see the dead letters"
            + " above)"));
    // The reasons and what to do, in train's words (TrainConsole.allDeadLetters).
    io.gradflow.jobs.kafka.DeadLetterAccumulator dead =
        new io.gradflow.jobs.kafka.DeadLetterAccumulator();
    for (int i = 0; i < 3; i++) {
      dead.add(new io.gradflow.jobs.kafka.DeadLetter("DENSE_WIDTH", "2 dense values, model.inputs"
          + " 3", "f.csv", 0, i, 0, null, null));
    }
    assertEquals("nothing was learned, so no metrics were reported: every labeled example of"
        + " f.csv was a dead letter (DENSE_WIDTH 3; what to do: an example does not have the"
        + " model's model.inputs dense values: check the producer's dense columns against"
        + " model.inputs)", EvaluateCommand.unlearned(none, input("f.csv", 3, 3), flags(),
            java.util.Map.of(io.gradflow.jobs.kafka.DeadLetterAccumulator.NAME,
                dead.getLocalValue())));
  }

  private static EvaluateCommand.FileInput input(String source, long labeled, long learnable) {
    return new EvaluateCommand.FileInput(source, labeled, learnable, 0, null);
  }

  private static io.gradflow.jobs.cli.Flag.Values flags(String... args) {
    return io.gradflow.jobs.cli.Flag.parse(EvaluateCommand.FLAGS, java.util.List.of(args));
  }

  /**
   * A state.cache_memory size that this JVM's heap cannot give the trainer is refused before the
   * run, in one line naming the setting and the heap (not an OutOfMemoryError as the cache
   * fills); a size that fits runs.
   */
  @Test
  void aCacheLargerThanTheHeapIsRefusedBeforeTheRun() throws Exception {
    Path vw = Files.writeString(temp.resolve("a.vw"), "1 |f a\n0 |f b\n");
    Path huge = Files.writeString(temp.resolve("huge.yaml"),
        YAML + "state: {cache_memory: 64tb}\n");
    Result r = run("evaluate", "--config", huge.toString(), "--file", vw.toString(),
        "--format", "vw");
    assertEquals(2, r.exit(), r.err());
    String heap = io.gradflow.config.MemoryAmount.human(Runtime.getRuntime().maxMemory());
    assertEquals("gradflow evaluate: state.cache_memory 64tb per trainer subtask is more than the"
        + " heap can give: this JVM's heap is " + heap + "; give a size well below it (keyed"
        + " state, its snapshots and Flink need the heap too) or a fraction of the heap, such as"
        + " the default 0.1", r.err().strip());
    Path small = Files.writeString(temp.resolve("small.yaml"),
        YAML + "state: {cache_memory: 1mb}\n");
    Result ok = run("evaluate", "--config", small.toString(), "--file", vw.toString(),
        "--format", "vw", "--quiet");
    assertEquals(0, ok.exit(), ok.err());
  }

  @Test
  void needsAFile() throws Exception {
    Result r = run("evaluate", "--config", config().toString());
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("--file is needed"), r.err());
  }

  @Test
  void aPlotOfAnotherFormatIsRefusedBeforeTheRun() throws Exception {
    Path vw = temp.resolve("a.vw");
    Files.writeString(vw, "1 |f a\n");
    Result r = run("evaluate", "--config", config().toString(), "--file", vw.toString(),
        "--format", "vw", "--plot", temp.resolve("loss.jpg").toString());
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("--plot must name a .png or .svg file"), r.err());
    assertTrue(r.err().contains("loss.jpg"), r.err());
    assertTrue(!r.err().contains("\tat "), r.err());
  }

  @Test
  void anOutputThatCannotBeWrittenIsRefusedBeforeTheRun() throws Exception {
    Path vw = temp.resolve("a.vw");
    Files.writeString(vw, "1 |f a\n");
    for (String flag : new String[] {"--json", "--plot"}) {
      String name = flag.equals("--json") ? "out.json" : "out.png";
      Result underAFile = run("evaluate", "--config", config().toString(), "--file",
          vw.toString(), "--format", "vw", flag, vw.resolve(name).toString());
      assertEquals(2, underAFile.exit(), underAFile.err());
      assertTrue(underAFile.err().contains(flag + " " + vw.resolve(name) + " cannot be written: "
          + vw + " is a file, not a directory"), underAFile.err());
      assertTrue(!underAFile.err().contains("\tat "), underAFile.err());
      assertTrue(!underAFile.out().contains("in file order"), underAFile.out()); // not run
      Path directory = Files.createDirectories(temp.resolve("a-directory.png"));
      Result aDirectory = run("evaluate", "--config", config().toString(), "--file",
          vw.toString(), "--format", "vw", flag, directory.toString());
      assertEquals(2, aDirectory.exit(), aDirectory.err());
      assertTrue(aDirectory.err().contains(flag + " names a directory, not a file: "
          + directory), aDirectory.err());
    }
  }

  /**
   * An existing --json or --plot file is refused before the run (exit 2, one line) and left as it
   * was, as export and validate refuse theirs: a command writes new files only.
   */
  @Test
  void anExistingOutputIsRefusedBeforeTheRunAndKept() throws Exception {
    Path vw = temp.resolve("a.vw");
    Files.writeString(vw, "1 |f a\n");
    for (String flag : new String[] {"--json", "--plot"}) {
      Path existing = Files.writeString(temp.resolve(flag.equals("--json") ? "old.json"
          : "old.svg"), "mine");
      Result r = run("evaluate", "--config", config().toString(), "--file", vw.toString(),
          "--format", "vw", flag, existing.toString());
      assertEquals(2, r.exit(), r.err());
      assertEquals("gradflow evaluate: " + flag + " " + existing + " exists; give a path that"
          + " does not (nothing was overwritten)\n", r.err());
      assertTrue(!r.out().contains("in file order"), r.out()); // not run
      assertEquals("mine", Files.readString(existing));
    }
  }

  /** --final-savepoint is train's: a new or empty directory, refused before the run otherwise. */
  @Test
  void aFinalSavepointDirectoryThatIsNotEmptyIsRefusedBeforeTheRun() throws Exception {
    Path vw = temp.resolve("a.vw");
    Files.writeString(vw, "1 |f a\n");
    Path full = Files.createDirectories(temp.resolve("full"));
    Files.writeString(full.resolve("keep.txt"), "mine");
    Result r = run("evaluate", "--config", config().toString(), "--file", vw.toString(),
        "--format", "vw", "--final-savepoint", full.toString());
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.err().contains("--final-savepoint " + full + " is not empty; give a new or"
        + " empty directory (nothing is overwritten)"), r.err());
    assertTrue(!r.out().contains("in file order"), r.out());
    assertEquals("mine", Files.readString(full.resolve("keep.txt")));
    String help = run("evaluate", "--help").out();
    assertTrue(help.contains("--final-savepoint") && help.contains("after the file's last"
        + " example, a savepoint of the training job's state"), help);
  }

  @Test
  void aBadLineFailsWithItsNumberUnderOnErrorFail() throws Exception {
    Path vw = temp.resolve("bad.vw");
    Files.writeString(vw, "1 |f a\nnot-a-label |f b\n");
    Result r = run("evaluate", "--config", config().toString(), "--file", vw.toString(),
        "--format", "vw", "--on-error", "fail");
    assertEquals(1, r.exit());
    assertTrue(r.err().contains("bad.vw, line 2"), r.err());
    assertTrue(!r.err().contains("\tat "), r.err());
  }

  @Test
  void anEmptyFileExitsOne() throws Exception {
    Path vw = temp.resolve("empty.vw");
    Files.writeString(vw, "");
    Result r = run("evaluate", "--config", config().toString(), "--file", vw.toString(),
        "--format", "vw");
    assertEquals(1, r.exit());
    assertTrue(r.err().contains("holds no example"), r.err());
  }

  @Test
  void aFileOfOnlyMalformedLinesNamesTheFirstInItsLastLine() throws Exception {
    Path csv = temp.resolve("text.csv");
    Files.writeString(csv, "x,carrier\n1,UA\n2,AA\n3,UA\n");
    Result r = run("evaluate", "--config", config().toString(), "--file", csv.toString(),
        "--format", "csv", "--csv-numeric", "x", "--csv-label", "carrier");
    assertEquals(1, r.exit());
    String last = r.err().strip().lines().reduce((a, b) -> b).orElseThrow();
    assertTrue(last.startsWith("gradflow evaluate: text.csv holds no example to evaluate: all"
        + " 3 lines were malformed; the first: line 2: label 'UA' is not a number; text labels"
        + " need --csv-positive"), r.err());
    assertTrue(r.err().contains("text.csv, line 3: label 'AA' is not a number"), r.err());
  }

  @Test
  void onlyACsvTimeColumnGivesTheEventTimes() {
    assertTrue(EvaluateCommand.eventTimesGiven(io.gradflow.jobs.cli.Flag.parse(
        EvaluateCommand.FLAGS, List.of("--format", "csv", "--csv-timestamp", "t"))));
    assertFalse(EvaluateCommand.eventTimesGiven(io.gradflow.jobs.cli.Flag.parse(
        EvaluateCommand.FLAGS, List.of("--format", "csv", "--start-time", "0"))));
    assertFalse(EvaluateCommand.eventTimesGiven(io.gradflow.jobs.cli.Flag.parse(
        EvaluateCommand.FLAGS, List.of("--format", "libsvm"))));
    assertFalse(EvaluateCommand.eventTimesGiven(io.gradflow.jobs.cli.Flag.parse(
        EvaluateCommand.FLAGS, List.of("--format", "vw", "--start-time", "0"))));
  }

  @Test
  void theEpochSecondsAdviceOnlyWhenNoTimeFormatIsGiven() {
    assertTrue(EvaluateCommand.adviseEpochSeconds(io.gradflow.jobs.cli.Flag.parse(
        EvaluateCommand.FLAGS, List.of("--format", "csv", "--csv-timestamp", "t"))));
    for (String format : List.of("epoch-seconds", "epoch-millis", "yyyy-MM-dd")) {
      assertFalse(EvaluateCommand.adviseEpochSeconds(io.gradflow.jobs.cli.Flag.parse(
          EvaluateCommand.FLAGS, List.of("--format", "csv", "--csv-timestamp", "t",
              "--csv-timestamp-format", format))), format);
    }
    assertFalse(EvaluateCommand.adviseEpochSeconds(io.gradflow.jobs.cli.Flag.parse(
        EvaluateCommand.FLAGS, List.of("--format", "csv", "--start-time", "0"))));
  }
}
