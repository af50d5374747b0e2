package io.gradflow.bench;

import io.gradflow.learn.BatchGradient;
import io.gradflow.learn.ExampleLearner;
import io.gradflow.learn.LearnerSpec;
import io.gradflow.model.DeepModelSpec;
import io.gradflow.model.Loss;
import io.gradflow.optim.AdamSpec;
import io.gradflow.optim.GradientSpec;
import io.gradflow.schedule.ScheduleClock;
import io.gradflow.schedule.ScheduleSpec;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Examples per second of the core's plain-Java mlp (16 dense inputs, hidden [32, 16], ReLU,
 * logistic loss, Adam) at batch sizes 1, 32 and 256, one thread: each example is predicted
 * (forward), its gradient added to the batch (backward), and every full batch is one Adam step on
 * every dense row. The data are random of the same shape as bench/mlp_loop.py's, which times the
 * same model as a hand-written PyTorch loop. A rough wall-clock measurement (no JMH): a warm-up
 * pass, then the best of three timed passes.
 *
 * <pre>bench/java.sh io.gradflow.bench.MlpThroughput [examples]</pre>
 */
public final class MlpThroughput {
  private MlpThroughput() {}

  public static void main(String[] args) {
    int examples = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    int inputs = 16;
    SplittableRandom random = new SplittableRandom(1);
    float[][] dense = new float[examples][inputs];
    float[] labels = new float[examples];
    for (int e = 0; e < examples; e++) {
      for (int j = 0; j < inputs; j++) {
        dense[e][j] = (float) random.nextDouble(-2, 2);
      }
      labels[e] = dense[e][0] * dense[e][1] > 0 ? 1f : 0f;
    }
    for (int batchSize : new int[] {1, 32, 256}) {
      double best = 0;
      for (int pass = 0; pass < 4; pass++) {
        double rate = run(inputs, batchSize, dense, labels);
        if (pass > 0) {
          best = Math.max(best, rate);
        }
      }
      System.out.printf("gradflow plain Java mlp [32, 16] relu adam, batch %d: %.0f examples/s%n",
          batchSize, best);
    }
  }

  private static double run(int inputs, int batchSize, float[][] dense, float[] labels) {
    ExampleLearner learner = new ExampleLearner(new LearnerSpec(
        new DeepModelSpec(false, List.of(32, 16), DeepModelSpec.Activation.RELU, inputs, 0, 0.1,
            DeepModelSpec.Pooling.SUM, batchSize, 1),
        Loss.LOGISTIC, AdamSpec.of(1e-3), GradientSpec.NONE, new ScheduleSpec.Constant(),
        ScheduleClock.MODEL_STEP, false));
    float[][] blocks = learner.newDenseBlocks();
    float[] bias = new float[learner.rowSize()];
    learner.initializeRow(-1, bias, 0);
    BatchGradient batch = new BatchGradient(learner.model());
    float[][] noPages = new float[0][];
    int[] noOffsets = new int[0];
    float[] noValues = new float[0];
    long[] noIds = new long[0];
    long steps = 0;
    double checksum = 0;
    long start = System.nanoTime();
    for (int e = 0; e < labels.length; e++) {
      double a = learner.activation(noPages, noOffsets, noValues, 0, bias, 0, dense[e], blocks);
      checksum += a;
      learner.accumulate(batch, noIds, -1, noPages, noOffsets, noValues, 0, bias, 0, dense[e],
          blocks, a, labels[e], 1f);
      if (batch.examples() == batchSize) {
        steps++;
        double lr = learner.learningRate(steps);
        learner.stepDense(batch, blocks, steps, lr);
        learner.stepRow(batch, 0, bias, 0, steps, lr);
        batch.clear();
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (Double.isNaN(checksum)) {
      throw new IllegalStateException("diverged");
    }
    return labels.length / seconds;
  }
}
