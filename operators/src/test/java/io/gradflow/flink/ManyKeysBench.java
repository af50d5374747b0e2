package io.gradflow.flink;

import io.gradflow.config.TrainSettings;
import io.gradflow.learn.LearnerSpec;
import io.gradflow.metrics.MetricsSpec;
import io.gradflow.model.CompactExample;
import io.gradflow.model.LinearSpec;
import io.gradflow.model.Loss;
import io.gradflow.optim.AdaGradSpec;
import io.gradflow.optim.GradientSpec;
import io.gradflow.schedule.ScheduleClock;
import io.gradflow.schedule.ScheduleSpec;
import io.gradflow.schema.FeatureHashing;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.storage.JobManagerCheckpointStorage;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;

/**
 * Many model keys (a tenant per key) on one trainer subtask, in Flink's operator test harness
 * with the heap state backend and the declared defaults ({@code state.cache_pages} 4096,
 * {@code state.page_bits} 12, the default metrics): the same examples (3 categorical features
 * each) as {@code keys} models and as one model. Prints the heap the keyed state, cache and
 * sessions take per key (used heap after a full GC with every model trained, less the empty
 * operator's, over the keys), the checkpoint's
 * bytes per key (the snapshot's keyed state), the rate against one key (median of the per-round
 * ratios; each round runs both) and whether a restore from a checkpoint taken half way continues
 * bit for bit; it exits 1 if not. Ends with
 * {@code RESULT keys=<n> heap_bytes_per_key=<n> checkpoint_bytes_per_key=<n>
 * rate_vs_one_key=<x> cpu_rate_vs_one_key=<x> cpu_us_per_example=<x>
 * one_key_cpu_us_per_example=<x>} ({@code cpu_rate_vs_one_key}: the same ratio in the operator
 * thread's CPU time; the last two: that thread's CPU microseconds per example of the many keys
 * and of the one key, medians of the rounds, so that a change which speeds up both passes shows
 * even where the ratio does not move) {@code blocked_rate_vs_one_key=<x>
 * blocked_cpu_rate_vs_one_key=<x>} (the same ratios from blocks of one kind of pass after
 * another, as a job of one key or of many keys runs). Run it with a fixed initial heap, as a
 * Flink TaskManager has ({@code bench/run-many-keys.sh} gives {@code -Xms1g}): with the JVM's
 * default, the collection before each pass gave the heap back, a one-key pass right after a
 * many-keys pass ran 3 times slower than in a block, and the alternating ratio was flattered.
 *
 * <p>Run: {@code bench/run-many-keys.sh [keys [examples [rounds [cache pages [passes]]]]]}
 * (default 10,000 keys, 100,000 examples, 7 rounds of {@value #PASSES} alternating pairs of
 * passes each, timed together (one one-key pass takes a tenth of a second: single passes gave
 * noisy ratios), {@code state.cache_pages}'s default), after
 * {@value #WARM_UP_PAIRS} pairs of passes of warm-up; every timed pass starts after a full
 * collection.
 * {@link ManyKeysTest} runs it small. {@code -Dmanykeys.profile=true} runs the many keys alone,
 * for a profiler ({@code -Dmanykeys.profile=one}: the one key alone, the profile to compare).
 */
public final class ManyKeysBench {
  static final LearnerSpec SPEC = new LearnerSpec(new LinearSpec(), Loss.LOGISTIC,
      AdaGradSpec.of(0.1), GradientSpec.NONE, new ScheduleSpec.Constant(),
      ScheduleClock.MODEL_STEP, false);

  /**
   * Pairs of passes (one key, many keys) before the measured rounds: after 3 pairs the first
   * round of 8 pairs still ran at 0.24 where the later ones ran at 0.28-0.30 (in thread CPU time
   * too: the compiler, not the machine).
   */
  static final int WARM_UP_PAIRS = 12;

  /**
   * Pairs of passes (one key, then the many keys, each in a new operator) per measured round,
   * their times summed: a single one-key pass lasts about a tenth of a second, and single-pass
   * rounds gave ratios from 0.11 to 0.28 for the same code.
   */
  static final int PASSES = 8;

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private ManyKeysBench() {}

