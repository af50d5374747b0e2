package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.kafka.KafkaTestSupport;
import io.gradflow.schema.Prediction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code gradflow export} then {@code gradflow bootstrap} then {@code train --savepoint}, on a
 * MiniCluster against an in-process Kafka broker: a bounded run over the first 1,500 examples
 * of a two-partition topic ends with a savepoint (A); A is exported with its optimizer slots and
 * bootstrapped into a new savepoint (B) by the State Processor API's writer. A job continued
 * from B, reading on from the offsets bootstrap prints, predicts the next 1,000 examples bit for
 * bit as the job continued from A does: export, bootstrap, continue equals continue.
 *
 * <p>A snapshot of weights alone bootstraps with fresh optimizer state and says so; the job
 * continued from it starts warm: its prequential log loss on the next 1,000 examples is below
 * that of the same job started from nothing on them.
 */
class BootstrapITCase extends TrainJobITCase {
  private static final Pattern OFFSETS = Pattern.compile("kafka.starting_offsets: (\\{.*\\})");

  @Test
  void exportThenBootstrapThenContinueEqualsContinue() throws Exception {
    String examples = "bootstrap-history";
    kafka.createTopics(2, examples);
    produce(examples, 31, 0, 1_500, "m1", "m2", "m3");
    Run first = Run.create(examples, "labels");
    assertEquals(0, train(job(first, null), "--final-savepoint",
        temp.resolve("final").toString()), both());
    String savepoint = FinalSavepointITCase.savepointIn(out());
    produce(examples, 31, 1_500, 1_000, "m1", "m2", "m3");

    Run continued = Run.create(examples, "labels");
    assertEquals(0, train(job(continued, null), "--savepoint", savepoint), both());
    Map<String, Double> expected = predictions(continued.predictions(), 1_000);

    Path snapshot = temp.resolve("model.avro");
    assertEquals(0, gradflow("export", "--savepoint", savepoint, "--out", snapshot.toString(),
        "--with-slots"), both());
    Run rebuilt = Run.create(examples, "labels");
    String offsets = bootstrap(snapshot, temp.resolve("bootstrapped"), job(rebuilt, null));
    assertTrue(err().contains("optimizer slots, step counts and session state restored"),
        both());
    assertEquals(0, train(job(rebuilt, offsets), "--savepoint",
        temp.resolve("bootstrapped").toUri().toString()), both());
    assertSameEntries(expected, predictions(rebuilt.predictions(), 1_000),
        "continued from the bootstrapped savepoint against continued from the original");

    Path weights = temp.resolve("weights.avro");
    assertEquals(0, gradflow("export", "--savepoint", savepoint, "--out", weights.toString()),
        both());
    Run warm = Run.create(examples, "labels");
    String warmOffsets = bootstrap(weights, temp.resolve("warm"), job(warm, null));
    assertEquals(offsets, warmOffsets);
    assertTrue(err().contains("the snapshot has no optimizer slots: rows start with fresh"
        + " optimizer state"), both());
    assertEquals(0, train(job(warm, offsets), "--savepoint",
        temp.resolve("warm").toUri().toString()), both());
    Run cold = Run.create(examples, "labels");
    assertEquals(0, train(job(cold, offsets)), both());
    double warmLoss = logLoss(warm.predictions());
    double coldLoss = logLoss(cold.predictions());
    assertTrue(warmLoss < 0.97 * coldLoss, "warm " + warmLoss + " against cold " + coldLoss);
    assertFalse(both().contains("\tat "), both());
  }

  /** Runs bootstrap with the job file of {@code yaml}; returns the starting offsets printed. */
  private String bootstrap(Path snapshot, Path target, String yaml) throws Exception {
    Path config = Files.writeString(Files.createTempFile(temp, "job", ".yaml"), yaml);
    err.reset();
    assertEquals(0, gradflow("bootstrap", "--snapshot", snapshot.toString(), "--out",
        target.toString(), "--config", config.toString()), both());
    Matcher m = OFFSETS.matcher(err());
    assertTrue(m.find(), both());
    return m.group(1);
  }

  /** A bounded job file; with {@code offsets}, it starts reading there. */
  private String job(Run run, String offsets) {
    String yaml = run.yaml("", true) + "\ncheckpoints: {interval: 300ms, directory: "
        + temp.resolve("checkpoints").toUri() + "}\n";
    return offsets == null ? yaml
        : yaml.replace("starting_offsets: earliest", "starting_offsets: " + offsets);
  }

  /** The mean log loss of a topic's learned predictions. */
  private static double logLoss(String topic) throws Exception {
    double sum = 0;
    int n = 0;
    for (var r : KafkaTestSupport.readAll(kafka, topic, 1_000, Duration.ofSeconds(60))) {
      Prediction p = Prediction.getDecoder().decode(r.value());
      double q = Math.min(Math.max(p.getScore(), 1e-15), 1 - 1e-15);
      sum -= p.getLabel() > 0.5 ? Math.log(q) : Math.log(1 - q);
      n++;
    }
    assertEquals(1_000, n);
    return sum / n;
  }
}
