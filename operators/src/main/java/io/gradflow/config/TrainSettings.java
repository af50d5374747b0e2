package io.gradflow.config;

import static io.gradflow.config.Constraint.atLeast;
import static io.gradflow.config.Constraint.greaterThan;
import static io.gradflow.config.Constraint.inRange;
import static io.gradflow.config.Constraint.inRangeExclusiveLow;

import io.gradflow.model.DeepModelSpec;
import io.gradflow.model.FactorizationMachineSpec;
import io.gradflow.model.LinearSpec;
import io.gradflow.model.ModelSpec;
import io.gradflow.schema.FeatureHashing;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The declarations of the training job's settings outside the optimizer and the schedule (those
 * are in {@link OptimizerConfig} and {@link ScheduleConfig}): one {@link Section} per part of the
 * job file, each setting once with its type, default, constraint and documentation. The job's
 * reader ({@code TrainConfig}), {@code --validate-only}, the defaults of {@code TrainerSettings},
 * {@code MetricsSpec} and {@code KafkaSpec}, and the README's settings reference all come from
 * here. Stateless.
 */
public final class TrainSettings {
  private TrainSettings() {}

  private static final SettingType<String> STRING = SettingType.string();
  private static final SettingType<Integer> INT = SettingType.integer();
  private static final SettingType<Long> LONG = SettingType.longInteger();
  private static final SettingType<Double> NUMBER = SettingType.number();
  private static final SettingType<Boolean> BOOL = SettingType.bool();
  private static final SettingType<Duration> DURATION = SettingType.duration();

  // ---------------------------------------------------------------------------------- job
  public static final Setting<String> JOB_NAME = Setting.of("name", STRING, "gradflow-train",
      null, "the job's name in Flink; also the default checkpoint folder's name");
  public static final Setting<Integer> JOB_PARALLELISM = Setting.of("parallelism", INT, 1,
      greaterThan(0), "parallelism of every operator");
  public static final Setting<Integer> JOB_DECODE_PARALLELISM = Setting.of("decode_parallelism",
      INT, 1, inRange(1, 64), "threads decoding, validating and hashing the examples of each"
          + " source subtask (and, with labels.delayed, as many for the labels'), beside the trainer's thread; results keep the partition's order, so"
          + " training is the same at any value. 1 decodes on the source's thread; more lets a"
          + " single-model job use more cores (up to one per core left beside the trainer)");
  public static final Section JOB = new Section("job", "the Flink job",
      List.of(JOB_NAME, JOB_PARALLELISM, JOB_DECODE_PARALLELISM));

