package io.gradflow.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

  @Test
  void fileFlagsAreProducesOwn() {
    for (var f : ProduceCommand.FILE_FLAGS) {
      assertTrue(EvaluateCommand.FLAGS.contains(f), f.name());
    }
    assertTrue(run("--help").out().contains("evaluate"));
    Result help = run("evaluate", "--help");
    assertTrue(help.out().contains("--csv-label") && help.out().contains("--plot"), help.out());
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
}
