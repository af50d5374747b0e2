package io.gradflow.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Log loss, AUC (with ties and weights) and RMSE against scikit-learn's {@code log_loss},
 * {@code roc_auc_score} and {@code mean_squared_error} (see golden/metrics_generate.py), for the
 * functions themselves and for both views of {@link PrequentialMetrics}. Both sides sum a few
 * hundred doubles in different orders, and the fading view multiplies by alpha recursively where
 * the script takes {@code alpha^age}: the tolerance is 1e-10, relative to the value plus absolute.
 */
class MetricsGoldenTest {
  private static final double TOLERANCE = 1e-10;

  record Case(String name, boolean binary, int window, double alpha, double[] predictions,
      double[] labels, double[] weights, JsonNode full, JsonNode tail, JsonNode fading) {
    double weight(int i) {
      return weights == null ? 1 : weights[i];
    }

    int size() {
      return predictions.length;
    }
  }

  private static List<Case> cases() throws Exception {
    JsonNode root;
    try (InputStream in = MetricsGoldenTest.class.getResourceAsStream("/golden/metrics.json")) {
      root = new ObjectMapper().readTree(in);
    }
    List<Case> cases = new ArrayList<>();
    for (JsonNode c : root.get("cases")) {
      cases.add(new Case(c.get("name").asText(), c.get("kind").asText().equals("binary"),
          c.get("window").asInt(), c.get("alpha").asDouble(), doubles(c.get("predictions")),
          doubles(c.get("labels")), c.get("weights").isNull() ? null : doubles(c.get("weights")),
          c.get("full"), c.get("tail"), c.get("fading")));
    }
    return cases;
  }

  private static double[] doubles(JsonNode array) {
    double[] out = new double[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asDouble();
    }
    return out;
  }

  private static void close(JsonNode expected, String field, double actual, String what) {
    double want = expected.get(field).asDouble();
    assertEquals(want, actual, TOLERANCE * (1 + Math.abs(want)), what + " " + field);
  }

  @TestFactory
  Stream<DynamicTest> functionsMatchScikitLearn() throws Exception {
    return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
      int n = c.size();
      double weight = 0;
      double logLoss = 0;
      double squares = 0;
      for (int i = 0; i < n; i++) {
        weight += c.weight(i);
        squares += c.weight(i) * Math.pow(c.predictions()[i] - c.labels()[i], 2);
        if (c.binary()) {
          logLoss += c.weight(i) * LogLoss.of(c.predictions()[i], c.labels()[i]);
        }
      }
      close(c.full(), "mse", squares / weight, "full");
      if (c.binary()) {
        close(c.full(), "log_loss", logLoss / weight, "full");
        close(c.full(), "roc_auc", Auc.of(c.predictions(), c.labels(), c.weights(), n), "full");
      }
    }));
  }

  private static PrequentialMetrics feed(Case c, MetricsSpec spec, int reportAfter) {
    PrequentialMetrics metrics = new PrequentialMetrics(spec, c.binary());
    for (int i = 0; i < c.size(); i++) {
      if (i == reportAfter) {
        metrics.report();
      }
      assertTrue(metrics.record(c.predictions()[i], c.labels()[i], c.weight(i)));
    }
    return metrics;
  }

  private static void assertView(MetricsSnapshot.View view, JsonNode expected, boolean binary,
      JsonNode expectedAuc, String what) {
    close(expected, "mse", view.rmse() * view.rmse(), what);
    close(expected, "mean_prediction", view.meanPrediction(), what);
    close(expected, "mean_label", view.meanLabel(), what);
    if (binary) {
      close(expected, "log_loss", view.logLoss(), what);
      close(expectedAuc, "roc_auc", view.auc(), what);
    } else {
      assertTrue(Double.isNaN(view.logLoss()) && Double.isNaN(view.auc()));
    }
  }

  @TestFactory
  Stream<DynamicTest> bothViewsMatchScikitLearn() throws Exception {
    return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
      MetricsSpec spec = new MetricsSpec(c.window(), c.alpha(), 10);
      // No report yet: the windowed view is every record, its AUC the last N of them.
      MetricsSnapshot all = feed(c, spec, -1).snapshot();
      assertView(all.windowed(), c.full(), c.binary(), c.tail(), "windowed, all");
      assertView(all.fading(), c.fading(), c.binary(), c.fading(), "fading");
      assertEquals(c.size(), all.windowed().count());
      assertEquals(c.size(), all.examples());

      // A report N records before the end: the windowed view is exactly the tail; the fading
      // view does not notice reports.
      MetricsSnapshot tail = feed(c, spec, c.size() - c.window()).snapshot();
      assertView(tail.windowed(), c.tail(), c.binary(), c.tail(), "windowed, tail");
      assertEquals(all.fading(), tail.fading());
      assertEquals(c.window(), tail.windowed().count());
    }));
  }
}
