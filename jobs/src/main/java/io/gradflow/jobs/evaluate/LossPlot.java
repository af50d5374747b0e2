package io.gradflow.jobs.evaluate;

import io.gradflow.jobs.cli.Command;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The plot of {@code evaluate --plot}: prequential loss over examples, drawn with JFreeChart (a
 * well-kept chart library, not hand-drawn). For the logistic loss, the prequential log loss up to
 * each metrics window's end, each window's own log loss and its base rate (a running-mean
 * predictor's log loss); for the squared loss, each window's RMSE; one set of lines per race
 * candidate. PNG only: JFreeChart 1.5 has no SVG writer of its
 * own, and a {@code .svg} path is refused with that reason before the run starts. Stateless.
 */
public final class LossPlot {
  static final int WIDTH = 1000;
  static final int HEIGHT = 560;

  private LossPlot() {}

  /** Refuses, before the run, a path this class cannot write. */
  public static void checkPath(String path) {
    String lower = path.toLowerCase(Locale.ROOT);
    if (lower.endsWith(".svg")) {
      throw new Command.UsageException("--plot writes PNG only (JFreeChart 1.5 has no SVG"
          + " writer of its own): name a .png file, but was " + path);
    }
    if (!lower.endsWith(".png")) {
      throw new Command.UsageException("--plot must name a .png file, but was " + path);
    }
  }

  /** Draws the report's windows into a PNG file. */
  @SuppressWarnings("unchecked")
  public static void write(Map<String, Object> report, boolean probabilities, Path png)
      throws IOException {
    System.setProperty("java.awt.headless", "true"); // no display: draw off screen
    Map<String, Object> groups = new LinkedHashMap<>();
    Object candidates = report.get("candidates");
    if (candidates instanceof Map<?, ?> c) {
      groups.putAll((Map<String, Object>) c);
    } else {
      groups.put("", report);
    }
    XYSeriesCollection data = new XYSeriesCollection();
    for (Map.Entry<String, Object> g : groups.entrySet()) {
      String prefix = g.getKey().isEmpty() ? "" : g.getKey() + ": ";
      List<Map<String, Object>> windows =
          (List<Map<String, Object>>) ((Map<String, Object>) g.getValue()).get("windows");
      XYSeries prequential = new XYSeries(prefix + "prequential log loss", false);
      XYSeries window = new XYSeries(prefix + (probabilities ? "window log loss"
          : "window RMSE"), false);
      XYSeries base = new XYSeries(prefix + "window base rate", false);
      for (Map<String, Object> w : windows) {
        double x = ((Number) w.get("end_example")).doubleValue();
        if (probabilities) {
          add(prequential, x, w.get("prequential_log_loss"));
          add(window, x, w.get("log_loss"));
          add(base, x, w.get("base_rate_log_loss"));
        } else {
          add(window, x, w.get("rmse"));
        }
      }
      if (probabilities) {
        data.addSeries(prequential);
      }
      data.addSeries(window);
      if (probabilities && groups.size() == 1) {
        data.addSeries(base);
      }
    }
    JFreeChart chart = ChartFactory.createXYLineChart(
        probabilities ? "Prequential log loss (predict, then learn)" : "RMSE per metrics window",
        "examples", probabilities ? "log loss" : "RMSE", data, PlotOrientation.VERTICAL, true,
        false, false);
    XYPlot plot = chart.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
    ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH, HEIGHT);
  }

  private static void add(XYSeries series, double x, Object y) {
    if (y instanceof Number n) {
      series.add(x, n.doubleValue());
    }
  }
}
