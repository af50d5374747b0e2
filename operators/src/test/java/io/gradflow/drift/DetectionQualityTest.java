package io.gradflow.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongFunction;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Detection quality over 100 seeds (issue 10, "Detect"): streams of 1,000 draws before and 1,000
 * after an abrupt change at index 1000, drawn with Python's {@code random.Random(seed)} for seeds
 * 0 to 99 (see {@link PythonRandom}) so that River can be run on the very same streams.
 *
 * <ul>
 *   <li>{@code river}: River's documentation stream, {@code rng.choices([0, 1], k=1000) +
 *       rng.choices(range(4, 8), k=1000)}: uniform on {0, 1}, then uniform on {4, 5, 6, 7}.
 *   <li>{@code bernoulli}: {@code 1 if rng.random() < p else 0} with p = 0.2, then p = 0.4 (a
 *       classifier's error rate doubling).
 *   <li>{@code normal}: {@code rng.normalvariate(0, 1)}, then {@code rng.normalvariate(1, 1)} (a
 *       loss shifting by one standard deviation).
 * </ul>
 *
 * ADWIN and Page-Hinkley run on all three; DDM, which watches 0/1 errors, on the Bernoulli one.
 * Delay is the index of the first detection at or after 1000, minus 1000 (River's documented
 * detection at index 1023 is a delay of 23); a false alarm is a detection before index 1000 (the
 * detector resets and watches on); a miss is no detection from 1000 to 1999.
 */
class DetectionQualityTest {
  static final int SEEDS = 100;
  static final int CHANGE = 1000;

  /** One row of the table; the standard error is that of the mean delay over the seeds. */
  record Quality(String stream, String detector, double meanDelay, double standardError,
      int maxDelay, int falseAlarms, int seedsWithFalseAlarms, int missed) {
    String row() {
      return String.format(Locale.ROOT, "| %s | %s | %.1f | %.1f | %d | %d | %d | %d |",
          stream, detector, meanDelay, standardError, maxDelay, falseAlarms,
          seedsWithFalseAlarms, missed);
    }
  }

  static Quality measure(String streamName, LongFunction<double[]> streams, String detectorName,
      Supplier<DriftDetector> detectors) {
    long delaySum = 0;
    long delaySquares = 0;
    int detected = 0;
    int maxDelay = 0;
    int falseAlarms = 0;
    int seedsWithFalseAlarms = 0;
    int missed = 0;
    for (long seed = 0; seed < SEEDS; seed++) {
      double[] stream = streams.apply(seed);
      List<Integer> found = DriftTesting.detections(detectors.get(), stream);
      int before = (int) found.stream().filter(i -> i < CHANGE).count();
      falseAlarms += before;
      seedsWithFalseAlarms += before > 0 ? 1 : 0;
      int first = found.stream().filter(i -> i >= CHANGE).findFirst().orElse(-1);
      if (first < 0) {
        missed++;
      } else {
        detected++;
        delaySum += first - CHANGE;
        delaySquares += (long) (first - CHANGE) * (first - CHANGE);
        maxDelay = Math.max(maxDelay, first - CHANGE);
      }
    }
    double mean = detected == 0 ? Double.NaN : (double) delaySum / detected;
    double sampleVariance = detected < 2 ? 0
        : (delaySquares - detected * mean * mean) / (detected - 1);
    return new Quality(streamName, detectorName, mean,
        Math.sqrt(Math.max(0, sampleVariance) / Math.max(1, detected)), maxDelay, falseAlarms,
        seedsWithFalseAlarms, missed);
  }

  static double[] bernoulli(long seed) {
    PythonRandom rng = new PythonRandom(seed);
    double[] stream = new double[2 * CHANGE];
    for (int i = 0; i < stream.length; i++) {
      stream[i] = rng.random() < (i < CHANGE ? 0.2 : 0.4) ? 1 : 0;
    }
    return stream;
  }

  static double[] normal(long seed) {
    PythonRandom rng = new PythonRandom(seed);
    double[] stream = new double[2 * CHANGE];
    for (int i = 0; i < stream.length; i++) {
      stream[i] = rng.normalvariate(i < CHANGE ? 0 : 1, 1);
    }
    return stream;
  }

  static List<Quality> table() {
    List<Quality> rows = new ArrayList<>();
    record Stream(String name, LongFunction<double[]> streams) {}
    for (Stream s : List.of(new Stream("river", PythonRandom::riverStream),
        new Stream("bernoulli", DetectionQualityTest::bernoulli),
        new Stream("normal", DetectionQualityTest::normal))) {
      rows.add(measure(s.name(), s.streams(), "adwin", () -> AdwinSpec.defaults().create()));
      rows.add(measure(s.name(), s.streams(), "page_hinkley",
          () -> PageHinkleySpec.defaults().create()));
    }
    // DDM watches 0/1 errors: the Bernoulli stream only.
    rows.add(measure("bernoulli", DetectionQualityTest::bernoulli, "ddm",
        () -> DdmSpec.defaults().create()));
    return rows;
  }

  /**
   * The aims are River's published delays on this kind of stream, about 55 for ADWIN
   * (delta 0.002) and about 20 for Page-Hinkley: no slower, at no more false alarms. On River's
   * own documentation stream the mean delay plus three standard errors over the 100 seeds must
   * stay within the aim, with no false alarm and no miss. Every figure of the table is also
   * pinned (the streams and detectors are deterministic), so a change of behaviour shows here;
   * River's Page-Hinkley and DDM re-typed in Python give the same rows, and so does River's ADWIN
   * on the {@code river} stream; on the others River's ADWIN is slower (it leaves the newest
   * bucket of each histogram row out of its scan of cuts, which MOA and the paper do not).
   */
  @Test
  void detectionQualityOverOneHundredSeeds() {
    List<Quality> rows = table();
    StringBuilder out = new StringBuilder();
    out.append("Detection quality: a change at index 1000 of 2000, seeds 0-99 of Python's"
        + " random.Random, default parameters\n");
    out.append("| stream | detector | mean delay | standard error | max delay | false alarms"
        + " | seeds with false alarms | missed |\n");
    out.append("|---|---|---|---|---|---|---|---|\n");
    for (Quality q : rows) {
      out.append(q.row()).append('\n');
    }
    System.out.print(out);

    Quality adwin = rows.get(0);
    Quality pageHinkley = rows.get(1);
    assertTrue(adwin.meanDelay() + 3 * adwin.standardError() <= 55, adwin.toString());
    assertTrue(pageHinkley.meanDelay() + 3 * pageHinkley.standardError() <= 20,
        pageHinkley.toString());
    for (Quality q : List.of(adwin, pageHinkley)) {
      assertEquals(0, q.falseAlarms(), q.toString());
      assertEquals(0, q.missed(), q.toString());
    }

    List<String> pinned = List.of(
        "| river | adwin | 23.0 | 0.0 | 23 | 0 | 0 | 0 |",
        "| river | page_hinkley | 7.5 | 0.2 | 10 | 0 | 0 | 0 |",
        "| bernoulli | adwin | 185.9 | 7.0 | 439 | 0 | 0 | 0 |",
        "| bernoulli | page_hinkley | 264.6 | 5.5 | 449 | 0 | 0 | 0 |",
        "| normal | adwin | 52.1 | 1.2 | 87 | 0 | 0 | 0 |",
        "| normal | page_hinkley | 38.5 | 1.8 | 167 | 21 | 21 | 2 |",
        "| bernoulli | ddm | 187.4 | 13.0 | 810 | 22 | 18 | 1 |");
    assertEquals(pinned, rows.stream().map(Quality::row).toList());
  }

  /**
   * False alarms on stationary streams: 10,000 draws of the pre-change distributions for each of
   * the 100 seeds (1,000,000 observations per row), each detection counted, the detector
   * resetting and watching on.
   */
  @Test
  void falseAlarmsOnStationaryStreams() {
    int length = 10_000;
    record Stream(String name, LongFunction<double[]> streams) {}
    List<Stream> streams = List.of(
        new Stream("uniform {0, 1}", seed -> new PythonRandom(seed).choices(0, 2, length)),
        new Stream("bernoulli 0.2", seed -> {
          PythonRandom rng = new PythonRandom(seed);
          double[] stream = new double[length];
          for (int i = 0; i < length; i++) {
            stream[i] = rng.random() < 0.2 ? 1 : 0;
          }
          return stream;
        }),
        new Stream("normal(0, 1)", seed -> {
          PythonRandom rng = new PythonRandom(seed);
          double[] stream = new double[length];
          for (int i = 0; i < length; i++) {
            stream[i] = rng.normalvariate(0, 1);
          }
          return stream;
        }));
    List<String> rows = new ArrayList<>();
    for (Stream s : streams) {
      List<Supplier<DriftDetector>> detectors = new ArrayList<>(List.of(
          () -> AdwinSpec.defaults().create(), () -> PageHinkleySpec.defaults().create()));
      if (!s.name().startsWith("normal")) {
        detectors.add(() -> DdmSpec.defaults().create());
      }
      for (Supplier<DriftDetector> detector : detectors) {
        int alarms = 0;
        int seedsWithAlarms = 0;
        String name = "";
        for (long seed = 0; seed < SEEDS; seed++) {
          DriftDetector d = detector.get();
          name = d.spec().configName();
          int found = DriftTesting.detections(d, s.streams().apply(seed)).size();
          alarms += found;
          seedsWithAlarms += found > 0 ? 1 : 0;
        }
        rows.add("| " + s.name() + " | " + name + " | " + alarms + " | " + seedsWithAlarms + " |");
      }
    }
    System.out.println("False alarms over 10,000 stationary draws, seeds 0-99, default parameters");
    System.out.println("| stream | detector | false alarms | seeds with false alarms |");
    System.out.println("|---|---|---|---|");
    rows.forEach(System.out::println);
    // ADWIN's bound holds whatever the scale; Page-Hinkley's threshold is in the value's units
    // (50 suits a 0/1 value, not a unit normal), and DDM's three deviations are tested at every
    // observation.
    assertEquals(List.of(
        "| uniform {0, 1} | adwin | 0 | 0 |",
        "| uniform {0, 1} | page_hinkley | 23 | 22 |",
        "| uniform {0, 1} | ddm | 10 | 10 |",
        "| bernoulli 0.2 | adwin | 0 | 0 |",
        "| bernoulli 0.2 | page_hinkley | 7 | 7 |",
        "| bernoulli 0.2 | ddm | 37 | 27 |",
        "| normal(0, 1) | adwin | 1 | 1 |",
        "| normal(0, 1) | page_hinkley | 281 | 95 |"), rows);
  }
}
