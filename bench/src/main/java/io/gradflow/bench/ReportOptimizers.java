package io.gradflow.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the CSV that JMH writes for {@link OptimizerBench} and {@link SparseAdamBench}
 * ({@code -rf csv}) into Markdown tables for the README: each optimizer and width with gradflow's
 * and the bare loop's ns per parameter per step and their ratio, then sparse Adam's updates per
 * second for both, each checked against the aims (within 1.5x of the bare loop; sparse
 * Adam at or above 25 M updates/s).
 *
 * <pre>{@code
 * java -cp bench/target/benchmarks.jar io.gradflow.bench.ReportOptimizers \
 *     bench/results/optimizers.csv
 * }</pre>
 *
 * <p>{@code bench/run-optimizers.sh} runs the benchmarks and then this. A pair with one side
 * missing (a run filtered to one method) is shown with a dash. Lines of secondary results (from
 * profilers) are ignored. Reads JMH's CSV with its quoting, without other libraries.
 */
public final class ReportOptimizers {
  /** The aim for every optimizer: gradflow time / bare-loop time at most this. */
  static final double MAX_RATIO = 1.5;
  /** The aim for sparse Adam, in updates per second on one core. */
  static final double MIN_SPARSE_UPDATES = 25e6;

  private static final String DENSE = "OptimizerBench";
  private static final String SPARSE = "SparseAdamBench";

  private ReportOptimizers() {}

