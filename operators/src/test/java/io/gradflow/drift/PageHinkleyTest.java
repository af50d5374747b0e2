package io.gradflow.drift;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PageHinkleyTest {

  /** River's documented example: Random(12345), a change at index 1000; River finds it at 1006. */
  @Test
  void detectsRiversDocumentedChangeAtTheSameIndex() {
    double[] stream = PythonRandom.riverStream(12345);
    assertEquals(List.of(1006),
        DriftTesting.detections(PageHinkleySpec.defaults().create(), stream));
  }

  /** Hand-computed: 0s then 1s with no forgetting; m grows by 1 - mean - delta per step. */
  @Test
  void followsTheRecurrence() {
    PageHinkley ph = new PageHinkley(new PageHinkleySpec(1, 0.0, 1.5, 1.0));
    assertEquals(false, ph.update(0));
    assertEquals(false, ph.update(0));
    assertEquals(false, ph.update(1)); // mean 1/3, m = 2/3
    assertEquals(2.0 / 3, ph.cumulativeDeviation(), 1e-15);
    assertEquals(1.0 / 3, ph.estimate(), 1e-15);
    assertEquals(false, ph.update(1)); // mean 1/2, m = 2/3 + 1/2
    assertTrue(ph.update(1)); // mean 3/5, m = 7/6 + 2/5 = 1.5667 >= 1.5
    assertEquals(0, ph.observations());
  }

  @Test
  void detectsIncreasesOnly() {
    double[] down = new double[3000];
    double[] up = new double[3000];
    SplittableRandom random = new SplittableRandom(5);
    for (int i = 0; i < down.length; i++) {
      double noise = random.nextGaussian() * 0.5;
      down[i] = (i < 1000 ? 5 : 1) + noise;
      up[i] = (i < 1000 ? 1 : 5) + noise;
    }
    assertEquals(List.of(), DriftTesting.detections(PageHinkleySpec.defaults().create(), down));
    assertEquals(List.of(1010), DriftTesting.detections(PageHinkleySpec.defaults().create(), up));
  }

  @Test
  void waitsForMinInstancesAfterEachReset() {
    PageHinkley ph = new PageHinkley(new PageHinkleySpec(10, 0, 1, 1));
    // A jump at the second observation passes the threshold at once but must wait.
    List<Integer> found = DriftTesting.detections(ph,
        new double[] {0, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100});
    assertEquals(List.of(9), found);
    assertEquals(3, ph.observations());
  }

  @Test
  void restoreThenContinueMakesTheSameDecisions() {
    double[] stream = new double[5000];
    SplittableRandom random = new SplittableRandom(13);
    for (int i = 0; i < stream.length; i++) {
      stream[i] = (i / 1000) * 2 + random.nextGaussian();
    }
    PageHinkleySpec spec = PageHinkleySpec.defaults();
    List<Integer> straight = DriftTesting.detections(spec.create(), stream);
    assertTrue(straight.size() >= 3, straight.toString());
    for (int cut : new int[] {0, 1, 999, 1003, 2500, 4999}) {
      PageHinkley first = spec.create();
      List<Integer> found = DriftTesting.detections(first, stream, 0, cut);
      PageHinkley second = spec.create();
      second.restore(first.snapshot());
      assertArrayEquals(first.snapshot(), second.snapshot(), 0);
      found.addAll(DriftTesting.detections(second, stream, cut, stream.length));
      assertEquals(straight, found, "restored at " + cut);
    }
  }

  @Test
  void refusesForeignSnapshots() {
    PageHinkley ph = PageHinkleySpec.defaults().create();
    ph.update(3);
    double[] before = ph.snapshot();
    assertThrows(IllegalArgumentException.class,
        () -> ph.restore(AdwinSpec.defaults().create().snapshot()));
    assertThrows(IllegalArgumentException.class,
        () -> ph.restore(new double[] {PageHinkley.TAG, 2, 0, 0, 0}));
    assertArrayEquals(before, ph.snapshot(), 0);
  }
}
