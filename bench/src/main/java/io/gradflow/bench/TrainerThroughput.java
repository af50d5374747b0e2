package io.gradflow.bench;

import io.gradflow.flink.CompactExampleTypeInfo;
import io.gradflow.flink.Scored;
import io.gradflow.flink.TrainerOperator;
import io.gradflow.flink.TrainerSettings;
import io.gradflow.learn.ExampleLearner;
import io.gradflow.learn.LearnerSpec;
import io.gradflow.metrics.MetricsSpec;
import io.gradflow.model.CompactExample;
import io.gradflow.model.DeepModelSpec;
import io.gradflow.model.FeatureMerger;
import io.gradflow.model.LinearSpec;
import io.gradflow.model.Loss;
import io.gradflow.optim.AdaGradSpec;
import io.gradflow.optim.AdamSpec;
import io.gradflow.optim.GradientSpec;
import io.gradflow.schedule.ScheduleClock;
import io.gradflow.schedule.ScheduleSpec;
import io.gradflow.schema.FeatureHashing;
import io.gradflow.state.PageCache;
import io.gradflow.state.PageStore;
import io.gradflow.state.PagedLearner;
import java.io.DataOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.api.connector.source.lib.NumberSequenceSource;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * End-to-end throughput of the trainer: sparse logistic regression, 40 active features per
 * example drawn from a Zipf-like vocabulary of millions of ids, AdaGrad, one model key,
 * parallelism 1, on a local MiniCluster with checkpoints every 2 s, with the heap and the RocksDB
 * state backends; next to bare single-thread loops doing the same learning in the same run (the
 * same {@link ExampleLearner} arithmetic, no Flink): the reference keeps every row in one flat
 * array indexed by hashed id (the textbook layout for hashed features, and the fastest loop
 * here); a second keeps rows in a primitive hash table; a third is Gradflow's own row path
 * ({@link PagedLearner}) without Flink.
 *
 * <p>Every run folds the bits of every prediction, in order, into a checksum: equal checksums
 * mean the Flink runs predicted (and so learned) bit-identically to the bare loop.
 *
 * <p>The trainer runs as the job runs it at parallelism 1 ({@code TrainPipeline}): chained to its
 * input, no keyed exchange. {@code hashmap-keyed}, not a default, adds the heap run behind the
 * keyed exchange, as each trainer subtask of a job above parallelism 1 gets its input (see
 * {@link #keyed}).
 *
 * <p>Run: {@code bench/run-trainer.sh [examples [runs [rounds]]]} (default 3,000,000 examples,
 * every run but {@code hashmap-keyed}, 3 rounds). It also writes the stream to {@code bench/results/stream.bin} for
 * {@code bench/pytorch_loop.py}, the hand-written PyTorch loop of DESIGN.md's reference points.
 *
 * <p>The mlp mode, {@code bench/java.sh io.gradflow.bench.TrainerThroughput examples
 * bench/results mlp [rounds]}: the trainer training an mlp at batch sizes 1, 32 and 256 beside
 * the core's loop (see {@link #mlp}).
 */
public final class TrainerThroughput {
  static final int FEATURES = 40;
  static final int VOCABULARY = 4_000_000;
  static final int POOL = 200_000;
  /** Pages kept in memory: the whole model (2^13 pages) fits, as a production cache should. */
  static final int CACHE_PAGES = 16_384;
  static final int PAGE_BITS = 13;
  static final int HASH_BITS = 22;
  /** Checkpoint interval: 2 s as the issue asks; -Dgradflow.bench.checkpoint=ms to vary it. */
  static final long CHECKPOINT_MILLIS = Long.getLong("gradflow.bench.checkpoint", 2_000);
  static final LearnerSpec SPEC = new LearnerSpec(new LinearSpec(), Loss.LOGISTIC,
      AdaGradSpec.of(0.1), GradientSpec.NONE, new ScheduleSpec.Constant(),
      ScheduleClock.MODEL_STEP, false);

  /** The examples, generated once; sources index into it (the same JVM runs the MiniCluster). */
  static CompactExample[] pool;

  private TrainerThroughput() {}

  static CompactExample[] generate(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    SplittableRandom truthRandom = new SplittableRandom(seed + 1);
    float[] truth = new float[4096];
    for (int i = 0; i < truth.length; i++) {
      truth[i] = (float) truthRandom.nextGaussian() * 0.3f;
    }
    FeatureHashing hashing = new FeatureHashing(HASH_BITS);
    String[] fields = new String[FEATURES];
    for (int f = 0; f < FEATURES; f++) {
      fields[f] = "f" + f;
    }
    CompactExample[] examples = new CompactExample[POOL];
    for (int e = 0; e < POOL; e++) {
      long[] ids = new long[FEATURES];
      float[] values = new float[FEATURES];
      double z = -1;
      for (int f = 0; f < FEATURES; f++) {
        // Zipf-like ranks: rank = floor(V^u) for uniform u is about 1/rank distributed.
        long rank = (long) Math.pow(VOCABULARY, random.nextDouble());
        ids[f] = hashing.feature(fields[f], rank);
        values[f] = 1f;
        z += truth[(int) (rank % truth.length)];
      }
      float label = random.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1f : 0f;
      examples[e] = new CompactExample("e" + e, "ctr", e, ids, values, new float[0], label, 1f);
    }
    return examples;
  }

  /** The bare loop: rows in one growable float[] arena behind an open-addressing id table. */
  static final class BareLoop {
    private final ExampleLearner learner = new ExampleLearner(SPEC);
    private final FeatureMerger merger = new FeatureMerger();
    private final int rowSize = learner.rowSize();
    private long[] keys = new long[1 << 22];
    private int[] slots = new int[1 << 22];
    private int size;
    private float[] arena = new float[rowSize * (1 << 20)];
    private int used;
    private final long[] ids = new long[FEATURES];
    private final float[] values = new float[FEATURES];
    private final float[][] arrays = new float[FEATURES][];
    private final int[] offsets = new int[FEATURES];
    long step;

    BareLoop() {
      Arrays.fill(slots, -1);
    }

    double process(CompactExample e) {
      int n = merger.merge(e.rowIds, e.values, e.rowIds.length, ids, values);
      for (int i = 0; i < n; i++) {
        offsets[i] = row(ids[i]);
      }
      int bias = row(FeatureHashing.BIAS_ROW);
      for (int i = 0; i < n; i++) {
        arrays[i] = arena;
      }
      double a = learner.activation(arrays, offsets, values, n, arena, bias);
      learner.learn(arrays, offsets, values, n, arena, bias, a, e.label, e.weight, step + 1,
          learner.learningRate(step));
      step++;
      return learner.loss().prediction(a);
    }

    private int row(long id) {
      int mask = keys.length - 1;
      int slot = (int) mix(id) & mask;
      while (slots[slot] >= 0) {
        if (keys[slot] == id) {
          return slots[slot];
        }
        slot = (slot + 1) & mask;
      }
      if (used + rowSize > arena.length) {
        arena = Arrays.copyOf(arena, arena.length * 2);
      }
      int offset = used;
      used += rowSize;
      learner.initializeRow(id, arena, offset);
      keys[slot] = id;
      slots[slot] = offset;
      if (++size * 2 > keys.length) {
        grow();
      }
      return offset;
    }

    private void grow() {
      long[] oldKeys = keys;
      int[] oldSlots = slots;
      keys = new long[oldKeys.length * 2];
      slots = new int[oldKeys.length * 2];
      Arrays.fill(slots, -1);
      int mask = keys.length - 1;
      for (int i = 0; i < oldKeys.length; i++) {
        if (oldSlots[i] >= 0) {
          int slot = (int) mix(oldKeys[i]) & mask;
          while (slots[slot] >= 0) {
            slot = (slot + 1) & mask;
          }
          keys[slot] = oldKeys[i];
          slots[slot] = oldSlots[i];
        }
      }
    }

    private static long mix(long z) {
      z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
      return z ^ (z >>> 33);
    }
  }

  /**
   * The textbook loop for hashed features (Vowpal Wabbit's layout): one flat array of
   * {@code 2^hashBits} rows indexed by the hashed id, every row initialized up front, the bias
   * after them. Same arithmetic as {@link BareLoop}; rows sit where their hash puts them, as in
   * Gradflow's direct pages, instead of in first-touch order.
   */
  static final class FlatLoop {
    private final ExampleLearner learner;
    private final FeatureMerger merger = new FeatureMerger();
    private final int rowSize;
    private final int rows = 1 << HASH_BITS;
    private final float[] weights;
    private final long[] ids = new long[FEATURES];
    private final float[] values = new float[FEATURES];
    private final float[][] arrays = new float[FEATURES][];
    private final int[] offsets = new int[FEATURES];
    long step;

    FlatLoop() {
      this(SPEC);
    }

    /** The loop learning {@code spec} (a job's learner: the Kafka bench's clients' peer). */
    FlatLoop(LearnerSpec spec) {
      learner = new ExampleLearner(spec);
      rowSize = learner.rowSize();
      weights = new float[(rows + 1) * rowSize];
      for (int r = 0; r < rows; r++) {
        learner.initializeRow(r, weights, r * rowSize);
      }
      learner.initializeRow(FeatureHashing.BIAS_ROW, weights, rows * rowSize);
      Arrays.fill(arrays, weights);
    }

    double process(CompactExample e) {
      int n = merger.merge(e.rowIds, e.values, e.rowIds.length, ids, values);
      for (int i = 0; i < n; i++) {
        offsets[i] = (int) ids[i] * rowSize;
      }
      int bias = rows * rowSize;
      double a = learner.activation(arrays, offsets, values, n, weights, bias);
      learner.learn(arrays, offsets, values, n, weights, bias, a, e.label, e.weight, step + 1,
          learner.learningRate(step));
      step++;
      return learner.loss().prediction(a);
    }
  }

  /** The name of the reference run, the flat-array bare loop. */
  static final String REFERENCE = "bare loop, flat array (the reference)";
  /** The name of the run of Gradflow's row path without Flink. */
  static final String PAGED = "paged learner, no Flink";

  static Result flat(long examples) throws Exception {
    FlatLoop warm = new FlatLoop();
    for (int i = 0; i < Math.min(examples, 300_000); i++) {
      warm.process(pool[i % POOL]);
    }
    return timed(REFERENCE, examples, new FlatLoop()::process);
  }

  /** What a timed run does with one example: predict (then learn), returning the prediction. */
  @FunctionalInterface
  interface Step {
    double process(CompactExample example) throws Exception;
  }

  /**
   * Runs {@code step} over {@code examples} examples of the pool in order, timing the whole run
   * and its second half, and folding every prediction into the checksum.
   */
  static Result timed(String name, long examples, Step step) throws Exception {
    long checksum = 0;
    java.lang.management.ThreadMXBean threads =
        java.lang.management.ManagementFactory.getThreadMXBean();
    long start = System.nanoTime();
    long halfway = start;
    long halfwayCpu = 0;
    for (long i = 0; i < examples; i++) {
      if (i == examples / 2) {
        halfway = System.nanoTime();
        halfwayCpu = threads.getCurrentThreadCpuTime();
      }
      checksum = fold(checksum, step.process(pool[(int) (i % POOL)]));
    }
    long end = System.nanoTime();
    long cpu = threads.getCurrentThreadCpuTime() - halfwayCpu;
    return new Result(name, examples, (end - start) / 1e9, (end - halfway) / 1e9,
        (end - halfway) / 1e9, checksum, (double) cpu / (examples - examples / 2));
  }

  /** Order-sensitive fold of prediction bits. */
  static long fold(long checksum, double score) {
    return checksum * 31 + Double.doubleToLongBits(score);
  }

  /** A sink that folds every score (parallelism 1: in order) into a static checksum. */
  static final class ChecksumSink implements Sink<Scored> {
    static volatile long checksum;
    static volatile long count;
    static volatile long firstNanos;
    static volatile long halfNanos;
    static volatile long half;
    /** The number of predictions expected: the last one's arrival is timed. */
    static volatile long total;
    static volatile long lastNanos;
    /** Every thread's CPU at the half-way prediction and at the last one. */
    static volatile ThreadUse halfUse;
    static volatile ThreadUse lastUse;

    @Override
    public SinkWriter<Scored> createWriter(WriterInitContext context) {
      return new SinkWriter<>() {
        private long sum;
        private long n;

        @Override
        public void write(Scored s, Context c) {
          if (n == 0) {
            firstNanos = System.nanoTime();
          }
          if (n == half) {
            halfNanos = System.nanoTime();
            halfUse = ThreadUse.sample();
          }
          sum = fold(sum, s.score);
          n++;
          if (n == total) {
            lastNanos = System.nanoTime();
            lastUse = ThreadUse.sample();
          }
        }

        @Override
        public void flush(boolean endOfInput) {
          checksum = sum;
          count = n;
        }

        @Override
        public void close() {}
      };
    }
  }

  /**
   * @param seconds from the first prediction to the last
   * @param secondHalf the time of the second half of the examples, from the prediction half-way
   *     to the last one: steady state, after the model has allocated its rows and the JIT has
   *     compiled the hot path
   * @param secondHalfToEnd the same, but to the end of the run: for a Flink run, until
   *     {@code execute} returns (end of input: every model's last report and flush, the final
   *     checkpoint, the job's shutdown); for a bare loop, {@code secondHalf}. The README's figures
   *     recorded before 2026-12-01's last session were measured this way.
   * @param cpuPerExample CPU nanoseconds per example of the second half on the thread that ran
   *     the examples through the learner: a bare loop's own thread, or a chained Flink run's one
   *     task thread (source, trainer and sink); NaN for a run behind the keyed exchange
   */
  record Result(String name, long examples, double seconds, double secondHalf,
      double secondHalfToEnd, long checksum, double cpuPerExample) {
    double rate() {
      return examples / seconds;
    }

    double steadyRate() {
      return (examples - examples / 2) / secondHalf;
    }

    double steadyRateToEnd() {
      return (examples - examples / 2) / secondHalfToEnd;
    }
  }

  static Result bare(long examples) throws Exception {
    // Warm-up pass over a separate loop instance, so the JIT has compiled the hot path.
    BareLoop warm = new BareLoop();
    for (int i = 0; i < Math.min(examples, 300_000); i++) {
      warm.process(pool[i % POOL]);
    }
    return timed("bare loop, rows in a hash table", examples, new BareLoop()::process);
  }

  /**
   * The trainer's own row path without Flink: {@link PagedLearner} and {@link PageCache} over an
   * in-memory page store, single thread. The gap between this and the bare loop is the page
   * design's; the gap between this and the Flink runs is the framework's.
   */
  static Result paged(long examples) throws Exception {
    PagedLearner learner = newPagedLearner();
    ExampleLearner core = learner.learner();
    PageCache cache = learner.cache();
    double rate = core.learningRate(0);
    long[] step = {0};
    Result result = timed(PAGED, examples,
        e -> core.loss().prediction(learner.process(e.modelKey, e, e.dense, true, ++step[0],
            rate)));
    System.out.printf(Locale.ROOT, "paged learner's cache: %,d hits, %,d misses, %,d pages%n",
        cache.hits(), cache.misses(), cache.size());
    return result;
  }

  /**
   * A new {@link PagedLearner} of {@link #SPEC} over an in-memory page store, the whole model
   * cached.
   */
  static PagedLearner newPagedLearner() {
    Map<Long, float[]> stored = new java.util.HashMap<>();
    PageStore store = new PageStore() {
      @Override
      public float[] load(String modelKey, long pageId) {
        return stored.get(pageId);
      }

      @Override
      public void store(String modelKey, long pageId, float[] page) {
        stored.put(pageId, page);
      }
    };
    ExampleLearner core = new ExampleLearner(SPEC);
    return new PagedLearner(core, new PageCache(store, CACHE_PAGES, core.rowSize(), 16),
        PAGE_BITS);
  }

  /** The trainer on {@code backend}, chained to its input as the job runs it at parallelism 1. */
  static Result flink(String backend, long examples, Path checkpoints) throws Exception {
    return flink(backend, examples, checkpoints, SPEC,
        new TrainerSettings(CACHE_PAGES, PAGE_BITS, 100_000, 0, MetricsSpec.DEFAULT),
        "Flink, " + backend, true);
  }

  /**
   * Per Flink run, per round: CPU nanoseconds per example of the second half on the source's
   * thread (in a chained run, the one thread that runs source and trainer), the trainer's
   * thread (NaN when chained), all threads and RocksDB's native threads; then the trainer
   * thread's forced context switches per million examples (NaN when chained or off Linux).
   */
  static final Map<String, List<double[]>> THREAD_NANOS = new java.util.LinkedHashMap<>();

  /** The name of the {@code hashmap-keyed} run. */
  static final String KEYED = "Flink, hashmap, keyed (the exchange above parallelism 1)";

  /**
   * The run {@code hashmap-keyed} (not among the default runs; {@code heap_keyed_vs_bare} in the
   * RESULT line): the heap backend's run with the trainer behind a keyed exchange, as a trainer
   * subtask of a job above parallelism 1 gets its input (and every run did before the job
   * chained the trainer at parallelism 1): what the exchange's serialization, hand-over and
   * deserialization cost.
   */
  static Result keyed(long examples, Path checkpoints) throws Exception {
    return flink("hashmap", examples, checkpoints, SPEC,
        new TrainerSettings(CACHE_PAGES, PAGE_BITS, 100_000, 0, MetricsSpec.DEFAULT),
        KEYED, false);
  }

  /** A trainer run of {@code spec} over the pool on a local MiniCluster (see the class comment). */
  static Result flink(String backend, long examples, Path checkpoints, LearnerSpec spec,
      TrainerSettings settings, String name, boolean chained) throws Exception {
    Configuration conf = new Configuration();
    conf.set(StateBackendOptions.STATE_BACKEND, backend);
    conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
    conf.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS,
        !Boolean.getBoolean("gradflow.bench.full-checkpoints"));
    conf.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.ofMebiBytes(512));
    // As TrainJob configures RocksDB by default (state.compression: none).
    conf.setString("state.backend.rocksdb.compression.per.level", "NO_COMPRESSION");
    // -Dflink.KEY=VALUE sets any Flink option, to compare settings (RocksDB's, for example).
    System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("flink."))
        .forEach(k -> conf.setString(k.substring("flink.".length()), System.getProperty(k)));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setParallelism(1);
    env.getConfig().enableObjectReuse(); // as TrainJob.configure does
    env.enableCheckpointing(CHECKPOINT_MILLIS, CheckpointingMode.EXACTLY_ONCE);
    DataStream<CompactExample> stream = env.fromSource(new NumberSequenceSource(0, examples - 1),
            WatermarkStrategy.noWatermarks(), "examples")
        .map(i -> pool[(int) (i % POOL)]).returns(CompactExampleTypeInfo.INSTANCE);
    KeySelector<CompactExample, String> byModel = e -> e.modelKey;
    (chained ? DataStreamUtils.reinterpretAsKeyedStream(stream, byModel, Types.STRING)
        : stream.keyBy(byModel, Types.STRING))
        .transform("trainer", TypeInformation.of(Scored.class), new TrainerOperator(
            Map.of("", spec), settings, HASH_BITS))
        .sinkTo(new ChecksumSink());
    ChecksumSink.count = 0;
    ChecksumSink.half = examples / 2;
    ChecksumSink.total = examples;
    ChecksumSink.lastNanos = 0;
    ChecksumSink.halfUse = null;
    ChecksumSink.lastUse = null;
    env.execute("trainer-throughput-" + backend);
    long end = System.nanoTime();
    long last = ChecksumSink.lastNanos;
    if (ChecksumSink.count != examples || last == 0) {
      throw new IllegalStateException(name + ": " + ChecksumSink.count + " predictions of "
          + examples + (last == 0 ? ", the last one not timed" : ""));
    }
    System.out.printf(Locale.ROOT, "%s: %.3f s from the last prediction to the job's end%n",
        name, (end - last) / 1e9);
    List<ThreadUse.Use> uses = ThreadUse.between(ChecksumSink.halfUse, ChecksumSink.lastUse,
        examples - examples / 2, 0.01);
    ThreadUse.print(name, uses);
    THREAD_NANOS.computeIfAbsent(name, k -> new java.util.ArrayList<>()).add(new double[] {
        ThreadUse.nanosOf(uses, "Source: examples"), ThreadUse.nanosOf(uses, "trainer"),
        ThreadUse.nanosOf(uses, "(all threads)"), ThreadUse.nanosOf(uses,
        ThreadUse.NATIVE_ROCKSDB), ThreadUse.forcedOf(uses, "trainer")});
    return new Result(name, ChecksumSink.count, (last - ChecksumSink.firstNanos) / 1e9,
        (last - ChecksumSink.halfNanos) / 1e9, (end - ChecksumSink.halfNanos) / 1e9,
        ChecksumSink.checksum, chained ? ThreadUse.nanosOf(uses, "Source: examples") : Double.NaN);
  }

  /** The stream for the PyTorch loop: per example 40 row ids (int64) and the label (float32). */
  static void export(Path file, int count) throws IOException {
    try (DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(
        new FileOutputStream(file.toFile())))) {
      for (int i = 0; i < count; i++) {
        CompactExample e = pool[i % POOL];
        for (long id : e.rowIds) {
          out.writeLong(Long.reverseBytes(id));
        }
        out.writeInt(Integer.reverseBytes(Float.floatToIntBits(e.label)));
      }
    }
  }

  /**
   * Arguments: examples per run, results directory, runs (any of hashed, paged, hashmap,
   * rocksdb), rounds. Every round runs the reference first (the flat-array bare loop, the fastest
   * bare loop here), then each other run; a run's ratio in a round is against that round's
   * reference, and the table shows medians over rounds: on a shared
   * machine a single pair of runs can differ by a third from the next pair.
   */
  public static void main(String[] args) throws Exception {
    long examples = args.length > 0 ? Long.parseLong(args[0]) : 3_000_000L;
    Path resultsDir = Path.of(args.length > 1 ? args[1] : "bench/results");
    java.nio.file.Files.createDirectories(resultsDir);
    if (args.length > 2 && args[2].equals("mlp")) {
      mlp(examples, resultsDir, args.length > 3 ? Integer.parseInt(args[3]) : 3);
      return;
    }
    pool = generate(20261128L);
    export(resultsDir.resolve("stream.bin"), 50_000);
    java.util.List<String> runs = java.util.List.of(
        (args.length > 2 ? args[2] : "hashed,paged,hashmap,rocksdb").split(","));
    int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
    java.util.Map<String, java.util.List<Result>> byRun = new java.util.LinkedHashMap<>();
    java.util.Map<String, java.util.List<Double>> ratios = new java.util.LinkedHashMap<>();
    java.util.Map<String, java.util.List<Double>> ratiosToEnd = new java.util.LinkedHashMap<>();
    // Per round: the reference's CPU per example on its thread over the run's on its one thread.
    java.util.Map<String, java.util.List<Double>> cpuRatios = new java.util.LinkedHashMap<>();
    for (int round = 0; round < rounds; round++) {
      Result reference = flat(examples);
      java.util.List<Result> results = new java.util.ArrayList<>(java.util.List.of(reference));
      if (runs.contains("hashed")) {
        results.add(bare(examples));
      }
      if (runs.contains("paged")) {
        results.add(paged(examples));
      }
      for (String backend : new String[] {"hashmap", "rocksdb"}) {
        if (runs.contains(backend)) {
          results.add(flink(backend, examples, resultsDir.resolve("checkpoints-" + backend)));
        }
      }
      if (runs.contains("hashmap-keyed")) {
        results.add(keyed(examples, resultsDir.resolve("checkpoints-keyed")));
      }
      for (Result r : results) {
        if (r.checksum() != reference.checksum()) {
          throw new IllegalStateException(r.name() + " did not predict bit-identically to the"
              + " reference loop");
        }
        byRun.computeIfAbsent(r.name(), k -> new java.util.ArrayList<>()).add(r);
        ratios.computeIfAbsent(r.name(), k -> new java.util.ArrayList<>())
            .add(r.steadyRate() / reference.steadyRate());
        ratiosToEnd.computeIfAbsent(r.name(), k -> new java.util.ArrayList<>())
            .add(r.steadyRateToEnd() / reference.steadyRate());
        cpuRatios.computeIfAbsent(r.name(), k -> new java.util.ArrayList<>())
            .add(reference.cpuPerExample() / r.cpuPerExample());
        System.out.printf(Locale.ROOT, "round %d: %s %,.0f examples/s (second half), %.2f×"
            + " (to the job's end: %,.0f, %.2f×), checksum %016x%n", round + 1, r.name(),
            r.steadyRate(), r.steadyRate() / reference.steadyRate(), r.steadyRateToEnd(),
            r.steadyRateToEnd() / reference.steadyRate(), r.checksum());
      }
    }
    System.out.printf(Locale.ROOT, "%n%,d examples per run, %d rounds; medians over rounds;"
        + " every run predicted bit-identically to the reference%n%n"
        + "| run | examples/s, second half | vs the reference (median of per-round ratios) |"
        + " ratios per round |%n|---|---|---|---|%n", examples, rounds);
    for (String name : byRun.keySet()) {
      System.out.printf(Locale.ROOT, "| %s | %,.0f | %.2f× | %s |%n", name,
          median(byRun.get(name).stream().mapToDouble(Result::steadyRate).toArray()),
          median(ratios.get(name).stream().mapToDouble(Double::doubleValue).toArray()),
          ratios.get(name).stream().map(x -> String.format(Locale.ROOT, "%.2f", x)).toList());
    }
    System.out.printf(Locale.ROOT, "%nCPU per example, second half, medians over rounds"
        + " (ThreadMXBean):%n");
    THREAD_NANOS.forEach((name, rows) -> System.out.printf(Locale.ROOT,
        "  %s: source thread %.3f us, trainer thread %.3f us, all threads %.3f us%n", name,
        medianColumn(rows, 0) / 1e3, medianColumn(rows, 1) / 1e3, medianColumn(rows, 2) / 1e3));
    // One machine-readable line: the medians of the per-round ratios (NaN for a run not made);
    // then the same to the job's end (how the README's earlier figures were measured). The heap
    // and RocksDB runs are chained, as the job at parallelism 1: heap_chained_* repeat heap_*
    // (kept for older comparisons, when it was a run of its own); heap_keyed_* are the
    // hashmap-keyed run's (the run heap_* measured before).
    System.out.printf(Locale.ROOT, "%nRESULT heap_vs_bare=%.3f rocksdb_vs_bare=%.3f"
        + " heap_chained_vs_bare=%.3f heap_vs_bare_to_job_end=%.3f"
        + " rocksdb_vs_bare_to_job_end=%.3f heap_source_cpu_us=%.3f heap_trainer_cpu_us=%.3f"
        + " heap_chained_cpu_us=%.3f rocksdb_source_cpu_us=%.3f rocksdb_trainer_cpu_us=%.3f"
        + " rocksdb_all_cpu_us=%.3f rocksdb_native_cpu_us=%.3f heap_all_cpu_us=%.3f"
        + " heap_trainer_forced_per_m=%.0f rocksdb_trainer_forced_per_m=%.0f"
        + " heap_keyed_vs_bare=%.3f heap_keyed_source_cpu_us=%.3f heap_keyed_trainer_cpu_us=%.3f"
        + " heap_keyed_all_cpu_us=%.3f heap_keyed_trainer_forced_per_m=%.0f"
        + " bare_cpu_us=%.3f paged_cpu_vs_bare=%.3f heap_cpu_vs_bare=%.3f"
        + " rocksdb_cpu_vs_bare=%.3f%n",
        medianRatio(ratios, "Flink, hashmap"), medianRatio(ratios, "Flink, rocksdb"),
        medianRatio(ratios, "Flink, hashmap"), medianRatio(ratiosToEnd, "Flink, hashmap"),
        medianRatio(ratiosToEnd, "Flink, rocksdb"),
        medianColumn(THREAD_NANOS.get("Flink, hashmap"), 0) / 1e3,
        medianColumn(THREAD_NANOS.get("Flink, hashmap"), 1) / 1e3,
        medianColumn(THREAD_NANOS.get("Flink, hashmap"), 0) / 1e3,
        medianColumn(THREAD_NANOS.get("Flink, rocksdb"), 0) / 1e3,
        medianColumn(THREAD_NANOS.get("Flink, rocksdb"), 1) / 1e3,
        medianColumn(THREAD_NANOS.get("Flink, rocksdb"), 2) / 1e3,
        medianColumn(THREAD_NANOS.get("Flink, rocksdb"), 3) / 1e3,
        medianColumn(THREAD_NANOS.get("Flink, hashmap"), 2) / 1e3,
        medianColumn(THREAD_NANOS.get("Flink, hashmap"), 4),
        medianColumn(THREAD_NANOS.get("Flink, rocksdb"), 4),
        medianRatio(ratios, KEYED),
        medianColumn(THREAD_NANOS.get(KEYED), 0) / 1e3,
        medianColumn(THREAD_NANOS.get(KEYED), 1) / 1e3,
        medianColumn(THREAD_NANOS.get(KEYED), 2) / 1e3,
        medianColumn(THREAD_NANOS.get(KEYED), 4),
        median(byRun.get(REFERENCE).stream().mapToDouble(Result::cpuPerExample).toArray()) / 1e3,
        medianRatio(cpuRatios, PAGED), medianRatio(cpuRatios, "Flink, hashmap"),
        medianRatio(cpuRatios, "Flink, rocksdb"));
  }

  /** The mlp mode's model: 16 dense inputs, hidden [32, 16], ReLU, logistic loss, Adam. */
  static LearnerSpec mlpSpec(int batchSize) {
    return new LearnerSpec(new DeepModelSpec(false, List.of(32, 16),
        DeepModelSpec.Activation.RELU, MLP_INPUTS, 0, 0.1, DeepModelSpec.Pooling.SUM, batchSize,
        1), Loss.LOGISTIC,
        AdamSpec.of(1e-3), GradientSpec.NONE, new ScheduleSpec.Constant(),
        ScheduleClock.MODEL_STEP, false);
  }

  static final int MLP_INPUTS = 16;
  static final int[] MLP_BATCHES = {1, 32, 256};

  /** One model key, 16 dense features U(-2, 2), label: the sign of x0 * x1 (no sparse features). */
  static CompactExample[] generateMlp(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    CompactExample[] examples = new CompactExample[POOL];
    for (int e = 0; e < POOL; e++) {
      float[] dense = new float[MLP_INPUTS];
      for (int j = 0; j < MLP_INPUTS; j++) {
        dense[j] = (float) random.nextDouble(-2, 2);
      }
      float label = dense[0] * dense[1] > 0 ? 1f : 0f;
      examples[e] = new CompactExample("e" + e, "mlp", e, new long[0], new float[0], dense, label,
          1f);
    }
    return examples;
  }

  /**
   * The core's mini-batch loop for the mlp mode, no Flink: predict, keep the example in the
   * batch, one Adam step per full batch (the trainer's counting: the step is given the examples
   * learned so far). Its predictions are the reference for the trainer's.
   */
  static final class MlpLoop {
    private final ExampleLearner learner;
    private final int batchSize;
    private final float[][] blocks;
    private final float[] bias;
    private final io.gradflow.learn.BatchGradient batch;
    private final double rate;
    private final long[] noIds = new long[0];
    private final float[] noValues = new float[0];
    private final float[][] noPages = new float[0][];
    private final int[] noOffsets = new int[0];
    private long step;

    MlpLoop(int batchSize) {
      learner = new ExampleLearner(mlpSpec(batchSize));
      this.batchSize = batchSize;
      blocks = learner.newDenseBlocks();
      bias = new float[learner.rowSize()];
      learner.initializeRow(FeatureHashing.BIAS_ROW, bias, 0);
      batch = new io.gradflow.learn.BatchGradient(learner.model());
      rate = learner.learningRate(0);
    }

    double process(CompactExample e) {
      double a = learner.activation(noPages, noOffsets, noValues, 0, bias, 0, e.dense, blocks);
      step++;
      if (batchSize == 1) {
        learner.learn(noPages, noOffsets, noValues, 0, bias, 0, e.dense, blocks, a, e.label,
            e.weight, step, rate);
      } else {
        learner.accumulate(batch, noIds, FeatureHashing.BIAS_ROW, noPages, noOffsets, noValues, 0,
            bias, 0, e.dense, blocks, a, e.label, e.weight);
        if (batch.examples() == batchSize) {
          learner.stepDense(batch, blocks, step, rate);
          learner.stepRow(batch, 0, bias, 0, step, rate);
          batch.clear();
        }
      }
      return learner.loss().prediction(a);
    }
  }

  /**
   * The mlp mode ({@code runs} = {@code mlp}): the trainer on the heap backend (checkpoints every
   * 2 s, {@code batch_timeout} 0) at batch sizes 1, 32 and 256, each after the core's loop on the
   * same examples; every trainer run must predict bit-identically to the loop (checkpoints keep
   * batches in flight rather than cutting them).
   */
  static void mlp(long examples, Path resultsDir, int rounds) throws Exception {
    pool = generateMlp(20261130L);
    java.util.Map<String, java.util.List<Double>> rates = new java.util.LinkedHashMap<>();
    for (int round = 0; round < rounds; round++) {
      for (int b : MLP_BATCHES) {
        MlpLoop warm = new MlpLoop(b);
        for (int i = 0; i < Math.min(examples, 200_000); i++) {
          warm.process(pool[i % POOL]);
        }
        Result loop = timed("core loop, no Flink, batch " + b, examples, new MlpLoop(b)::process);
        Result trainer = flink("hashmap", examples, resultsDir.resolve("checkpoints-mlp"),
            mlpSpec(b), new TrainerSettings(CACHE_PAGES, PAGE_BITS, 100_000, 0,
                MetricsSpec.DEFAULT).withBatchTimeout(java.time.Duration.ZERO),
            "Flink, hashmap, batch " + b, true);
        if (trainer.checksum() != loop.checksum() || trainer.examples() != examples) {
          throw new IllegalStateException(trainer.name() + " did not predict bit-identically to"
              + " the core loop");
        }
        for (Result r : List.of(loop, trainer)) {
          rates.computeIfAbsent(r.name(), k -> new java.util.ArrayList<>()).add(r.steadyRate());
          System.out.printf(Locale.ROOT, "round %d: %s %,.0f examples/s (second half)%n",
              round + 1, r.name(), r.steadyRate());
        }
      }
    }
    System.out.printf(Locale.ROOT, "%nmlp [32, 16] relu, 16 inputs, Adam; %,d examples per run,"
        + " %d rounds; medians; every trainer run predicted bit-identically to the core loop%n%n"
        + "| run | examples/s, second half |%n|---|---|%n", examples, rounds);
    rates.forEach((name, r) -> System.out.printf(Locale.ROOT, "| %s | %,.0f |%n", name,
        median(r.stream().mapToDouble(Double::doubleValue).toArray())));
  }

  private static double medianRatio(java.util.Map<String, java.util.List<Double>> ratios,
      String run) {
    java.util.List<Double> r = ratios.get(run);
    return r == null ? Double.NaN : median(r.stream().mapToDouble(Double::doubleValue).toArray());
  }

  /** The median of column {@code c} of {@code rows}, NaN when there are none. */
  static double medianColumn(List<double[]> rows, int c) {
    return rows == null ? Double.NaN : median(rows.stream().mapToDouble(r -> r[c]).toArray());
  }

  static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
