package io.gradflow.jobs.validate;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.geom.Line2D;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TimeZone;
import org.apache.commons.text.StringEscapeUtils;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.LegendItem;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.axis.DateAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;
import org.jfree.svg.ViewBox;

/**
 * The HTML report of {@code validate --report}: one self-contained file for people, rendered
 * from the JSON object that {@code validate --json} writes ({@code mode, topic, from, to,
 * records, savepoints: {NAME: {path, examples, learned, log_loss, base_rate_log_loss, auc, rmse,
 * calibration, expected_calibration_error, models: {KEY: {the same metrics, windows: [...], drift_events: [...], rows}}}}},
 * and optionally {@code gate: {passed, message}}, {@link ValidationGate.Result}'s fields).
 *
 * <p>The page holds the run (mode, topic, range, records), the gate's verdict if the report has
 * one, the savepoints' paths, a summary table
 * (one row per savepoint overall, then one per savepoint and model key) and, per model key, one
 * chart per metric side by side: log loss, AUC and expected calibration error per metrics window
 * for the logistic loss, RMSE for the squared loss (a metric is plotted where some window has it). Each chart has one line
 * per savepoint over the replay (x: the example position at the window's end, or its event time)
 * and each savepoint's drift events as dashed vertical markers in its colour. A null value is a
 * gap in the line and {@code n/a} in the table.
 *
 * <p>The charts are JFreeChart's, drawn to SVG by JFreeSVG and inlined: the file needs no script,
 * no font and no style sheet from anywhere, and opens offline. Every string from the report
 * (savepoint names, model keys, paths, topic, range, detectors) is escaped: in the HTML by
 * commons-text's {@link StringEscapeUtils#escapeHtml4}, in the SVG by JFreeSVG, which escapes
 * every string it draws (SVGUtils.escapeForXML).
 *
 * <p>Stateless and thread-safe; the page is built in memory (about 30-60 KB per chart).
 */
public final class HtmlReport {
  /** What the charts' horizontal axis shows. */
  public enum XAxis {
    /** The example position at each metrics window's end ({@code end_example}). */
    EXAMPLES,
    /** The event time at each window's end ({@code end_event_time}, ISO-8601), in UTC. */
    EVENT_TIME
  }

  static final int CHART_WIDTH = 560;
  static final int CHART_HEIGHT = 380;
  /** More drift markers than this in one chart are drawn without labels, which would overlap. */
  static final int MAX_MARKER_LABELS = 12;

  /** The metrics that get a chart, with their titles, in the order they appear. */
  private static final Map<String, String> PLOTTED = new LinkedHashMap<>();
  /** The metrics of the summary table, in the order of validate's JSON. */
  private static final List<String> SUMMARY = List.of("log_loss", "base_rate_log_loss", "auc",
      "rmse", "calibration", "expected_calibration_error");

  static {
    PLOTTED.put("log_loss", "log loss per window");
    PLOTTED.put("auc", "AUC per window");
    PLOTTED.put("rmse", "RMSE per window");
    PLOTTED.put("expected_calibration_error", "expected calibration error per window");
  }

  /** Tableau's 10 colours: distinct in print and for the common colour blindnesses. */
  private static final Color[] PALETTE = {
      new Color(0x4E79A7), new Color(0xF28E2B), new Color(0xE15759), new Color(0x76B7B2),
      new Color(0x59A14F), new Color(0xEDC948), new Color(0xB07AA1), new Color(0xFF9DA7),
      new Color(0x9C755F), new Color(0xBAB0AC)};

  private static final String STYLE = """
      body { font-family: sans-serif; margin: 24px; color: #222; }
      h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
      table { border-collapse: collapse; margin: 8px 0 16px; }
      th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
      td.num { text-align: right; font-variant-numeric: tabular-nums; }
      th { background: #f3f3f3; }
      tr.overall td { font-weight: bold; }
      .charts { display: flex; flex-wrap: wrap; gap: 16px; }
      figure { margin: 0; flex: 0 1 560px; }
      figure svg { width: 100%; height: auto; border: 1px solid #eee; }
      figcaption { font-size: 0.9em; color: #555; }
      p.gate { font-family: monospace; padding: 6px 10px; display: inline-block; }
      p.gate.passed { background: #e6f4e6; border-left: 4px solid #59A14F; }
      p.gate.failed { background: #fbe9e9; border-left: 4px solid #E15759; }
      footer { margin-top: 2em; font-size: 0.8em; color: #777; }
      """;

