package io.gradflow.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gradflow.jobs.produce.DriftSpec;
import io.gradflow.jobs.produce.TabularGenerator;
import io.gradflow.schema.Example;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gradflow evaluate} with the deep models on a CSV file of the tabular stream (8 numeric
 * columns, the dense inputs, and 2 categorical ones): {@code mlp} and {@code wide_and_deep} run
 * and report their figures, both learn (log loss 5% below the base rate's, AUC above 0.7), and
 * with {@code model.batch_size: 8} a file's batches are cut by size alone, so a second run
 * repeats the first bit for bit while differing from batch size 1.
 */
class DeepEvaluateITCase {
  static final int COUNT = 6_000;

  @TempDir
  Path temp;

  /** The tabular stream as CSV: x0..x7, c0, c1, y. */
  Path tabularCsv() throws Exception {
    TabularGenerator g = new TabularGenerator(new TabularGenerator.Spec(31, 8, 2, 50, 1.0, 0.5,
        -0.3, 1.0, false, 0.5, DriftSpec.NONE, null, 1_700_000_000_000L, 10));
    StringBuilder b = new StringBuilder("x0,x1,x2,x3,x4,x5,x6,x7,c0,c1,y\n");
    for (int i = 0; i < COUNT; i++) {
      Example e = g.next().example();
      for (float x : e.getDense()) {
        b.append(x).append(',');
      }
      b.append(e.getFeatures().get(0).getName()).append(',')
          .append(e.getFeatures().get(1).getName()).append(',')
          .append((int) (float) e.getLabel()).append('\n');
    }
    Path csv = temp.resolve("tabular.csv");
    Files.writeString(csv, b.toString());
    return csv;
  }

  static String yaml(String type, int batchSize) {
    return "model: {type: " + type + ", hash_bits: 18, inputs: 8, hidden: [32, 16], batch_size: "
        + batchSize + (type.equals("wide_and_deep") ? ", factors: 8" : "") + "}\n"
        + "optimizer: {name: Adagrad, lr: 0.1}\n"
        + "metrics: {every: 1000, window: 1000}\n"
        + "state: {backend: hashmap}\n";
  }

  @Test
  void deepModelsRunOnAFileAndReportTheirFigures() throws Exception {
    Path csv = tabularCsv();
    String[] args = {"--file", csv.toString(), "--format", "csv", "--csv-numeric",
        "x0,x1,x2,x3,x4,x5,x6,x7", "--csv-categorical", "c0,c1", "--csv-label", "y"};
    Map<String, JsonNode> runs = new LinkedHashMap<>();
    for (String run : new String[] {"mlp/1", "wide_and_deep/1", "wide_and_deep/8",
        "wide_and_deep/8 again"}) {
      String[] p = run.split("[/ ]");
      EvaluateITCase.Run r = EvaluateITCase.evaluate(temp, yaml(p[0],
          Integer.parseInt(p[1])), args);
      assertTrue(r.out().contains("6,000 scored, 6,000 learned"), run + ": " + r.out());
      runs.put(run, r.json());
    }
    StringBuilder figures = new StringBuilder("evaluate on " + COUNT + " tabular lines:");
    runs.forEach((run, j) -> figures.append(String.format(Locale.ROOT,
        " %s log loss %.4f (base rate %.4f, AUC %.4f);", run, j.get("log_loss").asDouble(),
        j.get("base_rate_log_loss").asDouble(), j.get("auc").asDouble())));
    System.out.println(figures);
    for (Map.Entry<String, JsonNode> e : runs.entrySet()) {
      JsonNode j = e.getValue();
      assertEquals(COUNT, j.get("examples").asLong(), e.getKey());
      assertEquals(COUNT, j.get("learned").asLong(), e.getKey());
      assertEquals(0, j.get("dead_letters").size(), e.getKey());
      assertEquals(COUNT / 1000, j.get("windows").size(), e.getKey());
      double logLoss = j.get("log_loss").asDouble();
      assertTrue(logLoss < 0.95 * j.get("base_rate_log_loss").asDouble(), figures.toString());
      assertTrue(j.get("auc").asDouble() > 0.7, figures.toString());
    }
    // A file's batches are cut by size alone: the same file, the same figures, bit for bit;
    // and batch size 8 is not batch size 1.
    assertEquals(runs.get("wide_and_deep/8").get("windows"),
        runs.get("wide_and_deep/8 again").get("windows"));
    assertEquals(runs.get("wide_and_deep/8").get("log_loss").asDouble(),
        runs.get("wide_and_deep/8 again").get("log_loss").asDouble(), 0.0);
    assertNotEquals(runs.get("wide_and_deep/1").get("log_loss").asDouble(),
        runs.get("wide_and_deep/8").get("log_loss").asDouble());
  }
}
