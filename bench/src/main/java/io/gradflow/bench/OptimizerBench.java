package io.gradflow.bench;

import io.gradflow.optim.AdaDeltaSpec;
import io.gradflow.optim.AdaGradSpec;
import io.gradflow.optim.AdamSpec;
import io.gradflow.optim.AdamWSpec;
import io.gradflow.optim.FtrlSpec;
import io.gradflow.optim.GradientSpec;
import io.gradflow.optim.OptimizerSpec;
import io.gradflow.optim.RmsPropSpec;
import io.gradflow.optim.RowLayout;
import io.gradflow.optim.RowUpdater;
import io.gradflow.optim.SgdSpec;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Nanoseconds per parameter per step of each optimizer on dense rows, next to a bare
 * {@code float[]} loop doing the same arithmetic.
 *
 * <p>Each invocation steps {@value #PARAMETERS} weights once: {@code PARAMETERS / width} rows of
 * {@code width} weights, laid out one after the other in one {@code float[]} exactly as
 * {@link RowLayout} says. {@link #gradflow} steps each row with {@link RowUpdater#update};
 * {@link #bareLoop} steps the same rows with the hand-written loop of {@link BareLoops}, chosen by
 * one switch per invocation, outside every loop. Both do the same per-row work (finiteness check
 * of the gradient, step count, bias corrections) and produce bit-identical rows, which
 * {@link BareLoops#verify} checks before anything is measured. With
 * {@code @OperationsPerInvocation(PARAMETERS)} the score is directly ns per parameter per step.
 * The rows (at most 20 KB) stay in L1/L2: this measures arithmetic and per-row overhead, not
 * memory; {@link SparseAdamBench} measures random access.
 *
 * <p>Gradients are {@code 1e-3} scale Gaussians from a fixed seed, in eight blocks used in turn,
 * the last four the negation of the first four, so every weight's gradients sum to zero over a
 * cycle: weights and slots stay bounded and far from subnormal however long the run, and timing
 * does not drift. {@link #checkFinite} fails the trial if anything became NaN or infinite.
 *
 * <p>Run (from the repository root, after {@code ./mvnw -pl bench -am package -DskipTests}):
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar OptimizerBench -p optimizer=Adam -p width=16
 * bench/run-optimizers.sh      # every optimizer and width, plus SparseAdamBench, as a table
 * }</pre>
 *
 * <p>One state per benchmark thread; not shared.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@OperationsPerInvocation(OptimizerBench.PARAMETERS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class OptimizerBench {
  /** Weights stepped per invocation, whatever the row width. */
  static final int PARAMETERS = 1024;
  /** Gradient blocks used in turn; the second half negates the first. */
  private static final int GRADIENT_BLOCKS = 8;

  /**
   * The optimizers of the table, named as {@code torch.optim} names them, each with
   * PyTorch's defaults (SGD, which has no default rate, at 0.01).
   */
  public enum Variant {
    SGD(SgdSpec.of(0.01)),
    SGD_momentum(new SgdSpec(0.01, 0.9, 0, false, 0)),
    Adagrad(AdaGradSpec.of(0.01)),
    RMSprop(RmsPropSpec.of(0.01)),
    Adadelta(AdaDeltaSpec.of(1.0)),
    Adam(AdamSpec.of(1e-3)),
    AdamW(AdamWSpec.of(1e-3)),
    Ftrl(FtrlSpec.of(0.1));

    final OptimizerSpec spec;

    Variant(OptimizerSpec spec) {
      this.spec = spec;
    }
  }

  @Param({"SGD", "SGD_momentum", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Ftrl"})
  public Variant optimizer;

  @Param({"1", "16", "64"})
  public int width;

  private RowUpdater updater;
  private BareLoops.Formula formula;
  private float[] rows;
  private float[] gradients;
  private int rowCount;
  private int rowSize;
  private int stride;
  private double learningRate;
  private int block;

  @Setup(Level.Trial)
  public void setUp() {
    OptimizerSpec spec = optimizer.spec;
    updater = new RowUpdater(spec, GradientSpec.NONE);
    formula = BareLoops.of(spec);
    BareLoops.verify(spec, formula);
    learningRate = spec.learningRate();

    RowLayout layout = updater.layout(width);
    rowCount = PARAMETERS / width;
    rowSize = layout.size();
    stride = layout.stride();
    rows = new float[rowCount * rowSize];
    Random random = new Random(42);
    for (int r = 0; r < rowCount; r++) {
      int offset = r * rowSize;
      for (int i = 0; i < width; i++) {
        rows[offset + layout.weight(i)] = (float) (0.01 * random.nextGaussian());
      }
      updater.initialize(rows, offset, width);
    }

    int half = GRADIENT_BLOCKS / 2 * PARAMETERS;
    gradients = new float[GRADIENT_BLOCKS * PARAMETERS];
    for (int j = 0; j < half; j++) {
      gradients[j] = (float) (1e-3 * random.nextGaussian());
      gradients[half + j] = -gradients[j];
    }
  }

  /** Fails the trial if a weight or slot stopped being finite or a gradient was refused. */
  @TearDown(Level.Trial)
  public void checkFinite() {
    for (int r = 0; r < rowCount; r++) {
      for (int k = 0; k < width * stride; k++) {
        float value = rows[r * rowSize + k];
        if (!Float.isFinite(value)) {
          throw new IllegalStateException(optimizer + " width " + width + ": row " + r
              + " float " + k + " became " + value);
        }
      }
    }
    if (updater.refusedCount() != 0) {
      throw new IllegalStateException(optimizer + ": " + updater.lastRefusal());
    }
  }

  private int nextGradientOffset() {
    block = (block + 1) & (GRADIENT_BLOCKS - 1);
    return block * PARAMETERS;
  }

  @Benchmark
  public int gradflow() {
    int gradOffset = nextGradientOffset();
    int applied = 0;
    for (int r = 0; r < rowCount; r++) {
      if (updater.update(rows, r * rowSize, width, gradients, gradOffset + r * width,
          learningRate)) {
        applied++;
      }
    }
    return applied;
  }

  @Benchmark
  public int bareLoop() {
    int g = nextGradientOffset();
    // The casts give the compiler each formula's exact type (records are final), so once
    // stepAll is inlined into a branch the step inside its loop is bound statically, whatever
    // the profile says: one switch per invocation, no dispatch per row or per weight.
    return switch (optimizer) {
      case SGD -> stepAll((BareLoops.Sgd) formula, g);
      case SGD_momentum -> stepAll((BareLoops.SgdMomentum) formula, g);
      case Adagrad -> stepAll((BareLoops.AdaGrad) formula, g);
      case RMSprop -> stepAll((BareLoops.RmsProp) formula, g);
      case Adadelta -> stepAll((BareLoops.AdaDelta) formula, g);
      case Adam -> stepAll((BareLoops.Adam) formula, g);
      case AdamW -> stepAll((BareLoops.AdamW) formula, g);
      case Ftrl -> stepAll((BareLoops.Ftrl) formula, g);
    };
  }

  private int stepAll(BareLoops.Formula bare, int gradOffset) {
    int applied = 0;
    for (int r = 0; r < rowCount; r++) {
      if (bare.step(rows, r * rowSize, width, gradients, gradOffset + r * width, learningRate)) {
        applied++;
      }
    }
    return applied;
  }
}
