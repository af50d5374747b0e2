package io.gradflow.bench;

import com.yahoo.labs.samoa.instances.Instance;
import io.gradflow.jobs.produce.ClickThroughGenerator;
import io.gradflow.jobs.produce.DriftSpec;
import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import moa.streams.ConceptDriftStream;
import moa.streams.InstanceStream;
import moa.streams.generators.HyperplaneGenerator;
import moa.streams.generators.SEAGenerator;

/**
 * The drift benchmark's streams, written as CSV files with a {@code label} column (0 or 1) that
 * {@code gradflow evaluate} and the MOA peers both read:
 * <ul>
 *   <li>{@code ctr-*}: the producer's click-through stream ({@link ClickThroughGenerator},
 *       defaults: 10 categorical fields {@code f0..f9} of a Zipf(1.05) vocabulary of 1,000 ids,
 *       a logistic truth), stationary, or with its {@link DriftSpec} abrupt change at n/2, gradual
 *       change over [n/2, n/2 + n/10), or concepts alternating every n/4;
 *   <li>{@code sea-*}: MOA's {@link SEAGenerator} (3 numeric attributes in [0, 10], 10% label
 *       noise), function 2 (threshold 9) then function 3 (threshold 7), through MOA's
 *       {@link ConceptDriftStream} centred at n/2 with width 1 (abrupt) or n/10 (gradual);
 *   <li>{@code hyperplane-*}: MOA's {@link HyperplaneGenerator} (10 numeric attributes in [0, 1],
 *       5% label noise, no rotation within a concept), instance seed 1 then seed 2 (another
 *       hyperplane), through the same {@link ConceptDriftStream}s.
 * </ul>
 * A change has a start and an end (0-based example indices): for an abrupt change both are the
 * first example of the new concept; for a gradual one, the transition's: the producer's
 * {@code at} and {@code at + width}; for MOA's sigmoid transition of width w centred at p (the new
 * concept's probability 1 / (1 + e^(-4 (t - p) / w))), p - w/2 and p + w/2, where that
 * probability is 12% and 88%. Stateless.
 */
final class DriftStreams {
  /** The columns a stream's CSV holds besides {@code label}: categorical or numeric. */
  enum Columns { CATEGORICAL, NUMERIC }

  /**
   * One written stream.
   *
   * @param changes where each change starts, 0-based example indices, ascending
   * @param settled where each change ends: the first example from which only the new concept
   *     is drawn (a gradual change), or the change itself (an abrupt one)
   * @param features the feature columns' names, in file order
   */
  record Stream(String name, String description, Path file, long examples, long[] changes,
      long[] settled, Columns columns, List<String> features) {}

  private DriftStreams() {}

  /** Every stream of the benchmark, {@code n} examples each, written under {@code dir}. */
  static List<Stream> writeAll(Path dir, long n, long seed) throws IOException {
    Files.createDirectories(dir);
    List<Stream> out = new ArrayList<>();
    long[] none = {};
    long[] half = {n / 2};
    out.add(clickThrough(dir, "ctr-stationary", "click-through, no drift", DriftSpec.NONE, n,
        seed, none, none));
    out.add(clickThrough(dir, "ctr-abrupt", "click-through, abrupt change at n/2",
        new DriftSpec(DriftSpec.Kind.ABRUPT, n / 2, 0, 0, 0, 0), n, seed, half, half));
    out.add(clickThrough(dir, "ctr-gradual", "click-through, gradual over [n/2, n/2 + n/10)",
        new DriftSpec(DriftSpec.Kind.GRADUAL, n / 2, n / 10, 0, 0, 0), n, seed, half,
        new long[] {n / 2 + n / 10}));
    long[] quarters = {n / 4, n / 2, 3 * n / 4};
    out.add(clickThrough(dir, "ctr-recurring", "click-through, concepts alternating every n/4",
        new DriftSpec(DriftSpec.Kind.RECURRING, 0, 0, n / 4, 0, 0), n, seed, quarters,
        quarters));
    for (long width : new long[] {1, n / 10}) {
      String kind = width == 1 ? "abrupt" : "gradual";
      long[] start = {width == 1 ? n / 2 : n / 2 - width / 2};
      long[] end = {width == 1 ? n / 2 : n / 2 + width / 2};
      out.add(moa(dir, "sea-" + kind, "MOA SEA f2 -> f3, ConceptDriftStream width " + width,
          drift(sea(2, seed), sea(3, seed), n / 2, width, seed), n, start, end));
      out.add(moa(dir, "hyperplane-" + kind, "MOA hyperplane seed 1 -> 2, ConceptDriftStream"
          + " width " + width, drift(hyperplane(1), hyperplane(2), n / 2, width, seed), n,
          start, end));
    }
    return out;
  }

