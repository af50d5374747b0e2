package io.gradflow.bench;

import io.gradflow.optim.AdamSpec;
import io.gradflow.optim.GradientSpec;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Adam parameter updates per second on one core under random sparse access to rows of
 * {@value #WIDTH} weights (an embedding row: a user's or an item's factors), {@value #PARAMETERS}
 * parameters in all, next to the bare loop of {@link BareLoops.Adam}. Each invocation steps
 * {@value #ROWS_PER_INVOCATION} random rows; with {@code @OperationsPerInvocation} over their
 * weights the score is parameter updates per second. {@link SparseAdamBench} is the worst case,
 * rows of width 1.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar SparseAdamRowsBench}. Not thread-safe.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(SparseAdamRowsBench.ROWS_PER_INVOCATION * SparseAdamRowsBench.WIDTH)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Xmx4g")
public class SparseAdamRowsBench {
  static final int WIDTH = 16;
  static final int PARAMETERS = 16_777_216;
  static final int ROWS = PARAMETERS / WIDTH;
  static final int ROWS_PER_INVOCATION = 256;
  static final int OFFSETS = 1 << 20;

  private final AdamSpec spec = AdamSpec.of(1e-3);
  private RowUpdater updater;
  private BareLoops.Adam formula;
  private float[] rows;
  private int[] offsets;
  private float[] gradients;
  private int cursor;

  @Setup(Level.Trial)
  public void setUp() {
    updater = new RowUpdater(spec, GradientSpec.NONE);
    formula = (BareLoops.Adam) BareLoops.of(spec);
    BareLoops.verify(spec, formula);
    int rowSize = updater.layout(WIDTH).size();
    rows = new float[ROWS * rowSize];
    SplittableRandom random = new SplittableRandom(42);
    for (int r = 0; r < ROWS; r++) {
      for (int i = 0; i < WIDTH; i++) {
        rows[r * rowSize + 3 * i] = (float) (0.01 * (random.nextDouble() - 0.5));
      }
      updater.initialize(rows, r * rowSize, WIDTH);
    }
    offsets = new int[OFFSETS];
    for (int j = 0; j < OFFSETS; j++) {
      offsets[j] = random.nextInt(ROWS) * rowSize;
    }
    gradients = new float[2 * WIDTH];
    for (int i = 0; i < WIDTH; i++) {
      gradients[i] = (float) (2e-3 * (random.nextDouble() - 0.5));
      gradients[WIDTH + i] = -gradients[i];
    }
  }

  @Benchmark
  public int gradflow() {
    int at = cursor;
    int applied = 0;
    for (int j = 0; j < ROWS_PER_INVOCATION; j++) {
      if (updater.update(rows, offsets[at + j], WIDTH, gradients, (j & 1) * WIDTH, 1e-3)) {
        applied++;
      }
    }
    cursor = (at + ROWS_PER_INVOCATION) & (OFFSETS - 1);
    return applied;
  }

  @Benchmark
  public int bareLoop() {
    BareLoops.Adam adam = formula;
    int at = cursor;
    int applied = 0;
    for (int j = 0; j < ROWS_PER_INVOCATION; j++) {
      if (adam.step(rows, offsets[at + j], WIDTH, gradients, (j & 1) * WIDTH, 1e-3)) {
        applied++;
      }
    }
    cursor = (at + ROWS_PER_INVOCATION) & (OFFSETS - 1);
    return applied;
  }
}
