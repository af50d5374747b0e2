package io.gradflow.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.cli.Command;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

/** The loss plot in both formats, with drift markers, from a report's JSON object. */
class LossPlotTest {
  @TempDir
  Path temp;

  static Map<String, Object> report() {
    List<Map<String, Object>> windows = new ArrayList<>();
    double sum = 0;
    for (int i = 1; i <= 20; i++) {
      double loss = i == 11 ? 0.9 : 0.5 - 0.005 * i;
      sum += loss;
      Map<String, Object> w = new LinkedHashMap<>();
      w.put("end_example", i * 500L);
      w.put("log_loss", loss);
      w.put("base_rate_log_loss", 0.6);
      w.put("prequential_log_loss", sum / i);
      windows.add(w);
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("windows", windows);
    return report;
  }

  /** Several model keys: one prequential line per key, no window lines zig-zagging between. */
  @Test
  @SuppressWarnings("unchecked")
  void severalModelKeysDrawOnePrequentialLineEach() {
    Map<String, Object> report = report();
    List<Map<String, Object>> windows = (List<Map<String, Object>>) report.get("windows");
    for (int i = 0; i < windows.size(); i++) {
      windows.get(i).put("model_key", i % 2 == 0 ? "de" : "fr");
    }
    org.jfree.data.xy.XYDataset data = LossPlot.chart(report, true, List.of()).getXYPlot()
        .getDataset();
    assertEquals(2, data.getSeriesCount());
    assertEquals("de: prequential log loss", data.getSeriesKey(0));
    assertEquals("fr: prequential log loss", data.getSeriesKey(1));
    assertEquals(10, data.getItemCount(0));
    assertEquals(3, LossPlot.chart(report(), true, List.of()).getXYPlot().getDataset()
        .getSeriesCount());
  }

  static final List<LossPlot.Marker> MARKERS =
      List.of(new LossPlot.Marker(5_020, "adwin: restart_schedule"));

  @Test
  void svgIsXmlWithTheSeriesAndTheMarkerLabel() throws Exception {
    Path svg = temp.resolve("loss.SVG");
    LossPlot.write(report(), true, MARKERS, svg);
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(true);
    Document doc = f.newDocumentBuilder().parse(svg.toFile());
    assertEquals("svg", doc.getDocumentElement().getLocalName());
    StringBuilder text = new StringBuilder();
    NodeList texts = doc.getElementsByTagNameNS("*", "text");
    for (int i = 0; i < texts.getLength(); i++) {
      text.append(texts.item(i).getTextContent()).append('\n');
    }
    String all = text.toString();
    for (String s : List.of("prequential log loss", "window log loss", "window base rate",
        "adwin: restart_schedule", "examples")) {
      assertTrue(all.contains(s), s + " in\n" + all);
    }
    // The lines are drawn as paths, beyond the axes' and the legend's.
    assertTrue(doc.getElementsByTagNameNS("*", "path").getLength()
        + doc.getElementsByTagNameNS("*", "polyline").getLength() > 3);
  }

  @Test
  void theMarkerIsDrawnInThePng() throws Exception {
    Path with = temp.resolve("with.png");
    Path without = temp.resolve("without.png");
    LossPlot.write(report(), true, MARKERS, with);
    LossPlot.write(report(), true, List.of(), without);
    BufferedImage a = ImageIO.read(with.toFile());
    BufferedImage b = ImageIO.read(without.toFile());
    assertEquals(LossPlot.WIDTH, a.getWidth());
    assertEquals(LossPlot.HEIGHT, a.getHeight());
    assertEquals(LossPlot.WIDTH, b.getWidth());
    // Same chart, same axes (the marker sits inside the data's range): only the marker's
    // pixels differ, and they turned towards the marker's dark red (anti-aliased).
    int differing = 0;
    int redder = 0;
    for (int y = 0; y < a.getHeight(); y++) {
      for (int x = 0; x < a.getWidth(); x++) {
        if (a.getRGB(x, y) != b.getRGB(x, y)) {
          differing++;
          if (redness(a.getRGB(x, y)) > redness(b.getRGB(x, y))) {
            redder++;
          }
        }
      }
    }
    assertTrue(differing > 100, "the marker changed " + differing + " pixels");
    assertTrue(redder > differing * 0.8, redder + " of " + differing + " turned redder");
  }

  /** Red minus the mean of green and blue. */
  private static int redness(int rgb) {
    return ((rgb >> 16) & 0xff) - (((rgb >> 8) & 0xff) + (rgb & 0xff)) / 2;
  }

  @Test
  void aPngWithoutMarkersIsAPng() throws Exception {
    Path png = temp.resolve("loss.png");
    LossPlot.write(report(), true, List.of(), png);
    byte[] head = new byte[8];
    System.arraycopy(Files.readAllBytes(png), 0, head, 0, 8);
    assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, head);
  }

  @Test
  void anotherExtensionIsRefusedNamingTheFlag() {
    for (String name : List.of("loss.jpg", "loss", "loss.svg.gz")) {
      Command.UsageException e = assertThrows(Command.UsageException.class,
          () -> LossPlot.write(report(), true, MARKERS, temp.resolve(name)));
      assertTrue(e.getMessage().startsWith("--plot must name a .png or .svg file"),
          e.getMessage());
      assertTrue(e.getMessage().contains(name), e.getMessage());
      assertTrue(!Files.exists(temp.resolve(name)));
    }
  }

  @Test
  void driftEventsOfTheJsonBecomeMarkers() {
    Map<String, Object> report = report();
    assertEquals(List.of(), LossPlot.driftMarkers(report));
    report.put("drift_events", List.of(Map.of("example", 5_020L, "detector", "adwin",
        "action", "restart_schedule", "event_time", "2020-01-01T00:00:00Z")));
    assertEquals(MARKERS, LossPlot.driftMarkers(report));
    Map<String, Object> race = new LinkedHashMap<>();
    race.put("candidates", new LinkedHashMap<>(Map.of("adam", report)));
    assertEquals(List.of(new LossPlot.Marker(5_020, "adam: adwin: restart_schedule")),
        LossPlot.driftMarkers(race));
  }

  @Test
  void aMarkerNeedsAFinitePosition() {
    assertThrows(IllegalArgumentException.class, () -> new LossPlot.Marker(Double.NaN, "x"));
  }
}
