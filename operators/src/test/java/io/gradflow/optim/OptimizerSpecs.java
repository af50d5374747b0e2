package io.gradflow.optim;

import java.util.List;
import org.junit.jupiter.params.provider.Arguments;

/** Every optimizer in representative configurations, for the parameterized contract suites. */
final class OptimizerSpecs {
  private OptimizerSpecs() {}

  static List<OptimizerSpec> all() {
    return List.of(
        SgdSpec.of(0.05),
        new SgdSpec(0.05, 0.9, 0.1, false, 0.01),
        new SgdSpec(0.05, 0.9, 0, true, 0),
        new AdaGradSpec(0.1, 0.01, 0.01, 0.1, 1e-10),
        RmsPropSpec.of(0.01),
        new RmsPropSpec(0.01, 0.9, 1e-8, 0.01, 0.9, true),
        AdaDeltaSpec.of(1.0),
        AdamSpec.of(0.01),
        new AdamSpec(0.01, 0.9, 0.99, 1e-8, 0.01, true),
        new AdamWSpec(0.01, 0.9, 0.999, 1e-8, 0.05, false),
        new AdamWSpec(0.01, 0.9, 0.999, 1e-8, 0.05, true),
        FtrlSpec.of(0.1),
        new FtrlSpec(0.5, 1.0, 0.1, 0.1));
  }

  static java.util.stream.Stream<Arguments> arguments() {
    return all().stream().map(Arguments::of);
  }
}
