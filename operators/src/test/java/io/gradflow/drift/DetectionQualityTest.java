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
 * Delay is the index of the first detection at or after 1000, minus 1000 (River's documented
 * detection at index 1023 is a delay of 23); a false alarm is a detection before index 1000 (the
 * detector resets and watches on); a miss is no detection from 1000 to 1999.
 */
class DetectionQualityTest {
  static final int SEEDS = 100;
  static final int CHANGE = 1000;

  record Quality(String stream, String detector, double meanDelay, int maxDelay,
      int falseAlarms, int seedsWithFalseAlarms, int missed) {
    String row() {
      return String.format(Locale.ROOT, "| %-9s | %-12s | %6.1f | %4d | %5d | %5d | %4d |",
          stream, detector, meanDelay, maxDelay, falseAlarms, seedsWithFalseAlarms, missed);
    }
  }

  static Quality measure(String streamName, LongFunction<double[]> streams, String detectorName,
      Supplier<DriftDetector> detectors) {
    long delaySum = 0;
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
        maxDelay = Math.max(maxDelay, first - CHANGE);
      }
    }
    return new Quality(streamName, detectorName,
        detected == 0 ? Double.NaN : (double) delaySum / detected, maxDelay, falseAlarms,
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
    return rows;
  }

  @Test
  void detectionQualityOverOneHundredSeeds() {
    List<Quality> rows = table();
    StringBuilder out = new StringBuilder();
    out.append("Detection quality, change at index 1000 of 2000, seeds 0-99, default parameters\n");
    out.append("| stream    | detector     | mean delay | max delay | false alarms | seeds with"
        + " false alarms | missed |\n");
    for (Quality q : rows) {
      out.append(q.row()).append('\n');
    }
    System.out.print(out);
    for (Quality q : rows) {
      assertTrue(q.missed() >= 0, q.toString());
    }
  }
}