  // -------------------------------------------------------------------------------- kafka
  public static final Setting<String> KAFKA_BOOTSTRAP_SERVERS = Setting.required(
      "bootstrap_servers", STRING, null, "the brokers, host:port[,host:port...]");
  public static final Setting<String> KAFKA_GROUP_ID = Setting.of("group_id", STRING,
      "gradflow", null, "the consumer group of the sources (offsets are committed on checkpoints)");
  public static final Setting<StreamPosition> KAFKA_STARTING_OFFSETS = Setting.of(
      "starting_offsets", SettingType.position(false),
      StreamPosition.of(StreamPosition.Kind.COMMITTED), null,
      "where the sources start when no checkpoint or savepoint says (committed: the group's"
          + " committed offsets, else the earliest)");
  public static final Setting<StreamPosition> KAFKA_BOUNDED = Setting.optional("bounded",
      SettingType.position(true), "none", null,
      "where a bounded replay stops; none runs forever");
  public static final Setting<String> KAFKA_DELIVERY_GUARANTEE = Setting.of(
      "delivery_guarantee", SettingType.choice("exactly_once", "at_least_once"),
      "exactly_once", null, "of the sinks; exactly_once commits a Kafka transaction per"
          + " checkpoint (readers use isolation.level=read_committed)");
  /**
   * What {@code kafka.transaction_timeout} must exceed two checkpoint intervals by: the time an
   * automatic restart after a failure of the job itself needs to restore and commit (the
   * default restart strategy: {@code checkpoints.restart_attempts} 3, {@code restart_delay} 1s);
   * a longer {@code restart_delay} raises the minimum by the difference (KafkaSpec). Restarts
   * during a Kafka outage take longer (each waits for a client to give up); their limit is
   * documented with {@code checkpoints.restart_attempts}, not checked here. An exactly-once sink
   * opens a transaction after one checkpoint and commits it once
   * the next checkpoint completes, so without a failure a transaction lives up to two intervals.
   * A restart from a retained checkpoint must also commit within the timeout: {@code train}
   * refuses a checkpoint older than the timeout minus one interval minus this margin.
   */
  public static final Duration TRANSACTION_TIMEOUT_MARGIN = Duration.ofSeconds(10);
  public static final Setting<Duration> KAFKA_TRANSACTION_TIMEOUT = Setting.of(
      "transaction_timeout", DURATION, Duration.ofMinutes(15), Constraint.positiveDuration(),
      "the sinks' transaction.timeout.ms, at most transaction_max_timeout and at least 2 x"
          + " checkpoints.interval + checkpoints.restart_delay + 9s (exactly_once; 2 x interval"
          + " + 10s with the default delay). The broker aborts a transaction older"
          + " than this, and with it the output of a checkpoint a restart has not committed yet:"
          + " train refuses to restart from a checkpoint older than transaction_timeout -"
          + " checkpoints.interval - 10s. Keep it long (the default) for restarts by hand");
  public static final Setting<Duration> KAFKA_TRANSACTION_MAX_TIMEOUT = Setting.of(
      "transaction_max_timeout", DURATION, Duration.ofMinutes(15),
      Constraint.positiveDuration(), "the broker's transaction.max.timeout.ms");
  public static final Setting<String> KAFKA_TRANSACTIONAL_ID_PREFIX = Setting.optional(
      "transactional_id_prefix", STRING, "kafka.group_id", null,
      "prefix of the sinks' transactional ids");
  public static final Setting<Map<String, String>> KAFKA_PROPERTIES = Setting.of("properties",
      SettingType.stringMap(), Map.of(), null, "extra Kafka client properties for every"
          + " client (security.protocol, sasl.*, ssl.*); values are never printed; ${env:VAR}"
          + " and ${file:PATH:KEY} in a value are checked at start-up and resolved by each Kafka"
          + " client where it is created");
  public static final Section KAFKA = new Section("kafka", null, "brokers, consumer group,"
      + " where to start and stop, the sinks' delivery guarantee",
      List.of(KAFKA_BOOTSTRAP_SERVERS, KAFKA_GROUP_ID, KAFKA_STARTING_OFFSETS, KAFKA_BOUNDED,
          KAFKA_DELIVERY_GUARANTEE, KAFKA_TRANSACTION_TIMEOUT, KAFKA_TRANSACTION_MAX_TIMEOUT,
          KAFKA_TRANSACTIONAL_ID_PREFIX, KAFKA_PROPERTIES), List.of("topics"));

  public static final Setting<String> TOPIC_EXAMPLES = topic("examples", "examples",
      "Example records (input)");
  public static final Setting<String> TOPIC_LABELS = topic("labels", "labels",
      "delayed Label records (input, with labels.delayed)");
  public static final Setting<String> TOPIC_PREDICTIONS = topic("predictions", "predictions",
      "a Prediction per example (output)");
  public static final Setting<String> TOPIC_METRICS = topic("metrics", "metrics",
      "prequential metrics reports (output)");
  public static final Setting<String> TOPIC_CHANGELOG = topic("changelog", "changelog",
      "changed model rows (output)");
  public static final Setting<String> TOPIC_DEAD_LETTERS = topic("dead_letters", "dead-letters",
      "records that cannot be decoded or are invalid, with the reason (output)");
  public static final Section KAFKA_TOPICS = new Section("kafka.topics", "the job's topics;"
      + " an output topic may not be an input topic", List.of(TOPIC_EXAMPLES, TOPIC_LABELS,
          TOPIC_PREDICTIONS, TOPIC_METRICS, TOPIC_CHANGELOG, TOPIC_DEAD_LETTERS));