  /**
   * {@code n} examples spread at random over {@code keys} tenants ({@code "t0"} ..., each in the
   * first {@code keys} examples in a random order, then drawn at random), or all of
   * key {@code "one"} if {@code keys} is 1: 3 categorical features (1,000 values each, Zipf-like)
   * with a tenant-independent logistic truth.
   */
  static List<CompactExample> examples(int keys, int n, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    FeatureHashing hashing = new FeatureHashing(FeatureHashing.DEFAULT_BITS);
    List<CompactExample> out = new ArrayList<>(n);
    int[] order = new int[keys];
    for (int k = 0; k < keys; k++) {
      int j = random.nextInt(k + 1);
      order[k] = order[j];
      order[j] = k;
    }
    for (int i = 0; i < n; i++) {
      long[] ids = new long[3];
      double z = -1;
      for (int f = 0; f < 3; f++) {
        long value = (long) Math.pow(1_000, random.nextDouble());
        ids[f] = hashing.feature("f" + f, value);
        z += ((value * 2654435761L + f) % 100) / 50.0 - 1;
      }
      float label = random.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1f : 0f;
      // Every tenant once in the first {@code keys} examples, then at random.
      String key = keys == 1 ? "one" : "t" + (i < keys ? order[i] : random.nextInt(keys));
      out.add(new CompactExample("e" + i, key, 1_000L * i, ids, new float[] {1f, 1f, 1f},
          new float[0], label, 1f));
    }
    return out;
  }

  /**
   * The same examples under one key. Each example gets its own copy of the key's String, as each
   * tenant example has its own and as every record read from a source has: a shared String would
   * spare the one-key run the hashing and comparing of a key per record that the tenants pay.
   */
  static List<CompactExample> asOneKey(List<CompactExample> examples) {
    List<CompactExample> out = new ArrayList<>(examples.size());
    for (CompactExample e : examples) {
      out.add(new CompactExample(e.exampleId, new String("one"), e.eventTime, e.rowIds, e.values,
          e.dense, e.label, e.weight));
    }
    return out;
  }

  /** Pages the cache holds: {@code state.cache_pages}, the default unless the bench says. */
  static int cachePages = TrainSettings.STATE_CACHE_PAGES.defaultValue();

  static KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored> harness()
      throws Exception {
    TrainerOperator operator = new TrainerOperator(Map.of("", SPEC),
        new TrainerSettings(cachePages,
            TrainSettings.STATE_PAGE_BITS.defaultValue(), 1_000, 0, MetricsSpec.DEFAULT),
        FeatureHashing.DEFAULT_BITS);
    var h = new KeyedOneInputStreamOperatorTestHarness<>(operator, (CompactExample e) ->
        e.modelKey, Types.STRING);
    // The harness keeps snapshots in memory; the default 5 MB limit is for small tests.
    h.setCheckpointStorage(new JobManagerCheckpointStorage(Integer.MAX_VALUE));
    return h;
  }

  /** Scores of the examples, in order. */
  static double[] run(KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored> h,
      List<CompactExample> examples) throws Exception {
    double[] scores = new double[examples.size()];
    int before = h.getOutput().size();
    for (CompactExample e : examples) {
      h.processElement(e, e.eventTime);
    }
    int i = 0;
    for (Scored s : h.extractOutputValues().subList(before, before + examples.size())) {
      scores[i++] = s.score;
    }
    h.getOutput().clear();
    return scores;
  }

  /**
   * Seconds to process the examples in a new operator. A full collection first, so that the
   * garbage of the pass before (a closed harness, 10,000 models) is not collected in this one:
   * the one-key pass lasts a tenth of a second, and a collection inside it changed the ratio by
   * half.
   */
  static double seconds(List<CompactExample> examples) throws Exception {
    return seconds(examples, new double[1]);
  }

  /**
   * As {@link #seconds(List)}, and adds the CPU seconds of this thread in the pass (the operator
   * runs on it; collection and compiler threads are not counted) to {@code cpu[0]}: less
   * disturbed than wall time when other processes share the cores.
   */
  static double seconds(List<CompactExample> examples, double[] cpu) throws Exception {
    try (var h = harness()) {
      h.open();
      System.gc();
      long cpuStart = THREADS.getCurrentThreadCpuTime();
      long start = System.nanoTime();
      int n = 0;
      for (CompactExample e : examples) {
        h.processElement(e, e.eventTime);
        if (++n % 10_000 == 0) {
          h.getOutput().clear(); // not size(): linear in a ConcurrentLinkedQueue
        }
      }
      h.endInput();
      double wall = (System.nanoTime() - start) / 1e9;
      cpu[0] += (THREADS.getCurrentThreadCpuTime() - cpuStart) / 1e9;
      return wall;
    }
  }

