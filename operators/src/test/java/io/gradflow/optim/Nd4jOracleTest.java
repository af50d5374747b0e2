package io.gradflow.optim;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.AMSGrad;
import org.nd4j.linalg.learning.config.AdaDelta;
import org.nd4j.linalg.learning.config.AdaGrad;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * ND4J's updaters (nd4j-native 1.0.0-M2.1, libnd4j's kernels) as a second oracle, independent of
 * PyTorch, for every optimizer ND4J also has.
 *
 * <p>The configurations are chosen so the two definitions coincide where they can:
 * <ul>
 *   <li>ND4J's AdaGrad starts its accumulator at 1e-6 (its default epsilon), so Gradflow's runs
 *       with {@code initial_accumulator_value = eps = 1e-6}.
 *   <li>ND4J's Nesterovs ({@code v = mu v - lr g; w += -mu v_prev + (1 + mu) v}) is PyTorch's
 *       Nesterov SGD with zero dampening under the change of variables {@code v = -lr b}.
 *   <li>ND4J's AdaDelta has no learning rate: Gradflow's runs with {@code lr = 1}.
 *   <li>Where the definitions still differ, by design, the difference is below the tolerance:
 *       ND4J's RMSProp starts its average at eps = 1e-8 (PyTorch at 0), and ND4J's Adam and
 *       AMSGrad add eps before the second moment's bias correction (PyTorch after), a relative
 *       change of about eps / sqrt(v) = 1e-8 for gradients near 1.
 * </ul>
 * Tolerance: {@code |got - expected| <= 1e-6 + 1e-4 |expected|}, the golden vectors' bar, over
 * 200 steps of a 16-weight row with gradients of magnitude 0.1 to about 3, mostly positive.
 */
class Nd4jOracleTest {
  private static final int WIDTH = 16;
  private static final int STEPS = 200;

  @BeforeAll
  static void floatPrecision() {
    Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
  }

  static Stream<Arguments> pairs() {
    return Stream.of(
        Arguments.of(SgdSpec.of(0.05), new Sgd(0.05)),
        Arguments.of(new SgdSpec(0.02, 0.9, 0, true, 0), new Nesterovs(0.02, 0.9)),
        Arguments.of(new AdaGradSpec(0.1, 0, 0, 1e-6, 1e-6), new AdaGrad(0.1, 1e-6)),
        Arguments.of(new RmsPropSpec(0.01, 0.95, 1e-8, 0, 0, false), new RmsProp(0.01, 0.95, 1e-8)),
        Arguments.of(new AdaDeltaSpec(1.0, 0.95, 1e-6, 0), new AdaDelta(0.95, 1e-6)),
        Arguments.of(new AdamSpec(0.01, 0.9, 0.999, 1e-8, 0, false), new Adam(0.01, 0.9, 0.999, 1e-8)),
        Arguments.of(new AdamSpec(0.01, 0.8, 0.99, 1e-8, 0, true), new AMSGrad(0.01, 0.8, 0.99, 1e-8)));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("pairs")
  void gradflowMatchesNd4j(OptimizerSpec spec, IUpdater nd4jConfig) {
    Random random = new Random(42);
    float[] initial = new float[WIDTH];
    for (int i = 0; i < WIDTH; i++) {
      initial[i] = (float) random.nextGaussian();
    }

    RowUpdater updater = new RowUpdater(spec, GradientSpec.NONE);
    RowLayout layout = updater.layout(WIDTH);
    float[] row = new float[layout.size()];
    layout.setWeights(row, 0, initial, 0);
    updater.initialize(row, 0, WIDTH);

    long stateSize = nd4jConfig.stateSize(WIDTH);
    INDArray state = stateSize == 0 ? null : Nd4j.zeros(DataType.FLOAT, 1, stateSize);
    GradientUpdater<?> nd4j = nd4jConfig.instantiate(state, true);
    INDArray params = Nd4j.create(initial, new long[] {1, WIDTH}, DataType.FLOAT);

    float[] grad = new float[WIDTH];
    float[] ours = new float[WIDTH];
    for (int step = 0; step < STEPS; step++) {
      double scale = random.nextBoolean() ? 1.0 : 0.1;
      for (int i = 0; i < WIDTH; i++) {
        // |g| >= 0.1, so ND4J's RMSProp average starting at 1e-8 instead of 0 stays invisible.
        double magnitude = 0.1 + Math.abs(random.nextGaussian()) * scale;
        grad[i] = (float) (random.nextInt(3) == 0 ? -magnitude : magnitude);
      }
      updater.update(row, 0, WIDTH, grad, 0, spec.learningRate());
      INDArray update = Nd4j.create(grad.clone(), new long[] {1, WIDTH}, DataType.FLOAT);
      nd4j.applyUpdater(update, step, 0);
      params.subi(update);

      layout.copyWeights(row, 0, ours, 0);
      for (int i = 0; i < WIDTH; i++) {
        double want = params.getDouble(0, i);
        if (Math.abs(ours[i] - want) > 1e-6 + 1e-4 * Math.abs(want)) {
          fail("step " + step + ", weight " + i + ": ND4J " + want + ", Gradflow " + ours[i]);
        }
      }
    }
  }
}
