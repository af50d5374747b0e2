package io.gradflow.bench;

import io.gradflow.optim.AdamSpec;
import io.gradflow.optim.GradientSpec;
import io.gradflow.optim.RowLayout;
import io.gradflow.optim.RowUpdater;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Adam updates per second on one core under random sparse access: {@value #PARAMETERS}
 * parameters as rows of width 1, each update one row picked at random, next to a bare
 * {@code float[]} loop doing the same arithmetic.
 *
 * <p>The rows are one {@code float[]} of {@code PARAMETERS * 5} floats (320 MiB: weight, m, v and
 * the two floats of the step count per row, as {@link RowLayout} lays them out), far larger than
 * any cache, so most updates miss to memory, as a sparse model's bias or hashed-feature rows
 * would. Row offsets are drawn once from a fixed seed into a table of {@value #OFFSETS} entries
 * (16 MiB, touching about a fifth of the rows) that invocations walk in turn, {@value #BATCH}
 * updates each; gradients are a small cache-resident table of {@code 1e-3} scale Gaussians, so
 * the only memory traffic that matters is the rows'. {@link #gradflow} steps each row with
 * {@link RowUpdater#update}; {@link #bareLoop} with {@link BareLoops.Adam}, which does the same
 * per-row work (finiteness check, step count, both bias corrections with {@code Math.pow}) and
 * produces bit-identical rows, checked by {@link BareLoops#verify} before measuring. With
 * {@code @OperationsPerInvocation(BATCH)} the throughput score is updates per second. The issue's
 * aim is at least 25 M updates/s.
 *
 * <p>Run (from the repository root, after {@code ./mvnw -pl bench -am package -DskipTests}):
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar SparseAdamBench
 * bench/run-optimizers.sh      # together with OptimizerBench, as a table
 * }</pre>
 *
 * <p>The fork gets {@code -Xmx4g}. One state per benchmark thread; not shared.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(SparseAdamBench.BATCH)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Xmx4g")
public class SparseAdamBench {
  /** Parameters, each a row of width 1. */
  static final int PARAMETERS = 16_777_216;
  /** Rows updated per invocation. */
  static final int BATCH = 1024;
  /** Precomputed random row offsets, walked cyclically; a power of two. */
  static final int OFFSETS = 1 << 22;
  /** Gradient blocks used in turn; the second half negates the first. */
  private static final int GRADIENT_BLOCKS = 8;

  private final AdamSpec spec = AdamSpec.of(1e-3);
  private RowUpdater updater;
  private BareLoops.Adam formula;
  private float[] rows;
  private int[] offsets;
  private float[] gradients;
  private double learningRate;
  private int cursor;
  private int block;

  @Setup(Level.Trial)
  public void setUp() {
    updater = new RowUpdater(spec, GradientSpec.NONE);
    formula = (BareLoops.Adam) BareLoops.of(spec);
    BareLoops.verify(spec, formula);
    learningRate = spec.learningRate();

    int rowSize = updater.layout(1).size();
    rows = new float[PARAMETERS * rowSize];
    SplittableRandom random = new SplittableRandom(42);
    for (int r = 0; r < PARAMETERS; r++) {
      rows[r * rowSize] = (float) (0.01 * (random.nextDouble() - 0.5));
      updater.initialize(rows, r * rowSize, 1);
    }
    offsets = new int[OFFSETS];
    for (int j = 0; j < OFFSETS; j++) {
      offsets[j] = random.nextInt(PARAMETERS) * rowSize;
    }
    int half = GRADIENT_BLOCKS / 2 * BATCH;
    gradients = new float[GRADIENT_BLOCKS * BATCH];
    for (int j = 0; j < half; j++) {
      gradients[j] = (float) (2e-3 * (random.nextDouble() - 0.5));
      gradients[half + j] = -gradients[j];
    }
  }

  /** Fails the trial if a gradient was refused; rows are 320 MiB, so they are not rescanned. */
  @TearDown(Level.Trial)
  public void checkApplied() {
    if (updater.refusedCount() != 0) {
      throw new IllegalStateException(updater.lastRefusal());
    }
  }

  private int nextGradientOffset() {
    block = (block + 1) & (GRADIENT_BLOCKS - 1);
    return block * BATCH;
  }

  @Benchmark
  public int gradflow() {
    int gradOffset = nextGradientOffset();
    int at = cursor;
    int applied = 0;
    for (int j = 0; j < BATCH; j++) {
      if (updater.update(rows, offsets[at + j], 1, gradients, gradOffset + j, learningRate)) {
        applied++;
      }
    }
    cursor = (at + BATCH) & (OFFSETS - 1);
    return applied;
  }

  @Benchmark
  public int bareLoop() {
    BareLoops.Adam adam = formula;
    int gradOffset = nextGradientOffset();
    int at = cursor;
    int applied = 0;
    for (int j = 0; j < BATCH; j++) {
      if (adam.step(rows, offsets[at + j], 1, gradients, gradOffset + j, learningRate)) {
        applied++;
      }
    }
    cursor = (at + BATCH) & (OFFSETS - 1);
    return applied;
  }
}
