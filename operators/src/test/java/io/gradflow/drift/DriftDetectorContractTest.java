package io.gradflow.drift;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What every detector promises (see {@link DriftDetector}). */
class DriftDetectorContractTest {

  static Stream<DriftDetectorSpec> specs() {
    return Stream.of(AdwinSpec.defaults(), new AdwinSpec(0.1, 1, 1, 1),
        PageHinkleySpec.defaults(), new PageHinkleySpec(1, 0, 5, 0.9), DdmSpec.defaults());
  }

  /** Errors at a rate that doubles every 2,000 observations: changes for every detector. */
  static double[] stream(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    double[] stream = new double[8000];
    for (int i = 0; i < stream.length; i++) {
      stream[i] = random.nextDouble() < 0.05 * (1 << (i / 2000)) ? 1 : 0;
    }
    return stream;
  }

  @ParameterizedTest
  @MethodSource("specs")
  void sameObservationsSameDecisions(DriftDetectorSpec spec) {
    List<Integer> first = DriftTesting.detections(spec.create(), stream(1));
    assertEquals(first, DriftTesting.detections(spec.create(), stream(1)));
    assertEquals(false, first.isEmpty(), spec.toString());
  }

  @ParameterizedTest
  @MethodSource("specs")
  void aDetectionResetsTheDetector(DriftDetectorSpec spec) {
    DriftDetector detector = spec.create();
    double[] fresh = detector.snapshot();
    for (double x : stream(2)) {
      if (detector.update(x)) {
        assertEquals(0, detector.observations());
        assertArrayEquals(fresh, detector.snapshot(), 0);
        return;
      }
    }
    throw new AssertionError("no detection");
  }

  @ParameterizedTest
  @MethodSource("specs")
  void resetForgetsEverything(DriftDetectorSpec spec) {
    DriftDetector detector = spec.create();
    double[] s = stream(3);
    for (int i = 0; i < 1234; i++) {
      detector.update(s[i]);
    }
    detector.reset();
    assertArrayEquals(spec.create().snapshot(), detector.snapshot(), 0);
    assertEquals(0, detector.observations());
  }

  @ParameterizedTest
  @MethodSource("specs")
  void snapshotsAreCopiesAndRestoreContinues(DriftDetectorSpec spec) {
    double[] s = stream(4);
    List<Integer> straight = DriftTesting.detections(spec.create(), s);
    DriftDetector first = spec.create();
    List<Integer> found = DriftTesting.detections(first, s, 0, 3001);
    double[] state = first.snapshot();
    assertNotSame(state, first.snapshot());
    DriftDetector second = spec.restore(state);
    java.util.Arrays.fill(state, 0, state.length, 0);
    assertEquals(first.observations(), second.observations());
    assertEquals(first.estimate(), second.estimate(), 0);
    found.addAll(DriftTesting.detections(second, s, 3001, s.length));
    assertEquals(straight, found);
  }

  @ParameterizedTest
  @MethodSource("specs")
  void refusesNonFiniteObservationsAndForeignSnapshots(DriftDetectorSpec spec) {
    DriftDetector detector = spec.create();
    assertThrows(IllegalArgumentException.class, () -> detector.update(Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> detector.update(Double.NEGATIVE_INFINITY));
    assertEquals(0, detector.observations());
    assertThrows(IllegalArgumentException.class, () -> detector.restore(new double[0]));
    assertThrows(IllegalArgumentException.class, () -> detector.restore(null));
    for (DriftDetectorSpec other : specs().toList()) {
      if (other.getClass() != spec.getClass()) {
        assertThrows(IllegalArgumentException.class,
            () -> detector.restore(other.create().snapshot()));
      }
    }
  }

  /**
   * No allocation per update once the window's histogram has its rows: bytes allocated by this
   * thread over 1,000,000 updates, as the JVM counts them (not a timing).
   */
  @ParameterizedTest
  @MethodSource("specs")
  void updatesDoNotAllocate(DriftDetectorSpec spec) {
    java.lang.management.ThreadMXBean threads =
        java.lang.management.ManagementFactory.getThreadMXBean();
    org.junit.jupiter.api.Assumptions.assumeTrue(
        threads instanceof com.sun.management.ThreadMXBean bean
            && bean.isThreadAllocatedMemorySupported() && bean.isThreadAllocatedMemoryEnabled());
    com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) threads;
    DriftDetector detector = spec.create();
    double[] values = new double[1024];
    SplittableRandom random = new SplittableRandom(9);
    for (int i = 0; i < values.length; i++) {
      values[i] = random.nextDouble() < 0.3 ? 1 : 0;
    }
    int n = 1_000_000;
    for (int i = 0; i < n; i++) {
      detector.update(values[i & 1023]);
    }
    long thread = Thread.currentThread().getId();
    long before = bean.getThreadAllocatedBytes(thread);
    int detections = 0;
    for (int i = 0; i < n; i++) {
      detections += detector.update(values[i & 1023]) ? 1 : 0;
    }
    long allocated = bean.getThreadAllocatedBytes(thread) - before;
    // A few hundred bytes of slack for the counter's own calls; one object per update would be
    // over 16,000,000.
    assertEquals(true, allocated < 4096, spec + " allocated " + allocated + " bytes, "
        + detections + " detections");
  }
}