  /**
   * {@code passes} passes over the examples one after another: the wall and thread CPU seconds of
   * all but the first.
   */
  static double[] block(List<CompactExample> examples, int passes) throws Exception {
    double[] cpu = new double[1];
    seconds(examples);
    double wall = 0;
    for (int p = 1; p < passes; p++) {
      wall += seconds(examples, cpu);
    }
    return new double[] {wall, cpu[0]};
  }

  /** Used heap after full collections; finalizers run (closed harnesses' tasks have some). */
  @SuppressWarnings("removal")
  static long usedHeap() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      System.runFinalization();
      Thread.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /**
   * Heap used with the examples' models loaded (after a full GC), less the empty operator's: as
   * the examples leave it, and after a checkpoint (the snapshot itself dropped), which has
   * written every model in memory to keyed state as well.
   */
  static long[] heapOf(List<CompactExample> examples) throws Exception {
    try (var h = harness()) {
      h.open();
      long before = usedHeap();
      int n = 0;
      for (CompactExample e : examples) {
        h.processElement(e, e.eventTime);
        if (++n % 10_000 == 0) {
          h.getOutput().clear(); // not size(): linear in a ConcurrentLinkedQueue
        }
      }
      h.getOutput().clear();
      long loaded = usedHeap() - before;
      h.prepareSnapshotPreBarrier(1);
      h.snapshot(1, 1);
      h.getOutput().clear();
      return new long[] {loaded, usedHeap() - before};
    }
  }

  /** Whether a restore from a snapshot taken half way continues bit for bit, and its bytes. */
  static long[] restore(List<CompactExample> examples) throws Exception {
    int half = examples.size() / 2;
    double[] straight;
    try (var h = harness()) {
      h.open();
      straight = run(h, examples);
    }
    OperatorSubtaskState snapshot;
    double[] first;
    try (var h = harness()) {
      h.open();
      first = run(h, examples.subList(0, half));
      h.prepareSnapshotPreBarrier(1);
      snapshot = h.snapshot(1, 1);
      run(h, examples.subList(half, examples.size())); // lost in the failure
    }
    double[] rest;
    try (var h = harness()) {
      h.initializeState(snapshot);
      h.open();
      rest = run(h, examples.subList(half, examples.size()));
    }
    double[] restored = Arrays.copyOf(first, examples.size());
    System.arraycopy(rest, 0, restored, half, rest.length);
    boolean exact = Arrays.equals(straight, restored);
    return new long[] {exact ? 1 : 0, snapshot.getStateSize()};
  }

