package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gradflow.jobs.evaluate.EvaluateITCase;
import io.gradflow.schema.MetricsReport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Issue 10's proof that {@code gradflow evaluate} is the training job: one job file and one data
 * file, run twice through the command line ({@code Main.run}). Once as {@code evaluate --json} on
 * the file; once the real way, {@code produce} of the file (the same mapping flags, the same
 * {@code --start-time}) into a topic of Kafka's own broker, then {@code train} over that topic as
 * a bounded run, its metrics reports read back from the metrics topic ({@code read_committed}).
 *
 * <p>The same operators see the same examples in the same order, so every window's log loss must
 * be the same double, bit for bit, and so must each window's count and the model's step at its
 * end. The JSON combines the windows by importance weight, Kafka's reports carry only their
 * {@code count}: with every weight 1 the two are the same sums in the same order, so the
 * prequential log loss must be bit-equal too; a file with a weight-0 example is compared at
 * 1e-12 (one rounding of {@code x * w / w}). {@code learned} must be what {@code train}'s summary
 * counts and the last report's model step. It lives here, beside the other Kafka ITCases, for
 * {@link TrainJobITCase}'s broker and helpers; the files and the evaluation are
 * {@link EvaluateITCase}'s.
 */
class EvaluateAgainstKafkaITCase extends TrainJobITCase {
  private static final Pattern PREDICTIONS =
      Pattern.compile("predictions +([0-9,]+) scored, ([0-9,]+) learned");

  @Test
  void csv() throws Exception {
    sameLogLossAsTrainThroughKafka("csv", EvaluateITCase.learnableCsv(temp), 0.0,
        EvaluateITCase.CSV_FLAGS);
  }

  @Test
  void libSvm() throws Exception {
    sameLogLossAsTrainThroughKafka("libsvm", EvaluateITCase.learnableLibSvm(temp), 0.0,
        EvaluateITCase.LIBSVM_FLAGS);
  }

  /** Issue 5's file: a weight-0 example is scored in both and learned in neither. */
  @Test
  void vwWithAnImportanceOfZero() throws Exception {
    sameLogLossAsTrainThroughKafka("vw", Path.of("src/test/resources/cases/vw-importance-zero.vw"),
        1e-12, "--format", "vw");
  }

  private void sameLogLossAsTrainThroughKafka(String name, Path file, double tolerance,
      String... mapping) throws Exception {
    Run run = Run.create(name + "-examples", "labels");
    // the Kafka job's file, with evaluate's model, optimizer, metrics windows and state backend
    String yaml = run.yaml(EvaluateITCase.LOGISTIC + "checkpoints: {interval: 300ms}", true)
        .replace("metrics: {every: 2000, window: 2000}\n", "");

    List<String> fileFlags = new ArrayList<>(List.of("--file", file.toString()));
    fileFlags.addAll(List.of(mapping));
    JsonNode json = EvaluateITCase.evaluate(temp, yaml, fileFlags.toArray(String[]::new)).json();

    List<String> produce = new ArrayList<>(List.of("produce", "--bootstrap-servers",
        kafka.bootstrapServers(), "--topic", run.examples(), "--start-time",
        EvaluateITCase.START, "--quiet"));
    produce.addAll(fileFlags);
    assertEquals(0, gradflow(produce.toArray(String[]::new)), this::both);
    assertEquals(0, train(yaml), this::both);
    assertTrue(out().contains("gradflow train: finished"), this::both);
    assertTrue(out().contains("from " + run.examples()), this::both);
    Matcher predictions = PREDICTIONS.matcher(out());
    assertTrue(predictions.find(), this::both);
    long scored = Long.parseLong(predictions.group(1).replace(",", ""));
    long learned = Long.parseLong(predictions.group(2).replace(",", ""));

    JsonNode windows = json.get("windows");
    List<MetricsReport> reports = metrics(run.metrics(), windows.size(), Duration.ofSeconds(60));
    assertEquals(windows.size(), reports.size(), () -> "reports " + reports);
    double count = 0;
    double logLoss = 0;
    for (int i = 0; i < reports.size(); i++) {
      MetricsReport r = reports.get(i);
      JsonNode w = windows.get(i);
      String where = name + " window " + i + ": " + w + " vs " + r;
      assertEquals(w.get("log_loss").asDouble(), r.getLogLoss(), 0.0, where);
      assertEquals(w.get("examples").asLong(), r.getCount(), where);
      if (r.getCount() > 0 && r.getLogLoss() != null) {
        count += r.getCount();
        logLoss += r.getLogLoss() * r.getCount();
      }
    }
    double prequential = logLoss / count;
    System.out.printf("%s: evaluate log loss %s, train through Kafka %s (difference %s), %d"
        + " windows, %d examples, %d learned%n", name, json.get("log_loss").asDouble(),
        prequential, json.get("log_loss").asDouble() - prequential, reports.size(), scored,
        learned);
    assertEquals(prequential, json.get("log_loss").asDouble(), tolerance);
    assertEquals(scored, json.get("examples").asLong());
    assertEquals(learned, json.get("learned").asLong());
    assertEquals(learned, reports.get(reports.size() - 1).getModelStep());
  }
}
