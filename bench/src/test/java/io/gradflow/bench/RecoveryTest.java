package io.gradflow.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The drift benchmark's recovery measure and MOA's votes as a probability, by hand. */
class RecoveryTest {
  static final long[] ENDS = {100, 200, 300, 400, 500, 600, 700, 800};

  /** Windows of 100 ending at {@link #ENDS}; {@code examples} -1: not recovered. */
  private static void assertRecovery(double[] losses, long change, long settled, long next,
      double level, long examples) {
    Recovery.Result r = Recovery.of(ENDS, losses, 100, change, settled, next);
    assertEquals(level, r.level(), 1e-12);
    assertEquals(examples, r.examples());
    assertEquals(examples >= 0, r.recovered());
    assertEquals(next - settled, r.horizon());
    assertEquals(examples >= 0 ? examples : next - settled, r.censored());
  }

  @Test
  void recoversAtTheFirstWindowAfterTheChangeWithinTenPercent() {
    // Change at 400: the pre-drift level is the mean of the windows ending at 200, 300, 400;
    // 0.80 and 0.50 are above 0.44; the window ending at 700 (0.43) is the first within.
    double[] losses = {0.9, 0.50, 0.40, 0.30, 0.80, 0.50, 0.43, 0.40};
    assertRecovery(losses, 400, 400, 800, 0.4, 300);
    // With the next change at 600, it has not recovered: the horizon counts.
    assertRecovery(losses, 400, 400, 600, 0.4, -1);
  }

  @Test
  void aWindowThatStraddlesTheChangeDoesNotCount() {
    // Change at 450: the window ending at 500 holds examples 400-499, some before the change.
    assertRecovery(new double[] {0.4, 0.4, 0.4, 0.4, 0.4, 0.9, 0.4, 0.4}, 450, 450, 800, 0.4,
        700 - 450);
  }

  @Test
  void aGradualChangeCountsFromItsEnd() {
    // Transition over [200, 400): the level comes from the windows that end by 200 (0.5 and
    // 0.6: 0.55); the window ending at 500 is the first wholly after it, and within 10%.
    assertRecovery(new double[] {0.5, 0.6, 0.7, 0.8, 0.52, 0.5, 0.5, 0.5}, 200, 400, 800, 0.55,
        100);
  }

  @Test
  void votesBecomeAProbabilityOfClassOne() {
    assertEquals(0.75, MoaPeers.probabilityOfOne(new double[] {1, 3}), 1e-12);
    assertEquals(0.5, MoaPeers.probabilityOfOne(new double[0]));
    assertEquals(0.0, MoaPeers.probabilityOfOne(new double[] {2}));
    assertEquals(0.5, MoaPeers.probabilityOfOne(new double[] {0, 0}));
  }
}