  public static void main(String[] args) throws Exception {
    int keys = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 7;
    if (args.length > 3) {
      cachePages = Integer.parseInt(args[3]);
    }
    int passes = args.length > 4 ? Integer.parseInt(args[4]) : PASSES;
    List<CompactExample> many = examples(keys, n, 42);
    List<CompactExample> one = asOneKey(many);
    System.out.printf("%,d examples (3 categorical features) as %,d keys and as one key, %d"
        + " rounds of %d passes each, %d cores, a cache of %,d pages%n", n, keys, rounds,
        passes, Runtime.getRuntime().availableProcessors(), cachePages);
    for (int w = 0; w < WARM_UP_PAIRS; w++) { // the JIT: later rounds ran up to 2x faster
      seconds(one);
      seconds(many);
    }
    String profile = System.getProperty("manykeys.profile", "false");
    if (!profile.equals("false")) {
      // For a profiler: the many-keys run alone, rounds times (-Dmanykeys.profile=true), or the
      // one-key run alone (-Dmanykeys.profile=one), to compare the two profiles.
      boolean oneKey = profile.equals("one");
      for (int r = 0; r < rounds; r++) {
        System.out.printf("profile round %d: %,d keys %.2f s%n", r + 1, oneKey ? 1 : keys,
            seconds(oneKey ? one : many));
      }
      return;
    }
    double[] ratios = new double[rounds];
    double[] cpuRatios = new double[rounds];
    double[] oneKey = new double[rounds];
    double[] manyCpuUs = new double[rounds];
    double[] oneCpuUs = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      double oneSeconds = 0;
      double manySeconds = 0;
      double[] oneCpu = new double[1];
      double[] manyCpu = new double[1];
      for (int p = 0; p < passes; p++) { // alternating, so drift in the machine hits both
        oneSeconds += seconds(one, oneCpu);
        manySeconds += seconds(many, manyCpu);
      }
      ratios[r] = oneSeconds / manySeconds;
      cpuRatios[r] = oneCpu[0] / manyCpu[0];
      oneKey[r] = oneSeconds;
      manyCpuUs[r] = 1e6 * manyCpu[0] / ((double) passes * n);
      oneCpuUs[r] = 1e6 * oneCpu[0] / ((double) passes * n);
      System.out.printf("round %d: one key %.2f s (%,.0f examples/s), %,d keys %.2f s (%,.0f"
          + " examples/s), ratio %.3f (thread CPU %.3f: %.3f and %.3f us per example)%n", r + 1,
          oneSeconds, passes * n / oneSeconds, keys, manySeconds, passes * n / manySeconds,
          ratios[r], cpuRatios[r], oneCpuUs[r], manyCpuUs[r]);
    }
    // The same passes in blocks, as a job of one key or of many keys runs. With the JVM's default
    // initial heap (before -Xms1g in bench/run-many-keys.sh), a one-key pass right after a
    // many-keys pass ran 3 times slower than in a block (0.16-0.22 s against 0.05-0.07 s,
    // 2026-12-01), which flattered the alternating ratio (0.46 against 0.17-0.19 in blocks);
    // with -Xms1g alternating one-key passes took 0.05 s too. A block's first pass is left out
    // (it takes the switch from the other kind: recompiled code, a heap sized for the other).
    double[] blocked = new double[rounds];
    double[] blockedCpu = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      double[] oneBlock = block(one, passes);
      double[] manyBlock = block(many, passes);
      blocked[r] = oneBlock[0] / manyBlock[0];
      blockedCpu[r] = oneBlock[1] / manyBlock[1];
      System.out.printf("blocked round %d: %d one-key passes %.2f s, %d passes of %,d keys %.2f s,"
          + " ratio %.3f (thread CPU %.3f: %.3f and %.3f us per example)%n", r + 1, passes - 1,
          oneBlock[0], passes - 1, keys, manyBlock[0], blocked[r], blockedCpu[r],
          1e6 * oneBlock[1] / ((passes - 1.0) * n), 1e6 * manyBlock[1] / ((passes - 1.0) * n));
    }
    Arrays.sort(blocked);
    Arrays.sort(blockedCpu);
    Arrays.sort(ratios);
    Arrays.sort(cpuRatios);
    Arrays.sort(oneKey);
    Arrays.sort(manyCpuUs);
    Arrays.sort(oneCpuUs);
    double ratio = ratios[rounds / 2];
    System.out.printf("rate against one key: median %.3f, rounds from %.3f to %.3f (spread %.0f%%"
        + " of the median); a round's one-key passes last %.3f s (median)%n", ratio, ratios[0],
        ratios[rounds - 1], 100 * (ratios[rounds - 1] - ratios[0]) / ratio, oneKey[rounds / 2]);
    double cpuRatio = cpuRatios[rounds / 2];
    System.out.printf("rate against one key in this thread's CPU time: median %.3f, rounds from"
        + " %.3f to %.3f (spread %.0f%%)%n", cpuRatio, cpuRatios[0], cpuRatios[rounds - 1],
        100 * (cpuRatios[rounds - 1] - cpuRatios[0]) / cpuRatio);
    long[] heapMany = heapOf(many);
    long heapPerKey = heapMany[0] / keys;
    System.out.printf("heap used by %,d trained keys: %,d bytes (%,d per key); after a checkpoint:"
        + " %,d bytes (%,d per key)%n", keys, heapMany[0], heapPerKey, heapMany[1],
        heapMany[1] / keys);
    long[] restore = restore(many);
    long checkpointPerKey = restore[1] / keys;
    System.out.printf("checkpoint half way: %,d bytes (%,d per key); restore after a failure"
        + " continues bit for bit: %s%n", restore[1], checkpointPerKey, restore[0] == 1);
    System.out.printf("RESULT keys=%d heap_bytes_per_key=%d checkpoint_bytes_per_key=%d"
        + " rate_vs_one_key=%.2f cpu_rate_vs_one_key=%.2f cpu_us_per_example=%.3f"
        + " one_key_cpu_us_per_example=%.3f blocked_rate_vs_one_key=%.2f"
        + " blocked_cpu_rate_vs_one_key=%.2f%n", keys, heapPerKey, checkpointPerKey, ratio,
        cpuRatio, manyCpuUs[rounds / 2], oneCpuUs[rounds / 2], blocked[rounds / 2],
        blockedCpu[rounds / 2]);
    if (restore[0] != 1) {
      System.exit(1);
    }
  }
}
