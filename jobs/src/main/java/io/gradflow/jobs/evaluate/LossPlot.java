package io.gradflow.jobs.evaluate;

import io.gradflow.jobs.cli.Command;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Rectangle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;

/**
 * The plot of {@code evaluate --plot}: prequential loss over examples, drawn with JFreeChart (a
 * well-kept chart library, not hand-drawn). For the logistic loss, the prequential log loss up to
 * each metrics window's end, each window's own log loss and its base rate (a running-mean
 * predictor's log loss); for the squared loss, each window's RMSE; one set of lines per race
 * candidate. Drift events are vertical {@link Marker}s with their label.
 *
 * <p>The file's extension chooses the format: {@code .png} through JFreeChart's
 * {@link ChartUtils}, {@code .svg} (UTF-8, no DOCTYPE) through JFreeSVG (JFreeChart's author's {@code Graphics2D}
 * that records SVG elements, so the chart is the same drawing in both). Any other extension is
 * refused before the run ({@link #checkPath}). Both are {@value #WIDTH} x {@value #HEIGHT}
 * pixels. Stateless.
 */
public final class LossPlot {
  static final int WIDTH = 1000;
  static final int HEIGHT = 560;
  static final Color MARKER_COLOR = new Color(0x99, 0x33, 0x33);

  /**
   * A vertical line on the plot, such as a drift event.
   *
   * @param x its position in the plot's x unit (examples, 1-based, as the windows'
   *     {@code end_example})
   * @param label a short label drawn beside the line, such as {@code "adwin: restart_schedule"}
   */
  public record Marker(double x, String label) {
    public Marker {
      if (!Double.isFinite(x)) {
        throw new IllegalArgumentException("a marker's x must be finite, but was " + x);
      }
      Objects.requireNonNull(label, "label");
    }
  }

  /** The formats {@code --plot} writes, by file extension. */
  enum Format { PNG, SVG }

  private LossPlot() {}

  /**
   * The format of a path by its extension (case-insensitive).
   *
   * @throws Command.UsageException naming {@code --plot} for any extension but .png and .svg
   */
  static Format format(String path) {
    String lower = path.toLowerCase(Locale.ROOT);
    if (lower.endsWith(".png")) {
      return Format.PNG;
    }
    if (lower.endsWith(".svg")) {
      return Format.SVG;
    }
    throw new Command.UsageException("--plot must name a .png or .svg file (the extension"
        + " chooses the format), but was " + path);
  }

  /** Refuses, before the run, a path this class cannot write. */
  public static void checkPath(String path) {
    format(path);
  }

  /**
   * Draws the report's windows, with {@code markers}, into {@code file}: PNG or SVG by its
   * extension.
   *
   * @param report the JSON object of {@link EvaluateReport#toMap()} (its {@code windows}, or its
   *     {@code candidates}' windows)
   * @param probabilities the loss predicts probabilities: log loss lines, else RMSE
   * @param markers vertical lines at their x, in examples; may be empty
   * @throws Command.UsageException for an extension other than .png and .svg
   */
  public static void write(Map<String, Object> report, boolean probabilities,
      List<Marker> markers, Path file) throws IOException {
    Format format = format(file.toString());
    JFreeChart chart = chart(report, probabilities, markers);
    if (format == Format.PNG) {
      ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, HEIGHT);
    } else {
      SVGGraphics2D g = new SVGGraphics2D(WIDTH, HEIGHT);
      chart.draw(g, new Rectangle(0, 0, WIDTH, HEIGHT));
      // No DOCTYPE (SVG 2 has none): a reader need not fetch the SVG 1.1 DTD from the network.
      Files.writeString(file, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          + g.getSVGElement() + "\n");
    }
  }

  /**
   * A marker per drift event of a report's JSON object ({@link EvaluateReport#toMap()}): at its
   * {@code example}, labelled {@code "detector: action"}, with the candidate's name first in a
   * race ({@code "adam: adwin: boost_lr"}). A report without {@code drift_events} has none.
   */
  @SuppressWarnings("unchecked")
  public static List<Marker> driftMarkers(Map<String, Object> report) {
    List<Marker> markers = new ArrayList<>();
    groups(report).forEach((name, group) -> {
      Object events = ((Map<String, Object>) group).get("drift_events");
      if (events instanceof List<?> list) {
        for (Object o : list) {
          Map<String, Object> e = (Map<String, Object>) o;
          markers.add(new Marker(((Number) e.get("example")).doubleValue(),
              (name.isEmpty() ? "" : name + ": ") + e.get("detector") + ": " + e.get("action")));
        }
      }
    });
    return markers;
  }

  @SuppressWarnings("unchecked")
  static JFreeChart chart(Map<String, Object> report, boolean probabilities,
      List<Marker> markers) {
    System.setProperty("java.awt.headless", "true"); // no display: draw off screen
    Map<String, Object> groups = groups(report);
    XYSeriesCollection data = new XYSeriesCollection();
    for (Map.Entry<String, Object> g : groups.entrySet()) {
      String prefix = g.getKey().isEmpty() ? "" : g.getKey() + ": ";
      List<Map<String, Object>> windows =
          (List<Map<String, Object>>) ((Map<String, Object>) g.getValue()).get("windows");
      if (probabilities && modelKeys(windows) > 1) {
        // Several model keys: one prequential line each; their windows in turn would zig-zag.
        Map<Object, XYSeries> byKey = new LinkedHashMap<>();
        for (Map<String, Object> w : windows) {
          add(byKey.computeIfAbsent(w.get("model_key"), k -> new XYSeries(k
              + ": prequential log loss", false)), ((Number) w.get("end_example")).doubleValue(),
              w.get("prequential_log_loss"));
        }
        byKey.values().forEach(data::addSeries);
        continue;
      }
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
    addMarkers(plot, markers);
    return chart;
  }

  /** How many model keys the windows are of. */
  private static long modelKeys(List<Map<String, Object>> windows) {
    return windows.stream().map(w -> w.get("model_key")).distinct().count();
  }

  /** The report's model groups: its candidates by name in a race, else itself under "". */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> groups(Map<String, Object> report) {
    Map<String, Object> groups = new LinkedHashMap<>();
    if (report.get("candidates") instanceof Map<?, ?> c) {
      groups.putAll((Map<String, Object>) c);
    } else {
      groups.put("", report);
    }
    return groups;
  }

  /** Dashed vertical lines with their labels, rotated to fit beside the line, at the top. */
  public static void addMarkers(XYPlot plot, List<Marker> markers) {
    for (Marker m : markers) {
      ValueMarker line = new ValueMarker(m.x(), MARKER_COLOR, new BasicStroke(1f,
          BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {4f, 3f}, 0f));
      line.setLabel(m.label());
      line.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
      line.setLabelPaint(MARKER_COLOR);
      line.setLabelBackgroundColor(new Color(255, 255, 255, 0));
      line.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
      line.setLabelTextAnchor(TextAnchor.TOP_LEFT);
      plot.addDomainMarker(line);
    }
  }

  private static void add(XYSeries series, double x, Object y) {
    if (y instanceof Number n) {
      series.add(x, n.doubleValue());
    }
  }
}