  private HtmlReport() {}

  /**
   * Writes the report to a new file.
   *
   * @throws FileAlreadyExistsException if {@code html} exists: nothing is overwritten
   */
  public static void write(Map<String, Object> report, XAxis x, Path html) throws IOException {
    Files.writeString(html, render(report, x), StandardCharsets.UTF_8,
        StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
  }

  /** The page with the example position on the charts' horizontal axis. */
  public static String render(Map<String, Object> report) {
    return render(report, XAxis.EXAMPLES);
  }

  /**
   * The page, as one string.
   *
   * @param report validate's JSON object; absent or null values show as {@code n/a}
   * @param x what the charts' horizontal axis shows
   * @throws IllegalArgumentException if {@code report} has no {@code savepoints} object
   */
  public static String render(Map<String, Object> report, XAxis x) {
    System.setProperty("java.awt.headless", "true"); // no display: draw off screen
    Map<String, Map<String, Object>> savepoints = maps(report.get("savepoints"));
    if (savepoints.isEmpty() && !(report.get("savepoints") instanceof Map<?, ?>)) {
      throw new IllegalArgumentException("the report has no savepoints object: " + report.keySet());
    }
    StringBuilder h = new StringBuilder(64 * 1024);
    h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<title>Gradflow validation: ").append(text(report.get("topic")))
        .append("</title>\n<style>\n").append(STYLE).append("</style>\n</head>\n<body>\n")
        .append("<h1>Gradflow validation report</h1>\n");

    h.append("<table class=\"run\">\n");
    for (String key : List.of("mode", "topic", "from", "to", "records")) {
      h.append("<tr><th>").append(key).append("</th><td>").append(text(report.get(key)))
          .append("</td></tr>\n");
    }
    h.append("</table>\n");
    if (report.get("gate") instanceof Map<?, ?> gate && gate.get("message") != null) {
      boolean passed = Boolean.TRUE.equals(gate.get("passed"));
      h.append("<p class=\"gate ").append(passed ? "passed" : "failed").append("\">")
          .append(text(gate.get("message"))).append("</p>\n");
    }

    h.append("<h2>Savepoints</h2>\n<table class=\"savepoints\">\n")
        .append("<tr><th>savepoint</th><th>path</th>");
    // Each savepoint's configuration, when they have their own (one --config per savepoint), and
    // the start of its file's SHA-256 (the JSON has it whole).
    boolean configs = savepoints.values().stream().anyMatch(s -> s.containsKey("config"));
    boolean digests = savepoints.values().stream().anyMatch(s -> s.containsKey("config_sha256"));
    h.append(configs ? "<th>config</th>" : "").append(digests ? "<th>config sha256</th>" : "")
        .append("</tr>\n");
    for (Map.Entry<String, Map<String, Object>> s : savepoints.entrySet()) {
      h.append("<tr><td>").append(text(s.getKey())).append("</td><td>")
          .append(text(s.getValue().get("path")));
      if (configs) {
        h.append("</td><td>").append(text(s.getValue().get("config")));
      }
      if (digests) {
        Object digest = s.getValue().get("config_sha256");
        h.append("</td><td>").append(digest == null ? "n/a" : text(digest.toString()
            .substring(0, Math.min(12, digest.toString().length())) + "\u2026"));
      }
      h.append("</td></tr>\n");
    }
    h.append("</table>\n");

    summary(h, savepoints);

    Set<String> modelKeys = new LinkedHashSet<>();
    savepoints.values().forEach(s -> modelKeys.addAll(maps(s.get("models")).keySet()));
    int chart = 0;
    for (String key : modelKeys) {
      h.append("<section class=\"model\">\n<h2>Model key: ").append(text(key))
          .append("</h2>\n<div class=\"charts\">\n");
      for (Map.Entry<String, String> metric : PLOTTED.entrySet()) {
        if (!plotted(savepoints, key, metric.getKey())) {
          continue;
        }
        String svg = svg(chart(savepoints, key, metric.getKey(), metric.getValue(), x),
            "chart" + chart++);
        h.append("<figure class=\"chart\" data-metric=\"").append(metric.getKey()).append("\">\n")
            .append(svg).append("\n<figcaption>").append(metric.getValue())
            .append(" of model key ").append(text(key)).append(", one line per savepoint;")
            .append(" dashed verticals: drift events</figcaption>\n</figure>\n");
      }
      h.append("</div>\n</section>\n");
    }
    h.append("<footer>Written by gradflow validate. Charts: JFreeChart, drawn to SVG by")
        .append(" JFreeSVG.</footer>\n</body>\n</html>\n");
    return h.toString();
  }

  /** One row per savepoint overall, then one per savepoint and model key. */
  private static void summary(StringBuilder h, Map<String, Map<String, Object>> savepoints) {
    List<String> columns = new ArrayList<>();
    for (String m : SUMMARY) {
      boolean any = savepoints.values().stream().anyMatch(s -> s.get(m) != null
          || maps(s.get("models")).values().stream().anyMatch(k -> k.get(m) != null));
      if (any) {
        columns.add(m);
      }
    }
    h.append("<h2>Summary</h2>\n<table class=\"summary\">\n<tr><th>savepoint</th>")
        .append("<th>model key</th><th>examples</th><th>learned</th>");
    columns.forEach(c -> h.append("<th>").append(c).append("</th>"));
    h.append("<th>rows</th><th>drift events</th></tr>\n");
    for (Map.Entry<String, Map<String, Object>> s : savepoints.entrySet()) {
      Map<String, Map<String, Object>> models = maps(s.getValue().get("models"));
      int drift = models.values().stream().mapToInt(m -> list(m.get("drift_events")).size())
          .sum();
      row(h, "overall", s.getKey(), "(all)", s.getValue(), columns, drift);
      for (Map.Entry<String, Map<String, Object>> m : models.entrySet()) {
        row(h, "model", s.getKey(), m.getKey(), m.getValue(), columns,
            list(m.getValue().get("drift_events")).size());
      }
    }
    h.append("</table>\n");
  }

  private static void row(StringBuilder h, String kind, String savepoint, String key,
      Map<String, Object> metrics, List<String> columns, int drift) {
    h.append("<tr class=\"").append(kind).append("\"><td>").append(text(savepoint))
        .append("</td><td>").append(text(key)).append("</td>");
    List<Object> cells = new ArrayList<>();
    cells.add(metrics.get("examples"));
    cells.add(metrics.get("learned"));
    columns.forEach(c -> cells.add(metrics.get(c)));
    cells.add(metrics.get("rows"));
    cells.add(drift);
    for (Object c : cells) {
      h.append("<td class=\"num\">").append(text(c)).append("</td>");
    }
    h.append("</tr>\n");
  }

  /** Whether some window of this model key, in some savepoint, has the metric. */
  private static boolean plotted(Map<String, Map<String, Object>> savepoints, String key,
      String metric) {
    return savepoints.values().stream()
        .map(s -> maps(s.get("models")).get(key))
        .filter(m -> m != null)
        .flatMap(m -> maps(m.get("windows")).values().stream())
        .anyMatch(w -> w.get(metric) instanceof Number);
  }

  private static JFreeChart chart(Map<String, Map<String, Object>> savepoints, String key,
      String metric, String title, XAxis x) {
    XYSeriesCollection data = new XYSeriesCollection();
    List<ValueMarker> markers = new ArrayList<>();
    int index = 0;
    for (Map.Entry<String, Map<String, Object>> s : savepoints.entrySet()) {
      Color colour = PALETTE[index++ % PALETTE.length];
      XYSeries series = new XYSeries(s.getKey(), false);
      data.addSeries(series);
      Map<String, Object> model = maps(s.getValue().get("models")).get(key);
      if (model == null) {
        continue; // this savepoint has no such model key: an empty line keeps the colours
      }
      for (Map<String, Object> w : maps(model.get("windows")).values()) {
        Double at = x(w, "end_example", "end_event_time", x);
        if (at != null) {
          // null y: a gap in the line where the window has no value
          Number y = w.get(metric) instanceof Number n ? n.doubleValue() : null;
          series.add(at.doubleValue(), y);
        }
      }
      for (Map<String, Object> e : maps(model.get("drift_events")).values()) {
        Double at = x(e, "example", "event_time", x);
        if (at != null) {
          ValueMarker marker = new ValueMarker(at, colour, new BasicStroke(1.5f,
              BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
          marker.setLabel(s.getKey() + ": " + e.get("detector"));
          marker.setLabelPaint(colour);
          marker.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
          marker.setLabelAnchor(RectangleAnchor.TOP_LEFT);
          marker.setLabelTextAnchor(TextAnchor.TOP_LEFT);
          marker.setLabelBackgroundColor(new Color(255, 255, 255, 200));
          // one label row per savepoint: markers at the same place stay readable
          marker.setLabelOffset(new RectangleInsets(4 + 14 * (index - 1), 4, 4, 4));
          markers.add(marker);
        }
      }
    }
    JFreeChart chart = ChartFactory.createXYLineChart(key + ": " + title,
        x == XAxis.EXAMPLES ? "examples" : "event time (UTC)", metric, data,
        PlotOrientation.VERTICAL, true, false, false);
    chart.setBackgroundPaint(Color.WHITE);
    XYPlot plot = chart.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
    if (x == XAxis.EVENT_TIME) {
      DateAxis time = new DateAxis("event time (UTC)");
      time.setTimeZone(TimeZone.getTimeZone("UTC"));
      plot.setDomainAxis(time);
    }
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
    for (int i = 0; i < data.getSeriesCount(); i++) {
      renderer.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
      renderer.setSeriesStroke(i, new BasicStroke(2f));
      // A short replay has a window or two: a line needs two points, so mark each point.
      renderer.setSeriesShapesVisible(i, data.getItemCount(i) < 30);
    }
    plot.setRenderer(renderer);
    boolean labels = markers.size() <= MAX_MARKER_LABELS;
    for (ValueMarker m : markers) {
      if (!labels) {
        m.setLabel(null);
      }
      plot.addDomainMarker(m);
    }
    if (!markers.isEmpty()) {
      LegendItemCollection legend = plot.getLegendItems();
      LegendItem drift = new LegendItem("drift event", null, null, null,
          new Line2D.Double(-7, 0, 7, 0),
          new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
              new float[] {4f, 3f}, 0f), Color.DARK_GRAY);
      legend.add(drift);
      plot.setFixedLegendItems(legend);
    }
    return chart;
  }

  /** A point's horizontal position, or null where the report lacks it or it does not parse. */
  private static Double x(Map<String, Object> point, String exampleKey, String timeKey,
      XAxis x) {
    if (x == XAxis.EXAMPLES) {
      return point.get(exampleKey) instanceof Number n ? n.doubleValue() : null;
    }
    if (!(point.get(timeKey) instanceof String s)) {
      return null;
    }
    try {
      return (double) Instant.parse(s).toEpochMilli();
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** The chart as an {@code <svg>} element; {@code id} prefixes its definitions' ids too. */
  private static String svg(JFreeChart chart, String id) {
    SVGGraphics2D g2 = new SVGGraphics2D(CHART_WIDTH, CHART_HEIGHT);
    g2.setDefsKeyPrefix(id + "-"); // the page holds several SVGs: their clip ids must differ
    chart.draw(g2, new Rectangle2D.Double(0, 0, CHART_WIDTH, CHART_HEIGHT));
    return g2.getSVGElement(id, true, new ViewBox(0, 0, CHART_WIDTH, CHART_HEIGHT), null, null);
  }

  /** A value for an HTML text node or a double-quoted attribute: escaped; numbers for people. */
  private static String text(Object value) {
    if (value == null) {
      return "n/a";
    }
    if (value instanceof Number n) {
      return ValidationGate.format(n.doubleValue(), 4);
    }
    return StringEscapeUtils.escapeHtml4(value.toString());
  }

  /** A JSON object of objects (or a list of objects, keyed by position); empty if absent. */
  @SuppressWarnings("unchecked")
  private static Map<String, Map<String, Object>> maps(Object value) {
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    if (value instanceof Map<?, ?> m) {
      m.forEach((k, v) -> {
        if (v instanceof Map<?, ?>) {
          out.put(String.valueOf(k), (Map<String, Object>) v);
        }
      });
    } else if (value instanceof List<?> l) {
      for (int i = 0; i < l.size(); i++) {
        if (l.get(i) instanceof Map<?, ?>) {
          out.put(Integer.toString(i), (Map<String, Object>) l.get(i));
        }
      }
    }
    return out;
  }

  private static List<?> list(Object value) {
    return value instanceof List<?> l ? l : List.of();
  }
}