  /** A score and its 99.9% error half-width, as JMH reports them. */
  record Score(double value, double error) {}

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: ReportOptimizers <jmh-results.csv>   (from java -jar"
          + " benchmarks.jar ... -rf csv -rff <jmh-results.csv>)");
      System.exit(2);
    }
    List<String> lines = Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8);
    System.out.print(report(lines));
  }

  /** The Markdown report for the lines of a JMH CSV file, header first. */
  static String report(List<String> lines) {
    if (lines.isEmpty()) {
      throw new IllegalArgumentException("the CSV is empty: no benchmark results to report");
    }
    List<String> header = fields(lines.get(0));
    int benchmark = column(header, "Benchmark");
    int score = column(header, "Score");
    int error = header.size();
    for (int i = 0; i < header.size(); i++) {
      if (header.get(i).startsWith("Score Error")) {
        error = i;
      }
    }
    int optimizer = header.indexOf("Param: optimizer");
    int width = header.indexOf("Param: width");

    List<Double> denseRatios = new ArrayList<>();
    List<Double> sparseRatios = new ArrayList<>();
    // key "class|optimizer|width" -> method -> score, in the order JMH ran them
    Map<String, Map<String, Score>> results = new LinkedHashMap<>();
    for (String line : lines.subList(1, lines.size())) {
      if (line.isBlank()) {
        continue;
      }
      List<String> f = fields(line);
      String name = f.get(benchmark);
      if (name.contains(":")) {
        continue;
      }
      String[] parts = name.split("\\.");
      if (parts.length < 2) {
        continue;
      }
      String className = parts[parts.length - 2];
      String method = parts[parts.length - 1];
      String key = className + "|" + at(f, optimizer) + "|" + at(f, width);
      results.computeIfAbsent(key, k -> new LinkedHashMap<>())
          .put(method, new Score(number(f.get(score)), error < f.size() ? number(f.get(error))
              : Double.NaN));
    }

    StringBuilder out = new StringBuilder();
    List<String> dense = keys(results, DENSE);
    if (!dense.isEmpty()) {
      out.append("### Dense rows: ns per parameter per step (lower is better)\n\n")
          .append("| Optimizer | Width | gradflow | bare loop | ratio | within ")
          .append(fmt(MAX_RATIO, 1)).append("x |\n")
          .append("|---|---:|---:|---:|---:|:---:|\n");
      for (String key : dense) {
        String[] k = key.split("\\|", -1);
        Score gradflow = results.get(key).get("gradflow");
        Score bare = results.get(key).get("bareLoop");
        double ratio = gradflow != null && bare != null ? gradflow.value / bare.value : Double.NaN;
        if (!Double.isNaN(ratio)) {
          denseRatios.add(ratio);
        }
        out.append("| ").append(k[1]).append(" | ").append(k[2]).append(" | ")
            .append(show(gradflow, 1, 2)).append(" | ").append(show(bare, 1, 2)).append(" | ")
            .append(Double.isNaN(ratio) ? "–" : fmt(ratio, 2)).append(" | ")
            .append(Double.isNaN(ratio) ? "–" : ratio <= MAX_RATIO ? "yes" : "**no**")
            .append(" |\n");
      }
      out.append("\nratio = gradflow time / bare-loop time for the same arithmetic; ± is JMH's"
          + " 99.9% error.\n");
    }
    List<String> sparse = keys(results, SPARSE);
    if (!sparse.isEmpty()) {
      if (out.length() > 0) {
        out.append('\n');
      }
      out.append("### Sparse Adam: random rows of width 1 over ")
          .append(SparseAdamBench.PARAMETERS / (1 << 20))
          .append("M parameters, one core (M updates/s, higher is better)\n\n")
          .append("| gradflow | bare loop | ratio | gradflow at or above ")
          .append(fmt(MIN_SPARSE_UPDATES / 1e6, 0)).append(" M/s |\n")
          .append("|---:|---:|---:|:---:|\n");
      for (String key : sparse) {
        Score gradflow = results.get(key).get("gradflow");
        Score bare = results.get(key).get("bareLoop");
        double ratio = gradflow != null && bare != null ? bare.value / gradflow.value : Double.NaN;
        if (!Double.isNaN(ratio)) {
          sparseRatios.add(ratio);
        }
        out.append("| ").append(show(gradflow, 1e-6, 1)).append(" | ")
            .append(show(bare, 1e-6, 1)).append(" | ")
            .append(Double.isNaN(ratio) ? "–" : fmt(ratio, 2)).append(" | ")
            .append(gradflow == null ? "–"
                : gradflow.value >= MIN_SPARSE_UPDATES ? "yes" : "**no**")
            .append(" |\n");
      }
      out.append("\nratio = bare-loop updates/s / gradflow updates/s, that is gradflow time /"
          + " bare-loop time.\n");
    }
    if (out.length() == 0) {
      throw new IllegalArgumentException("no " + DENSE + " or " + SPARSE + " results in the CSV:"
          + " run bench/run-optimizers.sh, or pass the file JMH wrote with -rf csv");
    }
    // One machine-readable line: gradflow time / bare-loop time, median and worst over the dense
    // rows (optimizer x width), and over the sparse runs; NaN where there were none.
    double[] denseRatio = denseRatios.stream().mapToDouble(Double::doubleValue).toArray();
    double[] sparseRatio = sparseRatios.stream().mapToDouble(Double::doubleValue).toArray();
    out.append(String.format(Locale.ROOT, "%nRESULT dense_vs_bare_median=%.3f"
        + " dense_vs_bare_max=%.3f sparse_vs_bare_median=%.3f%n",
        denseRatio.length == 0 ? Double.NaN : TrainerThroughput.median(denseRatio),
        Arrays.stream(denseRatio).max().orElse(Double.NaN),
        sparseRatio.length == 0 ? Double.NaN : TrainerThroughput.median(sparseRatio)));
    return out.toString();
  }

  private static List<String> keys(Map<String, Map<String, Score>> results, String className) {
    List<String> keys = new ArrayList<>();
    for (String key : results.keySet()) {
      if (key.startsWith(className + "|")) {
        keys.add(key);
      }
    }
    return keys;
  }

  private static int column(List<String> header, String name) {
    int i = header.indexOf(name);
    if (i < 0) {
      throw new IllegalArgumentException("the CSV header has no \"" + name + "\" column: "
          + header + "; pass the file JMH wrote with -rf csv");
    }
    return i;
  }

  private static String at(List<String> fields, int i) {
    return i >= 0 && i < fields.size() ? fields.get(i) : "";
  }

  /** JMH formats numbers with the default locale, so a decimal comma is possible. */
  private static double number(String text) {
    String t = text.trim();
    if (t.isEmpty()) {
      return Double.NaN;
    }
    return Double.parseDouble(t.indexOf('.') < 0 ? t.replace(',', '.') : t);
  }

  private static String show(Score score, double scale, int decimals) {
    if (score == null) {
      return "–";
    }
    String value = fmt(score.value * scale, decimals);
    return Double.isNaN(score.error) ? value
        : value + " ± " + fmt(score.error * scale, decimals);
  }

  private static String fmt(double value, int decimals) {
    return String.format(Locale.ROOT, "%." + decimals + "f", value);
  }

  /** Splits one CSV line: fields separated by commas, optionally in double quotes ("" escapes). */
  static List<String> fields(String line) {
    List<String> fields = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          field.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          field.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        fields.add(field.toString());
        field.setLength(0);
      } else if (c != '\r') {
        field.append(c);
      }
    }
    fields.add(field.toString());
    return fields;
  }
}
