package io.gradflow.flink;

import io.gradflow.config.TrainSettings;
import io.gradflow.learn.ExampleLearner;
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
import io.gradflow.state.CacheSize;
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
 * with the heap state backend and the declared defaults ({@code state.cache_memory} 0.1 of this
 * JVM's heap, {@code state.page_bits} 12, the default metrics): the same examples (3 categorical features
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
 * <p>Each of those passes makes {@code keys} new tenants and ends their input, which a running job
 * pays once per tenant. {@link #steady} measures a steady stream instead (a kept operator fed new
 * examples of the same keys, no end of input, with checkpoints timed apart) and adds its fields
 * ({@link #steadyFields}) to the RESULT line; {@code -Dmanykeys.steady=only} runs it alone,
 * {@code =false} leaves it out, {@code -Dmanykeys.checkpoint_passes} sets its checkpoint cadence
 * in passes (10). With the steady stream, {@link #bareSteady} runs the same passes through bare
 * loops, one flat model per tenant and no Flink ({@link BareModels}), the floor the many keys'
 * rate is measured against, and adds {@link #bareFields}.
 *
 * <p>Run: {@code bench/run-many-keys.sh [keys [examples [rounds [cache pages|default
 * [passes]]]]]}
 * (default 10,000 keys, 100,000 examples, 7 rounds of {@value #PASSES} alternating pairs of
 * passes each, timed together (one one-key pass takes a tenth of a second: single passes gave
 * noisy ratios), the declared default cache), after
 * {@value #WARM_UP_PAIRS} pairs of passes of warm-up; every timed pass starts after a full
 * collection.
 * {@link ManyKeysTest} runs it small ({@link SteadyStreamTest} the steady stream).
 * {@code -Dmanykeys.profile=true} runs the many keys alone, for a profiler
 * ({@code -Dmanykeys.profile=one}: the one key alone, the profile to compare;
 * {@code steady} and {@code steady-one}: the steady stream's passes).
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

  /**
   * The cache's size: the declared default ({@code state.cache_memory}'s share of this JVM's
   * heap, one slot) unless the bench says pages ({@code state.cache_pages}).
   */
  static CacheSize cache = CacheSize.DEFAULT;

  /** The pages {@link #cache} gives the operator here (one slot, one candidate). */
  static int cachePages() {
    return cache.pages(new ExampleLearner(SPEC).rowSize(), false, 1, 1,
        Runtime.getRuntime().maxMemory());
  }

  static KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored> harness()
      throws Exception {
    TrainerOperator operator = new TrainerOperator(Map.of("", SPEC),
        new TrainerSettings(cache,
            TrainSettings.STATE_PAGE_BITS.defaultValue(), 1_000, 0, MetricsSpec.DEFAULT,
            io.gradflow.state.RowPolicy.NONE),
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

  /** Distinct example streams of the same keys that a steady stream's passes take turns at. */
  static final int STEADY_STREAMS = 4;

  /**
   * Pass {@code p} of a steady stream: {@code streams[p % streams.size()]}'s examples, later in
   * event time than every pass before it, each record with its own new key String (its hash not
   * yet computed, as a record read from a source has); {@code oneKey} gives them all key
   * {@code "one"} (as new Strings too). Made before a pass is timed.
   */
  static List<CompactExample> steadyPass(List<List<CompactExample>> streams, int p,
      boolean oneKey) {
    List<CompactExample> base = streams.get(p % streams.size());
    long shift = (long) p * (base.get(base.size() - 1).eventTime + 1_000L);
    List<CompactExample> out = new ArrayList<>(base.size());
    for (CompactExample e : base) {
      String key = String.valueOf((oneKey ? "one" : e.modelKey).toCharArray());
      out.add(new CompactExample(e.exampleId, key, e.eventTime + shift, e.rowIds, e.values,
          e.dense, e.label, e.weight));
    }
    return out;
  }

  /**
   * Feeds a pass to a kept operator (no end of input) after a full collection, adds its wall and
   * this thread's CPU seconds to {@code time[0]} and {@code time[1]}, and returns the scores;
   * the outputs are dropped after the pass, outside the timed part.
   */
  static double[] feed(KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored> h,
      List<CompactExample> pass, double[] time) throws Exception {
    return feed(h, pass, time, true);
  }

  /** As {@link #feed(KeyedOneInputStreamOperatorTestHarness, List, double[])}; null scores. */
  static double[] time(KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored> h,
      List<CompactExample> pass, double[] time) throws Exception {
    return feed(h, pass, time, false);
  }

  private static double[] feed(
      KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored> h,
      List<CompactExample> pass, double[] time, boolean keepScores) throws Exception {
    double[] scores = keepScores ? new double[pass.size()] : null;
    System.gc();
    long cpuStart = THREADS.getCurrentThreadCpuTime();
    long start = System.nanoTime();
    int n = 0;
    for (CompactExample e : pass) {
      h.processElement(e, e.eventTime);
      if (++n % 10_000 == 0) {
        drain(h, scores, n - 10_000);
      }
    }
    time[0] += (System.nanoTime() - start) / 1e9;
    time[1] += (THREADS.getCurrentThreadCpuTime() - cpuStart) / 1e9;
    drain(h, scores, n - n % 10_000);
    var metrics = h.getSideOutput(TrainerOperator.METRICS);
    if (metrics != null) {
      metrics.clear();
    }
    return scores;
  }

  /**
   * Moves the scores the harness holds to {@code scores} from {@code from} on; with
   * {@code scores} null (timed passes), only drops them, as {@link #seconds} does.
   */
  private static void drain(KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored>
      h, double[] scores, int from) {
    if (scores == null) {
      h.getOutput().clear(); // not size(): linear in a ConcurrentLinkedQueue
      return;
    }
    int i = from;
    for (Object o : h.getOutput()) {
      if (o instanceof org.apache.flink.streaming.runtime.streamrecord.StreamRecord<?> r
          && r.getValue() instanceof Scored s) {
        scores[i++] = s.score;
      }
    }
    h.getOutput().clear(); // not size(): linear in a ConcurrentLinkedQueue
  }

  /**
   * A checkpoint of a kept operator (barrier, synchronous and asynchronous parts: the harness runs
   * both on this thread) after a full collection: adds its wall and thread CPU seconds to
   * {@code time} and returns the snapshot's bytes.
   */
  static long checkpoint(KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored> h,
      long id, double[] time) throws Exception {
    System.gc();
    long cpuStart = THREADS.getCurrentThreadCpuTime();
    long start = System.nanoTime();
    h.prepareSnapshotPreBarrier(id);
    OperatorSubtaskState snapshot = h.snapshot(id, id);
    h.notifyOfCompletedCheckpoint(id);
    time[0] += (System.nanoTime() - start) / 1e9;
    time[1] += (THREADS.getCurrentThreadCpuTime() - cpuStart) / 1e9;
    h.getOutput().clear();
    return snapshot.getStateSize();
  }

  /**
   * The steady stream: one operator keeps its {@code keys} tenants and is fed further passes of
   * new examples of the same keys ({@link #steadyPass}), as a running job sees them, against a
   * second operator fed the same passes as one key; pairs of passes alternate, both operators
   * stay open throughout, and nothing ends the input. After {@value #WARM_UP_PAIRS} pairs of
   * warm-up (the first creates the tenants), {@code rounds} rounds of {@code passes} pairs are
   * timed (as the other rounds, medians of the rounds). Then {@code rounds} rounds of
   * {@code checkpointEvery} passes of each, each block followed by a checkpoint, time what a
   * checkpoint costs. Returns, by index: rate against one key (wall, thread CPU), the many keys'
   * and the one key's thread CPU microseconds per example, a checkpoint's wall milliseconds
   * (many keys, one key), its thread CPU microseconds per example of the block (many keys, one
   * key), the rate against one key in thread CPU with the checkpoints, the checkpoint's bytes,
   * and the heap both operators take after the timed rounds (used heap after a full collection,
   * less before they opened; the one key's is a few kB).
   */
  static double[] steady(int keys, int n, int rounds, int passes, int checkpointEvery)
      throws Exception {
    List<List<CompactExample>> streams = new ArrayList<>();
    for (int s = 0; s < STEADY_STREAMS; s++) {
      streams.add(examples(keys, n, 42 + s));
    }
    double[] ratios = new double[rounds];
    double[] cpuRatios = new double[rounds];
    double[] manyUs = new double[rounds];
    double[] oneUs = new double[rounds];
    double[] manyCkptMs = new double[rounds];
    double[] oneCkptMs = new double[rounds];
    double[] manyCkptUs = new double[rounds];
    double[] oneCkptUs = new double[rounds];
    double[] withCkptRatios = new double[rounds];
    long bytes = 0;
    long heap;
    long heapBefore = usedHeap();
    try (var many = harness(); var one = harness()) {
      many.open();
      one.open();
      int p = 0;
      for (int w = 0; w < WARM_UP_PAIRS; w++, p++) {
        time(one, steadyPass(streams, p, true), new double[2]);
        time(many, steadyPass(streams, p, false), new double[2]);
      }
      for (int r = 0; r < rounds; r++) {
        double[] oneTime = new double[2];
        double[] manyTime = new double[2];
        for (int q = 0; q < passes; q++, p++) {
          time(one, steadyPass(streams, p, true), oneTime);
          time(many, steadyPass(streams, p, false), manyTime);
        }
        ratios[r] = oneTime[0] / manyTime[0];
        cpuRatios[r] = oneTime[1] / manyTime[1];
        manyUs[r] = 1e6 * manyTime[1] / ((double) passes * n);
        oneUs[r] = 1e6 * oneTime[1] / ((double) passes * n);
        System.out.printf("steady round %d: one key %.2f s, %,d keys %.2f s, ratio %.3f (thread"
            + " CPU %.3f: %.3f and %.3f us per example); %s%n", r + 1, oneTime[0], keys,
            manyTime[0], ratios[r], cpuRatios[r], oneUs[r], manyUs[r], cacheOf(many, keys));
      }
      // The operators' heap (keyed state, cache, sessions; the one key's is small) per key.
      heap = usedHeap() - heapBefore;
      long id = 1;
      for (int r = 0; r < rounds; r++, p += checkpointEvery) {
        double[] onePasses = new double[2];
        double[] oneCkpt = new double[2];
        for (int q = 0; q < checkpointEvery; q++) {
          time(one, steadyPass(streams, p + q, true), onePasses);
        }
        checkpoint(one, id++, oneCkpt);
        double[] manyPasses = new double[2];
        double[] manyCkpt = new double[2];
        for (int q = 0; q < checkpointEvery; q++) {
          time(many, steadyPass(streams, p + q, false), manyPasses);
        }
        bytes = checkpoint(many, id++, manyCkpt);
        double examples = (double) checkpointEvery * n;
        manyCkptMs[r] = 1e3 * manyCkpt[0];
        oneCkptMs[r] = 1e3 * oneCkpt[0];
        manyCkptUs[r] = 1e6 * manyCkpt[1] / examples;
        oneCkptUs[r] = 1e6 * oneCkpt[1] / examples;
        withCkptRatios[r] = (onePasses[1] + oneCkpt[1]) / (manyPasses[1] + manyCkpt[1]);
        System.out.printf("steady checkpoint round %d, one every %,d examples: %,d keys %.0f ms"
            + " (%.3f us CPU per example; %,d bytes), one key %.0f ms (%.3f us); rate against"
            + " one key in thread CPU with checkpoints %.3f%n", r + 1, checkpointEvery * n, keys,
            manyCkptMs[r], manyCkptUs[r], bytes, oneCkptMs[r], oneCkptUs[r], withCkptRatios[r]);
      }
    }
    double[][] all = {ratios, cpuRatios, manyUs, oneUs, manyCkptMs, oneCkptMs, manyCkptUs,
        oneCkptUs, withCkptRatios};
    double[] medians = new double[all.length + 2];
    for (int i = 0; i < all.length; i++) {
      double[] sorted = all[i].clone();
      Arrays.sort(sorted);
      medians[i] = sorted[rounds / 2];
    }
    medians[all.length] = bytes;
    medians[all.length + 1] = heap;
    return medians;
  }

  /**
   * Pairs of bare passes per pair of the trainer's in a round of {@link #bareSteady}: a bare pass
   * of 100,000 examples lasts a few hundredths of a second.
   */
  static final int BARE_PASS_FACTOR = 4;

  /** The fold of every bare prediction, in order: keeps the timed loops' work observable. */
  static long bareChecksum;

  /**
   * The steady stream's floor: the same passes ({@link #steadyPass}, the same streams and new key
   * Strings) through the bare loops ({@link BareModels}, one flat model per tenant, no Gradflow,
   * no Flink), the many keys in one instance and the one key in another, each kept across its
   * passes as the steady stream's operators are. First the trainer (a new operator of each kind)
   * and the bare loops predict the first two passes, and their scores are compared bit for bit.
   * Then, after {@value #WARM_UP_PAIRS} pairs of warm-up passes, {@code rounds} rounds of
   * {@code passes * }{@value #BARE_PASS_FACTOR} alternating pairs of passes are timed (wall, and
   * this thread's CPU; a full collection before each pass, as the trainer's passes have), and the
   * heap the many models take is measured (used heap after full collections, less the same with
   * the many models dropped). Returns, by index: the many keys' rate against one key (wall, thread
   * CPU; medians of the rounds), the many keys' and the one key's thread CPU microseconds per
   * example (medians), the many models' heap bytes, their arrays' bytes, their rows (bias rows
   * included), and 1 if the bare loops predicted as the trainer did (else 0).
   */
  static double[] bareSteady(int keys, int n, int rounds, int passes) throws Exception {
    List<List<CompactExample>> streams = new ArrayList<>();
    for (int s = 0; s < STEADY_STREAMS; s++) {
      streams.add(examples(keys, n, 42 + s));
    }
    boolean same = true;
    BareModels checkMany = new BareModels(SPEC);
    BareModels checkOne = new BareModels(SPEC);
    try (var many = harness(); var one = harness()) {
      many.open();
      one.open();
      for (int p = 0; p < 2; p++) {
        for (boolean oneKey : new boolean[] {false, true}) {
          List<CompactExample> pass = steadyPass(streams, p, oneKey);
          double[] trainer = feed(oneKey ? one : many, pass, new double[2]);
          BareModels bare = oneKey ? checkOne : checkMany;
          for (int i = 0; i < pass.size(); i++) {
            if (Double.doubleToLongBits(bare.process(pass.get(i)))
                != Double.doubleToLongBits(trainer[i])) {
              if (same) {
                System.out.printf("bare loop differs from the trainer: pass %d, %s, example %d%n",
                    p, oneKey ? "one key" : keys + " keys", i);
              }
              same = false;
            }
          }
        }
      }
    }
    checkMany = null;
    checkOne = null;
    int pairs = passes * BARE_PASS_FACTOR;
    double[] ratios = new double[rounds];
    double[] cpuRatios = new double[rounds];
    double[] manyUs = new double[rounds];
    double[] oneUs = new double[rounds];
    BareModels one = new BareModels(SPEC);
    BareModels many = new BareModels(SPEC);
    int p = 0;
    for (int w = 0; w < WARM_UP_PAIRS; w++, p++) {
      bareTime(one, steadyPass(streams, p, true), new double[2]);
      bareTime(many, steadyPass(streams, p, false), new double[2]);
    }
    for (int r = 0; r < rounds; r++) {
      double[] oneTime = new double[2];
      double[] manyTime = new double[2];
      for (int q = 0; q < pairs; q++, p++) {
        bareTime(one, steadyPass(streams, p, true), oneTime);
        bareTime(many, steadyPass(streams, p, false), manyTime);
      }
      ratios[r] = oneTime[0] / manyTime[0];
      cpuRatios[r] = oneTime[1] / manyTime[1];
      manyUs[r] = 1e6 * manyTime[1] / ((double) pairs * n);
      oneUs[r] = 1e6 * oneTime[1] / ((double) pairs * n);
      System.out.printf("bare steady round %d: one key %.2f s, %,d keys %.2f s, ratio %.3f"
          + " (thread CPU %.3f: %.3f and %.3f us per example)%n", r + 1, oneTime[0], keys,
          manyTime[0], ratios[r], cpuRatios[r], oneUs[r], manyUs[r]);
    }
    long withMany = usedHeap();
    long rows = many.rows(); // after the reading: the many models are reachable through it
    long arrays = many.arrayBytes();
    int models = many.models();
    many = null;
    long heap = withMany - usedHeap();
    System.out.printf("bare models: %,d keys, %,d rows (%.1f per key), arrays %,d bytes, heap %,d"
        + " bytes (%,.0f per key); one key: %,d rows; checksum %016x; predicted as the trainer:"
        + " %s%n", models, rows, (double) rows / models, arrays, heap, (double) heap / models,
        one.rows(), bareChecksum, same);
    double[][] all = {ratios, cpuRatios, manyUs, oneUs};
    double[] out = new double[all.length + 4];
    for (int i = 0; i < all.length; i++) {
      double[] sorted = all[i].clone();
      Arrays.sort(sorted);
      out[i] = sorted[rounds / 2];
    }
    out[all.length] = heap;
    out[all.length + 1] = arrays;
    out[all.length + 2] = rows;
    out[all.length + 3] = same ? 1 : 0;
    return out;
  }

  /**
   * Feeds a pass to a bare loop after a full collection, adding its wall and this thread's CPU
   * seconds to {@code time[0]} and {@code time[1]}, and folding its predictions into
   * {@link #bareChecksum}.
   */
  static void bareTime(BareModels models, List<CompactExample> pass, double[] time) {
    System.gc();
    long checksum = bareChecksum;
    long cpuStart = THREADS.getCurrentThreadCpuTime();
    long start = System.nanoTime();
    for (CompactExample e : pass) {
      checksum = checksum * 31 + Double.doubleToLongBits(models.process(e));
    }
    time[0] += (System.nanoTime() - start) / 1e9;
    time[1] += (THREADS.getCurrentThreadCpuTime() - cpuStart) / 1e9;
    bareChecksum = checksum;
  }

  /**
   * The bare loops' RESULT fields ({@link #bareSteady}'s {@code b}), with the trainer's steady
   * figures ({@link #steady}'s {@code s}) over them: {@code steady_cpu_vs_bare_many} and
   * {@code steady_one_key_cpu_vs_bare_one_key} are the trainer's thread CPU per example over the
   * bare loop's, many keys and one key.
   */
  static String bareFields(double[] b, double[] s, int keys) {
    return String.format("bare_steady_rate_many_vs_one=%.2f bare_steady_cpu_rate_many_vs_one=%.2f"
        + " bare_steady_cpu_us_per_example=%.3f bare_steady_one_key_cpu_us_per_example=%.3f"
        + " bare_heap_bytes_per_key=%.0f bare_array_bytes_per_key=%.0f bare_rows_per_key=%.1f"
        + " steady_cpu_vs_bare_many=%.2f steady_one_key_cpu_vs_bare_one_key=%.2f"
        + " bare_matches_trainer=%b", b[0], b[1], b[2], b[3], b[4] / keys, b[5] / keys,
        b[6] / keys, s[2] / b[2], s[3] / b[3], b[7] == 1);
  }

  /** Rows per key and what the page cache holds, for the steady stream's rounds. */
  static String cacheOf(KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored> h,
      int keys) {
    var paged = ((TrainerOperator) h.getOperator()).pagedLearner("");
    return String.format("%.0f rows per key, %,d models in the cache (hit rate %.4f, %,d"
        + " evictions), %,d sessions in memory", (double) paged.rowsCreated() / keys,
        paged.cache().models(), paged.cache().hitRate(), paged.cache().evictions(),
        ((TrainerOperator) h.getOperator()).sessionsInMemory());
  }

  /** The steady stream's RESULT fields (see {@link #steady}). */
  static String steadyFields(double[] s, int keys) {
    return String.format("steady_rate_vs_one_key=%.2f steady_cpu_rate_vs_one_key=%.2f"
        + " steady_cpu_us_per_example=%.3f steady_one_key_cpu_us_per_example=%.3f"
        + " steady_checkpoint_ms=%.0f steady_one_key_checkpoint_ms=%.0f"
        + " steady_checkpoint_cpu_us_per_example=%.3f"
        + " steady_one_key_checkpoint_cpu_us_per_example=%.3f"
        + " steady_with_checkpoints_cpu_rate_vs_one_key=%.2f steady_heap_bytes_per_key=%.0f"
        + " steady_checkpoint_bytes_per_key=%.0f", s[0], s[1], s[2], s[3], s[4],
        s[5], s[6], s[7], s[8], s[10] / keys, s[9] / keys);
  }

  public static void main(String[] args) throws Exception {
    int keys = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 7;
    if (args.length > 3 && !args[3].equals("default")) {
      cache = CacheSize.ofPages(Integer.parseInt(args[3]));
    }
    System.out.printf("cache: %,d pages (%s) from %s, max heap %s%n", cachePages(),
        io.gradflow.config.MemoryAmount.human(cachePages()
            * io.gradflow.state.PageCache.pageBytes(new ExampleLearner(SPEC).rowSize(), false)),
        cache.describe(), io.gradflow.config.MemoryAmount.human(Runtime.getRuntime().maxMemory()));
    int passes = args.length > 4 ? Integer.parseInt(args[4]) : PASSES;
    int checkpointPasses = Integer.getInteger("manykeys.checkpoint_passes", 10);
    String steadyMode = System.getProperty("manykeys.steady", "true");
    String profile = System.getProperty("manykeys.profile", "false");
    if (profile.startsWith("steady")) {
      // For a profiler: steady passes of the many keys (-Dmanykeys.profile=steady) or of the one
      // key (-Dmanykeys.profile=steady-one) into one kept operator, after the warm-up.
      boolean oneKey = profile.equals("steady-one");
      List<List<CompactExample>> streams = new ArrayList<>();
      for (int s = 0; s < STEADY_STREAMS; s++) {
        streams.add(examples(keys, n, 42 + s));
      }
      try (var h = harness()) {
        h.open();
        for (int p = 0; p < WARM_UP_PAIRS + rounds * passes; p++) {
          double[] time = new double[2];
          time(h, steadyPass(streams, p, oneKey), time);
          if (p >= WARM_UP_PAIRS) {
            System.out.printf("steady profile pass %d: %,d keys %.3f s%n", p + 1,
                oneKey ? 1 : keys, time[0]);
          }
        }
      }
      return;
    }
    if (steadyMode.equals("only")) {
      // The steady stream alone (-Dmanykeys.steady=only): its RESULT fields only.
      System.out.printf("steady stream: %,d examples per pass as %,d keys and as one key, %d"
          + " rounds of %d pairs of passes, a checkpoint every %d passes, a cache of %,d"
          + " pages%n", n, keys, rounds, passes, checkpointPasses, cachePages());
      double[] s = steady(keys, n, rounds, passes, checkpointPasses);
      double[] b = bareSteady(keys, n, rounds, passes);
      System.out.printf("RESULT keys=%d %s %s%n", keys, steadyFields(s, keys),
          bareFields(b, s, keys));
      return;
    }
    List<CompactExample> many = examples(keys, n, 42);
    List<CompactExample> one = asOneKey(many);
    System.out.printf("%,d examples (3 categorical features) as %,d keys and as one key, %d"
        + " rounds of %d passes each, %d cores, a cache of %,d pages%n", n, keys, rounds,
        passes, Runtime.getRuntime().availableProcessors(), cachePages());
    for (int w = 0; w < WARM_UP_PAIRS; w++) { // the JIT: later rounds ran up to 2x faster
      seconds(one);
      seconds(many);
    }
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
    double[] steady = steadyMode.equals("false") ? null
        : steady(keys, n, rounds, passes, checkpointPasses);
    double[] bare = steady == null ? null : bareSteady(keys, n, rounds, passes);
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
        + " blocked_cpu_rate_vs_one_key=%.2f%s%n", keys, heapPerKey, checkpointPerKey, ratio,
        cpuRatio, manyCpuUs[rounds / 2], oneCpuUs[rounds / 2], blocked[rounds / 2],
        blockedCpu[rounds / 2], steady == null ? "" : " " + steadyFields(steady, keys) + " "
            + bareFields(bare, steady, keys));
    if (restore[0] != 1) {
      System.exit(1);
    }
  }
}
