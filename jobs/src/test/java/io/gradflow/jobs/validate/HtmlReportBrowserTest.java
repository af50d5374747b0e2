package io.gradflow.jobs.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.apache.commons.io.FileUtils;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The HTML report in a real browser: Debian's chromium, headless, renders the page to a PNG
 * screenshot, and the screenshot is checked for the plots having been drawn (pixels in each
 * savepoint's line colour; a page with the SVGs taken out, rendered the same way, has none), and
 * its DOM for the model key {@code <script>alert(1)</script>} staying text.
 *
 * <p>Skipped, saying so, where chromium is not installed ({@code apt-get install -y chromium});
 * {@code -Dgradflow.chromium=PATH} names another binary. The page and its screenshots stay in
 * {@code jobs/target/html-report-browser/} to look at.
 */
class HtmlReportBrowserTest {
  /** The line colours of the first two savepoints (HtmlReport's palette: Tableau 10). */
  private static final Color CHAMPION = new Color(0x4E79A7);
  private static final Color CHALLENGER = new Color(0xF28E2B);
  /** Per-channel distance counted as the colour: anti-aliased line edges blend with white. */
  private static final int TOLERANCE = 24;
  /**
   * Pixels of a line colour the charts must show at least: 4 charts with a 2-pixel line across a
   * plot about 450 pixels wide give several thousand; the tables and text have none.
   */
  private static final int MIN_LINE_PIXELS = 1000;

  private String chromium;
  private Path dir;

  @BeforeEach // not @BeforeAll: each test is then reported as skipped, with the reason
  void findChromium() throws IOException {
    String named = System.getProperty("gradflow.chromium");
    chromium = named != null ? named : find("chromium", "chromium-browser");
    Assumptions.assumeTrue(chromium != null && new File(chromium).canExecute(),
        (named != null ? "-Dgradflow.chromium=" + named + " is not an executable" : "chromium is"
        + " not installed (not on PATH)") + ": this test renders the HTML report in a real"
        + " browser; apt-get install -y chromium to run it, or -Dgradflow.chromium=PATH");
    dir = Path.of("target", "html-report-browser").toAbsolutePath();
    Files.createDirectories(dir);
  }

  @Test
  void chartsAreDrawnInARealBrowser() throws Exception {
    String html = HtmlReport.render(HtmlReportTest.report(false, 30));
    BufferedImage page = screenshot("report", html);
    BufferedImage bare = screenshot("report-without-svg", html.replaceAll("(?s)<svg .*?</svg>",
        ""));

    int champion = count(page, CHAMPION);
    int challenger = count(page, CHALLENGER);
    assertTrue(champion >= MIN_LINE_PIXELS, "champion's line pixels: " + champion);
    assertTrue(challenger >= MIN_LINE_PIXELS, "challenger's line pixels: " + challenger);
    // the control: the same page without its SVGs shows neither colour, so the count above
    // comes from the drawn charts
    assertTrue(count(bare, CHAMPION) < 50, "champion's colour without charts: "
        + count(bare, CHAMPION));
    assertTrue(count(bare, CHALLENGER) < 50, "challenger's colour without charts: "
        + count(bare, CHALLENGER));
    assertTrue(colours(page) > 100, "distinct colours: " + colours(page));
  }

  @Test
  void htmlInAModelKeyStaysTextInTheBrowser() throws Exception {
    Path file = dir.resolve("report-dom.html");
    Files.writeString(file, HtmlReport.render(HtmlReportTest.report(false, 10)));
    String dom = run(List.of("--dump-dom", file.toUri().toString()));
    Document doc = Jsoup.parse(dom);
    assertTrue(doc.select("script").isEmpty(), "a script element in the browser's DOM");
    assertFalse(dom.toLowerCase(Locale.ROOT).contains("<script"));
    assertTrue(doc.select("h2").eachText().contains("Model key: " + HtmlReportTest.EVIL),
        doc.select("h2").eachText().toString());
    assertEquals(4, doc.select("figure.chart svg").size());
  }

  /** Renders a page in headless chromium at 1200 x 2000 CSS pixels; returns the PNG. */
  private BufferedImage screenshot(String name, String html) throws Exception {
    Path file = dir.resolve(name + ".html");
    Path png = dir.resolve(name + ".png");
    Files.writeString(file, html);
    Files.deleteIfExists(png);
    run(List.of("--screenshot=" + png, "--window-size=1200,2000", file.toUri().toString()));
    BufferedImage image = ImageIO.read(png.toFile());
    assertTrue(image != null && image.getWidth() >= 1200, "no screenshot in " + png);
    return image;
  }

  /** Runs chromium headless; returns its standard output. */
  private String run(List<String> arguments) throws Exception {
    Path profile = Files.createTempDirectory(dir, "profile"); // a fresh one: no stale lock
    List<String> command = new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox",
        "--disable-gpu", "--hide-scrollbars", "--user-data-dir=" + profile));
    command.addAll(arguments);
    Path log = dir.resolve("chromium.log");
    Path out = dir.resolve("chromium.out");
    Process p = new ProcessBuilder(command).redirectError(log.toFile())
        .redirectOutput(out.toFile()).start();
    try {
      // A guard against a hung browser, not a timing assertion (a run takes 1-3 s here). A page
      // that opens a dialog, as an unescaped <script>alert(1)</script> would, never finishes.
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        throw new AssertionError("chromium did not finish in 60 s (a script dialog blocks the"
            + " page, for one): " + command);
      }
    } finally {
      FileUtils.deleteQuietly(profile.toFile());
    }
    assertEquals(0, p.exitValue(), "chromium failed, see " + log + ": " + command);
    return Files.readString(out, StandardCharsets.UTF_8);
  }

  private static int count(BufferedImage image, Color colour) {
    int n = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        Color c = new Color(image.getRGB(x, y));
        if (Math.abs(c.getRed() - colour.getRed()) <= TOLERANCE
            && Math.abs(c.getGreen() - colour.getGreen()) <= TOLERANCE
            && Math.abs(c.getBlue() - colour.getBlue()) <= TOLERANCE) {
          n++;
        }
      }
    }
    return n;
  }

  private static int colours(BufferedImage image) {
    Set<Integer> seen = new HashSet<>();
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        seen.add(image.getRGB(x, y));
      }
    }
    return seen.size();
  }

  private static String find(String... names) {
    for (String dirName : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      for (String name : names) {
        File f = new File(dirName, name);
        if (f.isFile() && f.canExecute()) {
          return f.getPath();
        }
      }
    }
    return null;
  }
}
