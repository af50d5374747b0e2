package io.gradflow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradflow.jobs.evaluate.EvaluateCommand;
import io.gradflow.jobs.evaluate.LossPlot;
import java.awt.Color;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The drift benchmark ({@code bench/run-drift.sh}): prequential log loss and recovery after
 * each change point, for Gradflow's AdaGrad, Adam and FTRL with no adaptation and with each
 * drift policy, and for MOA's SGD and Hoeffding Adaptive Tree, on the streams of
 * {@link DriftStreams}, in one JVM.
 *
 * <p>Gradflow runs through {@link EvaluateCommand#run}, in process: the command a user runs
 * ({@code gradflow evaluate --json}), the job's own operators on a local MiniCluster, without a
 * JVM start per run; its JSON's {@code log_loss}, {@code windows} and {@code drift_events} are
 * read back. Each run is a race of the three optimizers (one model key each, the same examples
 * in the same order) under one {@code drift} section. Variants: {@code none} (no drift section);
 * {@code reset_slots}, {@code decay_slots}, {@code boost_lr} (ADWIN with its defaults on the
 * loss, that action); {@code slot_decay} (no detector: every row's accumulated slots decay by
 * {@value #SLOT_DECAY} before each of its updates); {@code restart_schedule} needs a schedule that decays, so it runs with an
 * inverse-time schedule (rate x (1 + t / 1000)^-0.5) and is compared with {@code none-inv}, the
 * same schedule without a drift section. MOA's peers run in {@link MoaPeers}.
 *
 * <p>Writes {@code drift.md} (the tables), {@code drift.csv} (one row per run and change point)
 * and {@code drift.png} (window log loss over examples, one panel per stream) under the results
 * directory, and prints the verdict. Arguments: {@code [examples [results-dir [variants]]]}.
 */
public final class DriftBench {
  static final int WINDOW = 1000;
  /** The slot_decay variant's keep factor per row update: a memory of about 1,000 updates. */
  static final double SLOT_DECAY = 0.999;
  static final List<String> OPTIMIZERS = List.of("adagrad", "adam", "ftrl");
  static final List<String> ALL_VARIANTS = List.of("none", "reset_slots", "decay_slots",
      "boost_lr", "slot_decay", "none-inv", "restart_schedule");

  /** One learner's run on one stream under one variant. */
  record Run(String stream, String learner, String variant, double logLoss, double accuracy,
      long[] ends, double[] windows, long[] detections, double seconds, String failure) {}

  private DriftBench() {}

  public static void main(String[] args) throws Exception {
    long n = args.length > 0 ? Long.parseLong(args[0]) : 60_000;
    Path results = Path.of(args.length > 1 ? args[1] : "bench/results");
    List<String> variants = args.length > 2 ? List.of(args[2].split(",")) : ALL_VARIANTS;
    Path work = Path.of("bench/target/drift");
    long started = System.nanoTime();
    List<DriftStreams.Stream> streams = DriftStreams.writeAll(work.resolve("streams"), n, 7);
    System.out.printf(Locale.ROOT, "wrote %d streams of %,d examples in %.1f s%n",
        streams.size(), n, (System.nanoTime() - started) / 1e9);
    List<Run> runs = new ArrayList<>();
    for (DriftStreams.Stream s : streams) {
      for (MoaPeers.Result r : MoaPeers.run(s, WINDOW)) {
        long[] ends = new long[r.windows().length];
        Arrays.setAll(ends, i -> (i + 1L) * WINDOW);
        runs.add(new Run(s.name(), r.learner(), "-", r.logLoss(), r.accuracy(), ends,
            r.windows(), new long[0], r.seconds(), null));
        System.out.printf(Locale.ROOT, "%-18s %-8s %-16s log loss %.4f, accuracy %.4f (%.1f s)%n",
            s.name(), r.learner(), "-", r.logLoss(), r.accuracy(), r.seconds());
      }
      for (String v : variants) {
        for (Run r : gradflow(s, v, work)) {
          runs.add(r);
          System.out.printf(Locale.ROOT, "%-18s %-8s %-16s %s%n", s.name(), r.learner(),
              r.variant(), r.failure() != null ? "FAILED: " + r.failure()
                  : String.format(Locale.ROOT, "log loss %.4f, %s (%.1f s)", r.logLoss(),
                      io.gradflow.jobs.cli.Counts.of(r.detections().length, "detection"),
                      r.seconds()));
        }
      }
    }
    Files.createDirectories(results);
    String report = report(streams, runs, n, variants);
    Files.writeString(results.resolve("drift.md"), report);
    writeCsv(streams, runs, results.resolve("drift.csv"));
    plot(streams, runs, results.resolve("drift.png"));
    System.out.println();
    System.out.print(report);
    System.out.printf(Locale.ROOT, "%nwrote %s, %s and %s in %.0f s%n",
        results.resolve("drift.md"), results.resolve("drift.csv"), results.resolve("drift.png"),
        (System.nanoTime() - started) / 1e9);
    System.out.println(resultLine(runs));
  }

  /**
   * One machine-readable line: runs, failed runs, and the best mean log loss over the streams
   * among Gradflow's learners (optimizer/policy) and among MOA's, with who reached it. A learner
   * with a failed run on any stream is not ranked.
   */
  static String resultLine(List<Run> runs) {
    Map<String, List<Run>> byLearner = new LinkedHashMap<>();
    for (Run r : runs) {
      byLearner.computeIfAbsent(r.learner() + "/" + r.variant(), k -> new ArrayList<>()).add(r);
    }
    String[] best = {null, null};
    double[] bestLoss = {Double.NaN, Double.NaN};
    for (Map.Entry<String, List<Run>> e : byLearner.entrySet()) {
      if (e.getValue().stream().anyMatch(r -> r.failure() != null)) {
        continue;
      }
      int side = e.getValue().get(0).variant().equals("-") ? 1 : 0; // MOA's runs have no policy
      double mean = e.getValue().stream().mapToDouble(Run::logLoss).average().orElse(Double.NaN);
      if (best[side] == null || mean < bestLoss[side]) {
        best[side] = e.getKey();
        bestLoss[side] = mean;
      }
    }
    return String.format(Locale.ROOT, "RESULT runs=%d failures=%d gradflow_best_mean_log_loss=%.4f"
        + " gradflow_best=%s moa_best_mean_log_loss=%.4f moa_best=%s", runs.size(),
        runs.stream().filter(r -> r.failure() != null).count(), bestLoss[0], best[0],
        bestLoss[1], best[1] == null ? null : best[1].replace("/-", ""));
  }

  /** The job file of a variant: a race of the three optimizers, 1,000-example windows. */
  static String yaml(String variant) {
    StringBuilder b = new StringBuilder(String.join("\n",
        "model: {type: logistic_regression, hash_bits: 20}",
        "race:",
        "  - {name: adagrad, optimizer: {name: Adagrad, lr: 0.1}}",
        "  - {name: adam, optimizer: {name: Adam, lr: 0.01}}",
        // boost_lr with Ftrl is refused at start-up (it rescales every weight at once).
        variant.equals("boost_lr") ? "" : "  - {name: ftrl, optimizer: {name: Ftrl, alpha: 0.1,"
            + " beta: 1.0, l1: 0.001, l2: 0.01}}",
        "metrics: {every: " + WINDOW + ", window: " + WINDOW + "}", ""));
    if (variant.equals("none-inv") || variant.equals("restart_schedule")) {
      b.append("schedule: {type: inverse_time, gamma: 1.0, period: 1000, power: 0.5}\n");
    }
    if (variant.equals("slot_decay")) {
      b.append("drift: {detector: none, slot_decay: ").append(SLOT_DECAY).append("}\n");
    } else if (!variant.startsWith("none")) {
      b.append("drift: {detector: adwin, watch: loss, actions: [").append(variant)
          .append("]}\n");
    }
    return b.toString();
  }

  /** One evaluate run of the race under a variant; a failed run is recorded, not thrown. */
  static List<Run> gradflow(DriftStreams.Stream s, String variant, Path work) throws IOException {
    Path dir = Files.createDirectories(work.resolve("json"));
    Path config = dir.resolve(variant + ".yaml");
    Files.writeString(config, yaml(variant));
    Path json = dir.resolve(s.name() + "." + variant + ".json");
    Files.deleteIfExists(json);
    List<String> args = new ArrayList<>(List.of("--config", config.toString(), "--file",
        s.file().toString(), "--format", "csv", "--csv-label", "label",
        s.columns() == DriftStreams.Columns.CATEGORICAL ? "--csv-categorical" : "--csv-numeric",
        String.join(",", s.features()), "--json", json.toString(), "--quiet"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    long started = System.nanoTime();
    String failure = null;
    try (PrintStream p = new PrintStream(out, true, StandardCharsets.UTF_8)) {
      int exit = EvaluateCommand.run(args, new ByteArrayInputStream(new byte[0]), p, p);
      if (exit != 0) {
        failure = "exit " + exit + ": " + out.toString(StandardCharsets.UTF_8).strip();
      }
    } catch (Exception e) {
      Throwable root = e;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      failure = root.getClass().getSimpleName() + ": " + root.getMessage();
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    List<Run> runs = new ArrayList<>();
    if (failure != null || !Files.exists(json)) {
      for (String o : OPTIMIZERS) {
        runs.add(new Run(s.name(), o, variant, Double.NaN, Double.NaN, new long[0],
            new double[0], new long[0], seconds, failure == null ? "no JSON" : failure));
      }
      return runs;
    }
    JsonNode candidates = new ObjectMapper().readTree(json.toFile()).get("candidates");
    for (String o : OPTIMIZERS) {
      JsonNode c = candidates.get(o);
      if (c == null) {
        continue; // not in this variant's race
      }
      JsonNode w = c.get("windows");
      long[] ends = new long[w.size()];
      double[] losses = new double[w.size()];
      for (int i = 0; i < w.size(); i++) {
        ends[i] = w.get(i).get("end_example").asLong();
        losses[i] = w.get(i).get("log_loss").asDouble(Double.NaN);
      }
      JsonNode events = c.get("drift_events");
      long[] detections = new long[events == null ? 0 : events.size()];
      for (int i = 0; i < detections.length; i++) {
        detections[i] = events.get(i).get("example").asLong();
      }
      runs.add(new Run(s.name(), o, variant, c.get("log_loss").asDouble(Double.NaN), Double.NaN,
          ends, losses, detections, seconds, null));
    }
    return runs;
  }

  /** The variant a run's recovery is compared with: none, or none-inv for restart_schedule. */
  static String baseline(String variant) {
    return variant.equals("restart_schedule") ? "none-inv" : "none";
  }

  static List<Recovery.Result> recoveries(DriftStreams.Stream s, Run r) {
    List<Recovery.Result> out = new ArrayList<>();
    long[] c = s.changes();
    for (int i = 0; i < c.length; i++) {
      out.add(Recovery.of(r.ends(), r.windows(), WINDOW, c[i], s.settled()[i],
          i + 1 < c.length ? c[i + 1] : s.examples()));
    }
    return out;
  }

  /** The first detection at or after c and before the next change point, minus c; -1: none. */
  static long delay(DriftStreams.Stream s, Run r, int change) {
    long c = s.changes()[change];
    long next = change + 1 < s.changes().length ? s.changes()[change + 1] : s.examples();
    for (long d : r.detections()) {
      if (d >= c && d < next) {
        return d - c;
      }
    }
    return -1;
  }

  static String report(List<DriftStreams.Stream> streams, List<Run> runs, long n,
      List<String> variants) {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "## Drift benchmark: %,d examples per stream, windows"
        + " of %,d examples%n%n", n, WINDOW));
    b.append("Windows: consecutive, " + WINDOW + " examples each. Pre-drift level: the mean"
        + " window log loss of the " + Recovery.PRE_WINDOWS + " windows that end at or before"
        + " the change's start. Recovery: examples from the change's settling point (the change"
        + " itself if abrupt, the end of the transition if gradual) to the end of the first"
        + " window that starts there or later and whose log loss is within "
        + Math.round((Recovery.TOLERANCE - 1) * 100) + "% of the pre-drift level (so at least "
        + WINDOW + "); `>h`: not recovered within the h examples up to the next change or the"
        + " end. Detections: drift events over the whole stream, and in brackets the delay from"
        + " each change's start to the first detection after it (`-`: none before the next"
        + " change). vs baseline: final log loss against the same optimizer's run without"
        + " adaptation (`none`; `none-inv` for restart_schedule, which needs a decaying"
        + " schedule).\n\n");
    b.append(summary(streams, runs));
    for (DriftStreams.Stream s : streams) {
      List<String> changes = new ArrayList<>();
      for (int i = 0; i < s.changes().length; i++) {
        changes.add(s.changes()[i] == s.settled()[i]
            ? String.format(Locale.ROOT, "%,d", s.changes()[i])
            : String.format(Locale.ROOT, "%,d-%,d", s.changes()[i], s.settled()[i]));
      }
      b.append(String.format(Locale.ROOT, "### %s: %s; changes %s%n%n", s.name(),
          s.description(), changes.isEmpty() ? "none" : String.join(", ", changes)));
      b.append("| learner | variant | final log loss | vs baseline | accuracy | recovery |"
          + " detections |\n|---|---|---:|---:|---:|---|---|\n");
      for (Run r : runs) {
        if (!r.stream().equals(s.name())) {
          continue;
        }
        if (r.failure() != null) {
          b.append(String.format(Locale.ROOT, "| %s | %s | failed: %s | | | | |%n",
              r.learner(), r.variant(), r.failure().replace('|', '/').replace('\n', ' ')));
          continue;
        }
        Run base = find(runs, s.name(), r.learner(), baseline(r.variant()));
        String vs = base == null || base == r || base.failure() != null ? ""
            : String.format(Locale.ROOT, "%+.2f%%", 100 * (r.logLoss() / base.logLoss() - 1));
        String recovery = recoveries(s, r).stream().map(x -> x.recovered()
            ? String.format(Locale.ROOT, "%,d", x.examples())
            : String.format(Locale.ROOT, ">%,d", x.horizon())).collect(Collectors.joining(", "));
        StringBuilder det = new StringBuilder();
        if (!r.learner().startsWith("moa") && !r.variant().startsWith("none")) {
          det.append(r.detections().length);
          List<String> delays = new ArrayList<>();
          for (int i = 0; i < s.changes().length; i++) {
            long d = delay(s, r, i);
            delays.add(d < 0 ? "-" : String.format(Locale.ROOT, "%,d", d));
          }
          if (!delays.isEmpty()) {
            det.append(" (").append(String.join(", ", delays)).append(')');
          }
        }
        b.append(String.format(Locale.ROOT, "| %s | %s | %.4f | %s | %s | %s | %s |%n",
            r.learner(), r.variant(), r.logLoss(), vs, Double.isNaN(r.accuracy()) ? ""
                : String.format(Locale.ROOT, "%.4f", r.accuracy()),
            recovery.isEmpty() ? "" : recovery, det));
      }
      b.append('\n');
    }
    b.append(verdict(streams, runs, variants));
    return b.toString();
  }

  /**
   * Two tables, a row per learner and variant, a column per stream: the final prequential log
   * loss, and the examples to recover after each change (comma-separated, {@code >h} when not
   * recovered).
   */
  static String summary(List<DriftStreams.Stream> streams, List<Run> runs) {
    List<String[]> rows = new ArrayList<>();
    for (Run r : runs) {
      if (rows.stream().noneMatch(x -> x[0].equals(r.learner()) && x[1].equals(r.variant()))) {
        rows.add(new String[] {r.learner(), r.variant()});
      }
    }
    List<DriftStreams.Stream> drifting =
        streams.stream().filter(x -> x.changes().length > 0).toList();
    StringBuilder loss = new StringBuilder("### Final prequential log loss\n\n")
        .append(head(streams));
    StringBuilder recovery = new StringBuilder("### Examples to recover, per change\n\n")
        .append(head(drifting));
    for (String[] row : rows) {
      loss.append("| ").append(row[0]).append(" | ").append(row[1]).append(" |");
      recovery.append("| ").append(row[0]).append(" | ").append(row[1]).append(" |");
      for (DriftStreams.Stream s : streams) {
        Run r = find(runs, s.name(), row[0], row[1]);
        boolean ok = r != null && r.failure() == null;
        loss.append(' ').append(ok ? String.format(Locale.ROOT, "%.4f", r.logLoss()) : "failed")
            .append(" |");
        if (s.changes().length > 0) {
          recovery.append(' ').append(ok ? recoveries(s, r).stream().map(x -> x.recovered()
              ? String.format(Locale.ROOT, "%,d", x.examples())
              : String.format(Locale.ROOT, ">%,d", x.horizon())).collect(Collectors.joining(", "))
              : "failed").append(" |");
        }
      }
      loss.append('\n');
      recovery.append('\n');
    }
    return loss.append('\n').append(recovery).append('\n').toString();
  }

  private static String head(List<DriftStreams.Stream> streams) {
    return streams.stream().map(DriftStreams.Stream::name)
        .collect(Collectors.joining(" | ", "| learner | variant | ", " |\n"))
        + "|---|---|" + "---:|".repeat(streams.size()) + "\n";
  }

  /**
   * Per optimizer and policy: the mean examples to recover over every change point of the
   * drifting streams (a run that did not recover counts its horizon) against its baseline's,
   * and on the stationary stream the final log loss against the baseline's.
   */
  static String verdict(List<DriftStreams.Stream> streams, List<Run> runs,
      List<String> variants) {
    StringBuilder b = new StringBuilder("### Verdict\n\n| optimizer | policy | mean examples to"
        + " recover (baseline) | change points faster / slower / same | stationary final log"
        + " loss vs baseline |\n|---|---|---:|---|---:|\n");
    List<String> lines = new ArrayList<>();
    for (String o : OPTIMIZERS) {
      for (String v : variants) {
        if (v.startsWith("none")) {
          continue;
        }
        long sum = 0;
        long baseSum = 0;
        int count = 0;
        int faster = 0;
        int slower = 0;
        boolean failed = false;
        double stationary = Double.NaN;
        for (DriftStreams.Stream s : streams) {
          Run r = find(runs, s.name(), o, v);
          Run base = find(runs, s.name(), o, baseline(v));
          if (r == null || base == null || r.failure() != null || base.failure() != null) {
            failed = true;
            continue;
          }
          if (s.changes().length == 0) {
            stationary = r.logLoss() / base.logLoss() - 1;
            continue;
          }
          List<Recovery.Result> a = recoveries(s, r);
          List<Recovery.Result> z = recoveries(s, base);
          for (int i = 0; i < a.size(); i++) {
            sum += a.get(i).censored();
            baseSum += z.get(i).censored();
            count++;
            faster += a.get(i).censored() < z.get(i).censored() ? 1 : 0;
            slower += a.get(i).censored() > z.get(i).censored() ? 1 : 0;
          }
        }
        boolean ran = streams.stream().anyMatch(x -> find(runs, x.name(), o, v) != null);
        if (!ran) {
          b.append(String.format(Locale.ROOT, "| %s | %s | not run | | |%n", o, v));
          lines.add(String.format(Locale.ROOT, "%s %s: not run (the configuration refuses it)",
              o, v));
          continue;
        }
        if (failed && count == 0) {
          b.append(String.format(Locale.ROOT, "| %s | %s | failed | | |%n", o, v));
          lines.add(String.format(Locale.ROOT, "%s %s: failed (see the tables)", o, v));
          continue;
        }
        double mean = count == 0 ? Double.NaN : (double) sum / count;
        double baseMean = count == 0 ? Double.NaN : (double) baseSum / count;
        b.append(String.format(Locale.ROOT, "| %s | %s | %,.0f (%,.0f) | %d / %d / %d | %s |%n",
            o, v, mean, baseMean, faster, slower, count - faster - slower,
            Double.isNaN(stationary) ? "" : String.format(Locale.ROOT, "%+.2f%%",
                100 * stationary)));
        lines.add(String.format(Locale.ROOT, "%s %s: recovery %s than %s (%,.0f vs %,.0f"
            + " examples on average); stationary stream %s%s", o, v, mean < baseMean ? "faster"
            : mean > baseMean ? "SLOWER" : "no faster", baseline(v), mean, baseMean,
            Double.isNaN(stationary) ? "not measured" : String.format(Locale.ROOT, "%+.2f%%",
                100 * stationary), stationary > 0.01 ? " (HURTS by more than 1%)" : ""));
      }
    }
    b.append('\n');
    lines.forEach(l -> b.append("- ").append(l).append('\n'));
    return b.toString();
  }

  static Run find(List<Run> runs, String stream, String learner, String variant) {
    for (Run r : runs) {
      if (r.stream().equals(stream) && r.learner().equals(learner)
          && r.variant().equals(variant)) {
        return r;
      }
    }
    return null;
  }

  static void writeCsv(List<DriftStreams.Stream> streams, List<Run> runs, Path file)
      throws IOException {
    StringBuilder b = new StringBuilder("stream,learner,variant,final_log_loss,accuracy,"
        + "detections,change,pre_drift_level,examples_to_recover,horizon,detection_delay,"
        + "seconds,failure\n");
    Map<String, DriftStreams.Stream> byName = new LinkedHashMap<>();
    streams.forEach(s -> byName.put(s.name(), s));
    for (Run r : runs) {
      DriftStreams.Stream s = byName.get(r.stream());
      String head = String.format(Locale.ROOT, "%s,%s,%s,%s,%s,%d", r.stream(), r.learner(),
          r.variant(), num(r.logLoss()), num(r.accuracy()), r.detections().length);
      String tail = String.format(Locale.ROOT, "%.2f,%s", r.seconds(),
          r.failure() == null ? "" : '"' + r.failure().replace('"', '\'') + '"');
      List<Recovery.Result> rec = r.failure() == null ? recoveries(s, r) : List.of();
      if (rec.isEmpty()) {
        b.append(head).append(",,,,,,").append(tail).append('\n');
      }
      for (int i = 0; i < rec.size(); i++) {
        Recovery.Result x = rec.get(i);
        b.append(head).append(String.format(Locale.ROOT, ",%d,%s,%d,%d,%d,", x.change(),
            num(x.level()), x.examples(), x.horizon(), delay(s, r, i))).append(tail)
            .append('\n');
      }
    }
    Files.writeString(file, b.toString());
  }

  private static String num(double v) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.6f", v);
  }

  /**
   * Window log loss over examples, one panel per stream: AdaGrad and FTRL without adaptation and
   * with reset_slots, Adam without and with decay_slots, MOA's SGD and HAT; the changes as
   * markers (a gradual one's start and end).
   */
  static void plot(List<DriftStreams.Stream> streams, List<Run> runs, Path png)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    NumberAxis x = new NumberAxis("examples");
    CombinedDomainXYPlot combined = new CombinedDomainXYPlot(x);
    combined.setGap(12);
    List<String[]> shown = List.of(new String[] {"adagrad", "none"},
        new String[] {"adagrad", "reset_slots"}, new String[] {"adam", "none"},
        new String[] {"adam", "decay_slots"}, new String[] {"ftrl", "none"},
        new String[] {"ftrl", "reset_slots"}, new String[] {"moa-sgd", "-"},
        new String[] {"moa-hat", "-"});
    Color[] colors = {new Color(0x1f77b4), new Color(0x17becf), new Color(0xff7f0e),
        new Color(0xffbb78), new Color(0x2ca02c), new Color(0x98df8a), new Color(0x7f7f7f),
        new Color(0x9467bd)};
    for (DriftStreams.Stream s : streams) {
      XYSeriesCollection data = new XYSeriesCollection();
      XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
      int k = 0;
      for (int i = 0; i < shown.size(); i++) {
        Run r = find(runs, s.name(), shown.get(i)[0], shown.get(i)[1]);
        if (r == null || r.failure() != null) {
          continue;
        }
        XYSeries series = new XYSeries(r.learner() + (r.variant().equals("-") ? ""
            : " " + r.variant()), false);
        for (int w = 0; w < r.windows().length; w++) {
          if (Double.isFinite(r.windows()[w])) {
            series.add(r.ends()[w], Math.min(r.windows()[w], 1.5));
          }
        }
        data.addSeries(series);
        renderer.setSeriesPaint(k++, colors[i]);
      }
      NumberAxis y = new NumberAxis(s.name());
      y.setAutoRangeIncludesZero(false);
      XYPlot plot = new XYPlot(data, null, y, renderer);
      plot.setBackgroundPaint(Color.WHITE);
      plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
      plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
      List<LossPlot.Marker> markers = new ArrayList<>();
      for (int i = 0; i < s.changes().length; i++) {
        boolean gradual = s.settled()[i] != s.changes()[i];
        markers.add(new LossPlot.Marker(s.changes()[i], gradual ? "transition" : "change"));
        if (gradual) {
          markers.add(new LossPlot.Marker(s.settled()[i], "settled"));
        }
      }
      LossPlot.addMarkers(plot, markers);
      combined.add(plot, 1);
    }
    JFreeChart chart = new JFreeChart("Window log loss (" + WINDOW + " examples; capped at 1.5)",
        JFreeChart.DEFAULT_TITLE_FONT, combined, false);
    // One legend, the first panel's: every panel draws the same learners in the same colours.
    LegendTitle legend = new LegendTitle(combined.getSubplots().get(0));
    legend.setPosition(RectangleEdge.BOTTOM);
    chart.addLegend(legend);
    chart.setBackgroundPaint(Color.WHITE);
    ChartUtils.saveChartAsPNG(png.toFile(), chart, 1100, 260 * streams.size());
  }
}