  // -------------------------------------------------------------------------------- input
  /** The shortest input.max_event_time_ahead accepted (0 turns the check off). */
  public static final Duration MIN_EVENT_TIME_AHEAD = Duration.ofMinutes(1);
  public static final Setting<Duration> INPUT_MAX_EVENT_TIME_AHEAD = Setting.of(
      "max_event_time_ahead", DURATION, Duration.ofDays(1),
      Constraint.zeroOrAtLeast(MIN_EVENT_TIME_AHEAD), "an example or label whose event_time is"
          + " more than this ahead of the job's clock when it is decoded is a dead letter"
          + " (EVENT_TIME_OUT_OF_RANGE): one year-3000 record would otherwise carry the label"
          + " join's watermark and an event-time schedule's clock to the year 3000. Judged by the"
          + " clock at decoding, so a much later replay may accept what a run refused; 0 is off");
  public static final Setting<Double> INPUT_MAX_ABS_VALUE = Setting.of("max_abs_value", NUMBER,
      1e6, atLeast(0), "a sparse feature or dense value whose absolute value is larger is a"
          + " dead letter (VALUE_OUT_OF_RANGE, naming the feature): one finite 1e30 would"
          + " otherwise wreck an SGD model or the dense standardizer for good; 0 is off");
  public static final Section INPUT = new Section("input", "what an input record may hold;"
      + " a record beyond these bounds is a dead letter with the reason, never clamped",
      List.of(INPUT_MAX_EVENT_TIME_AHEAD, INPUT_MAX_ABS_VALUE));

  // -------------------------------------------------------------------------------- model
  public static final List<String> MODEL_TYPES =
      List.of("logistic_regression", "linear_regression", "factorization_machine", "mlp",
          "wide_and_deep");
  private static final List<String> FM_AND_WIDE = List.of("factorization_machine",
      "wide_and_deep");
  private static final List<String> SEEDED = List.of("factorization_machine", "mlp",
      "wide_and_deep");
  private static final List<String> DEEP = List.of("mlp", "wide_and_deep");
  private static final List<String> WIDE = List.of("wide_and_deep");
  /**
   * The model types of each model setting declared with {@link #modelSetting}; a model setting
   * not here applies to every type. Filled while the class initializes, read only after.
   */
  private static final Map<Setting<?>, List<String>> TYPES_OF = new IdentityHashMap<>();

