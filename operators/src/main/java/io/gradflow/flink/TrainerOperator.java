package io.gradflow.flink;

import io.gradflow.learn.ExampleLearner;
import io.gradflow.learn.IncompatibleModelException;
import io.gradflow.learn.LearnerSpec;
import io.gradflow.learn.ModelSignature;
import io.gradflow.drift.DriftEvent;
import io.gradflow.metrics.MetricsSnapshot;
import io.gradflow.model.CompactExample;
import io.gradflow.config.ConfigException;
import io.gradflow.config.MemoryAmount;
import io.gradflow.session.ModelSession;
import io.gradflow.session.SessionState;
import io.gradflow.state.PageCache;
import io.gradflow.state.PageFormat;
import io.gradflow.state.PageStore;
import io.gradflow.state.PagedLearner;
import io.gradflow.state.RowCounts;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.accumulators.LongMaximum;
import org.apache.flink.api.common.accumulators.LongMinimum;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.base.LongSerializer;
import org.apache.flink.api.common.typeutils.base.MapSerializer;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

/**
 * The model-keyed trainer: predicts, then learns, every example of a model in arrival order.
 *
 * <p><b>Key:</b> the model key ({@link CompactExample#modelKey}). In a hyper-parameter race the key
 * is {@code model#candidate} and the candidate picks its learner; otherwise the whole key is the
 * model and the learner is the single default.
 *
 * <p><b>State</b> (version 1): {@code "pages.v1"}, a {@code MapState<Long, float[]>} from page
 * number to page ({@link PageFormat}) holding every parameter row with its optimizer slots and
 * step count (page format 1, or 2 with a stamp per row when {@code rows} expiry or admission is
 * on; each page carries its format and is converted as it is read), and under
 * {@link PageFormat#BOOK_PAGE} the model's {@code RowBook} (live, expired and refused rows, the
 * admission sketch), and under {@link PageFormat#MODEL_PAGE} all the rows of a small model (fewer
 * than {@link PageFormat#SMALL_AT}); {@code "model.v1"}, a {@code ValueState<ModelMeta>}
 * holding the model's
 * {@link SessionState} (model step, schedule origin, standardizer, metrics, drift detector and
 * policy state). The per-model bookkeeping is a plain-Java {@link ModelSession} per key; this
 * operator only loads it, calls it, writes it back and emits what it reports. Both sit behind
 * in-memory caches (a bounded write-back {@link PageCache} for pages, a map of sessions) that
 * are written back before every
 * checkpoint ({@link #snapshotState}, which runs before the keyed-state snapshot), on eviction,
 * and at end of input, so keyed state is the truth at every checkpoint: exactly-once, rescalable
 * by key group, incremental on RocksDB. A session is in memory only while its model has pages in
 * the cache: when the cache evicts a model's last page, the session is written back and dropped
 * (or, with changed rows still to emit, at the next checkpoint), so memory per subtask follows
 * the page cache's size ({@code state.cache_memory} or {@code cache_pages}), not the number of
 * model keys; only sessions that changed since the last checkpoint are written back at a
 * checkpoint. A small model's page weighs its memory's
 * share of a page plus an eighth of a page for the model ({@code PageCache}: about 0.16 of a page
 * new, 0.7 at 95 AdaGrad rows) and an idle session keeps its metrics compact ({@link
 * ModelSession}), so a cache of N pages keeps up to about 6N new tenants in memory, each a few
 * kilobytes.
 *
 * <p><b>Mini-batches</b> ({@code model.batch_size} > 1): a model's session keeps its batch in
 * flight ({@link ModelSession}), and the batch is part of the session's state in
 * {@code "model.v1"} (the examples' layer outputs, gradients of the loss and rows, the batch's
 * learning rate; see {@code BatchGradient}). So checkpoints and evictions of the session do not
 * step it: a batch is stepped when it is full, at end of input, before an expiry sweep or a drift
 * action (points fixed by event time and data order), and, only with
 * {@code model.batch_timeout} > 0, by a processing-time timer once its first example has waited
 * that long (a session evicted meanwhile is read back to step it; a batch restored from a
 * checkpoint starts its wait again at the model's next example). With {@code batch_timeout} 0,
 * a run restored from any checkpoint gives the same predictions and state, bit for bit, as an
 * uninterrupted run; a timeout cuts batches at processing-time-dependent points. State written
 * before batches were kept (no batch fields) restores as "no batch in flight".
 *
 * <p><b>Model signature</b>: {@code "signature.v1"}, operator state (a union
 * {@code ListState<Map<String, String>>}) holding the {@link ModelSignature} of the models this
 * operator trains: model type and shape, loss, hashing ({@code model.hash_bits}), page layout
 * ({@code state.page_bits}, page format version), each candidate's optimizer and slot layout, the
 * race's candidates, and the state versions. At a restore it is compared with the configured
 * signature before any record is read; a difference stops the job once, without restarts
 * ({@link SuppressRestartsException} around an {@link IncompatibleModelException} whose message
 * names each differing part with both values). The changes {@link ModelSignature} lists as safe
 * (learning rate and the other hyper-parameters that switch no slot, schedule, clipping, metrics,
 * ...) restore. Operator state rather than keyed state, because the signature belongs to the
 * configuration, the same for every key: it is checked at start-up even when no record arrives
 * and whatever keys a subtask owns, costs nothing per record, and as union state reaches every
 * subtask after rescaling. A savepoint taken before signatures were kept has none and restores
 * with a warning.
 *
 * <p><b>Provenance</b>: {@code "provenance.v1"}, union operator state like the signature (a
 * {@code Map<String, String>} given by the job: its configuration, the code version, each
 * learner's specs with their parameters), rewritten at every start from the job's record and
 * the restored one ({@link ProvenanceCarry}: the job keeps the earlier configurations as a
 * history when they differ): it is what {@code gradflow export} records of how the model was
 * trained. While a segment of that history is in force ({@value #SEGMENT_ENTRY}), the operator
 * adds, once per model key, the key's model step as it began it ({@value #SEGMENT_STEP_PREFIX},
 * when the key's session is first loaded; at most {@value #MAX_SEGMENT_STEPS} keys per segment
 * and subtask), written back at the next checkpoint. The operator adds the
 * versions of the Flink and Java it runs on ({@code runtime.flink_version},
 * {@code runtime.java_version}, {@code runtime.java_vendor}). The map's serializer is unchanged
 * since version 1; the job's entries say which form of the audit record they are
 * ({@code audit_version}, absent in savepoints of older jobs).
 *
 * <p><b>Outputs:</b> a {@link Scored} per example (main output); a {@link MetricsEvent} per model
 * every {@code metricsEvery} labeled examples and at end of input on {@link #METRICS} (the
 * prediction is made before the example is learned: prequential); changed rows as
 * {@link RowChange}s on {@link #CHANGELOG}, each row at most once per interval, and an expired
 * row as a {@linkplain RowChange#removed() removal} (the topic's tombstone).
 *
 * <p>Flink metrics: {@code examples}, {@code examplesPerSecond}, {@code learned},
 * {@code rows}, {@code rowsLive}, {@code rowsExpired}, {@code rowsRefused} ({@link PagedLearner}),
 * {@code cacheHitRate}, {@code refusedGradients}, {@code driftEvents}
 * (detections by every model of the subtask), and {@code logLoss} and
 * {@code rmse}, the windowed values of the latest metrics report of any model.
 *
 * <p>Flink accumulators (for the client's summary, summed over subtasks): each candidate's page
 * cache lookups that hit, missed and evictions, {@link #PAGE_CACHE}{@code hits.}candidate and
 * so on (candidate {@code ""} without a race), brought up to date at every metrics report, every
 * checkpoint and the end of input; and the cache's size in effect, set in {@code open}: its
 * pages ({@code pages-min.} and {@code pages-max.}candidate, the fewest and the most of any
 * subtask) and a page's bytes ({@code page-bytes.}candidate). The size comes from {@code
 * state.cache_pages}, or from {@code state.cache_memory} and the heap, slots and candidates of
 * the task ({@link io.gradflow.state.CacheSize#pages}), and is logged at INFO.
 */
