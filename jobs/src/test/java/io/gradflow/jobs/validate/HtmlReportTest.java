package io.gradflow.jobs.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.xml.parsers.DocumentBuilderFactory;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HtmlReportTest {
  static final String EVIL = "<script>alert(1)</script>";
  static final String EVIL_PATH = "/sp/a&b\"c'<d>";

  /**
   * A report in validate's JSON shape: two savepoints, model keys {@code default} and
   * {@link #EVIL}, windows of 100 examples, one drift event per model key.
   *
   * @param squared the squared loss (rmse) instead of the logistic (log loss, AUC)
   */
  static Map<String, Object> report(boolean squared, int windows) {
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("mode", "frozen");
    report.put("topic", "examples<b>");
    report.put("from", "earliest");
    report.put("to", "latest");
    report.put("records", 100L * windows);
    Map<String, Object> savepoints = new LinkedHashMap<>();
    savepoints.put("champion", savepoint("/sp/a", squared, windows, 0.0));
    savepoints.put("challenger", savepoint(EVIL_PATH, squared, windows, 0.05));
    report.put("savepoints", savepoints);
    return report;
  }

  static Map<String, Object> savepoint(String path, boolean squared, int windows, double shift) {
    Map<String, Object> s = metrics(squared, 100L * windows, shift);
    s.put("path", path);
    Map<String, Object> models = new LinkedHashMap<>();
    for (String key : List.of("default", EVIL)) {
      Map<String, Object> m = metrics(squared, 100L * windows, shift);
      List<Map<String, Object>> ws = new ArrayList<>();
      for (int i = 1; i <= windows; i++) {
        Map<String, Object> w = new HashMap<>();
        w.put("end_example", 100L * i);
        w.put("end_event_time", Instant.parse("2020-01-01T00:00:00Z").plusSeconds(100L * i)
            .toString());
        w.put("model_key", key);
        w.put("examples", 100L);
        double v = 0.45 + 0.1 * Math.sin(i / 3.0) + shift;
        if (squared) {
          w.put("rmse", v);
        } else {
          w.put("log_loss", v);
          w.put("base_rate_log_loss", 0.6);
          w.put("auc", 0.85 - 0.1 * Math.cos(i / 4.0) - shift);
          w.put("prequential_log_loss", v);
        }
        ws.add(w);
      }
      m.put("windows", ws);
      Map<String, Object> drift = new HashMap<>();
      long at = 50L * windows + (shift > 0 ? 30L * windows : 0); // the challenger's later
      drift.put("example", at);
      drift.put("event_time", Instant.parse("2020-01-01T00:00:00Z").plusSeconds(at).toString());
      drift.put("detector", "adwin");
      drift.put("action", "none");
      drift.put("model_key", key);
      drift.put("model_step", 50L * windows);
      m.put("drift_events", List.of(drift));
      m.put("rows", 4100L);
      models.put(key, m);
    }
    s.put("models", models);
    return s;
  }

  static Map<String, Object> metrics(boolean squared, long examples, double shift) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("examples", examples);
    m.put("learned", 0L);
    m.put("log_loss", squared ? null : 0.43 + shift);
    m.put("base_rate_log_loss", squared ? null : 0.61);
    m.put("auc", squared ? null : 0.81 - shift);
    m.put("rmse", squared ? 0.3 + shift : null);
    m.put("calibration", 1.02);
    return m;
  }

  @Test
  void logisticReportHasASummaryAndOneChartPerMetricAndModelKey() {
    String html = HtmlReport.render(report(false, 30));
    Document doc = Jsoup.parse(html);
    assertEquals("Gradflow validation: examples<b>", doc.title());

    // 2 model keys x (log loss, AUC), each one <svg> in a figure, a line per savepoint
    List<Element> figures = doc.select("figure.chart");
    assertEquals(4, figures.size());
    assertEquals(List.of("log_loss", "auc", "log_loss", "auc"),
        figures.stream().map(f -> f.attr("data-metric")).toList());
    for (Element f : figures) {
      assertEquals(1, f.select("svg").size());
      String texts = f.select("svg text").eachText().toString();
      assertTrue(texts.contains("champion"), texts);
      assertTrue(texts.contains("challenger"), texts);
      assertTrue(texts.contains("champion: adwin"), texts); // the drift markers' labels
      assertTrue(texts.contains("challenger: adwin"), texts);
      assertTrue(texts.contains("drift event"), texts);
      String svg = f.select("svg").outerHtml();
      // each savepoint's line in its colour (Tableau 10's first two)
      assertTrue(svg.contains("rgb(78,121,167)"), "champion's colour");
      assertTrue(svg.contains("rgb(242,142,43)"), "challenger's colour");
    }
    assertEquals("default: log loss per window", figures.get(0).select("svg text").first().text());

    // summary: per savepoint overall, then per model key; only the metrics some row has
    Element summary = doc.selectFirst("table.summary");
    assertEquals(List.of("savepoint", "model key", "examples", "learned", "log_loss",
        "base_rate_log_loss", "auc", "calibration", "rows", "drift events"),
        summary.select("tr").first().select("th").eachText());
    List<Element> rows = summary.select("tr").subList(1, 7);
    assertEquals(List.of("champion", "(all)", "3000", "0", "0.4300", "0.6100", "0.8100",
        "1.020", "n/a", "2"), rows.get(0).select("td").eachText());
    assertEquals(List.of("challenger", EVIL, "3000", "0", "0.4800", "0.6100", "0.7600",
        "1.020", "4100", "1"), rows.get(5).select("td").eachText());
  }

  /**
   * With calibration bins (the logistic loss's default), the summary has the savepoints' and
   * model keys' expected calibration error, and each model key a chart of it per window.
   */
  @Test
  @SuppressWarnings("unchecked")
  void calibrationErrorIsInTheSummaryAndChartedPerWindow() {
    Map<String, Object> report = report(false, 12);
    Map<String, Map<String, Object>> savepoints =
        (Map<String, Map<String, Object>>) report.get("savepoints");
    double[] overall = {0.0123, 0.0456};
    int i = 0;
    for (Map<String, Object> s : savepoints.values()) {
      s.put("expected_calibration_error", overall[i++]);
      for (Object m : ((Map<String, Object>) s.get("models")).values()) {
        ((Map<String, Object>) m).put("expected_calibration_error", 0.02);
        for (Map<String, Object> w : (List<Map<String, Object>>) ((Map<String, Object>) m)
            .get("windows")) {
          w.put("expected_calibration_error", 0.01 + 0.001 * ((Long) w.get("end_example") / 100));
        }
      }
    }
    Document doc = Jsoup.parse(HtmlReport.render(report));
    assertEquals(List.of("savepoint", "model key", "examples", "learned", "log_loss",
        "base_rate_log_loss", "auc", "calibration", "expected_calibration_error", "rows",
        "drift events"), doc.selectFirst("table.summary tr").select("th").eachText());
    List<Element> rows = doc.select("table.summary tr");
    assertEquals("0.01230", rows.get(1).select("td").get(8).text());
    assertEquals("0.04560", rows.get(4).select("td").get(8).text());
    assertEquals(List.of("log_loss", "auc", "expected_calibration_error", "log_loss", "auc",
        "expected_calibration_error"),
        doc.select("figure.chart").stream().map(f -> f.attr("data-metric")).toList());
    assertEquals("default: expected calibration error per window",
        doc.select("figure.chart").get(2).select("svg text").first().text());
  }

  @Test
  void gateVerdictIsShownWhenTheReportHasOne() {
    Map<String, Object> report = report(false, 5);
    assertTrue(Jsoup.parse(HtmlReport.render(report)).select("p.gate").isEmpty());
    report.put("gate", Map.of("passed", false, "message", "gate failed: " + EVIL));
    Element gate = Jsoup.parse(HtmlReport.render(report)).selectFirst("p.gate");
    assertEquals("gate failed: " + EVIL, gate.text());
    assertTrue(gate.hasClass("failed"));
  }

  @Test
  void squaredLossPlotsRmseOnly() {
    Document doc = Jsoup.parse(HtmlReport.render(report(true, 10)));
    assertEquals(List.of("rmse", "rmse"),
        doc.select("figure.chart").stream().map(f -> f.attr("data-metric")).toList());
    assertEquals(List.of("savepoint", "model key", "examples", "learned", "rmse", "calibration",
        "rows", "drift events"), doc.selectFirst("table.summary tr").select("th").eachText());
  }

  @Test
  void userStringsStayText() throws Exception {
    String html = HtmlReport.render(report(false, 10));
    Document doc = Jsoup.parse(html);
    // no element from a user string: the model key is text in the heading, table and SVG
    assertTrue(doc.select("script").isEmpty());
    assertFalse(html.toLowerCase(Locale.ROOT).contains("<script"));
    assertFalse(html.contains("<b>"));
    assertTrue(doc.select("h2").eachText().contains("Model key: " + EVIL));
    assertTrue(doc.select("table.summary td").eachText().contains(EVIL));
    assertTrue(doc.select("table.savepoints td").eachText().contains(EVIL_PATH));
    assertTrue(doc.select("svg text").eachText().contains(EVIL + ": log loss per window"));

    // every SVG is well-formed XML by itself (a strict parser), with the key as text
    Matcher m = Pattern.compile("<svg .*?</svg>", Pattern.DOTALL).matcher(html);
    int svgs = 0;
    List<String> titles = new ArrayList<>();
    while (m.find()) {
      svgs++;
      DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
      f.setNamespaceAware(true);
      org.w3c.dom.Document svg = f.newDocumentBuilder().parse(
          new ByteArrayInputStream(m.group().getBytes(StandardCharsets.UTF_8)));
      assertEquals(0, svg.getElementsByTagName("script").getLength());
      titles.add(svg.getElementsByTagName("text").item(0).getTextContent());
    }
    assertEquals(4, svgs);
    assertEquals(List.of("default: log loss per window", "default: AUC per window",
        EVIL + ": log loss per window", EVIL + ": AUC per window"), titles);
  }

  @Test
  void pageNeedsNothingFromOutside() {
    String html = HtmlReport.render(report(false, 10));
    Document doc = Jsoup.parse(html);
    assertTrue(doc.select("script, link, img, iframe, object, embed").isEmpty());
    assertTrue(doc.select("[src]").isEmpty());
    // the only references are the SVGs' own clip paths
    Matcher urls = Pattern.compile("url\\(([^)]*)\\)").matcher(html);
    while (urls.find()) {
      assertTrue(urls.group(1).startsWith("#"), urls.group());
    }
    for (Element e : doc.getAllElements()) {
      e.attributes().forEach(a -> assertTrue(!a.getKey().endsWith("href")
          || a.getValue().startsWith("#"), e.outerHtml()));
    }
    assertFalse(html.contains("@import") || html.contains("@font-face"));
    // the SVGs' clip ids are unique across the page
    List<String> ids = doc.select("[id]").eachAttr("id");
    assertEquals(ids.size(), ids.stream().distinct().count(),
        ids.stream().collect(Collectors.groupingBy(i -> i, Collectors.counting())).toString());
  }

  @Test
  void eventTimeAxis() {
    Document doc = Jsoup.parse(HtmlReport.render(report(false, 10), HtmlReport.XAxis.EVENT_TIME));
    List<Element> figures = doc.select("figure.chart");
    assertEquals(4, figures.size());
    for (Element f : figures) {
      String texts = f.select("svg text").eachText().toString();
      assertTrue(texts.contains("event time (UTC)"), texts);
      assertTrue(texts.contains("champion: adwin"), texts);
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void nullsAreGapsAndNotApplicable() {
    Map<String, Object> report = report(false, 10);
    Map<String, Object> champion =
        (Map<String, Object>) ((Map<String, Object>) report.get("savepoints")).get("champion");
    champion.put("auc", null);
    Map<String, Object> model = (Map<String, Object>) ((Map<String, Object>)
        champion.get("models")).get("default");
    for (Map<String, Object> w : (List<Map<String, Object>>) model.get("windows")) {
      w.put("auc", null);
    }
    ((List<Map<String, Object>>) model.get("windows")).get(3).put("log_loss", null);
    Document doc = Jsoup.parse(HtmlReport.render(report));
    assertEquals("n/a", doc.select("table.summary tr").get(1).select("td").get(6).text());
    assertEquals(4, doc.select("figure.chart svg").size());
  }

  /** Each savepoint's config file digest, its start shown; no column without digests. */
  @Test
  void theSavepointsTableShowsEachConfigsDigest() {
    Map<String, Object> report = report(false, 5);
    Element table = Jsoup.parse(HtmlReport.render(report)).selectFirst("table.savepoints");
    assertEquals(List.of("savepoint", "path"), table.select("th").eachText());
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> savepoints =
        (Map<String, Map<String, Object>>) report.get("savepoints");
    savepoints.get("champion").put("config_sha256", "0123456789abcdef".repeat(4));
    table = Jsoup.parse(HtmlReport.render(report)).selectFirst("table.savepoints");
    assertEquals(List.of("savepoint", "path", "config sha256"), table.select("th").eachText());
    assertEquals("0123456789ab\u2026", table.select("tr").get(1).select("td").get(2).text());
    assertEquals("n/a", table.select("tr").get(2).select("td").get(2).text(), "none recorded");
  }

  @Test
  void writeRefusesAnExistingFile(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("report.html");
    HtmlReport.write(report(false, 5), HtmlReport.XAxis.EXAMPLES, out);
    assertTrue(Files.readString(out).startsWith("<!DOCTYPE html>"));
    Files.writeString(out, "mine");
    assertThrows(FileAlreadyExistsException.class,
        () -> HtmlReport.write(report(false, 5), HtmlReport.XAxis.EXAMPLES, out));
    assertEquals("mine", Files.readString(out));
  }
}
