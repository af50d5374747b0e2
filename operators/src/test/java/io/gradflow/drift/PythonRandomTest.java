package io.gradflow.drift;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The test streams are Python's: values printed by CPython 3's {@code random} module. */
class PythonRandomTest {
  @Test
  void matchesCpython() {
    // random.Random(12345): r.random(), then r.choices([0, 1], k=5)
    PythonRandom rng = new PythonRandom(12345);
    assertEquals(0.41661987254534116, rng.random(), 0);
    assertArrayEquals(new double[] {0, 1, 0, 0, 0}, rng.choices(0, 2, 5), 0);
    // random.Random(7).normalvariate(0, 1)
    assertEquals(-0.35590824951057143, new PythonRandom(7).normalvariate(0, 1), 0);
    // random.Random(2**40 + 3).random(): a seed of two 32-bit words
    assertEquals(0.21978710637116716, new PythonRandom((1L << 40) + 3).random(), 0);
  }
}
