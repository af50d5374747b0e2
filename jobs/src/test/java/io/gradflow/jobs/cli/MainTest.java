package io.gradflow.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String stdin, String... args) {
    return Main.run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void helpListsEveryCommandFromTheTable() {
    assertEquals(0, run("", "--help"));
    for (Command c : Main.COMMANDS) {
      assertTrue(out().contains(c.name()), c.name());
    }
  }

  /** A choice flag's default, as help shows it, is written as one of its choices. */
  @Test
  void everyChoiceDefaultIsOneOfTheChoicesAsWritten() {
    java.util.regex.Pattern choice = java.util.regex.Pattern.compile(
        "^\\s+--(\\S+) (\\S+\\|\\S+)\\s.*\\(default ([^)]+)\\)$");
    int checked = 0;
    for (Command c : Main.COMMANDS) {
      out.reset();
      run("", c.name(), "--help");
      for (String line : out().split("\n")) {
        java.util.regex.Matcher m = choice.matcher(line);
        if (m.matches()) {
          checked++;
          assertTrue(java.util.List.of(m.group(2).split("\\|")).contains(m.group(3)),
              c.name() + " --" + m.group(1) + ": " + line);
        }
      }
    }
    assertTrue(checked >= 5, checked + " choice flags with a default");
  }

  @Test
  void noCommandIsAUsageError() {
    assertEquals(2, run(""));
    assertTrue(err().contains("gradflow: a command is needed"), err());
    assertTrue(err().contains("usage: gradflow COMMAND"), err());
    assertEquals("", out());
  }

  @Test
  void aConfigThatIsADirectoryIsNamedSo(@TempDir Path dir) {
    assertEquals(2, run("", "train", "--config", dir.toString()));
    assertTrue(err().contains("--config names a directory, not a job file: " + dir), err());
    assertTrue(!err().contains("IOException"), err());
  }

  @Test
  void aValidateHelpNamesItsRepeatedValues() {
    assertEquals(0, run("", "validate", "--help"));
    assertTrue(out().contains("--savepoint PATH "), out());
    assertTrue(out().contains("--name NAME "), out());
    assertTrue(out().contains("--config FILE "), out());
    assertTrue(!out().contains("--savepoint K=V"), out());
  }

  @Test
  void anUnknownCommandIsAUsageError() {
    assertEquals(2, run("", "tran"));
    assertTrue(err().contains("unknown command 'tran'"));
  }

  @Test
  void optimReplayReadsAFileAndPrintsTrajectories(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("cases.json");
    Files.writeString(file, """
        {"cases":[{"optimizer":"Adagrad","hyperparameters":{"lr":1.0},"initial":[1.0],
          "gradients":[[2.0]]}]}""");
    assertEquals(0, run("", "optim-replay", file.toString()));
    // s = 4, w = 1 - 1 * 2 / (2 + 1e-10)
    assertEquals("{\"cases\":[{\"trajectory\":[[0.0]]}]}", out().trim());
  }

  @Test
  void optimReplayReadsStdin() {
    assertEquals(0, run("{\"cases\":[]}", "optim-replay", "-"));
    assertEquals("{\"cases\":[]}", out().trim());
  }

  @Test
  void optimReplayNamesAMissingFileAndBadJson(@TempDir Path dir) throws Exception {
    assertEquals(2, run("", "optim-replay", dir.resolve("nope.json").toString()));
    assertTrue(err().contains("no such file"), err());
    Path bad = dir.resolve("bad.json");
    Files.writeString(bad, "{\"cases\": [");
    assertEquals(2, run("", "optim-replay", bad.toString()));
    assertTrue(err().contains("is not valid JSON"), err());
    err.reset();
    assertEquals(2, run("{\"cases\": [", "optim-replay", "-"));
    assertTrue(err().contains("stdin is not valid JSON: line 1, column 12: unexpected"
        + " end-of-input: expected close marker for Array (opened at line 1, column 11)"), err());
    assertTrue(!err().contains("Source") && !err().contains("INCLUDE_SOURCE"), err());
    assertEquals(2, run("", "optim-replay"));
    assertTrue(err().contains("expected one argument"), err());
  }

  @Test
  void aMissingConfigFileIsOneLineWithoutAStackTrace(@TempDir Path dir) {
    assertEquals(2, run("", "train", "--config", dir.resolve("nope.yaml").toString()));
    assertTrue(err().contains("gradflow train: --config " + dir.resolve("nope.yaml")
        + ": no such file"), err());
    assertTrue(!err().contains("\tat "), err());
  }

  @Test
  void aYamlSyntaxErrorNamesTheLineButNotItsText(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("job.yaml");
    Files.writeString(file, "kafka:\n  bootstrap_servers: localhost:9092\n"
        + "  properties: {sasl.jaas.config: \"password=hunter2\"\n  topics: [x\n");
    assertEquals(2, run("", "train", "--config", file.toString()));
    assertTrue(err().contains("not valid YAML"), err());
    assertTrue(!err().contains("hunter2"), "a secret was printed: " + err());
    assertTrue(!err().contains("\tat "), err());
  }

  @Test
  void consumeNeedsItsTopic() {
    assertEquals(2, run("", "consume", "--bootstrap-servers", "localhost:1"));
    assertTrue(err().contains("--topic is required"), err());
    assertEquals(2, run("", "consume", "--topic", "t"));
    assertTrue(err().contains("--bootstrap-servers (or --config) is required"), err());
  }

  @Test
  void userErrorsPrintOneLineAndBugsATrace() {
    PrintStream stream = new PrintStream(err, true, StandardCharsets.UTF_8);
    assertEquals(1, Main.failure("train", new UserException("no Kafka broker answered"), stream));
    assertEquals(2, Main.failure("train", new java.util.concurrent.ExecutionException(
        new java.nio.file.NoSuchFileException("data.csv")), stream));
    assertEquals(1, Main.failure("train",
        new org.apache.kafka.common.errors.UnknownTopicOrPartitionException("no topic x"),
        stream));
    assertTrue(err().contains("gradflow train: no Kafka broker answered"), err());
    assertTrue(err().contains("gradflow train: data.csv: no such file"), err());
    assertTrue(!err().contains("\tat "), err());
    assertEquals(1, Main.failure("train", new IllegalStateException("boom"), stream));
    assertTrue(err().contains("a bug in Gradflow"), err());
    assertTrue(err().contains("\tat "), "a bug shows its trace: " + err());
  }

  @Test
  void aSavepointWithStateOfAnotherJobsOperatorIsTheUsersToFix() {
    PrintStream stream = new PrintStream(err, true, StandardCharsets.UTF_8);
    // Flink 2.2.1's refusal as Checkpoints.loadAndValidateCheckpoint words it, wrapped as a
    // MiniCluster's submission wraps it.
    Throwable flink = new org.apache.flink.runtime.client.JobExecutionException(
        new org.apache.flink.api.common.JobID(), "Could not set up JobManager",
        new IllegalStateException("Failed to rollback to checkpoint/savepoint file:/tmp/sp-1."
            + " Cannot map checkpoint/savepoint state for operator"
            + " cbc357ccb763df2852fee8c4fc7d55f2 to the new program, because the operator is not"
            + " available in the new program. If you want to allow to skip this, you can set the"
            + " --allowNonRestoredState option on the CLI."));
    assertEquals(2, Main.failure("train", new java.util.concurrent.ExecutionException(
        new RuntimeException(flink)), stream));
    assertTrue(err().contains("gradflow train: the savepoint holds state of an operator this job"
        + " does not have (operator id cbc357ccb763df2852fee8c4fc7d55f2)"), err());
    assertTrue(!err().contains("\tat ") && !err().contains("a bug"), err());
    assertTrue(io.gradflow.jobs.cli.RestoreRefusal.in(new IllegalStateException("boom")).isEmpty());
  }

  @Test
  void aParallelismAboveTheSavepointsMaxParallelismIsTheUsersToFix() {
    PrintStream stream = new PrintStream(err, true, StandardCharsets.UTF_8);
    // Flink 2.2.1's refusal as StateAssignmentOperation.checkParallelismPreconditions words it,
    // wrapped as a MiniCluster's job result wraps a failed restore.
    Throwable flink = new org.apache.flink.runtime.client.JobInitializationException(
        new org.apache.flink.api.common.JobID(), "Could not start the JobMaster.",
        new IllegalStateException("The state for task 0a448493b4782967b150582570326227 can not"
            + " be restored. The maximum parallelism (128) of the restored state is lower than"
            + " the configured parallelism (129). Please reduce the parallelism of the task to be"
            + " lower or equal to the maximum parallelism."));
    assertEquals(2, Main.failure("train", new java.util.concurrent.ExecutionException(
        new RuntimeException(flink)), stream));
    assertTrue(err().contains("gradflow train: the savepoint's state has max parallelism 128,"
        + " below job.parallelism 129: "), err());
    assertTrue(err().contains("set job.parallelism to 128 or less"), err());
    assertTrue(!err().contains("\tat ") && !err().contains("a bug"), err());
    assertEquals(1, err().lines().count(), err());
  }

  @Test
  void aSavepointPathTheClusterCannotFindIsTheUsersToFix() {
    PrintStream stream = new PrintStream(err, true, StandardCharsets.UTF_8);
    // Flink 2.2.1's words (AbstractFsCheckpointStorageAccess.resolveCheckpointPointer), as a
    // cluster's submission under flink run wraps them.
    Throwable missing = new org.apache.flink.util.FlinkException("Failed to execute job 'ops'.",
        new RuntimeException("org.apache.flink.runtime.client.JobInitializationException:"
            + " Could not start the JobMaster.", new java.io.FileNotFoundException("Cannot find"
            + " checkpoint or savepoint file/directory 'file:/tmp/ops/nope/savepoint-xyz' on file"
            + " system 'file'.")));
    assertEquals(2, Main.failure("train", missing, stream));
    assertEquals("gradflow train: no savepoint or checkpoint at file:/tmp/ops/nope/savepoint-xyz"
        + " where the cluster looks: give the directory of a savepoint or of a retained checkpoint"
        + " (chk-N), or its _metadata file, on a file system the JobManager reads",
        err().strip());
    assertTrue(refused(noMetadata("file:/tmp/ops/empty"))
        .startsWith("gradflow train: file:/tmp/ops/empty holds no _metadata file"), err());
  }

  /** A path may hold an apostrophe, which Flink quotes as it is: the whole path is named. */
  @Test
  void aSavepointPathWithAnApostropheIsNamedWhole() {
    assertTrue(refused(notFound("file:/data/bob's models/savepoint-xyz"))
        .startsWith("gradflow train: no savepoint or checkpoint at file:/data/bob's"
            + " models/savepoint-xyz where the cluster looks: "), err());
    assertTrue(refused(noMetadata("file:/data/o'neil/empty"))
        .startsWith("gradflow train: file:/data/o'neil/empty holds no _metadata file"), err());
  }

  /** Flink 2.2.1's words for a path where nothing is (resolveCheckpointPointer). */
  private static Throwable notFound(String path) {
    return new java.io.FileNotFoundException("Cannot find checkpoint or savepoint"
        + " file/directory '" + path + "' on file system 'file'.");
  }

  /** Flink 2.2.1's words for a directory without _metadata (resolveCheckpointPointer). */
  private static Throwable noMetadata(String directory) {
    return new java.io.FileNotFoundException("Cannot find meta data file '_metadata' in"
        + " directory '" + directory + "'. Please try to load the checkpoint/savepoint directly"
        + " from the metadata file instead of the directory.");
  }

  /** What train says when its submission failed with {@code cause}: exit 2, one line. */
  private String refused(Throwable cause) {
    err.reset();
    assertEquals(2, Main.failure("train", new org.apache.flink.util.FlinkException(
        "Failed to execute job 'ops'.", cause), new PrintStream(err, true,
        StandardCharsets.UTF_8)));
    assertEquals(1, err().lines().count(), err());
    return err().strip();
  }

  @Test
  void aJobThatFailedOnABugKeepsItsCausesTrace() {
    PrintStream stream = new PrintStream(err, true, StandardCharsets.UTF_8);
    assertEquals(1, Main.failure("train", new UserException("the job failed: boom",
        new IllegalStateException("boom")), stream));
    assertTrue(err().contains("gradflow train: the job failed: boom"), err());
    assertTrue(err().contains("java.lang.IllegalStateException: boom"), err());
    assertTrue(err().contains("\tat "), "the cause's trace, for a report: " + err());
  }
}
