package io.gradflow.jobs.train;

import io.gradflow.flink.CompactExampleTypeInfo;
import io.gradflow.flink.MetricsEvent;
import io.gradflow.flink.Scored;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.kafka.CompactLabel;
import io.gradflow.jobs.kafka.DeadLetter;
import io.gradflow.jobs.kafka.ExampleDecodeFunction;
import io.gradflow.jobs.kafka.ExampleDecoder;
import io.gradflow.jobs.kafka.InputAccumulator;
import io.gradflow.jobs.kafka.KafkaSpec;
import io.gradflow.jobs.kafka.LabelDecodeFunction;
import io.gradflow.jobs.kafka.ParallelDecodeFunction;
import io.gradflow.jobs.kafka.RawEventTime;
import io.gradflow.jobs.kafka.RawRecord;
import io.gradflow.model.CompactExample;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The online training job: Kafka in, predictions, metrics, changelog and dead letters out.
 *
 * <pre>
 *   examples topic ─ [decode pool] ─ decode (dead letters ─► dead-letter topic) ─┐
 *   labels topic ─── [decode pool] ─ decode (dead letters ─► dead-letter topic) ─┴─►
 *       {@link TrainPipeline} ─► predictions, metrics, changelog topics
 * </pre>
 *
 * With {@code job.decode_parallelism} above 1, a pool of that many threads per source subtask
 * decodes, validates and hashes examples beside the source's and the trainer's threads, in order
 * ({@link ParallelDecodeFunction}); the keyed exchange to the trainer comes after it. With
 * {@code labels.delayed}, the labels source gets a pool of the same size
 * ({@link ParallelDecodeFunction#labels}, operator {@code decode-labels-pool.v1}).
 *
 * <p>The job is thin: configuration, sources, sinks. It runs embedded (a local MiniCluster) or, the
 * same code, submitted to a cluster as a jar.
 */
public final class TrainJob {
  /** How far out of order event times may arrive before the label join's timers fire. */
  public static final Duration OUT_OF_ORDERNESS = Duration.ofSeconds(5);
  /** How long a partition without records is left out of the label join's watermark. */
  static final Duration IDLE_PARTITION = Duration.ofSeconds(30);
  /** RocksDB's compression per level (Flink's {@code RocksDBConfigurableOptions}). */
  static final String ROCKSDB_COMPRESSION = "state.backend.rocksdb.compression.per.level";

  private TrainJob() {}

  /**
   * The exactly-once predictions sink's producer properties of its own ({@code batch.size},
   * {@code linger.ms}), each used only where {@code kafka.properties} does not set it: for a
   * transactional peer that writes predictions as the job does (bench). Unmodifiable.
   */
  public static Map<String, String> predictionsProducerDefaults() {
    return OutputMappers.predictionsProducer(DeliveryGuarantee.EXACTLY_ONCE);
  }

  /** The Flink configuration the job's settings imply: state backend, checkpoints, restarts. */
  public static Configuration flinkConfiguration(TrainConfig config) {
    Configuration c = new Configuration();
    TrainConfig.StateSettings state = config.state();
    c.set(StateBackendOptions.STATE_BACKEND, state.backend());
    // Without a directory Flink keeps checkpoints in the job manager's memory, limited to 5 MB:
    // far too small for a model's pages. Default to a local directory, fine for embedded runs.
    c.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpointDirectory(config));
    c.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, state.incremental());
    c.setString(ROCKSDB_COMPRESSION, switch (state.compression()) {
      case "snappy" -> "SNAPPY_COMPRESSION";
      case "lz4" -> "LZ4_COMPRESSION";
      case "zstd" -> "ZSTD_COMPRESSION";
      default -> "NO_COMPRESSION";
    });
    // A cancelled (Ctrl-C) or failed job keeps its last checkpoints, to restart from with
    // train --resume; a finished job's are still discarded (nothing is left to do).
    c.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
        ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
    c.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
    c.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, state.restartAttempts());
    c.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, state.restartDelay());
    return c;
  }

  /**
   * Where checkpoints go, as a URI Flink accepts: {@code checkpoints.directory}, or by default
   * {@code <java.io.tmpdir>/gradflow-checkpoints/<job.name>} (Flink adds a directory per job id).
   * A plain path (the setting takes one) becomes its absolute {@code file:} URI, since Flink's
   * checkpoint storage refuses a location without a scheme; a URI (file:, s3://, ...) is kept.
   * A leading {@code ~} or {@code ~/} is the user's home directory, as a shell reads it (YAML does
   * not expand it, and a directory named {@code ~} under the working directory is never meant).
   */
  public static String checkpointDirectory(TrainConfig config) {
    String directory = config.state().checkpointDirectory();
    if (directory == null) {
      return java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "gradflow-checkpoints",
          config.jobName()).toUri().toString();
    }
    if (hasScheme(directory)) {
      return directory;
    }
    if (directory.equals("~") || directory.startsWith("~/")) {
      directory = System.getProperty("user.home") + directory.substring(1);
    }
    return java.nio.file.Path.of(directory).toAbsolutePath().normalize().toUri().toString();
  }

  /** Whether a location names its file system ({@code file:/x}, {@code s3://b/x}). */
  private static boolean hasScheme(String location) {
    return location.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*");
  }

  /**
   * Refuses, before an embedded run starts, a {@code state.cache_memory} size that this JVM's
   * heap cannot give each trainer subtask ({@link io.gradflow.state.CacheSize#refusal}): the
   * MiniCluster runs here, its slots ({@code taskmanager.numberOfTaskSlots} when set, else the
   * job's parallelism, as Flink's local executor sizes them) sharing this heap. On a cluster the
   * trainer refuses it where it runs, failing the job with the same line.
   *
   * @throws io.gradflow.jobs.cli.UserException (exit 2) naming the setting and the numbers
   */
  public static void checkCacheFits(TrainConfig config, Configuration conf, int parallelism) {
    int slots = conf.contains(org.apache.flink.configuration.TaskManagerOptions.NUM_TASK_SLOTS)
        ? io.gradflow.flink.TrainerOperator.slotsSharingHeap(conf)
        : Math.max(1, parallelism) * Math.max(1, conf.get(
            org.apache.flink.configuration.TaskManagerOptions.MINI_CLUSTER_NUM_TASK_MANAGERS));
    String refusal = config.trainer().cache().refusal(Runtime.getRuntime().maxMemory(), slots,
        "this JVM");
    if (refusal != null) {
      throw new io.gradflow.jobs.cli.UserException(refusal, 2);
    }
  }

  /** Applies checkpointing and parallelism to an environment. */
  public static void configure(StreamExecutionEnvironment env, TrainConfig config) {
    env.setParallelism(config.parallelism());
    // Chained operators hand records on without a serializer copy. Safe here: every operator of
    // the job makes new output records (the decoders new arrays too: ExampleDecodeFunctionTest)
    // and none modifies a record it was given. At parallelism 1 the trainer is chained to the
    // decode function (TrainPipeline) and gets its objects; it neither changes nor keeps them.
    // With a race and delayed labels at parallelism 1, TimeoutHold (chained after the race
    // fan-out) keeps the fan-out's copies, whose arrays the candidates share: safe because no
    // operator changes an example's arrays.
    env.getConfig().enableObjectReuse();
    Duration interval = config.state().checkpointInterval();
    if (!interval.isZero()) {
      env.enableCheckpointing(interval.toMillis(), CheckpointingMode.EXACTLY_ONCE);
    }
  }

  /**
   * The source of one input topic: bounded as {@code kafka.bounded} says, going on from restored
   * positions ({@link EndingKafkaSource#readingOn}), holding at its end when asked.
   */
  private static Source<RawRecord, ?, ?> source(KafkaSpec kafka, String topic,
      boolean holdAtEnd) {
    Properties admin = kafka.clientProperties();
    admin.setProperty("bootstrap.servers", kafka.bootstrapServers());
    return EndingKafkaSource.readingOn(kafka.rawSource(topic), kafka.bounded() == null ? null
        : EndingKafkaSource.ends(admin, kafka.groupId(), kafka.bounded().initializer()),
        holdAtEnd ? subtask -> RawRecord.endOfInput(topic, subtask) : null);
  }

  /**
   * The label join's watermarks, made in the Kafka source for each partition it reads ({@link
   * RawEventTime}: the record's event time from its bytes), so that a subtask's watermark is the
   * least of its partitions' and a partition read behind the others holds it back; a partition
   * without records for {@link #IDLE_PARTITION} is left out until it has records again. Before
   * 2026-12-03 the watermarks were made after decoding, over all of a subtask's records in
   * fetch order, and so followed the partition read furthest ahead. The stateless operators that
   * made them ({@code example-watermarks.v1}, {@code label-watermarks.v1}) are gone; Flink skips
   * an operator of a savepoint whose state is empty, so savepoints of jobs that had them restore
   * without them ({@code PartitionedLabelJoinITCase}).
   */
  static WatermarkStrategy<RawRecord> perPartition(RawEventTime time) {
    return WatermarkStrategy.<RawRecord>forBoundedOutOfOrderness(OUT_OF_ORDERNESS)
        .withTimestampAssigner(time).withIdleness(IDLE_PARTITION);
  }

  /** Adds the whole job to {@code env}. */
  public static void build(StreamExecutionEnvironment env, TrainConfig config) {
    build(env, config, UnaryOperator.identity());
  }

  /**
   * Adds the whole job to {@code env}, passing the decoded examples through {@code tap} before
   * training (tests inject failures there; benchmarks measure).
   */
  public static void build(StreamExecutionEnvironment env, TrainConfig config,
      UnaryOperator<DataStream<CompactExample>> tap) {
    build(env, config, tap, false);
  }

  /**
   * Adds the whole job to {@code env}; with {@code holdAtEnd} (a bounded run that ends with a
   * savepoint, {@code train --final-savepoint}) its sources do not end at {@code kafka.bounded}:
   * each source subtask, once at the end of its partitions, counts itself in the decode
   * function's {@link InputAccumulator#ENDED_EXAMPLES} (or {@code ENDED_LABELS}) accumulator and
   * then holds, so the job stays running for a stop-with-savepoint. Held partitions are in the
   * savepoint and read on in a job started from it ({@link EndingKafkaSource#readingOn}).
   */
  public static void build(StreamExecutionEnvironment env, TrainConfig config,
      UnaryOperator<DataStream<CompactExample>> tap, boolean holdAtEnd) {
    KafkaSpec kafka = config.kafka();
    ExampleDecoder decoder = config.decoder();

    boolean delayed = config.labels().delayed();
    DataStream<RawRecord> raw = env
        .fromSource(source(kafka, kafka.topics().examples(), holdAtEnd),
            delayed ? perPartition(RawEventTime.examples(decoder.limits()))
                : WatermarkStrategy.noWatermarks(),
            "examples")
        .uid("examples-source.v1");
    if (config.decodeParallelism() > 1) {
      // Decoding on a pool beside the source's thread, in order (chained: records carry their
      // result to the decode function). A new operator with its own state (records in flight):
      // older savepoints restore without it, and it may be removed again with
      // --allow-non-restored-state.
      raw = AsyncDataStream.orderedWait(raw,
              new ParallelDecodeFunction(decoder, config.decodeParallelism()), 0,
              TimeUnit.MILLISECONDS, ParallelDecodeFunction.CAPACITY)
          .returns(RawRecord.class)
          .name("decode-examples-pool").uid("decode-examples-pool.v1");
    }
    SingleOutputStreamOperator<CompactExample> examples = raw
        .process(new ExampleDecodeFunction(decoder), CompactExampleTypeInfo.INSTANCE)
        .name("decode-examples").uid("decode-examples.v1");
    DataStream<DeadLetter> deadLetters = examples.getSideOutput(DeadLetter.TAG);

    DataStream<CompactExample> timed = tap.apply(examples);
    DataStream<CompactLabel> labels = null;
    String labelTopic = kafka.topics().labels();
    if (delayed) {
      DataStream<RawRecord> rawLabels = env
          .fromSource(source(kafka, labelTopic, holdAtEnd),
              perPartition(RawEventTime.labels(decoder.limits())), "labels")
          .uid("labels-source.v1");
      if (config.decodeParallelism() > 1) {
        // As the examples' pool: same size, in order, chained, a new operator with its own state.
        rawLabels = AsyncDataStream.orderedWait(rawLabels,
                ParallelDecodeFunction.labels(decoder, config.decodeParallelism()), 0,
                TimeUnit.MILLISECONDS, ParallelDecodeFunction.CAPACITY)
            .returns(RawRecord.class)
            .name("decode-labels-pool").uid("decode-labels-pool.v1");
      }
      SingleOutputStreamOperator<CompactLabel> decodedLabels = rawLabels
          .process(new LabelDecodeFunction(decoder)).name("decode-labels")
          .uid("decode-labels.v1");
      deadLetters = deadLetters.union(decodedLabels.getSideOutput(DeadLetter.TAG));
      labels = decodedLabels;
    }

    TrainPipeline.Outputs out = TrainPipeline.build(timed, labels, config);
    // Pass-through counters for the console (Flink accumulators), chained to the trainer.
    DataStream<Scored> predictions = out.predictions()
        .map(new ProgressTaps.CountPredictions()).returns(Scored.class)
        .name("count-predictions").uid("count-predictions.v1");
    DataStream<MetricsEvent> metrics = out.metrics()
        .map(new ProgressTaps.CollectMetrics()).returns(MetricsEvent.class)
        .name("collect-metrics").uid("collect-metrics.v1");
    predictions.sinkTo(kafka.sink("predictions", kafka.topics().predictions(),
        OutputMappers.PREDICTIONS, OutputMappers.predictionsProducer(kafka.deliveryGuarantee())))
        .name("predictions-sink")
        .uid("predictions-sink.v1");
    metrics.sinkTo(kafka.sink("metrics", kafka.topics().metrics(), OutputMappers.METRICS))
        .name("metrics-sink").uid("metrics-sink.v1");
    if (config.trainer().changelogEvery() > 0) {
      out.changelog().sinkTo(kafka.sink("changelog", kafka.topics().changelog(),
          OutputMappers.CHANGELOG)).name("changelog-sink").uid("changelog-sink.v1");
    }
    deadLetters.sinkTo(kafka.deadLetterSink()).name("dead-letter-sink")
        .uid("dead-letter-sink.v1");
  }
}