  public static final Setting<String> MODEL_TYPE = Setting.of("type",
      SettingType.choice(MODEL_TYPES, Map.of()), "logistic_regression", null,
      "the model; logistic_regression and linear_regression are both the linear model,"
          + " with the logistic or the squared loss by default; mlp is a multilayer perceptron"
          + " over the dense features; wide_and_deep is the linear model plus an MLP over the"
          + " dense features and the pooled embeddings of the sparse features");
  public static final Setting<String> MODEL_LOSS = Setting.optional("loss",
      SettingType.choice("logistic", "squared"), "squared for linear_regression, else logistic",
      null, "logistic: labels in [0, 1]; squared: any finite label. A label outside the"
          + " loss's domain is a dead letter");
  public static final Setting<Integer> MODEL_HASH_BITS = Setting.of("hash_bits", INT,
      FeatureHashing.DEFAULT_BITS, inRange(FeatureHashing.MIN_BITS, FeatureHashing.MAX_BITS),
      "hashed features go to 2^hash_bits rows");
  public static final Setting<String> MODEL_DEFAULT_KEY = Setting.of("default_key", STRING,
      "default", null, "model key of records that have none");
  public static final Setting<Boolean> MODEL_STANDARDIZE = Setting.of("standardize", BOOL, true,
      null, "standardize dense features online (running mean and variance, Welford) before"
          + " use; raw columns of very different scales learn badly without it");
  public static final Setting<Double> MODEL_STANDARDIZE_CLIP = Setting.of("standardize_clip",
      NUMBER, 5.0, atLeast(0), "standardized dense values are clamped to [-clip, clip] against"
          + " outliers; 0 turns clamping off");
  public static final Setting<Integer> MODEL_FACTORS = modelSetting(FM_AND_WIDE, "factors", INT,
      8, greaterThan(0), "k, the factor (embedding) vector's length per row");
  public static final Setting<Double> MODEL_INIT_STD = modelSetting(FM_AND_WIDE, "init_std",
      NUMBER, 0.1, greaterThan(0), "factors (embeddings) start as draws from N(0, init_std^2)"
          + " (libFM's init_stdev)");
  public static final Setting<Long> MODEL_SEED = modelSetting(SEEDED, "seed", LONG, 42L, null,
      "with a row's or a dense weight's id, the only input of its initial value (replays are"
          + " bit-identical)");
  public static final Setting<List<Integer>> MODEL_HIDDEN = modelSetting(DEEP, "hidden",
      SettingType.positiveIntegers(), List.of(32, 16), null, "the hidden layers' widths, input"
          + " side first; [] lets the output read the input directly");
  public static final Setting<String> MODEL_ACTIVATION = modelSetting(DEEP, "activation",
      SettingType.choice("relu", "tanh"), "relu", null, "the hidden layers' nonlinearity."
          + " Weights start He-normal, N(0, 2/fan_in), for relu and Glorot-uniform,"
          + " U(+-sqrt(6/(fan_in+fan_out))), for tanh; unit biases at 0");
  public static final Setting<Integer> MODEL_INPUTS = modelSetting(DEEP, "inputs", INT, 0,
      atLeast(0), "dense features per example (the MLP's input, with the pooled embedding); an"
          + " example with another number is a dead letter (DENSE_WIDTH). An mlp needs 1 or"
          + " more");
  public static final Setting<String> MODEL_POOLING = modelSetting(WIDE, "pooling",
      SettingType.choice("sum", "mean"), "sum", null, "how the embedding rows of an example's"
          + " sparse features (value times row) combine into the MLP's input");
  public static final Setting<Integer> MODEL_BATCH_SIZE = modelSetting(DEEP, "batch_size", INT,
      1, greaterThan(0), "examples of a model per optimizer step on their mean gradient; each"
          + " example is predicted (and measured) as it arrives, with the weights before its"
          + " batch's step. 1 is plain online learning. The batch in flight is part of the"
          + " model's state: checkpoints and model-cache evictions keep it, so with"
          + " batch_timeout 0 a restored run is bit-identical to an uninterrupted one. A partial"
          + " batch is stepped at end of input, before an expiry sweep or a drift action, and"
          + " after batch_timeout");
  public static final Setting<Duration> MODEL_BATCH_TIMEOUT = modelSetting(DEEP, "batch_timeout",
      DURATION, Duration.ofSeconds(1), Constraint.zeroOrAtLeast(Duration.ofMillis(1)), "with"
          + " batch_size > 1, a partial batch is stepped once its first example has waited this"
          + " long (processing time), so a slow stream still learns, at the cost of batch"
          + " boundaries (and the model) that depend on processing time; 0 cuts batches only by"
          + " data (their size, end of input, expiry sweeps, drift actions), so replays and"
          + " restores are bit-identical");
  public static final Setting<String> MODEL_DENSE_BACKEND = modelSetting(DEEP, "dense_backend",
      SettingType.choice("auto", "java", "nd4j"), "auto", null, "what computes a batch's dense"
          + " backward pass. java: plain Java, example by example (the sum of single-example"
          + " backward passes, bit for bit); nd4j: matrix products on ND4J (nd4j-native, in"
          + " double, a thread per core unless OMP_NUM_THREADS is set; java rounds each"
          + " example's gradient to float before summing, nd4j does not, so they differ by"
          + " about 1e-7 relative), needs ND4J in the job jar (there unless built with"
          + " -Dno-nd4j); auto: " + io.gradflow.model.DenseBackends.RULE
          + ". The choice depends on the configuration only, so a replay takes the same path:"
          + " bit-identical with java on any machine, with nd4j on the same CPU type (OpenBLAS"
          + " picks its kernels by CPU)");
  public static final Section MODEL = new Section("model", "the model and its loss",
      List.of(MODEL_TYPE, MODEL_LOSS, MODEL_HASH_BITS, MODEL_DEFAULT_KEY, MODEL_STANDARDIZE,
          MODEL_STANDARDIZE_CLIP, MODEL_FACTORS, MODEL_INIT_STD, MODEL_SEED, MODEL_HIDDEN,
          MODEL_ACTIVATION, MODEL_INPUTS, MODEL_POOLING, MODEL_BATCH_SIZE, MODEL_BATCH_TIMEOUT,
          MODEL_DENSE_BACKEND));

  /**
   * The model types a setting of {@link #MODEL} applies to, in {@link #MODEL_TYPES}' order: the
   * one rule behind the conflict checks of {@link #modelSpec}, what a race candidate inherits
   * from the top-level model, and which model settings the audit record lists (exactly those
   * that apply to the model's type: the ones that change it).
   *
   * @throws IllegalArgumentException if {@code setting} is not a setting of {@link #MODEL}
   */
  public static List<String> modelTypes(Setting<?> setting) {
    if (!MODEL.settings().contains(setting)) {
      throw new IllegalArgumentException(setting + " is not a setting of model");
    }
    return TYPES_OF.getOrDefault(setting, MODEL_TYPES);
  }

  /** Whether a setting of {@link #MODEL} applies to a model of {@code type}. */
  public static boolean appliesTo(Setting<?> setting, String type) {
    return modelTypes(setting).contains(type);
  }