public class TrainerOperator extends AbstractStreamOperator<Scored>
    implements OneInputStreamOperator<CompactExample, Scored>, BoundedOneInput {
  private static final long serialVersionUID = 1L;

  public static final String PAGES_STATE = "pages.v1";
  public static final String META_STATE = "model.v1";
  public static final String SIGNATURE_STATE = "signature.v1";
  /** Operator state: how the model was trained (see the class comment); not in the signature. */
  public static final String PROVENANCE_STATE = "provenance.v1";
  /** Provenance entries this operator adds of the task it runs in: {@code runtime.java_version}. */
  public static final String RUNTIME_PREFIX = "runtime.";
  /**
   * Provenance entry: the segment of the configuration history in force (see
   * {@link ProvenanceCarry}); absent or 0 while no configuration changed across a restore.
   */
  public static final String SEGMENT_ENTRY = "configuration_segment";
  /** Provenance entries {@code <prefix><segment>.<model key>}: the key's step as it began. */
  public static final String SEGMENT_STEP_PREFIX = "segment_step.";
  /** Provenance entry {@code <prefix><segment>}: some keys' starts were not recorded. */
  public static final String SEGMENT_STEPS_DROPPED = "segment_steps_dropped.";
  /** The most model keys whose segment start a subtask records per segment. */
  public static final int MAX_SEGMENT_STEPS = 10_000;
  /** Separates a model from its candidate in a race's key. */
  public static final char CANDIDATE_SEPARATOR = '#';
  public static final OutputTag<RowChange> CHANGELOG =
      new OutputTag<>("changelog", TypeInformation.of(RowChange.class));
  public static final OutputTag<MetricsEvent> METRICS =
      new OutputTag<>("metrics", TypeInformation.of(MetricsEvent.class));

  /**
   * The prefix of the page cache accumulators: {@code gradflow.page-cache.hits.},
   * {@code .misses.} and {@code .evictions.}, each followed by the candidate's name.
   */
  public static final String PAGE_CACHE = "gradflow.page-cache.";
  /** The page cache counts, in the order of {@link #cacheCounts}. */
  public static final List<String> PAGE_CACHE_COUNTS = List.of("hits", "misses", "evictions");

  private final Map<String, LearnerSpec> candidates;
  private final TrainerSettings settings;
  private final ModelSignature signature;
  private final Map<String, String> provenance;
  private final ProvenanceCarry carry;
  /** The record kept in {@code provenance.v1}: the job's, its history and the segment starts. */
  private transient Map<String, String> recorded;
  private transient ListState<Map<String, String>> provenanceState;
  private transient boolean provenanceChanged;
  private transient long segment;
  private transient int segmentSteps;

  private transient MapState<Long, float[]> pages;
  private transient ValueState<ModelMeta> metaState;
  private transient Map<String, ModelSession.Shared> learners;
  private transient Map<String, PageCache> caches;
  /** Per candidate: its page cache's accumulators and the counts they hold. */
  private transient Map<String, LongCounter[]> cacheAccumulators;
  /** The learner of every key when there is no race (one candidate, ""), else null. */
  private transient ModelSession.Shared only;
  /** The models in memory: one look-up per key switch finds the session and its flags. */
  private transient Map<String, Tenant> sessions;
  /**
   * The model of the last record while it is in {@link #sessions} (else null): consecutive
   * records of one model skip the look-up.
   */
  private transient Tenant current;
  private transient Emitter emitter;
  private transient Counter examples;
  private transient Counter learned;
  private transient volatile MetricsEvent lastReport;
  /** Processing time at which each model's batch in flight got its first example. */
  private transient LinkedHashMap<String, Long> batchStarts;
  /** When the pending batch timer fires, or Long.MAX_VALUE if none is pending. */
  private transient long batchTimerAt;

  /**
   * @param candidates learner per candidate name; a single entry with the name "" trains every
   *     key with that learner
   * @param hashBits {@code model.hash_bits} of the examples' hashed features (part of the
   *     model's signature: the trainer only sees row ids)
   */
  public TrainerOperator(Map<String, LearnerSpec> candidates, TrainerSettings settings,
      int hashBits) {
    this(candidates, settings, hashBits, Map.of());
  }

  /**
   * @param provenance how the model is trained (job configuration, code version, the specs'
   *     parameters), kept as {@code provenance.v1} for {@code gradflow export}; empty keeps none
   */
  public TrainerOperator(Map<String, LearnerSpec> candidates, TrainerSettings settings,
      int hashBits, Map<String, String> provenance) {
    this(candidates, settings, hashBits, provenance, ProvenanceCarry.REPLACE);
  }

  /**
   * @param carry how the job's provenance takes over a restored one (keeping its history of
   *     earlier configurations)
   */
  public TrainerOperator(Map<String, LearnerSpec> candidates, TrainerSettings settings,
      int hashBits, Map<String, String> provenance, ProvenanceCarry carry) {
    this.provenance = new LinkedHashMap<>(provenance);
    this.carry = carry;
    if (candidates.isEmpty()) {
      throw new IllegalArgumentException("the trainer needs at least one learner");
    }
    this.candidates = new LinkedHashMap<>(candidates);
    this.settings = settings;
    this.signature = ModelSignature.of(this.candidates, hashBits, settings.pageBits(),
        settings.rows().pageFormat(), List.of(PAGES_STATE, META_STATE, SIGNATURE_STATE));
  }

  /** The signature of the models this operator trains. */
  public ModelSignature signature() {
    return signature;
  }

  /**
   * Refuses a restore of another model's state (see the class comment), then records this
   * operator's signature.
   */
  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    ListState<Map<String, String>> stored = context.getOperatorStateStore().getUnionListState(
        new ListStateDescriptor<>(SIGNATURE_STATE,
            new MapSerializer<>(StringSerializer.INSTANCE, StringSerializer.INSTANCE)));
    if (context.isRestored()) {
      boolean any = false;
      for (Map<String, String> parts : stored.get()) {
        any = true;
        String refusal = signature.refusal(new ModelSignature(parts));
        if (refusal != null) {
          // Not recoverable: every restart would restore the same state into the same model.
          throw new SuppressRestartsException(new IncompatibleModelException(refusal));
        }
      }
      if (!any) {
        LOG.warn("the restored state has no model signature ({}; taken before signatures were"
            + " kept): it is not checked against this model's ({})", SIGNATURE_STATE,
            signature.describe());
      }
    }
    stored.update(List.of(new LinkedHashMap<>(signature.parts())));
    // The job's record, carrying the restored one's history of earlier configurations
    // (ProvenanceCarry); a savepoint without provenance starts none.
    provenanceState = context.getOperatorStateStore().getUnionListState(
        new ListStateDescriptor<>(PROVENANCE_STATE,
            new MapSerializer<>(StringSerializer.INSTANCE, StringSerializer.INSTANCE)));
    List<Map<String, String>> restored = new ArrayList<>();
    if (context.isRestored()) {
      for (Map<String, String> copy : provenanceState.get()) {
        restored.add(copy);
      }
    }
    recorded = provenance.isEmpty() ? new LinkedHashMap<>()
        : new LinkedHashMap<>(carry.carry(restored, withRuntime(provenance)));
    // Union state hands every subtask every copy: each keeps only the segment starts of the model
    // keys it owns, or every subtask would write back every key's (state growing with the square
    // of the parallelism) and count them against its own MAX_SEGMENT_STEPS.
    keepOwnSegmentSteps(recorded);
    segment = segmentOf(recorded);
    segmentSteps = 0;
    String prefix = SEGMENT_STEP_PREFIX + segment + ".";
    for (String k : recorded.keySet()) {
      if (k.startsWith(prefix)) {
        segmentSteps++;
      }
    }
    provenanceState.update(recorded.isEmpty() ? List.of()
        : List.of(new LinkedHashMap<>(recorded)));
    provenanceChanged = false;
  }

  /** The provenance this subtask keeps and writes back (tests). */
  Map<String, String> provenanceRecord() {
    return java.util.Collections.unmodifiableMap(recorded);
  }

  /**
   * Drops from {@code record} the segment starts ({@value #SEGMENT_STEP_PREFIX}{@code
   * <segment>.<model key>}) of model keys whose key group this subtask does not own (by the
   * task's max parallelism and index, as Flink assigns key groups); the owner writes them back.
   */
  private void keepOwnSegmentSteps(Map<String, String> record) {
    org.apache.flink.api.common.TaskInfo task = getRuntimeContext().getTaskInfo();
    int groups = task.getMaxNumberOfParallelSubtasks();
    org.apache.flink.runtime.state.KeyGroupRange own = org.apache.flink.runtime.state
        .KeyGroupRangeAssignment.computeKeyGroupRangeForOperatorIndex(groups,
            task.getNumberOfParallelSubtasks(), task.getIndexOfThisSubtask());
    record.keySet().removeIf(k -> {
      String key = segmentStepKey(k);
      return key != null && !own.contains(
          org.apache.flink.runtime.state.KeyGroupRangeAssignment.assignToKeyGroup(key, groups));
    });
  }

  /**
   * The model key of a segment start entry ({@value #SEGMENT_STEP_PREFIX}{@code
   * <segment>.<model key>}; a model key may hold dots), or null for any other entry.
   */
  static String segmentStepKey(String entry) {
    if (!entry.startsWith(SEGMENT_STEP_PREFIX)) {
      return null;
    }
    int dot = entry.indexOf('.', SEGMENT_STEP_PREFIX.length());
    return dot < 0 ? null : entry.substring(dot + 1);
  }

  /**
   * The segment of the configuration history in force ({@value #SEGMENT_ENTRY}), 0 when the
   * record has none (no configuration changed across a restore).
   */
  public static long segmentOf(Map<String, String> provenance) {
    try {
      return Long.parseLong(provenance.getOrDefault(SEGMENT_ENTRY, "0").trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /**
   * Records, once per model key and segment, the model step at which the configuration in force
   * took over this key ({@value #SEGMENT_STEP_PREFIX}{@code <segment>.<model key>}): the key's step
   * when its session is first loaded after the restore that began the segment (its step cannot
   * have moved before that). At most {@value #MAX_SEGMENT_STEPS} keys per segment and subtask;
   * past it {@value #SEGMENT_STEPS_DROPPED}{@code <segment>} says some went unrecorded.
   */
  private void recordSegmentStart(String key, long step) {
    if (segment <= 0) {
      return;
    }
    String entry = SEGMENT_STEP_PREFIX + segment + "." + key;
    if (recorded.containsKey(entry)) {
      return;
    }
    if (segmentSteps >= MAX_SEGMENT_STEPS) {
      if (recorded.putIfAbsent(SEGMENT_STEPS_DROPPED + segment, "true") == null) {
        provenanceChanged = true;
      }
      return;
    }
    recorded.put(entry, Long.toString(step));
    segmentSteps++;
    provenanceChanged = true;
  }

  /**
   * The job's provenance with what this task runs on ({@value #RUNTIME_PREFIX}{@code
   * flink_version}, {@code java_version}, {@code java_vendor}): recorded where the trainer runs,
   * which may not be where the job was built.
   */
  public static Map<String, String> withRuntime(Map<String, String> provenance) {
    Map<String, String> p = new LinkedHashMap<>(provenance);
    p.put(RUNTIME_PREFIX + "flink_version",
        org.apache.flink.runtime.util.EnvironmentInformation.getVersion());
    p.put(RUNTIME_PREFIX + "java_version", System.getProperty("java.version", "unknown"));
    p.put(RUNTIME_PREFIX + "java_vendor", System.getProperty("java.vendor", "unknown"));
    return p;
  }

  /** The key of a model's candidate in a race. */
  public static String candidateKey(String modelKey, String candidate) {
    return candidate.isEmpty() ? modelKey : modelKey + CANDIDATE_SEPARATOR + candidate;
  }

  @Override
  public void open() throws Exception {
    super.open();
    pages = getKeyedStateStore().getMapState(new MapStateDescriptor<>(PAGES_STATE,
        LongSerializer.INSTANCE, PageSerializer.INSTANCE));
    metaState = getKeyedStateStore().getState(
        new ValueStateDescriptor<>(META_STATE, TypeInformation.of(ModelMeta.class)));
    learners = new HashMap<>();
    caches = new HashMap<>();
    cacheAccumulators = new HashMap<>();
    sessions = new HashMap<>();
    emitter = new Emitter();
    batchStarts = new LinkedHashMap<>();
    batchTimerAt = Long.MAX_VALUE;
    PageStore store = new KeyedPageStore();
    int slots = slotsSharingHeap(
        getContainingTask().getEnvironment().getTaskManagerInfo().getConfiguration());
    long maxHeap = Runtime.getRuntime().maxMemory();
    String refusal = settings.cache().refusal(maxHeap, slots, "the TaskManager");
    if (refusal != null) {
      // Not recoverable: every restart would meet the same heap (and end in an
      // OutOfMemoryError as the cache filled).
      throw new SuppressRestartsException(new ConfigException(settings.cache().setting(),
          refusal));
    }
    for (Map.Entry<String, LearnerSpec> c : candidates.entrySet()) {
      ExampleLearner learner = new ExampleLearner(c.getValue());
      boolean stamped = settings.rows().stamped();
      int cachePages = settings.cache().pages(learner.rowSize(), stamped, candidates.size(),
          slots, maxHeap);
      long pageBytes = PageCache.pageBytes(learner.rowSize(), stamped);
      LOG.info("page cache{}: {} pages of {} bytes ({}) from {}{}",
          c.getKey().isEmpty() ? "" : " of candidate " + c.getKey(), cachePages, pageBytes,
          MemoryAmount.human(cachePages * pageBytes), settings.cache().describe(),
          settings.cache().memory() == null ? "" : " (a " + MemoryAmount.human(maxHeap)
              + " heap, " + slots + " slot(s) sharing it, " + candidates.size()
              + " candidate(s))");
      // New hashed pages start with room for 2 rows and double: with many small models most
      // pages hold a row or two, and a page of 16 took ten times their memory.
      // A small model (a tenant among thousands) keeps its rows in one page: one keyed-state
      // entry and one cache page (PageFormat, "Small models").
      PageCache cache = new PageCache(store, cachePages, learner.rowSize(), 2,
          stamped, PageFormat.DENSE_AT, PageFormat.SMALL_AT,
          learner.model().denseInputs() >= 0);
      caches.put(c.getKey(), cache);
      LongCounter[] counters = new LongCounter[PAGE_CACHE_COUNTS.size()];
      for (int i = 0; i < counters.length; i++) {
        counters[i] = new LongCounter();
        getRuntimeContext().addAccumulator(PAGE_CACHE + PAGE_CACHE_COUNTS.get(i) + "."
            + c.getKey(), counters[i]);
      }
      LongMinimum fewest = new LongMinimum(cachePages);
      getRuntimeContext().addAccumulator(PAGE_CACHE + "pages-min." + c.getKey(), fewest);
      LongMaximum most = new LongMaximum(cachePages);
      getRuntimeContext().addAccumulator(PAGE_CACHE + "pages-max." + c.getKey(), most);
      LongMaximum bytes = new LongMaximum(pageBytes);
      getRuntimeContext().addAccumulator(PAGE_CACHE + "page-bytes." + c.getKey(), bytes);
      cacheAccumulators.put(c.getKey(), counters);
      cache.onModelEvicted(this::evictSession);
      learners.put(c.getKey(), new ModelSession.Shared(
          new PagedLearner(learner, cache, settings.pageBits(), settings.rows()),
          settings.metricsEvery(), settings.changelogEvery(), settings.metrics(), LOG::warn,
          settings.replay()));
    }
    only = candidates.size() == 1 && candidates.containsKey("") ? learners.get("") : null;
    examples = getMetricGroup().counter("examples");
    getMetricGroup().meter("examplesPerSecond", new MeterView(examples));
    learned = getMetricGroup().counter("learned");
    getMetricGroup().gauge("rows", () -> learners.values().stream()
        .mapToLong(l -> l.paged().rowsCreated()).sum());
    getMetricGroup().gauge("rowsLive", () -> learners.values().stream()
        .mapToLong(l -> l.paged().rowsLive()).sum());
    getMetricGroup().gauge("rowsExpired", () -> learners.values().stream()
        .mapToLong(l -> l.paged().rowsExpired()).sum());
    getMetricGroup().gauge("rowsRefused", () -> learners.values().stream()
        .mapToLong(l -> l.paged().rowsRefused()).sum());
    getMetricGroup().gauge("cacheHitRate", () -> caches.values().stream()
        .mapToDouble(PageCache::hitRate).average().orElse(1.0));
    getMetricGroup().gauge("refusedGradients", () -> learners.values().stream()
        .mapToLong(l -> l.paged().learner().refusedRows()).sum());
    getMetricGroup().gauge("driftEvents", () -> learners.values().stream()
        .mapToLong(ModelSession.Shared::drifts).sum());
    getMetricGroup().gauge("logLoss", () -> lastReport == null ? Double.NaN : lastReport.logLoss);
    getMetricGroup().gauge("rmse", () -> lastReport == null ? Double.NaN : lastReport.rmse);
    getMetricGroup().gauge("auc", () -> lastReport == null ? Double.NaN : lastReport.auc);
  }

  /**
   * The task slots that share this JVM's heap: the TaskManager's ({@code
   * taskmanager.numberOfTaskSlots}), times a MiniCluster's TaskManagers ({@code
   * local.number-taskmanager}, 1 unless set), which all run in one JVM.
   */
  public static int slotsSharingHeap(
      org.apache.flink.configuration.Configuration taskManager) {
    return Math.max(1, taskManager.get(TaskManagerOptions.NUM_TASK_SLOTS))
        * Math.max(1, taskManager.get(TaskManagerOptions.MINI_CLUSTER_NUM_TASK_MANAGERS));
  }

  private String candidateOf(String key) {
    if (candidates.size() == 1 && candidates.containsKey("")) {
      return "";
    }
    int at = key.lastIndexOf(CANDIDATE_SEPARATOR);
    String name = at < 0 ? "" : key.substring(at + 1);
    if (!candidates.containsKey(name)) {
      throw new IllegalStateException("model key '" + key + "' names no candidate of the race;"
          + " candidates: " + candidates.keySet());
    }
    return name;
  }

  /**
   * Sets the key of the record's model as the current key, as Flink's own does before each
   * record, but only when it is not the current key already: a model's examples come in runs
   * (one model key per Kafka partition, or one model), and setting a key is not free (the key
   * group's hash on every backend; on RocksDB the key's serialization into the shared key
   * builder). Compared with the key the backend holds, not with a remembered one, so the keys the
   * operator sets itself between records (a flush, an evicted session, a batch timer) cannot
   * mislead it. Flink calls this before {@link #processElement} for every record it hands over,
   * chained or through an exchange ({@code setKeyContextElement}'s default calls it), and so do
   * the operator test harnesses.
   */
  @Override
  @SuppressWarnings({"rawtypes", "unchecked"})
  public void setKeyContextElement1(StreamRecord record) throws Exception {
    KeySelector selector = getStateKeySelector1();
    if (selector == null) {
      return;
    }
    Object key = selector.getKey(record.getValue());
    Object current = getCurrentKey();
    if (key != current && (current == null || !current.equals(key))) {
      setCurrentKey(key);
    }
  }

  @Override
  public void processElement(StreamRecord<CompactExample> element) throws Exception {
    CompactExample example = element.getValue();
    Tenant tenant = current;
    String key = (String) getCurrentKey();
    if (tenant == null || !tenant.is(key)) {
      tenant = tenant(key);
      current = tenant;
      // The learner then finds the model's pages by its key's identity, not by hashing it.
      tenant.pages = tenant.session.shared().paged().cache().select(tenant.session.key(),
          tenant.pages);
    }
    tenant.unsaved = true;
    ModelSession session = tenant.session;
    double score = session.process(example, emitter);
    if (session.batchInFlight()) {
      startBatchTimer(session.key());
    } else if (!batchStarts.isEmpty()) {
      batchStarts.remove(session.key());
    }
    examples.inc();
    if (session.lastLearned()) {
      learned.inc();
    }
    output.collect(element.replace(new Scored(example.exampleId, session.key(), session.step(),
        score, example.eventTime, example.label, session.lastLearned())
        .measured(session.lastMeasured()).weighted(example.weight)));
  }

  /**
   * The model of the current key, its session loaded from keyed state on its first example. A
   * key with nothing in keyed state (no session, no page) is new: the page cache is told so, and
   * does not look for its book and pages there ({@link PageCache#startNew}).
   */
  private Tenant tenant(String key) throws Exception {
    Tenant tenant = sessions.get(key);
    if (tenant == null) {
      ModelMeta stored = metaState.value();
      ModelSession.Shared learner = learnerOf(key);
      tenant = new Tenant(new ModelSession(key, learner,
          stored == null ? SessionState.NEW : stored.toState()));
      recordSegmentStart(key, tenant.session.step());
      // Pages without a session: a bootstrapped model (its session is optional there).
      if (stored == null && pages.isEmpty()) {
        tenant.pages = learner.paged().cache().startNew(key);
      }
      sessions.put(key, tenant);
    }
    return tenant;
  }

  private ModelSession.Shared learnerOf(String key) {
    return only != null ? only : learners.get(candidateOf(key));
  }

  /** Remembers when the model's batch began and makes sure a timer will check it. */
  private void startBatchTimer(String key) {
    long timeout = settings.batchTimeout().toMillis();
    if (timeout <= 0 || batchStarts.containsKey(key)) {
      return;
    }
    long now = getProcessingTimeService().getCurrentProcessingTime();
    batchStarts.put(key, now);
    scheduleBatchTimer(now + timeout);
  }

  private void scheduleBatchTimer(long at) {
    if (at < batchTimerAt) {
      batchTimerAt = at;
      getProcessingTimeService().registerTimer(at, this::onBatchTimer);
    }
  }

  /**
   * Steps the batches whose first example has waited {@code model.batch_timeout}, then schedules
   * a check for the oldest batch left. Runs on the task thread, between records.
   */
  private void onBatchTimer(long time) throws Exception {
    if (time != batchTimerAt) {
      return; // superseded by an earlier timer, which rescheduled the checks
    }
    batchTimerAt = Long.MAX_VALUE;
    long timeout = settings.batchTimeout().toMillis();
    long next = Long.MAX_VALUE;
    var due = batchStarts.entrySet().iterator();
    while (due.hasNext()) {
      Map.Entry<String, Long> e = due.next();
      if (e.getValue() + timeout <= time) {
        // A session evicted with its batch is read back from keyed state to step it.
        setCurrentKey(e.getKey());
        Tenant tenant = tenant(e.getKey());
        tenant.unsaved = true;
        tenant.session.flushBatch();
        due.remove();
      } else {
        next = Math.min(next, e.getValue() + timeout);
      }
    }
    if (next != Long.MAX_VALUE) {
      scheduleBatchTimer(next);
    }
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    super.prepareSnapshotPreBarrier(checkpointId);
    for (Tenant tenant : sessions.values()) {
      tenant.session.emitChanges(emitter);
    }
  }

  /** A page cache's hits, misses and evictions, as {@link #PAGE_CACHE_COUNTS} orders them. */
  private static long[] cacheCounts(PageCache cache) {
    return new long[] {cache.hits(), cache.misses(), cache.evictions()};
  }

  /** Brings the page cache accumulators up to the caches' counts. */
  private void publishCacheCounts() {
    caches.forEach((candidate, cache) -> {
      LongCounter[] counters = cacheAccumulators.get(candidate);
      long[] now = cacheCounts(cache);
      for (int i = 0; i < counters.length; i++) {
        counters[i].add(now[i] - counters[i].getLocalValuePrimitive());
      }
    });
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    flush();
    if (provenanceChanged) {
      provenanceState.update(List.of(new LinkedHashMap<>(recorded)));
      provenanceChanged = false;
    }
    publishCacheCounts();
    // Sessions whose model left the cache while they had rows to emit (emitted before the
    // barrier, so evictable now).
    current = null;
    sessions.values().removeIf(t -> {
      ModelSession s = t.session;
      boolean drop = s.evictable() && !caches.get(candidateOf(s.key())).holds(s.key());
      if (drop) {
        t.evicted = true; // saved by the flush above
      }
      return drop;
    });
    super.snapshotState(context);
  }

  /**
   * Finishes every model of the subtask: those in memory, then, one at a time, those whose
   * session was evicted (read back from keyed state), so each gets its last report.
   */
  @Override
  public void endInput() throws Exception {
    // A session finishing its batch may evict others (finished again below: finish is
    // idempotent).
    for (Tenant tenant : List.copyOf(sessions.values())) {
      if (!tenant.evicted) {
        tenant.unsaved = true;
        tenant.session.finish(emitter);
        // Written back now, while the report has its state in the processor's caches, not in
        // a second pass over every model: a finished session does not change again, so the
        // flush below (or an eviction by a later model's finish) has nothing more to write.
        save(tenant);
      }
    }
    List<String> evicted;
    try (java.util.stream.Stream<Object> keys = getKeyedStateBackend().getKeys(META_STATE,
        org.apache.flink.runtime.state.VoidNamespace.INSTANCE)) {
      evicted = keys.map(k -> (String) k).filter(k -> !sessions.containsKey(k)).sorted()
          .toList();
    }
    for (String key : evicted) {
      setCurrentKey(key);
      Tenant tenant = new Tenant(new ModelSession(key, learnerOf(key),
          metaState.value().toState()));
      tenant.unsaved = true;
      tenant.session.finish(emitter);
      save(tenant);
    }
    flush();
    publishCacheCounts();
  }

  /**
   * Writes back and drops the session of a model the page cache evicted, unless it cannot go yet
   * ({@link ModelSession#evictable()}). Called from within an example of another model.
   */
  private void evictSession(String key) {
    Tenant tenant = sessions.get(key);
    if (tenant == null || !tenant.session.evictable()) {
      return;
    }
    try {
      save(tenant);
    } catch (Exception e) {
      throw new IllegalStateException("could not write back the state of model " + key, e);
    }
    sessions.remove(key);
    if (tenant == current) {
      current = null;
    }
    tenant.evicted = true;
  }

  /** Writes a changed session's state to keyed state, under its key. */
  private void save(Tenant tenant) throws Exception {
    if (!tenant.unsaved) {
      return;
    }
    tenant.unsaved = false;
    ModelSession session = tenant.session;
    Object current = getCurrentKey();
    setCurrentKey(session.key());
    metaState.update(ModelMeta.of(session.state()));
    if (current != null) {
      setCurrentKey(current);
    }
  }

  /** Model sessions in memory (for tests and inspection). */
  int sessionsInMemory() {
    return sessions.size();
  }

  /** The model metadata of the current key as keyed state holds it (for tests and inspection). */
  ModelMeta metaOfCurrentKey() throws Exception {
    return metaState.value();
  }

  /** The row learner of a candidate ("" without a race), for tests and inspection. */
  PagedLearner pagedLearner(String candidate) {
    return learners.get(candidate).paged();
  }

  /** The pages of the current key as keyed state holds them (for tests and inspection). */
  Iterable<Map.Entry<Long, float[]>> pagesOfCurrentKey() throws Exception {
    return pages.entries();
  }

  /**
   * Writes every cached page and model session's state (a batch in flight included) back to
   * keyed state.
   */
  private void flush() throws Exception {
    for (PageCache cache : caches.values()) {
      cache.flush();
    }
    for (Tenant tenant : sessions.values()) {
      save(tenant);
    }
  }

  /**
   * A model in memory: its session, its pages' handle in the page cache and whether it changed
   * since its state was last written to keyed state, found with one look-up per key switch. About
   * 24 bytes besides the session.
   */
  private static final class Tenant {
    final ModelSession session;
    /**
     * The model's pages in its learner's cache, as {@link PageCache#select} last returned them
     * (null before): the cache keeps the model's bookkeeping, this only finds it.
     */
    PageCache.ModelPages pages;
    /** Changed since its state was last written to keyed state. */
    boolean unsaved;
    /** Dropped from {@link #sessions} (written back): not to be used again. */
    boolean evicted;

    Tenant(ModelSession session) {
      this.session = session;
    }

    /**
     * Whether {@code other} is this model's key: by identity, then by hash, then by characters.
     * A different key almost always has another hash, so a key switch is decided by one int
     * without reading the record's characters: Flink's keyed backend hashed the record's key for
     * its key group, and the session's key was hashed into {@link #sessions}, so both Strings
     * hold their hash already. No field is added: a tenant stays 24 bytes.
     */
    boolean is(String other) {
      String own = session.key();
      return other == own || (other.hashCode() == own.hashCode() && own.equals(other));
    }
  }

  /** A session's reports and changed rows, to the side outputs. */
  private final class Emitter implements ModelSession.Output {
    @Override
    public void report(String modelKey, long modelStep, long windowStart, long eventTime,
        MetricsSnapshot snapshot, List<DriftEvent> drifts, RowCounts rows) {
      lastReport = MetricsEvent.of(modelKey, modelStep, windowStart, eventTime, snapshot, drifts,
          rows);
      publishCacheCounts();
      output.collect(METRICS, new StreamRecord<>(lastReport, eventTime));
    }

    @Override
    public void rowChanged(String modelKey, long rowId, float[] weights, long rowStep,
        long modelStep, long eventTime) {
      output.collect(CHANGELOG, new StreamRecord<>(new RowChange(modelKey, rowId, weights,
          rowStep, modelStep, eventTime)));
    }

    @Override
    public void rowRemoved(String modelKey, long rowId, long modelStep, long eventTime) {
      output.collect(CHANGELOG, new StreamRecord<>(RowChange.removed(modelKey, rowId, modelStep,
          eventTime)));
    }
  }

  /**
   * Pages in keyed state, each under its model key. An array given to {@link #store} is never
   * changed afterwards, and one {@link #load} returns is never changed by its reader (the
   * {@link PageCache} copies both ways): {@link PageSerializer#copy} relies on it to share the
   * arrays when the heap backend copies a model's pages on write during a snapshot.
   */
  private final class KeyedPageStore implements PageStore {
    @Override
    public float[] load(String modelKey, long pageId) throws Exception {
      return underKey(modelKey, () -> pages.get(pageId));
    }

    @Override
    public void store(String modelKey, long pageId, float[] page) throws Exception {
      underKey(modelKey, () -> {
        pages.put(pageId, page);
        return null;
      });
    }

    @Override
    public long[] pageKeys(String modelKey) throws Exception {
      return underKey(modelKey, () -> {
        long[] keys = new long[64];
        int n = 0;
        for (Long key : pages.keys()) {
          if (n == keys.length) {
            keys = java.util.Arrays.copyOf(keys, 2 * n);
          }
          keys[n++] = key;
        }
        return java.util.Arrays.copyOf(keys, n);
      });
    }

    @Override
    public void remove(String modelKey, long pageId) throws Exception {
      underKey(modelKey, () -> {
        pages.remove(pageId);
        return null;
      });
    }

    /** Runs {@code action} with the keyed state of {@code modelKey}, then restores the key. */
    private <T> T underKey(String modelKey, java.util.concurrent.Callable<T> action)
        throws Exception {
      Object current = getCurrentKey();
      boolean switched = !modelKey.equals(current);
      if (switched) {
        setCurrentKey(modelKey);
      }
      try {
        return action.call();
      } finally {
        if (switched && current != null) {
          setCurrentKey(current);
        }
      }
    }
  }
}