  private static Stream clickThrough(Path dir, String name, String description, DriftSpec d,
      long n, long seed, long[] changes, long[] settled) throws IOException {
    ClickThroughGenerator g =
        new ClickThroughGenerator(ClickThroughGenerator.Spec.defaults(seed).withDrift(d));
    int fields = ClickThroughGenerator.Spec.defaults(seed).fields();
    List<String> columns = new ArrayList<>();
    for (int f = 0; f < fields; f++) {
      columns.add("f" + f);
    }
    Path file = write(dir.resolve(name + ".csv"), columns, n, line -> {
      Example e = g.next().example();
      for (Feature f : e.getFeatures()) {
        line.append(f.getName()).append(',');
      }
      line.append(e.getLabel() > 0.5f ? '1' : '0');
    });
    return new Stream(name, description, file, n, changes, settled, Columns.CATEGORICAL,
        columns);
  }

  private static Stream moa(Path dir, String name, String description, InstanceStream s, long n,
      long[] changes, long[] settled) throws IOException {
    int attributes = s.getHeader().numAttributes() - 1;
    int classIndex = s.getHeader().classIndex();
    List<String> columns = new ArrayList<>();
    for (int a = 0; a < attributes; a++) {
      columns.add("x" + a);
    }
    Path file = write(dir.resolve(name + ".csv"), columns, n, line -> {
      Instance inst = s.nextInstance().getData();
      for (int a = 0; a < inst.numAttributes(); a++) {
        if (a != classIndex) {
          // Six decimals: the value Gradflow reads (a float) and MOA reads back are the same.
          line.append(String.format(Locale.ROOT, "%.6f", inst.value(a))).append(',');
        }
      }
      line.append((int) inst.classValue());
    });
    return new Stream(name, description, file, n, changes, settled, Columns.NUMERIC, columns);
  }

  /** Appends the next example's cells, the label last, without the line's end. */
  private interface Row {
    void append(StringBuilder line);
  }

  /** A CSV file: the header (the columns, then label), then n rows. */
  private static Path write(Path file, List<String> columns, long n, Row row)
      throws IOException {
    try (BufferedWriter w = Files.newBufferedWriter(file)) {
      w.write(String.join(",", columns) + ",label\n");
      StringBuilder line = new StringBuilder();
      for (long i = 0; i < n; i++) {
        line.setLength(0);
        row.append(line);
        w.write(line.append('\n').toString());
      }
    }
    return file;
  }

  private static SEAGenerator sea(int function, long seed) {
    SEAGenerator g = new SEAGenerator();
    g.functionOption.setValue(function);
    g.instanceRandomSeedOption.setValue((int) seed);
    g.prepareForUse();
    return g;
  }

  private static HyperplaneGenerator hyperplane(int seed) {
    HyperplaneGenerator g = new HyperplaneGenerator();
    g.instanceRandomSeedOption.setValue(seed);
    g.numAttsOption.setValue(10);
    g.magChangeOption.setValue(0);
    g.noisePercentageOption.setValue(5);
    g.prepareForUse();
    return g;
  }

  private static ConceptDriftStream drift(InstanceStream before, InstanceStream after,
      long position, long width, long seed) {
    ConceptDriftStream s = new ConceptDriftStream();
    s.streamOption.setCurrentObject(before);
    s.driftstreamOption.setCurrentObject(after);
    s.positionOption.setValue((int) position);
    s.widthOption.setValue((int) width);
    s.randomSeedOption.setValue((int) seed);
    s.prepareForUse();
    return s;
  }
}