  // ------------------------------------------------------------------- optimizer and race
  /** The optimizer selector; each optimizer's own settings are in {@link OptimizerConfig}. */
  public static final Section OPTIMIZER = new Section("optimizer", "the optimizer: name and"
      + " PyTorch-named hyper-parameters beside it (see the optimizer sections)",
      List.of(OptimizerConfig.NAME));

  public static final Setting<String> RACE_NAME = Setting.required("name", STRING,
      Constraint.without('#'), "the candidate's name; its model key is model#name");
  /**
   * A race's candidates. A candidate's nested {@code model} is read through {@link #MODEL} over
   * the top-level model's keys (the reader, {@code TrainConfig}, says which it inherits and
   * which every candidate must share).
   */
  public static final Section RACE = new Section("race[]", null, "a list of candidates"
      + " instead of optimizer: each trains as its own model key (model#name) on the same"
      + " examples, with its own metrics. A candidate's model section (the model section's"
      + " keys) changes its model: a key it does not set is the top-level model's, if that"
      + " key applies to the candidate's type. Every candidate shares the"
      + " input: the loss, hash_bits, default_key, batch_timeout and the deep candidates'"
      + " inputs must agree, else the job is refused naming both keys",
      List.of(RACE_NAME), List.of("optimizer", "model"));

  // ----------------------------------------------------------------------------- gradient
  public static final Setting<Double> GRADIENT_CLIP_VALUE = Setting.of("clip_value", NUMBER,
      0.0, atLeast(0), "clamp each gradient value to [-v, v] (PyTorch's clip_grad_value_, per"
          + " row); 0 is off");
  public static final Setting<Double> GRADIENT_MAX_NORM = Setting.of("max_norm", NUMBER, 0.0,
      atLeast(0), "scale each row's gradient to at most this L2 norm (clip_grad_norm_, per"
          + " row); 0 is off");
  public static final Section GRADIENT = new Section("gradient",
      "what is done to gradients before the optimizer", List.of(GRADIENT_CLIP_VALUE,
          GRADIENT_MAX_NORM));

  // ------------------------------------------------------------------------------- labels
  public static final Setting<Boolean> LABELS_DELAYED = Setting.of("delayed", BOOL, false, null,
      "join Label records from the labels topic to unlabeled examples by example id");
  public static final Setting<Duration> LABELS_TIMEOUT = Setting.of("timeout", DURATION,
      Duration.ofMinutes(30), Constraint.positiveDuration(),
      "event time an unlabeled example waits for its label");
  public static final Setting<String> LABELS_ON_TIMEOUT = Setting.of("on_timeout",
      SettingType.choice("default_label", "drop"), "default_label", null,
      "learn with default_label, or drop the example (counted)");
  public static final Setting<Double> LABELS_DEFAULT_LABEL = Setting.of("default_label", NUMBER,
      0.0, null, "the label of an example whose label did not arrive; in the loss's domain");
  public static final Section LABELS = new Section("labels", "delayed labels", List.of(
      LABELS_DELAYED, LABELS_TIMEOUT, LABELS_ON_TIMEOUT, LABELS_DEFAULT_LABEL));

