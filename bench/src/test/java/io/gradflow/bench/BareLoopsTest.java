package io.gradflow.bench;

import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gradflow.optim.AdaGradSpec;
import io.gradflow.optim.OptimizerSpec;
import io.gradflow.optim.SgdSpec;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The hand-written loops the optimizer benchmarks measure against stay bit for bit the core's
 * ({@link BareLoops#verify}: rows of widths 1, 3 and 16, a non-finite gradient refused and a
 * finite but extreme one whose result is undone), for every optimizer the benchmark runs, with
 * non-zero weight decay and dampening too; and the check fails for a loop that differs.
 */
class BareLoopsTest {
  @Test
  void everyBareLoopStepsBitForBitAsTheCore() {
    for (OptimizerBench.Variant optimizer : OptimizerBench.Variant.values()) {
      BareLoops.verify(optimizer.spec, BareLoops.of(optimizer.spec));
    }
    for (OptimizerSpec spec : Arrays.asList(new SgdSpec(0.05, 0, 0, false, 0.01),
        new SgdSpec(0.05, 0.9, 0.1, false, 0.01), new AdaGradSpec(0.1, 0.01, 0.01, 0.1, 1e-10))) {
      BareLoops.verify(spec, BareLoops.of(spec));
    }
  }

  @Test
  void aLoopForAnotherConfigurationFailsTheCheck() {
    assertThrows(IllegalStateException.class, () -> BareLoops.verify(AdaGradSpec.of(0.1),
        BareLoops.of(new AdaGradSpec(0.1, 0.01, 0, 0, 1e-10))));
  }
}
