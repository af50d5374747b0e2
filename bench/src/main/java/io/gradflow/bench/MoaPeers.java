package io.gradflow.bench;

import com.yahoo.labs.samoa.instances.Attribute;
import com.yahoo.labs.samoa.instances.DenseInstance;
import com.yahoo.labs.samoa.instances.Instance;
import com.yahoo.labs.samoa.instances.Instances;
import com.yahoo.labs.samoa.instances.InstancesHeader;
import com.yahoo.labs.samoa.instances.SparseInstance;
import io.gradflow.metrics.LogLoss;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import moa.classifiers.AbstractClassifier;
import moa.classifiers.functions.SGD;
import moa.classifiers.trees.HoeffdingAdaptiveTree;

/**
 * MOA's own learners on a benchmark stream's CSV, under prequential evaluation: MOA's
 * test-then-train loop ({@code EvaluatePrequential}'s order: {@code getVotesForInstance}, then
 * {@code trainOnInstance}, for every example), written out here so that the log loss is computed
 * exactly as Gradflow's ({@link LogLoss}: p(class 1) clipped to [2^-52, 1 - 2^-52]) from the
 * class probabilities (the votes normalized to sum 1; 0.5 while the votes are all 0), and the
 * windows are Gradflow's (non-overlapping, {@code window} examples each).
 *
 * <ul>
 *   <li>{@code moa-sgd}: {@link SGD} with the logistic loss, learning rate {@value #SGD_RATE},
 *       MOA's default L2 lambda 1e-4. Categorical columns are one-hot (a sparse instance of one
 *       binary attribute per (column, value)): SGD reads a nominal value as its index.
 *   <li>{@code moa-hat}: {@link HoeffdingAdaptiveTree} with MOA's defaults (naive Bayes adaptive
 *       leaves, ADWIN in every node). Categorical columns are nominal attributes.
 * </ul>
 * Not thread-safe.
 */
final class MoaPeers {
  static final double SGD_RATE = 0.01;

  /**
   * A peer's run: final prequential log loss and accuracy (threshold 0.5) over every example,
   * the log loss of each window, and the seconds it took.
   */
  record Result(String learner, double logLoss, double accuracy, double[] windows,
      double seconds) {}

  private MoaPeers() {}

  /** Runs both peers over the stream; {@code window} examples per window. */
  static List<Result> run(DriftStreams.Stream s, int window) throws IOException {
    List<String[]> rows = read(s);
    List<Result> out = new ArrayList<>();
    out.add(prequential("moa-sgd", sgd(), s.columns() == DriftStreams.Columns.CATEGORICAL
        ? oneHot(s, rows) : numeric(s, rows), window));
    out.add(prequential("moa-hat", hat(), s.columns() == DriftStreams.Columns.CATEGORICAL
        ? nominal(s, rows) : numeric(s, rows), window));
    return out;
  }

  private static AbstractClassifier sgd() {
    SGD sgd = new SGD();
    sgd.lossFunctionOption.setChosenIndex(1); // LOGLOSS: getVotesForInstance gives {1 - p, p}
    sgd.learningRateOption.setValue(SGD_RATE);
    return sgd;
  }

  private static AbstractClassifier hat() {
    return new HoeffdingAdaptiveTree();
  }

  static Result prequential(String name, AbstractClassifier learner, Stream2 data, int window) {
    learner.setModelContext(data.header());
    learner.prepareForUse();
    long started = System.nanoTime();
    int n = data.instances().size();
    double[] windows = new double[n / window];
    double sum = 0;
    double windowSum = 0;
    long correct = 0;
    for (int i = 0; i < n; i++) {
      Instance inst = data.instances().get(i);
      double p = probabilityOfOne(learner.getVotesForInstance(inst));
      double y = inst.classValue();
      double loss = LogLoss.of(p, y);
      sum += loss;
      windowSum += loss;
      if ((p >= 0.5 ? 1 : 0) == (int) y) {
        correct++;
      }
      if ((i + 1) % window == 0) {
        windows[(i + 1) / window - 1] = windowSum / window;
        windowSum = 0;
      }
      learner.trainOnInstance(inst);
    }
    return new Result(name, sum / n, (double) correct / n, windows,
        (System.nanoTime() - started) / 1e9);
  }

  /** p(class 1) from MOA's votes: normalized to sum 1, 0.5 when they are all 0 or absent. */
  static double probabilityOfOne(double[] votes) {
    double zero = votes.length > 0 ? Math.max(0, votes[0]) : 0;
    double one = votes.length > 1 ? Math.max(0, votes[1]) : 0;
    double total = zero + one;
    return total > 0 ? one / total : 0.5;
  }