  // -------------------------------------------------------------------------------- state
  public static final Setting<String> STATE_BACKEND = Setting.of("backend",
      SettingType.choice("hashmap", "rocksdb"), "hashmap", null,
      "Flink's state backend: hashmap (heap) or rocksdb");
  /**
   * {@code state.cache_memory}'s default: a tenth of the heap. On the hashmap backend a cached
   * page is a copy of a page that keyed state keeps on the heap too (the cache never hands the
   * state its own array), so what the cache holds counts twice; see the setting's doc.
   */
  public static final double DEFAULT_CACHE_HEAP_FRACTION = 0.1;
  public static final Setting<MemoryAmount> STATE_CACHE_MEMORY = Setting.of("cache_memory",
      SettingType.memory(), MemoryAmount.ofHeap(DEFAULT_CACHE_HEAP_FRACTION), null,
      "memory of the page cache (the write-back cache of parameter pages in front of keyed"
          + " state): a fraction of the JVM's maximum heap, shared by the TaskManager's slots"
          + " (a MiniCluster's: all of its slots), or a size such as 256mb per trainer subtask;"
          + " a race's candidates share it equally. The pages follow from a page's memory (a"
          + " direct page with its bookkeeping: 8,464 bytes with AdaGrad's 4-float rows), at"
          + " least 1; the summary's page cache line shows them. On the hashmap backend every cached"
          + " page is a copy of a page that keyed state also keeps on the heap, so the cache"
          + " adds what it holds to the state's memory: 0.1 leaves the rest of the heap to the"
          + " state, its snapshots and Flink (with rocksdb the state is off the heap, and 0.3"
          + " is safe too). On a 1 GB heap with one slot, 0.1 is about 12,700 pages: 18,000"
          + " tenants of 95 rows, or a model of 6.5M rows");
  public static final Setting<Integer> STATE_CACHE_PAGES = Setting.optional("cache_pages", INT,
      "from cache_memory", greaterThan(0), "pages kept in memory per operator instance and"
          + " candidate, instead of sizing the cache by cache_memory (giving both is refused);"
          + " give it the model's working set. A page is a direct page's memory (512"
          + " rows: 8 kB with AdaGrad's 4-float rows); a small model's single page (a model key"
          + " with under 256 rows) and a page of rows in the hashed form (entity rows, a"
          + " model's rows past 256) count their own memory's share of that, and a model with"
          + " such pages an eighth of a page more (a whole page for dense blocks): a small model"
          + " about 0.16 page new, 0.7 at 95 rows; a one-row hashed page about 0.04");
  public static final Setting<Integer> STATE_PAGE_BITS = Setting.of("page_bits", INT, 12,
      inRange(0, 30), "entity rows are spread over 2^page_bits hashed pages");
  public static final Setting<String> STATE_COMPRESSION = Setting.of("compression",
      SettingType.choice("none", "snappy", "lz4", "zstd"), "none", null,
      "RocksDB's block compression (float pages barely compress; Snappy cost a third of the"
          + " RocksDB trainer's rate)");
  public static final Section STATE = new Section("state", "keyed state and the page cache",
      List.of(STATE_BACKEND, STATE_CACHE_MEMORY, STATE_CACHE_PAGES, STATE_PAGE_BITS,
          STATE_COMPRESSION));

  /**
   * The page cache's size of a read state section: {@code cache_pages} when given, else
   * {@code cache_memory} (its default when absent). Both given is refused, naming both.
   */
  public static io.gradflow.state.CacheSize cacheSize(Section.Values state) {
    Check.conflict(state.isSet(STATE_CACHE_PAGES) && state.isSet(STATE_CACHE_MEMORY),
        state.key(STATE_CACHE_PAGES), state.key(STATE_CACHE_MEMORY), "both size the page"
            + " cache; give cache_pages (pages per subtask and candidate) or cache_memory (a"
            + " fraction of the heap or a size), not both");
    return state.isSet(STATE_CACHE_PAGES)
        ? io.gradflow.state.CacheSize.ofPages(state.get(STATE_CACHE_PAGES))
        : io.gradflow.state.CacheSize.of(state.get(STATE_CACHE_MEMORY));
  }

  // --------------------------------------------------------------------------------- rows
  public static final Setting<Duration> ROWS_EXPIRE_AFTER = Setting.of("expire_after", DURATION,
      Duration.ZERO, Constraint.zeroOrAtLeast(Duration.ofHours(1)), "a sparse row not updated"
          + " for this long in event time expires (its weights and slots are reset, its page"
          + " removed once empty), so the row count stays bounded on a stream whose ids keep"
          + " changing; the bias and dense rows never expire. Resolution one hour; 0 is off."
          + " Expiry or admission keeps a stamp with every row (page format 2: a float per row,"
          + " one more cache line touched per row; on 4-float AdaGrad rows the trainer ran"
          + " 10-25% slower in bench/run-trainer.sh); pages are converted when either is turned"
          + " on or off");
  public static final Setting<Integer> ROWS_ADMIT_AFTER = Setting.of("admit_after", INT, 1,
      greaterThan(0), "a new sparse row is created at its feature's admit_after-th sighting in"
          + " a learned example (McMahan et al. 2013, 5.1); before, the feature is left out of"
          + " the example and counted as refused. 1 admits at once");
  public static final Setting<Double> ROWS_ADMIT_PROBABILITY = Setting.of("admit_probability",
      NUMBER, 1.0, inRangeExclusiveLow(0, 1), "instead of admit_after: a new sparse row is"
          + " created with this probability per sighting, drawn from a hash of (row id,"
          + " sighting count), so a replay decides the same; 1 admits at once");
  public static final Setting<Integer> ROWS_SKETCH_WIDTH = Setting.of("sketch_width", INT,
      io.gradflow.state.RowPolicy.DEFAULT_SKETCH_WIDTH, inRange(16, 1 << 24),
      "counters per row of the count-min sketch (4 rows) that counts sightings for admission,"
          + " a power of two; 4 x sketch_width floats per model in state");
  public static final Section ROWS = new Section("rows", "bounded memory on endless id spaces:"
      + " expiry and admission of sparse rows", List.of(ROWS_EXPIRE_AFTER, ROWS_ADMIT_AFTER,
          ROWS_ADMIT_PROBABILITY, ROWS_SKETCH_WIDTH));

