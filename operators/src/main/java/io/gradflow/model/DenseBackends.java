package io.gradflow.model;

import io.gradflow.config.ConfigException;
import io.gradflow.model.DeepModelSpec.DenseBackend;

/**
 * Which {@link DenseBackward} a deep model's batches use ({@code model.dense_backend}), and the
 * ND4J one's loader. {@code auto} is decided by {@link #resolve} from the configuration alone
 * (batch size and layer sizes, never the machine or the class path), so every replay of one
 * configuration takes the same path; the two paths round differently, so a model trained with
 * one does not have the other's bits. Java's arithmetic is the same on every machine; ND4J's
 * GEMM comes from OpenBLAS kernels picked by CPU type, so its bits repeat on the same CPU type.
 *
 * <p>The rule for {@code auto} ({@link #RULE}) is measured by {@code bench/run-mlp.sh} and its
 * exploration (bench/results/mlp.txt and mlp-auto.txt; one thread, examples per second of the
 * whole loop: forward, backward, Adam step). ND4J's per-batch overhead (copies to and from
 * native memory, two GEMM calls per hidden layer) is paid back once a batch carries enough
 * multiply-adds: with 16 inputs and hidden [32, 16] (W = 1024 hidden weights) ND4J tied Java at
 * batch 32 and won by 35% at 64 and 80% at 256; with 4 x [8] and 8 x [16] it never won clearly up
 * to batch 256; with W of 8k and more it won from batch 8 (10 to 35%) and lost at batch 1 and 2.
 * Every configuration measured that the rule sends to ND4J was at least 15% faster than the
 * trainer's Java path ({@link JavaDenseBackward}, a batched pass without per-example gradient
 * arrays; 30% than the per-example arrays it replaced); some smaller wins (batch 4 to 8 with
 * wide layers, 32 x [64] at 16) are left on Java, as are ties, where Java's sums are those of
 * batch_size 1's arithmetic.
 * Stateless and thread-safe.
 */
public final class DenseBackends {
  /** The smallest {@code model.batch_size} for which {@code auto} takes ND4J. */
  public static final int MIN_BATCH = 16;
  /**
   * The smallest {@code batch_size * W} for which it does, W the hidden layers' weights
   * ({@code sum_l in_l * out_l}, {@code in_1} the dense inputs plus the embedding width).
   */
  public static final long MIN_WORK = 65_536;
  /** {@code auto}'s rule in words, for the settings reference. */
  public static final String RULE = "nd4j when batch_size >= " + MIN_BATCH + " and batch_size"
      + " times the hidden layers' weights (sum of in * out over the hidden layers) >= "
      + MIN_WORK + ", else java (for hidden [32, 16] over 16 inputs: batch_size >= 64);"
      + " measured by bench/run-mlp.sh";

  private static final String ND4J_CLASS = "io.gradflow.nd4j.Nd4jDenseBackward";

  private DenseBackends() {}

  /** The backend {@code spec} runs: its {@code dense_backend}, with {@code auto} decided. */
  public static DenseBackend resolve(DeepModelSpec spec) {
    return spec.denseBackend() != DenseBackend.AUTO ? spec.denseBackend()
        : resolve(new DeepModel(spec));
  }

  /** {@link #resolve(DeepModelSpec)} for a model already built from its spec. */
  private static DenseBackend resolve(DeepModel model) {
    DeepModelSpec spec = model.spec();
    if (spec.denseBackend() != DenseBackend.AUTO) {
      return spec.denseBackend();
    }
    // The layer widths as the model lays them out (x0 = inputs + factors), not recomputed here.
    long weights = 0;
    for (int l = 0; l < model.hiddenLayers(); l++) {
      weights += (long) model.layerInput(l) * model.layerOutput(l);
    }
    return spec.batchSize() >= MIN_BATCH && spec.batchSize() * weights >= MIN_WORK
        ? DenseBackend.ND4J : DenseBackend.JAVA;
  }

  /**
   * The backward pass {@code model} runs ({@link #resolve}): ND4J's ({@link #nd4j}), or the
   * plain-Java one that {@code java} makes. Call it when the learner is built, so that a missing
   * ND4J stops the job at start-up.
   *
   * @throws ConfigException naming {@code model.dense_backend} as {@link #nd4j} does
   */
  public static DenseBackward of(DeepModel model,
      java.util.function.Supplier<? extends DenseBackward> java) {
    return resolve(model) == DenseBackend.ND4J ? nd4j(model) : java.get();
  }

  /**
   * The ND4J backward pass for {@code model}, loaded by name so that ND4J's classes and native
   * libraries are touched only when it is chosen.
   *
   * @throws ConfigException naming {@code model.dense_backend} if ND4J (nd4j-native with its
   *     platform classifier) is not on the class path or its native library does not load
   */
  public static DenseBackward nd4j(DeepModel model) {
    Throwable cause;
    try {
      return (DenseBackward) Class.forName(ND4J_CLASS).getConstructor(DeepModel.class)
          .newInstance(model);
    } catch (java.lang.reflect.InvocationTargetException e) {
      cause = e.getCause();
      if (!(cause instanceof LinkageError)) {
        throw new IllegalStateException("ND4J's dense backward pass failed to start", cause);
      }
    } catch (ReflectiveOperationException | LinkageError e) {
      cause = e;
    }
    throw new ConfigException("model.dense_backend", "model.dense_backend is nd4j"
        + (model.spec().denseBackend() == DenseBackend.AUTO ? " (auto chose it: " + RULE + ")"
        : "") + ", but ND4J could not be loaded (" + cause + "); use a job jar with ND4J"
        + " (org.nd4j:nd4j-native and its linux-x86_64 classifier; the jobs module includes"
        + " them unless built with -Dno-nd4j), or set model.dense_backend: java");
  }
}
