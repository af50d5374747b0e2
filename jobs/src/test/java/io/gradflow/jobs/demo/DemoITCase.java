package io.gradflow.jobs.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.gradflow.jobs.cli.Main;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gradflow demo} in live mode, in a process of its own, stopped with Ctrl-C (SIGINT): it
 * prints its summary, exits, and leaves no broker files behind. And {@code demo --drift abrupt}
 * with a fixed number of examples: the change is detected and the model recovers.
 */
class DemoITCase {
  @TempDir
  Path temp;

  @Test
  void ctrlCStopsTheLiveDemoWithASummary() throws Exception {
    // A process started in the background by a shell without job control ignores SIGINT, and its
    // children inherit that (the JVM then installs no handler): Ctrl-C cannot be tried there.
    assumeFalse(sigintIgnored(), "SIGINT is ignored in this process (started in the background "
        + "without job control), so the demo would ignore Ctrl-C too; run the tests from a "
        + "foreground shell or a script to try it");
    Path tmp = Files.createDirectories(temp.resolve("tmp"));
    Process demo = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"),
        "io.gradflow.jobs.cli.Main", "demo", "--rate", "5000")
        .redirectErrorStream(true).start();
    StringBuilder output = new StringBuilder();
    CompletableFuture<Void> progressed = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(demo.getInputStream()))) {
        int c;
        while ((c = in.read()) >= 0) {
          synchronized (output) {
            output.append((char) c);
            if (c == '\r' && !progressed.isDone() && examplesShown(output) >= 10_000) {
              progressed.complete(null);
            }
          }
        }
      } catch (Exception e) {
        progressed.completeExceptionally(e);
      }
    });
    reader.start();
    try {
      progressed.get(180, TimeUnit.SECONDS);
      Process kill = new ProcessBuilder("kill", "-INT", Long.toString(demo.pid())).start();
      assertEquals(0, kill.waitFor());
      assertTrue(demo.waitFor(90, TimeUnit.SECONDS), "the demo stopped after Ctrl-C");
      reader.join(10_000);
    } finally {
      demo.destroyForcibly();
    }
    String out;
    synchronized (output) {
      out = output.toString();
    }
    Matcher summary = Pattern.compile(
        "prequential log loss (\\d+\\.\\d+), base rate log loss (\\d+\\.\\d+)").matcher(out);
    assertTrue(summary.find(), out);
    assertTrue(Double.parseDouble(summary.group(1)) < Double.parseDouble(summary.group(2)),
        "the model beats the base rate: " + summary.group());
    assertTrue(Pattern.compile("AUC 0\\.\\d+").matcher(out).find(), out);
    try (var left = Files.list(tmp)) {
      assertTrue(left.noneMatch(p -> p.getFileName().toString().startsWith("gradflow-kafka-")),
          "the broker's directory was removed");
    }
  }

  /**
   * 100,000 examples, the concept changing at 50,000: the demo reports a drift event in a window
   * after the change (windows of 5,000 examples; ADWIN checks every 32 and needs a few hundred
   * examples of a loss this noisy), and the last window's log loss is back within 10% of the
   * last window before the change (the two concepts' truths have the same distribution, so the
   * same loss is reachable; 45,000 examples after the change are 90% of what the model had
   * before it).
   */
  @Test
  void anAbruptDriftIsDetectedAndTheModelRecovers() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = Main.run(new String[] {"demo", "--examples", "100000", "--drift", "abrupt"},
        new ByteArrayInputStream(new byte[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    String text = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, exit, text + err.toString(StandardCharsets.UTF_8));
    assertTrue(text.contains("abrupt drift at example 50,000"), text);
    assertTrue(Pattern.compile("\\| drift events \\d+").matcher(text).find(), text);
    Matcher event = Pattern.compile("in the window ending at example ([\\d,]+): ")
        .matcher(text);
    long afterChange = 0;
    while (event.find()) {
      if (Long.parseLong(event.group(1).replace(",", "")) > 50_000) {
        afterChange++;
      }
    }
    assertTrue(afterChange >= 1, "a drift event after the change:\n" + text);
    Matcher recovery = Pattern.compile("recovery: window log loss (\\d+\\.\\d+) before the first"
        + " change, (\\d+\\.\\d+) in the last window").matcher(text);
    assertTrue(recovery.find(), text);
    double before = Double.parseDouble(recovery.group(1));
    double lastWindow = Double.parseDouble(recovery.group(2));
    assertTrue(lastWindow <= 1.1 * before, "recovered: " + recovery.group());
  }

  /** The examples count of the latest progress line (each line ends with a carriage return). */
  private static long examplesShown(StringBuilder output) {
    int end = output.length() - 1;
    int start = output.lastIndexOf("\r", end - 1) + 1;
    Matcher m = Pattern.compile("examples ([\\d,]+) \\|").matcher(output.substring(start, end));
    long last = 0;
    while (m.find()) {
      last = Long.parseLong(m.group(1).replace(",", ""));
    }
    return last;
  }

  /** Whether SIGINT (signal 2, bit 1 of the mask) is ignored, from Linux's /proc/self/status. */
  private static boolean sigintIgnored() throws IOException {
    Path status = Path.of("/proc/self/status");
    if (!Files.isReadable(status)) {
      return false;
    }
    for (String line : Files.readAllLines(status)) {
      if (line.startsWith("SigIgn:")) {
        return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & 2L) != 0;
      }
    }
    return false;
  }
}
