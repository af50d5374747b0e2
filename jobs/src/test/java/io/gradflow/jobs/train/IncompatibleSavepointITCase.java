package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.cli.Main;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.model.CompactExample;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.util.ExceptionUtils;
import org.junit.jupiter.api.Test;

/**
 * A savepoint of one model given to {@code gradflow train --savepoint} with the configuration of
 * another: the trainer refuses it at restore, the job fails once without restarts, and the
 * command prints one line naming the part and both values, exit code 2, no stack trace. A
 * savepoint resumed with a safe change (the learning rate) trains on.
 */
class IncompatibleSavepointITCase extends TrainJobITCase {
  private static final String ADAM = "optimizer: {name: Adam, lr: 0.01}";

  @Test
  void aSavepointOfAnotherModelIsRefusedOnceWithItsMessage() throws Exception {
    String examples = "signature-examples";
    kafka.createTopics(1, examples);
    produce(examples, 17, 0, 2_000, "m1");
    Run first = Run.create(examples, "labels");
    String savepoint = runUntil(config(first.yaml("model: {hash_bits: 20}\n" + ADAM, false),
        temp.resolve("first")), first.predictions(), 2_000, null, temp.resolve("savepoints"));

    Run wider = Run.create(examples, "labels");
    Outcome hashBits = train(wider.yaml("model: {hash_bits: 22}\n" + ADAM, true), savepoint);
    assertEquals(2, hashBits.exit, hashBits.err);
    assertEquals(1, hashBits.count("the savepoint's model has"), hashBits.err);
    assertTrue(hashBits.err.contains("gradflow train: --savepoint " + savepoint + ": the"
        + " savepoint's model has model.hash_bits 20, the configuration says 22: "),
        hashBits.err);

    Run ftrl = Run.create(examples, "labels");
    Outcome optimizer = train(ftrl.yaml("model: {hash_bits: 20}\n"
        + "optimizer: {name: Ftrl, alpha: 0.1}", true), savepoint);
    assertEquals(2, optimizer.exit, optimizer.err);
    assertTrue(optimizer.err.contains("the savepoint's model has optimizer.name Adam, the"
        + " configuration says Ftrl: "), optimizer.err);

    // Once: the failure is marked unrecoverable, so the restart strategy (three attempts) is not
    // consulted and the job's operators start one time only.
    Run once = Run.create(examples, "labels");
    TrainConfig refused = config(once.yaml("model: {hash_bits: 22}\n" + ADAM, true),
        temp.resolve("once"));
    Configuration restore = new Configuration();
    restore.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
    CountOpens.OPENS.set(0);
    Exception failed = assertThrows(Exception.class,
        () -> runBounded(refused, s -> s.map(new CountOpens()), restore));
    assertTrue(ExceptionUtils.findThrowable(failed, SuppressRestartsException.class).isPresent(),
        () -> ExceptionUtils.stringifyException(failed));
    assertFalse(ExceptionUtils.stringifyException(failed).contains("RestartBackoffTimeStrategy"),
        "no restart was attempted");
    assertTrue(CountOpens.OPENS.get() <= 1, "attempts: " + CountOpens.OPENS.get());

    // A new learning rate is a safe change: the model trains on from the savepoint. (Unbounded
    // and stopped with a savepoint: a bounded job restored from a savepoint does not end yet,
    // FLINK-31006.)
    produce(examples, 17, 2_000, 1_000, "m1");
    Run tuned = Run.create(examples, "labels");
    runUntil(config(tuned.yaml("model: {hash_bits: 20}\noptimizer: {name: Adam, lr: 0.05}",
        false), temp.resolve("tuned")), tuned.predictions(), 1_000, savepoint,
        temp.resolve("savepoints"));
  }

  /**
   * A race of a linear and an mlp candidate restored with one candidate's model changed (the
   * linear one turned into the same mlp, or the mlp turned linear): their rows have one layout
   * (a bias row of one weight), so only the model parts tell, and the restore is refused.
   */
  @Test
  void aRaceCandidateWhoseModelChangedIsRefused() throws Exception {
    String examples = "signature-race-examples";
    DeepModelITCase.produceTabular(examples, 1_000);
    String mlp = "{type: mlp, inputs: " + DeepModelITCase.INPUTS + ", hidden: [8]}";
    String race = "model: {hash_bits: 18}\nrace:\n"
        + "  - {name: linear, optimizer: {name: Adagrad, lr: 0.1}}\n"
        + "  - {name: deep, optimizer: {name: Adagrad, lr: 0.1}, model: " + mlp + "}";
    Run first = Run.create(examples, "labels");
    String savepoint = runUntil(config(first.yaml(race, false), temp.resolve("race")),
        first.predictions(), 2_000, null, temp.resolve("race-savepoints"));

    Run changed = Run.create(examples, "labels");
    Outcome outcome = train(changed.yaml(race.replace("lr: 0.1}}", "lr: 0.1}, model: " + mlp
        + "}"), true), savepoint);
    assertEquals(2, outcome.exit, outcome.err);
    assertTrue(outcome.err.contains("the savepoint's model has race[linear].model.type linear"
        + " (logistic_regression or linear_regression), the configuration says mlp"),
        outcome.err);

    // The deep candidate turned linear: the shared model's part (deep's, first by name) tells.
    Run linear = Run.create(examples, "labels");
    outcome = train(linear.yaml(race.replace(", model: " + mlp, ""), true), savepoint);
    assertEquals(2, outcome.exit, outcome.err);
    assertTrue(outcome.err.contains("the savepoint's model has model.type mlp, the configuration"
        + " says linear (logistic_regression or linear_regression)"), outcome.err);
  }

  /** Counts how often the operator before the trainer opens: once per attempt of the job. */
  static final class CountOpens extends RichMapFunction<CompactExample, CompactExample> {
    static final AtomicInteger OPENS = new AtomicInteger();

    @Override
    public void open(OpenContext context) {
      OPENS.incrementAndGet();
    }

    @Override
    public CompactExample map(CompactExample e) {
      return e;
    }
  }

  record Outcome(int exit, String err) {
    long count(String text) {
      return err.split(java.util.regex.Pattern.quote(text), -1).length - 1L;
    }
  }

  private Outcome train(String yaml, String savepoint) throws Exception {
    Path file = Files.createTempFile(temp, "job", ".yaml");
    Files.writeString(file, yaml + "\ncheckpoints: {interval: 300ms, directory: "
        + temp.resolve("checkpoints").toUri() + "}\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = Main.run(new String[] {"train", "--config", file.toString(), "--savepoint",
        savepoint, "--quiet"}, new ByteArrayInputStream(new byte[0]),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    String e = err.toString(StandardCharsets.UTF_8);
    assertFalse(e.contains("\tat "), "no stack trace: " + e);
    if (exit == 2) {
      // Refused at start-up, before any warning about a run that does not start.
      assertFalse(e.contains("input lost while the job was down"), e);
      assertFalse(e.contains("job id "), "no job was started: " + e);
    }
    return new Outcome(exit, e);
  }
}