  /** The row policy of a read rows section. */
  public static io.gradflow.state.RowPolicy rowPolicy(Section.Values rows) {
    return new io.gradflow.state.RowPolicy(rows.get(ROWS_EXPIRE_AFTER),
        rows.get(ROWS_ADMIT_AFTER), rows.get(ROWS_ADMIT_PROBABILITY),
        rows.get(ROWS_SKETCH_WIDTH));
  }

  // -------------------------------------------------------------------------- checkpoints
  /** The shortest checkpoint interval accepted (0 turns checkpoints off). */
  public static final Duration MIN_CHECKPOINT_INTERVAL = Duration.ofMillis(100);
  public static final Setting<Duration> CHECKPOINTS_INTERVAL = Setting.of("interval", DURATION,
      Duration.ofSeconds(10), Constraint.zeroOrAtLeast(MIN_CHECKPOINT_INTERVAL),
      "how often to checkpoint; 0 turns checkpoints off (and exactly-once output with them)");
  public static final Setting<String> CHECKPOINTS_DIRECTORY = Setting.optional("directory",
      STRING, "$TMPDIR/gradflow-checkpoints/<job name>", null,
      "where checkpoints go: a URI (file:///x, s3://bucket/x) or a path, relative to the"
          + " working directory; a leading ~ is the home directory");
  public static final Setting<Boolean> CHECKPOINTS_INCREMENTAL = Setting.of("incremental", BOOL,
      true, null, "incremental checkpoints (RocksDB only)");
  public static final Setting<Integer> CHECKPOINTS_RESTART_ATTEMPTS = Setting.of(
      "restart_attempts", INT, 3, atLeast(0), "how many times Flink restarts a failed job from"
          + " its newest checkpoint (fixed-delay restart strategy) before the job fails for good."
          + " A Kafka outage fails the job each time a client gives up (a sink's producer after"
          + " max.block.ms, 60 s by default), so the job outlives an outage of about"
          + " (restart_attempts + 1) x (max.block.ms + restart_delay); keep that well below"
          + " kafka.transaction_timeout, after which the broker aborts the output of a"
          + " checkpoint not committed yet");
  public static final Setting<Duration> CHECKPOINTS_RESTART_DELAY = Setting.of("restart_delay",
      DURATION, Duration.ofSeconds(1), Constraint.positiveDuration(),
      "the wait before each of those restarts");
  public static final Section CHECKPOINTS = new Section("checkpoints", "checkpointing",
      List.of(CHECKPOINTS_INTERVAL, CHECKPOINTS_DIRECTORY, CHECKPOINTS_INCREMENTAL,
          CHECKPOINTS_RESTART_ATTEMPTS, CHECKPOINTS_RESTART_DELAY));

  // ------------------------------------------------------------------------------ metrics
  public static final Setting<Long> METRICS_EVERY = Setting.of("every", LONG, 10_000L,
      greaterThan(0), "labeled examples between metrics reports, per model");
  public static final Setting<Integer> METRICS_WINDOW = Setting.of("window", INT, 0,
      inRange(0, 10_000_000), "the latest examples kept for an exact AUC (3 doubles each in"
          + " state); 0 keeps none: the AUC comes from a 128-bin histogram (4 kB) within a bound");
  public static final Setting<Double> METRICS_FADING_FACTOR = Setting.of("fading_factor",
      NUMBER, 0.999, inRangeExclusiveLow(0, 1), "weight of a record relative to the next in"
          + " the fading view (Gama et al. 2013); memory about 1 / (1 - factor) records");
  public static final Setting<Integer> METRICS_CALIBRATION_BINS = Setting.of("calibration_bins",
      INT, 10, inRange(0, 1000), "equal-width bins of the reliability diagram; 0 is off");
  public static final Section METRICS = new Section("metrics", "prequential metrics",
      List.of(METRICS_EVERY, METRICS_WINDOW, METRICS_FADING_FACTOR, METRICS_CALIBRATION_BINS));

