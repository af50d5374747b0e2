package io.gradflow.bench;

import io.gradflow.learn.ExampleLearner;
import io.gradflow.model.CompactExample;
import io.gradflow.state.PagedLearner;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@link TrainerThroughput}'s flat-array reference loop and Gradflow's paged row path without
 * Flink ({@link PagedLearner}) on the same examples, timed by the thread's CPU time as well as
 * the wall clock: on a shared machine, time the thread spends descheduled inflates wall-clock
 * rates but not CPU-time rates, so the CPU-time ratio of paged to flat is the steadier figure.
 * Rates are those of the second half of each run (as {@link TrainerThroughput}'s), and each
 * loop is warmed up alike (300,000 examples on an instance of its own) before it is timed; every
 * run must predict bit-identically to the reference.
 *
 * <p>{@code bench/java.sh io.gradflow.bench.RowPathCpu [examples [rounds]]} (default 1,000,000
 * examples, 5 rounds). Ends with {@code RESULT paged_vs_flat_cpu=<x> paged_vs_flat_wall=<x>
 * flat_cpu_rate=<n> paged_cpu_rate=<n>} (medians over rounds).
 */
public final class RowPathCpu {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private RowPathCpu() {}

  /** Second-half rates of one run: examples per wall second and per CPU second. */
  record Rates(double wall, double cpu, long checksum) {}

  static Rates run(long examples, TrainerThroughput.Step step) throws Exception {
    long checksum = 0;
    long wallHalf = 0;
    long cpuHalf = 0;
    for (long i = 0; i < examples; i++) {
      if (i == examples / 2) {
        wallHalf = System.nanoTime();
        cpuHalf = THREADS.getCurrentThreadCpuTime();
      }
      checksum = TrainerThroughput.fold(checksum,
          step.process(TrainerThroughput.pool[(int) (i % TrainerThroughput.POOL)]));
    }
    long wall = System.nanoTime() - wallHalf;
    long cpu = THREADS.getCurrentThreadCpuTime() - cpuHalf;
    long half = examples - examples / 2;
    return new Rates(half / (wall / 1e9), half / (cpu / 1e9), checksum);
  }

  static Rates flat(long examples) throws Exception {
    TrainerThroughput.FlatLoop warm = new TrainerThroughput.FlatLoop();
    for (int i = 0; i < Math.min(examples, 300_000); i++) {
      warm.process(TrainerThroughput.pool[i % TrainerThroughput.POOL]);
    }
    return run(examples, new TrainerThroughput.FlatLoop()::process);
  }

  /**
   * As {@link TrainerThroughput}'s paged run: a new learner over an in-memory store, after the
   * same warm-up as {@link #flat}'s (another learner over the first examples), so that neither
   * loop's first round is timed while its code is still being compiled.
   */
  static Rates paged(long examples) throws Exception {
    TrainerThroughput.Step warm = pagedStep();
    for (int i = 0; i < Math.min(examples, 300_000); i++) {
      warm.process(TrainerThroughput.pool[i % TrainerThroughput.POOL]);
    }
    return run(examples, pagedStep());
  }

  /** A new paged learner's step: predict, then learn, one example. */
  private static TrainerThroughput.Step pagedStep() {
    PagedLearner learner = TrainerThroughput.newPagedLearner();
    ExampleLearner core = learner.learner();
    double rate = core.learningRate(0);
    long[] step = {0};
    return (CompactExample e) -> core.loss().prediction(
        learner.process(e.modelKey, e, e.dense, true, ++step[0], rate));
  }

  public static void main(String[] args) throws Exception {
    long examples = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000L;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    TrainerThroughput.pool = TrainerThroughput.generate(20261128L);
    List<Double> cpuRatios = new ArrayList<>();
    List<Double> wallRatios = new ArrayList<>();
    List<Double> flatCpu = new ArrayList<>();
    List<Double> pagedCpu = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      Rates flat = flat(examples);
      Rates paged = paged(examples);
      if (paged.checksum() != flat.checksum()) {
        throw new IllegalStateException("the paged run did not predict bit-identically to the"
            + " flat loop");
      }
      cpuRatios.add(paged.cpu() / flat.cpu());
      wallRatios.add(paged.wall() / flat.wall());
      flatCpu.add(flat.cpu());
      pagedCpu.add(paged.cpu());
      System.out.printf(Locale.ROOT, "round %d: flat %,.0f/s cpu %,.0f/s wall; paged %,.0f/s cpu"
          + " %,.0f/s wall; paged/flat %.3f cpu %.3f wall (checksum %x)%n", round + 1,
          flat.cpu(), flat.wall(), paged.cpu(), paged.wall(), paged.cpu() / flat.cpu(),
          paged.wall() / flat.wall(), flat.checksum());
    }
    System.out.printf(Locale.ROOT, "RESULT paged_vs_flat_cpu=%.3f paged_vs_flat_wall=%.3f"
        + " flat_cpu_rate=%.0f paged_cpu_rate=%.0f%n", median(cpuRatios), median(wallRatios),
        median(flatCpu), median(pagedCpu));
  }

  private static double median(List<Double> xs) {
    return TrainerThroughput.median(xs.stream().mapToDouble(Double::doubleValue).toArray());
  }
}
