package io.gradflow.drift;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DdmTest {

  /**
   * River's documented example: Random(42), {@code choices([0, 1], k=1000)} then
   * {@code choices([0, 1], k=1000, weights=[0.3, 0.7])}; River finds the change at 1334.
   */
  static double[] riverDdmStream() {
    PythonRandom rng = new PythonRandom(42);
    double[] stream = new double[2000];
    System.arraycopy(rng.choices(0, 2, 1000), 0, stream, 0, 1000);
    for (int i = 1000; i < 2000; i++) {
      // choices with weights: bisect_right([0.3, 1.0], random() * 1.0, 0, 1)
      stream[i] = rng.random() < 0.3 ? 0 : 1;
    }
    return stream;
  }

  @Test
  void detectsRiversDocumentedChangeAtTheSameIndex() {
    assertEquals(List.of(1334), DriftTesting.detections(DdmSpec.defaults().create(),
        riverDdmStream()));
  }

  @Test
  void warnsBeforeItDetectsAndResetsAfter() {
    Ddm ddm = DdmSpec.defaults().create();
    double[] stream = riverDdmStream();
    int firstWarning = -1;
    for (int i = 0; i < 1334; i++) {
      assertEquals(false, ddm.update(stream[i]), "index " + i);
      if (ddm.warning() && firstWarning < 0) {
        firstWarning = i;
      }
    }
    assertEquals(1084, firstWarning); // River's documented first warning
    assertTrue(ddm.update(stream[1334]));
    assertEquals(0, ddm.observations());
    assertEquals(false, ddm.warning());
  }

  @Test
  void restoreThenContinueMakesTheSameDecisions() {
    double[] stream = new double[6000];
    SplittableRandom random = new SplittableRandom(17);
    for (int i = 0; i < stream.length; i++) {
      stream[i] = random.nextDouble() < 0.1 + 0.15 * (i / 1500) ? 1 : 0;
    }
    DdmSpec spec = DdmSpec.defaults();
    List<Integer> straight = DriftTesting.detections(spec.create(), stream);
    assertTrue(straight.size() >= 2, straight.toString());
    for (int cut : new int[] {0, 10, 31, 1600, 4000, 5999}) {
      Ddm first = spec.create();
      List<Integer> found = DriftTesting.detections(first, stream, 0, cut);
      Ddm second = spec.create();
      second.restore(first.snapshot());
      assertArrayEquals(first.snapshot(), second.snapshot(), 0);
      found.addAll(DriftTesting.detections(second, stream, cut, stream.length));
      assertEquals(straight, found, "restored at " + cut);
    }
  }

  @Test
  void refusesValuesOutsideTheUnitInterval() {
    Ddm ddm = DdmSpec.defaults().create();
    assertThrows(IllegalArgumentException.class, () -> ddm.update(1.5));
    assertThrows(IllegalArgumentException.class, () -> ddm.update(-0.1));
    assertEquals(0, ddm.observations());
    assertThrows(IllegalArgumentException.class,
        () -> ddm.restore(PageHinkleySpec.defaults().create().snapshot()));
  }
}
