package io.gradflow.drift;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AdwinTest {

  /** River's documented example: Random(12345), a change at index 1000; River finds it at 1023. */
  @Test
  void detectsRiversDocumentedChangeAtTheSameIndex() {
    double[] stream = PythonRandom.riverStream(12345);
    assertEquals(List.of(1023), DriftTesting.detections(AdwinSpec.defaults().create(), stream));
  }

  @Test
  void detectsAShiftOfABernoulliRateAtACheck() {
    SplittableRandom random = new SplittableRandom(42);
    double[] stream = new double[4000];
    for (int i = 0; i < stream.length; i++) {
      stream[i] = random.nextDouble() < (i < 2000 ? 0.2 : 0.5) ? 1 : 0;
    }
    List<Integer> found = DriftTesting.detections(AdwinSpec.defaults().create(), stream);
    assertEquals(List.of(2047), found);
    assertEquals(0, (found.get(0) + 1) % AdwinSpec.DEFAULT_CLOCK);
  }

  /**
   * The bound's second term is in the value's units (values in [0, 1], as in the paper): the same
   * change on a scale of 0.01 stays under it, and is found again once rescaled.
   */
  @Test
  void aValueOnATinyScaleNeedsRescaling() {
    double[] stream = DetectionQualityTest.bernoulli(0);
    double[] tiny = new double[stream.length];
    for (int i = 0; i < stream.length; i++) {
      tiny[i] = stream[i] * 0.01;
    }
    assertEquals(List.of(), DriftTesting.detections(AdwinSpec.defaults().create(), tiny));
    assertEquals(List.of(1183), DriftTesting.detections(AdwinSpec.defaults().create(), stream));
  }

  @Test
  void staysQuietOnAStationaryStream() {
    SplittableRandom random = new SplittableRandom(7);
    Adwin adwin = AdwinSpec.defaults().create();
    for (int i = 0; i < 100_000; i++) {
      assertEquals(false, adwin.update(random.nextDouble() < 0.3 ? 1 : 0), "index " + i);
    }
    assertEquals(100_000, adwin.width());
    assertEquals(0.3, adwin.estimate(), 0.01);
  }

  @Test
  void resetsItselfAfterADetection() {
    Adwin adwin = AdwinSpec.defaults().create();
    double[] stream = PythonRandom.riverStream(12345);
    for (int i = 0; i < 1023; i++) {
      assertEquals(false, adwin.update(stream[i]));
    }
    assertEquals(1023, adwin.observations());
    assertTrue(adwin.update(stream[1023]));
    assertEquals(0, adwin.observations());
    assertEquals(0, adwin.buckets());
    assertEquals(0, adwin.estimate(), 0);
    adwin.update(6);
    assertEquals(6, adwin.estimate(), 0);
  }

  /** The histogram: O(M log W) buckets, and its mean and variance are the window's exactly. */
  @Test
  void saysWhetherTheChangeRoseEvenWhenAnOlderFallIsAlsoInTheWindow() {
    // A loss that falls (a model learning), stays, then rises (a drift): the cut at the rise
    // must be reported as a rise, although the older fall is also significant in the window.
    Adwin rising = AdwinSpec.defaults().create();
    java.util.Random random = new java.util.Random(3);
    boolean detected = false;
    for (int i = 0; i < 3_000 && !detected; i++) {
      double mean = i < 300 ? 0.9 : i < 2_000 ? 0.3 : 0.8;
      double x = mean + 0.1 * random.nextGaussian();
      if (rising.update(x)) {
        detected = true;
        assertTrue(i >= 2_000 || !rising.lastChangeIncreased(), "at " + i);
        if (i >= 2_000) {
          assertTrue(rising.lastChangeIncreased(), "the rise at 2,000, detected at " + i);
        } else {
          detected = false; // the fall, detected and reported as a fall: watch on
        }
      }
    }
    assertTrue(detected, "the rise is detected");
    Adwin falling = AdwinSpec.defaults().create();
    for (int i = 0; i < 3_000; i++) {
      if (falling.update(i < 1_000 ? 0.8 : 0.2)) {
        assertFalse(falling.lastChangeIncreased(), "a fall at " + i);
        return;
      }
    }
    throw new AssertionError("the fall is detected");
  }

  @Test
  void keepsLogarithmicMemoryAndExactMoments() {
    for (int maxBuckets : new int[] {1, 2, 5}) {
      Adwin adwin = new AdwinSpec(0.002, 1_000_000, maxBuckets, 5).create();
      SplittableRandom random = new SplittableRandom(3);
      double sum = 0;
      double sumOfSquares = 0;
      int n = 200_000;
      for (int i = 1; i <= n; i++) {
        double x = random.nextGaussian() * 2 + 1;
        adwin.update(x);
        sum += x;
        sumOfSquares += x * x;
        int log2 = 63 - Long.numberOfLeadingZeros(i);
        assertTrue(adwin.buckets() <= maxBuckets * (log2 + 1), "M " + maxBuckets + ", " + i);
      }
      assertEquals(sum / n, adwin.estimate(), 1e-12);
      double variance = sumOfSquares / n - (sum / n) * (sum / n);
      assertEquals(variance, adwin.variance(), 1e-9);
      // The snapshot stores the same moments as the buckets: the buckets' squares, merged, must
      // reproduce the window's, which a restore then continues from.
      Adwin restored = adwin.spec().create();
      restored.restore(adwin.snapshot());
      assertArrayEquals(adwin.snapshot(), restored.snapshot(), 0);
    }
  }

  @Test
  void restoreThenContinueMakesTheSameDecisions() {
    double[] stream = new double[6000];
    SplittableRandom random = new SplittableRandom(11);
    for (int i = 0; i < stream.length; i++) {
      double mean = (i / 1500) % 2 == 0 ? 0.2 : 0.6;
      stream[i] = random.nextDouble() < mean ? 1 : 0;
    }
    AdwinSpec spec = new AdwinSpec(0.01, 16, 3, 5);
    List<Integer> straight = DriftTesting.detections(spec.create(), stream);
    assertTrue(straight.size() >= 3, straight.toString());
    for (int cut : new int[] {0, 1, 777, 1517, 3333, 5999}) {
      Adwin first = spec.create();
      List<Integer> found = DriftTesting.detections(first, stream, 0, cut);
      double[] state = first.snapshot();
      Adwin second = spec.create();
      second.restore(state);
      state[2] = -1; // the restored detector keeps no reference to the array
      found.addAll(DriftTesting.detections(second, stream, cut, stream.length));
      assertEquals(straight, found, "restored at " + cut);
    }
  }

  @Test
  void refusesSnapshotsItCannotContinue() {
    Adwin adwin = AdwinSpec.defaults().create();
    for (int i = 0; i < 100; i++) {
      adwin.update(i % 3);
    }
    double[] state = adwin.snapshot();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new AdwinSpec(0.002, 32, 2, 5).create().restore(state));
    assertTrue(e.getMessage().contains("drift.max_buckets"), e.getMessage());
    double[] pageHinkley = PageHinkleySpec.defaults().create().snapshot();
    assertThrows(IllegalArgumentException.class, () -> adwin.restore(pageHinkley));
    double[] truncated = java.util.Arrays.copyOf(state, state.length - 1);
    assertThrows(IllegalArgumentException.class, () -> adwin.restore(truncated));
    // A refused snapshot leaves the detector as it was.
    assertArrayEquals(state, adwin.snapshot(), 0);
  }

  @Test
  void refusesNonFiniteObservations() {
    Adwin adwin = AdwinSpec.defaults().create();
    assertThrows(IllegalArgumentException.class, () -> adwin.update(Double.NaN));
    assertThrows(IllegalArgumentException.class,
        () -> adwin.update(Double.POSITIVE_INFINITY));
    assertEquals(0, adwin.observations());
  }
}
