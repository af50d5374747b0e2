package io.gradflow.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every model's backward pass against central finite differences of its forward pass, for both
 * losses, and the input contract (nothing modified, slots never read).
 *
 * <p>The check runs in double on float weights without rounding error in the perturbation:
 * weights are multiples of 2^-10 in [-0.5, 0.5] and the step is h = 2^-12, so {@code w +- h} are
 * exact floats; forward passes compute in double. The activation is linear in each single weight
 * (an FM excludes self-interactions), so the only truncation error is the logistic loss's third
 * derivative times h^2 / 6, below 1e-8. The analytic gradient is rounded to float (relative error
 * 6e-8): the tolerance is 1e-6 absolute plus 1e-6 relative.
 */
class ModelGradientTest {
  private static final double H = 0x1.0p-12;
  private static final double TOLERANCE = 1e-6;

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    ModelSpec[] specs = {new LinearSpec(), new FactorizationMachineSpec(1, 0.1, 3),
        new FactorizationMachineSpec(5, 0.3, 7)};
    for (ModelSpec spec : specs) {
      for (Loss loss : Loss.values()) {
        for (double label : loss == Loss.LOGISTIC ? new double[] {0, 1, 0.3}
            : new double[] {1.7, -0.4}) {
          for (double importance : new double[] {1, 2.5}) {
            cases.add(Arguments.of(spec, loss, label, importance));
          }
        }
      }
    }
    return cases.stream();
  }

  /** An example over rows interleaved with NaN slots, in two shared pages. */
  static final class Example {
    final int n;
    final int stride;
    final float[][] pageOf;
    final int[] offsets;
    final float[] values;
    final float[] biasPage;
    final int biasOffset;

    Example(Model model, int n, int stride, long seed) {
      Random random = new Random(seed);
      this.n = n;
      this.stride = stride;
      int width = model.rowWidth();
      int rowFloats = width * stride + 2;
      float[] pageA = new float[(n + 2) * rowFloats + 3];
      float[] pageB = new float[(n + 2) * rowFloats + 5];
      java.util.Arrays.fill(pageA, Float.NaN); // slots and gaps: must never be read
      java.util.Arrays.fill(pageB, Float.NaN);
      pageOf = new float[n][];
      offsets = new int[n];
      values = new float[n];
      for (int i = 0; i < n; i++) {
        pageOf[i] = i % 2 == 0 ? pageA : pageB;
        offsets[i] = 1 + i * rowFloats + (i % 3);
        values[i] = (random.nextInt(33) - 16) / 8f;
        if (values[i] == 0) {
          values[i] = 0.375f;
        }
        writeRow(pageOf[i], offsets[i], width, random);
      }
      biasPage = pageB;
      biasOffset = 2 + n * rowFloats;
      writeRow(biasPage, biasOffset, width, random);
    }

    private void writeRow(float[] page, int offset, int width, Random random) {
      for (int j = 0; j < width; j++) {
        page[offset + j * stride] = (random.nextInt(1025) - 512) / 1024f;
      }
    }

    double forward(Model model, double[] acc) {
      return model.forward(pageOf, offsets, values, n, biasPage, biasOffset, stride, acc);
    }
  }

  @ParameterizedTest
  @MethodSource("cases")
  void backwardEqualsCentralFiniteDifferences(ModelSpec spec, Loss loss, double label,
      double importance) {
    Model model = spec.create();
    int width = model.rowWidth();
    Example e = new Example(model, 7, 3, 11);
    double[] acc = new double[model.accumulatorSize()];
    double a = e.forward(model, acc);
    float[] grad = new float[e.n * width];
    float[] biasGrad = new float[width];
    java.util.Arrays.fill(biasGrad, 99f); // backward must write zeros beyond index 0
    model.backward(e.pageOf, e.offsets, e.values, e.n, e.biasPage, e.biasOffset, e.stride, acc,
        importance * loss.gradient(a, label), grad, biasGrad);

    for (int i = 0; i < e.n; i++) {
      for (int j = 0; j < width; j++) {
        double numeric = numericGradient(model, loss, label, importance, e, e.pageOf[i],
            e.offsets[i] + j * e.stride);
        assertClose(numeric, grad[i * width + j], "feature " + i + " weight " + j);
      }
    }
    for (int j = 0; j < width; j++) {
      double numeric = numericGradient(model, loss, label, importance, e, e.biasPage,
          e.biasOffset + j * e.stride);
      assertClose(numeric, biasGrad[j], "bias weight " + j);
      if (j > 0) {
        assertEquals(0f, biasGrad[j], "the bias row's factors are unused");
      }
    }
  }

  private static double numericGradient(Model model, Loss loss, double label, double importance,
      Example e, float[] page, int at) {
    float w = page[at];
    double[] acc = new double[model.accumulatorSize()];
    page[at] = (float) (w + H);
    double up = importance * loss.loss(e.forward(model, acc), label);
    page[at] = (float) (w - H);
    double down = importance * loss.loss(e.forward(model, acc), label);
    page[at] = w;
    assertEquals(w + H, (double) (float) (w + H), 0.0, "the perturbation is exact");
    return (up - down) / (2 * H);
  }

  private static void assertClose(double expected, double actual, String what) {
    assertEquals(expected, actual, TOLERANCE + TOLERANCE * Math.abs(expected), what);
  }

  @ParameterizedTest
  @MethodSource("cases")
  void inputsAreNeverModified(ModelSpec spec, Loss loss, double label, double importance) {
    Model model = spec.create();
    Example e = new Example(model, 9, 2, 5);
    float[][] pagesBefore = new float[e.n][];
    for (int i = 0; i < e.n; i++) {
      pagesBefore[i] = e.pageOf[i].clone();
    }
    float[] biasBefore = e.biasPage.clone();
    int[] offsetsBefore = e.offsets.clone();
    float[] valuesBefore = e.values.clone();
    double[] acc = new double[model.accumulatorSize()];
    double a = e.forward(model, acc);
    double[] accBefore = acc.clone();
    model.backward(e.pageOf, e.offsets, e.values, e.n, e.biasPage, e.biasOffset, e.stride, acc,
        importance * loss.gradient(a, label), new float[e.n * model.rowWidth()],
        new float[model.rowWidth()]);
    for (int i = 0; i < e.n; i++) {
      assertArrayEquals(pagesBefore[i], e.pageOf[i]);
    }
    assertArrayEquals(biasBefore, e.biasPage);
    assertArrayEquals(offsetsBefore, e.offsets);
    assertArrayEquals(valuesBefore, e.values);
    assertArrayEquals(accBefore, acc, "backward only reads the accumulator");
    // A second forward pass over the same weights gives the same activation, bit for bit.
    assertEquals(a, e.forward(model, new double[model.accumulatorSize()]), 0.0);
  }

  @ParameterizedTest
  @MethodSource("cases")
  void anEmptyExampleIsTheBias(ModelSpec spec, Loss loss, double label, double importance) {
    Model model = spec.create();
    Example e = new Example(model, 3, 2, 9);
    double a = model.forward(e.pageOf, e.offsets, e.values, 0, e.biasPage, e.biasOffset,
        e.stride, new double[model.accumulatorSize()]);
    assertEquals(e.biasPage[e.biasOffset], a, 0.0);
  }
}