  /** A header and its instances, the class last. */
  record Stream2(InstancesHeader header, List<Instance> instances) {}

  private static List<String[]> read(DriftStreams.Stream s) throws IOException {
    List<String[]> rows = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(s.file())) {
      r.readLine(); // header
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        rows.add(line.split(",", -1));
      }
    }
    return rows;
  }

  private static Attribute classAttribute() {
    return new Attribute("label", List.of("0", "1"));
  }

  private static InstancesHeader header(String name, List<Attribute> attributes) {
    attributes.add(classAttribute());
    Instances data = new Instances(name, attributes, 0);
    data.setClassIndex(attributes.size() - 1);
    return new InstancesHeader(data);
  }

  private static Stream2 numeric(DriftStreams.Stream s, List<String[]> rows) {
    List<Attribute> attributes = new ArrayList<>();
    for (String f : s.features()) {
      attributes.add(new Attribute(f));
    }
    InstancesHeader h = header(s.name(), attributes);
    int d = s.features().size();
    List<Instance> out = new ArrayList<>(rows.size());
    for (String[] row : rows) {
      double[] v = new double[d + 1];
      for (int a = 0; a <= d; a++) {
        v[a] = Double.parseDouble(row[a]);
      }
      Instance inst = new DenseInstance(1.0, v);
      inst.setDataset(h);
      out.add(inst);
    }
    return new Stream2(h, out);
  }

  /** The distinct values of each categorical column, in order of first appearance. */
  private static List<Map<String, Integer>> vocabularies(DriftStreams.Stream s,
      List<String[]> rows) {
    List<Map<String, Integer>> vocab = new ArrayList<>();
    for (int a = 0; a < s.features().size(); a++) {
      Map<String, Integer> m = new HashMap<>();
      for (String[] row : rows) {
        m.putIfAbsent(row[a], m.size());
      }
      vocab.add(m);
    }
    return vocab;
  }

  private static Stream2 nominal(DriftStreams.Stream s, List<String[]> rows) {
    List<Map<String, Integer>> vocab = vocabularies(s, rows);
    List<Attribute> attributes = new ArrayList<>();
    for (int a = 0; a < vocab.size(); a++) {
      String[] values = new String[vocab.get(a).size()];
      vocab.get(a).forEach((v, i) -> values[i] = v);
      attributes.add(new Attribute(s.features().get(a), List.of(values)));
    }
    InstancesHeader h = header(s.name(), attributes);
    int d = vocab.size();
    List<Instance> out = new ArrayList<>(rows.size());
    for (String[] row : rows) {
      double[] v = new double[d + 1];
      for (int a = 0; a < d; a++) {
        v[a] = vocab.get(a).get(row[a]);
      }
      v[d] = Double.parseDouble(row[d]);
      Instance inst = new DenseInstance(1.0, v);
      inst.setDataset(h);
      out.add(inst);
    }
    return new Stream2(h, out);
  }

  private static Stream2 oneHot(DriftStreams.Stream s, List<String[]> rows) {
    List<Map<String, Integer>> vocab = vocabularies(s, rows);
    int[] offset = new int[vocab.size() + 1];
    List<Attribute> attributes = new ArrayList<>();
    for (int a = 0; a < vocab.size(); a++) {
      offset[a + 1] = offset[a] + vocab.get(a).size();
      String[] names = new String[vocab.get(a).size()];
      vocab.get(a).forEach((v, i) -> names[i] = v);
      for (String v : names) {
        attributes.add(new Attribute(s.features().get(a) + "=" + v));
      }
    }
    int classIndex = offset[vocab.size()];
    InstancesHeader h = header(s.name(), attributes);
    int d = vocab.size();
    List<Instance> out = new ArrayList<>(rows.size());
    for (String[] row : rows) {
      double[] values = new double[d + 1];
      int[] indices = new int[d + 1];
      for (int a = 0; a < d; a++) {
        indices[a] = offset[a] + vocab.get(a).get(row[a]);
        values[a] = 1;
      }
      indices[d] = classIndex;
      values[d] = Double.parseDouble(row[d]);
      Instance inst = new SparseInstance(1.0, values, indices, classIndex + 1);
      inst.setDataset(h);
      out.add(inst);
    }
    return new Stream2(h, out);
  }
}