  // ---------------------------------------------------------------------------- changelog
  public static final Setting<Long> CHANGELOG_EVERY = Setting.of("every", LONG, 0L, atLeast(0),
      "emit a model's changed rows every this many learned examples and before every"
          + " checkpoint; 0 is off");
  public static final Section CHANGELOG = new Section("changelog", "the model changelog",
      List.of(CHANGELOG_EVERY));

  // --------------------------------------------------------------------------------- root
  /** The top level of a job file: its sections. */
  public static final Section ROOT = new Section("", null, "a training job file", List.of(),
      List.of("job", "kafka", "input", "model", "optimizer", "race", "schedule", "gradient",
          "drift", "labels", "state", "rows", "checkpoints", "metrics", "changelog"));

  /** Every section, in the order of the settings reference. */
  public static List<Section> reference() {
    List<Section> all =
        new ArrayList<>(List.of(JOB, KAFKA, KAFKA_TOPICS, INPUT, MODEL, OPTIMIZER));
    all.addAll(OptimizerConfig.SECTIONS);
    all.add(RACE);
    all.add(ScheduleConfig.SELECTOR);
    all.addAll(ScheduleConfig.SECTIONS);
    all.add(GRADIENT);
    all.addAll(DriftConfig.reference());
    all.addAll(List.of(LABELS, STATE, ROWS, CHECKPOINTS, METRICS, CHANGELOG));
    return all;
  }

  /**
   * The model spec of a read model section. A model setting given for a type it does not apply
   * to ({@link #modelTypes}) is refused, naming both keys.
   */
  public static ModelSpec modelSpec(Section.Values model) {
    String type = model.get(MODEL_TYPE);
    for (Setting<?> s : MODEL.settings()) {
      Check.conflict(model.isSet(s) && !appliesTo(s, type), model.key(s), model.key(MODEL_TYPE),
          s.name() + " applies to " + words(modelTypes(s)) + " only, but the model is " + type);
    }
    if (type.equals("factorization_machine")) {
      return new FactorizationMachineSpec(model.get(MODEL_FACTORS), model.get(MODEL_INIT_STD),
          model.get(MODEL_SEED));
    }
    if (DEEP.contains(type)) {
      boolean wide = WIDE.contains(type);
      return new DeepModelSpec(wide, model.get(MODEL_HIDDEN),
          DeepModelSpec.Activation.of(model.get(MODEL_ACTIVATION)), model.get(MODEL_INPUTS),
          wide ? model.get(MODEL_FACTORS) : 0, model.get(MODEL_INIT_STD),
          DeepModelSpec.Pooling.of(model.get(MODEL_POOLING)), model.get(MODEL_BATCH_SIZE),
          model.get(MODEL_SEED), DeepModelSpec.DenseBackend.of(model.get(MODEL_DENSE_BACKEND)));
    }
    return new LinearSpec();
  }

  /**
   * {@link #modelSpec(Section.Values)}, and the settings of {@code model} that do not apply to
   * its type removed from {@code report}: the audit record then lists exactly the model
   * settings that change the model.
   */
  public static ModelSpec modelSpec(Section.Values model, ConfigReport report) {
    ModelSpec spec = modelSpec(model);
    for (Setting<?> s : MODEL.settings()) {
      if (!appliesTo(s, model.get(MODEL_TYPE))) {
        report.remove(model.key(s));
      }
    }
    return spec;
  }

  /** A model setting of some model types, its doc led by them ("mlp and wide_and_deep: ..."). */
  private static <T> Setting<T> modelSetting(List<String> types, String name,
      SettingType<T> type, T defaultValue, Constraint<? super T> constraint, String doc) {
    if (!MODEL_TYPES.containsAll(types)) {
      throw new IllegalArgumentException(name + ": " + types + " are not all model types");
    }
    Setting<T> s = Setting.of(name, type, defaultValue, constraint, words(types) + ": " + doc);
    TYPES_OF.put(s, types);
    return s;
  }

  /** "a", "a and b", "a, b and c". */
  private static String words(List<String> items) {
    int last = items.size() - 1;
    return last == 0 ? items.get(0)
        : String.join(", ", items.subList(0, last)) + " and " + items.get(last);
  }

  private static Setting<String> topic(String name, String defaultValue, String doc) {
    return Setting.of(name, STRING, defaultValue, Constraint.topicName(), doc);
  }
}
