package io.gradflow.bench;

import io.gradflow.learn.ExampleLearner;
import io.gradflow.learn.LearnerSpec;
import io.gradflow.model.DeepModel;
import io.gradflow.model.DeepModelSpec;
import io.gradflow.model.DenseBackends;
import io.gradflow.model.DenseBackward;
import io.gradflow.model.JavaDenseBackward;
import io.gradflow.model.Loss;
import io.gradflow.model.ParameterBlock;
import io.gradflow.optim.AdamSpec;
import io.gradflow.optim.GradientSpec;
import io.gradflow.optim.RowUpdater;
import io.gradflow.schedule.ScheduleClock;
import io.gradflow.schedule.ScheduleSpec;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Examples per second of the core's mlp (ReLU, logistic loss, Adam, lr 1e-3) at batch sizes 1,
 * 32 and 256, one thread, by three paths, for two shapes: 16 inputs, hidden [32, 16] (the issue's
 * model) and 64 inputs, hidden [256, 128] (wide layers, the evidence for
 * {@code model.dense_backend: auto}'s rule).
 *
 * <ul>
 *   <li>{@code java_single}: the reference arithmetic: each example's forward pass on the
 *       interleaved rows ({@code [w, m, v]} per weight), its single-example backward pass
 *       ({@link DeepModel#backward}) into per-example gradient arrays, added to the batch's double
 *       sums; one Adam step per batch on the mean gradient;
 *   <li>{@code java}: the trainer's plain-Java path: the same forward passes, then the batch's
 *       dense backward pass at once by {@link JavaDenseBackward}, which adds each example's
 *       float-rounded gradient straight to the sums: bit-identical to {@code java_single}
 *       (checked: the final weights must be equal to {@code java_single}'s, else the run fails);
 *   <li>{@code java_packed}: {@code java} on a copy of the weights packed with stride 1,
 *       refreshed after each step (a batch's weights do not change until its step): the forward
 *       and backward loops read consecutive floats; bit-identical (checked likewise);
 *   <li>{@code nd4j}: the packed forward pass, then the batch's dense backward pass at once on
 *       ND4J ({@link io.gradflow.nd4j.Nd4jDenseBackward}); other rounding.
 * </ul>
 *
 * Each example is predicted before its gradient is added (prequential); the trailing partial
 * batch is not stepped. The data: uniform in [-2, 2), label {@code x0 * x1 > 0}, generated with a
 * fixed seed and written to {@code <dir>/mlp-data-<inputs>.bin} (float32 little-endian, a row of
 * inputs then the label, per example) for bench/mlp_loop.py, which times the same models as a
 * hand-written PyTorch loop on those files. A rough wall-clock measurement (no JMH): one warm-up
 * pass, then the median of {@code rounds} passes. Run it with OMP_NUM_THREADS=1 (bench/run-mlp.sh
 * does) so that ND4J's OpenBLAS uses one thread as the Java paths do.
 *
 * <pre>bench/java.sh io.gradflow.bench.MlpThroughput DIR [small examples] [large examples] [rounds]</pre>
 *
 * For the exploration behind {@code auto}'s rule, {@code -Dmlp.batches=4,8,16} and
 * {@code -Dmlp.shapes=4:8,16:32x16} (inputs:hidden; the small example count) replace the
 * defaults.
 */
public final class MlpThroughput {
  private static final float[][] NO_PAGES = new float[0][];
  private static final int[] NO_OFFSETS = new int[0];
  private static final float[] NO_VALUES = new float[0];

  private MlpThroughput() {}

  /** The paths timed (see the class comment). */
  enum Variant {
    JAVA_SINGLE, JAVA, JAVA_PACKED, ND4J
  }

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args.length > 0 ? args[0] : "bench/target");
    int small = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
    int large = args.length > 2 ? Integer.parseInt(args[2]) : 10_000;
    int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 5;
    Files.createDirectories(dir);
    int[] batches = Arrays.stream(System.getProperty("mlp.batches", "1,32,256").split(","))
        .mapToInt(Integer::parseInt).toArray();
    String shapes = System.getProperty("mlp.shapes");
    if (shapes == null) {
      measure(dir, 16, List.of(32, 16), small, batches, rounds);
      measure(dir, 64, List.of(256, 128), large, batches, rounds);
    } else {
      // Exploration for auto's rule: -Dmlp.shapes=4:8,16:32x16 (inputs:hidden, x between layers)
      for (String shape : shapes.split(",")) {
        String[] parts = shape.split(":");
        measure(dir, Integer.parseInt(parts[0]), Arrays.stream(parts[1].split("x"))
            .map(Integer::valueOf).toList(), small, batches, rounds);
      }
    }
    System.out.printf("# ND4J threads: %d (OpenMP, OMP_NUM_THREADS=%s), OpenBLAS %d%n",
        org.nd4j.linalg.factory.Nd4j.getEnvironment().maxThreads(),
        System.getenv("OMP_NUM_THREADS"),
        org.nd4j.linalg.factory.Nd4j.factory().blas().getMaxThreads());
  }

  private static void measure(Path dir, int inputs, List<Integer> hidden, int examples,
      int[] batches, int rounds) throws IOException {
    SplittableRandom random = new SplittableRandom(1);
    float[][] dense = new float[examples][inputs];
    float[] labels = new float[examples];
    for (int e = 0; e < examples; e++) {
      for (int j = 0; j < inputs; j++) {
        dense[e][j] = (float) random.nextDouble(-2, 2);
      }
      labels[e] = dense[e][0] * dense[e][1] > 0 ? 1f : 0f;
    }
    write(dir.resolve("mlp-data-" + inputs + ".bin"), dense, labels);
    for (int batchSize : batches) {
      float[][] reference = null;
      for (Variant path : Variant.values()) {
        double[] rates = new double[rounds];
        float[][] weights = null;
        for (int pass = 0; pass <= rounds; pass++) {
          Run run = new Run(inputs, hidden, batchSize, path);
          double rate = run.pass(dense, labels);
          if (pass > 0) {
            rates[pass - 1] = rate;
          }
          weights = run.blocks;
        }
        if (path == Variant.JAVA_SINGLE) {
          reference = weights;
        } else if (path != Variant.ND4J && !Arrays.deepEquals(reference, weights)) {
          throw new IllegalStateException(path + "'s weights differ from java_single's");
        }
        Arrays.sort(rates);
        System.out.printf("gradflow %s mlp %d inputs %s relu adam, batch %d: %.0f examples/s"
            + " (median of %d; min %.0f, max %.0f)%n", path.name().toLowerCase(), inputs, hidden,
            batchSize, rates[rounds / 2], rounds, rates[0], rates[rounds - 1]);
      }
    }
  }

  private static void write(Path file, float[][] dense, float[] labels) throws IOException {
    int inputs = dense[0].length;
    ByteBuffer buffer = ByteBuffer.allocate(4 * (inputs + 1)).order(ByteOrder.LITTLE_ENDIAN);
    try (DataOutputStream out = new DataOutputStream(
        new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 16))) {
      for (int e = 0; e < labels.length; e++) {
        buffer.clear();
        for (float x : dense[e]) {
          buffer.putFloat(x);
        }
        buffer.putFloat(labels[e]);
        out.write(buffer.array());
      }
    }
  }

  /** One model trained over the data once by one path. */
  private static final class Run {
    private final Variant path;
    private final int batchSize;
    private final ExampleLearner learner;
    private final RowUpdater updater;
    private final DeepModel model;
    private final List<ParameterBlock> denseBlocks;
    private final int stride;
    private final int layers;
    final float[][] blocks;
    private final float[][] packed;
    private final float[] bias;
    private final double[] acc;
    private final float[] grad;
    private final float[] biasGrad;
    private final float[][] blockGrads;
    private final double[][] sums;
    private final float[][] means;
    private final double[][] acts;
    private final double[] d;
    private final double[] dx0;
    private final DenseBackward batched;

    Run(int inputs, List<Integer> hidden, int batchSize, Variant path) {
      this.path = path;
      this.batchSize = batchSize;
      LearnerSpec spec = new LearnerSpec(new DeepModelSpec(false, hidden,
          DeepModelSpec.Activation.RELU, inputs, 0, 0.1, DeepModelSpec.Pooling.SUM, batchSize,
          1), Loss.LOGISTIC, AdamSpec.of(1e-3), GradientSpec.NONE, new ScheduleSpec.Constant(),
          ScheduleClock.MODEL_STEP, false);
      this.learner = new ExampleLearner(spec);
      this.updater = new RowUpdater(spec.optimizer(), spec.gradient());
      this.model = (DeepModel) learner.model();
      this.denseBlocks = model.denseBlocks();
      this.stride = learner.layout().stride();
      this.layers = model.hiddenLayers();
      this.blocks = learner.newDenseBlocks();
      this.packed = new float[blocks.length][];
      this.sums = new double[blocks.length][];
      this.means = new float[blocks.length][];
      this.blockGrads = new float[blocks.length][];
      for (int b = 0; b < blocks.length; b++) {
        packed[b] = new float[denseBlocks.get(b).size(1)];
        sums[b] = new double[denseBlocks.get(b).gradientSize()];
        means[b] = new float[sums[b].length];
        blockGrads[b] = new float[sums[b].length];
      }
      this.bias = new float[learner.rowSize()];
      learner.initializeRow(-1, bias, 0);
      this.acc = new double[model.accumulatorSize()];
      this.grad = new float[model.rowWidth()];
      this.biasGrad = new float[model.rowWidth()];
      this.acts = new double[layers + 1][];
      for (int l = 0; l <= layers; l++) {
        acts[l] = new double[batchSize * model.layerInput(l)];
      }
      this.d = new double[batchSize];
      this.dx0 = new double[batchSize * model.layerInput(0)];
      this.batched = path == Variant.ND4J ? DenseBackends.nd4j(model)
          : path == Variant.JAVA_SINGLE ? null : new JavaDenseBackward();
    }

    double pass(float[][] dense, float[] labels) {
      boolean pack = path == Variant.JAVA_PACKED || path == Variant.ND4J;
      float[][] weights = pack ? packed : blocks;
      int weightStride = pack ? 1 : stride;
      if (pack) {
        pack();
      }
      long steps = 0;
      int inBatch = 0;
      double biasSum = 0;
      double checksum = 0;
      long start = System.nanoTime();
      for (int e = 0; e < labels.length; e++) {
        double a = model.forward(NO_PAGES, NO_OFFSETS, NO_VALUES, 0, bias, 0, weightStride,
            dense[e], weights, acc);
        checksum += a;
        double dl = Loss.LOGISTIC.gradient(a, labels[e]);
        biasSum += (float) dl; // DeepModel.backward's bias gradient, a float
        if (batched != null) {
          int at = model.partialSize();
          for (int l = 0; l <= layers; l++) {
            int width = model.layerInput(l);
            System.arraycopy(acc, at, acts[l], inBatch * width, width);
            at += width;
          }
          d[inBatch] = dl;
        } else {
          model.backward(NO_PAGES, NO_OFFSETS, NO_VALUES, 0, bias, 0, weightStride, dense[e],
              weights, acc, dl, grad, biasGrad, blockGrads);
          for (int b = 0; b < sums.length; b++) {
            double[] s = sums[b];
            float[] g = blockGrads[b];
            for (int i = 0; i < s.length; i++) {
              s[i] += g[i];
            }
          }
        }
        if (++inBatch == batchSize) {
          if (batched != null) {
            batched.backward(model, weights, weightStride, acts, d, inBatch, sums, dx0);
          }
          steps++;
          step(steps, learner.learningRate(steps), biasSum, inBatch);
          if (pack) {
            pack();
          }
          inBatch = 0;
          biasSum = 0;
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      if (Double.isNaN(checksum)) {
        throw new IllegalStateException("diverged");
      }
      return labels.length / seconds;
    }

    /** One Adam step of every dense row and the bias on the batch's mean gradient. */
    private void step(long steps, double lr, double biasSum, int examples) {
      for (int b = 0; b < blocks.length; b++) {
        ParameterBlock block = denseBlocks.get(b);
        double[] s = sums[b];
        float[] m = means[b];
        for (int i = 0; i < s.length; i++) {
          m[i] = (float) (s[i] / examples);
          s[i] = 0;
        }
        int width = block.width();
        for (int r = 0; r < block.rows(); r++) {
          updater.update(blocks[b], block.rowOffset(r, stride), width, m, r * width, steps, lr);
        }
      }
      biasGrad[0] = (float) (biasSum / examples);
      updater.update(bias, 0, 1, biasGrad, 0, steps, lr);
    }

    /** Copies the weights (not the slots) of every dense row to {@link #packed}, stride 1. */
    private void pack() {
      for (int b = 0; b < blocks.length; b++) {
        ParameterBlock block = denseBlocks.get(b);
        int width = block.width();
        for (int r = 0; r < block.rows(); r++) {
          int from = block.rowOffset(r, stride);
          int to = block.rowOffset(r, 1);
          for (int c = 0; c < width; c++) {
            packed[b][to + c] = blocks[b][from + c * stride];
          }
        }
      }
    }
  }
}
