package io.gradflow.jobs.snapshot;

import io.gradflow.flink.ModelMeta;
import io.gradflow.flink.TrainerOperator;
import io.gradflow.jobs.cli.Command;
import io.gradflow.jobs.cli.Counts;
import io.gradflow.jobs.cli.Flag;
import io.gradflow.jobs.cli.Flag.Type;
import io.gradflow.jobs.cli.UserException;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.learn.ExampleLearner;
import io.gradflow.learn.LearnerSpec;
import io.gradflow.learn.ModelSignature;
import io.gradflow.optim.RowLayout;
import io.gradflow.schema.ModelSnapshot;
import io.gradflow.schema.SessionSnapshot;
import io.gradflow.schema.SnapshotRow;
import io.gradflow.schema.TopicPartitionOffset;
import io.gradflow.state.PageFormat;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.base.MapSerializer;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.OperatorTransformation;
import org.apache.flink.state.api.SavepointWriter;
import org.apache.flink.state.api.functions.KeyedStateBootstrapFunction;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * {@code gradflow bootstrap --snapshot model.avro --out SAVEPOINT [--config job.yaml]}: writes a
 * savepoint of the train job from a model snapshot with Flink's State Processor API, so a job can
 * start from an exported model ({@code train --savepoint SAVEPOINT}): the trainer's keyed state
 * ({@code pages.v1}, {@code model.v1}) and operator state ({@code signature.v1},
 * {@code provenance.v1}) under the operator uid {@value SavepointModels#TRAINER_UID}.
 *
 * <p>A snapshot exported {@code --with-slots} rebuilds the very pages, session state and row book
 * it was exported from, so the job continues bit for bit. A snapshot of weights alone needs
 * {@code --config}: each row starts as the configured learner initializes a new row (the
 * optimizer's initial slots, step count 0), then takes the snapshot's weights; the model session
 * starts new. With {@code --config}, the configured model's signature is written and a snapshot
 * with slots must match it. The savepoint holds no source state: the job starts reading at
 * {@code kafka.starting_offsets}; the command prints the snapshot's offsets in that setting's
 * form. The maximum parallelism is {@value #MAX_PARALLELISM}, Flink's default for jobs up to 128
 * subtasks.
 */
public final class BootstrapCommand {
  public static final String SUMMARY =
      "write a savepoint of the train job from a snapshot file, to start a job from it";
  public static final List<Flag> FLAGS = List.of(
      Flag.of("snapshot", Type.STRING, null, "the snapshot file (gradflow export)"),
      Flag.of("out", Type.STRING, null, "the savepoint directory to write; must not exist"),
      Flag.of("config", Type.STRING, null, "the job that will start from it: required for a"
          + " snapshot without slots, checked against one with slots"));
  static final int MAX_PARALLELISM = 128;

  private BootstrapCommand() {}

  public static int run(List<String> args, InputStream in, PrintStream out, PrintStream err)
      throws Exception {
    Flag.Values flags = Flag.parse(FLAGS, args);
    SnapshotFiles.requireFlags(flags, FLAGS, "snapshot", "out");
    Path target = Path.of(flags.string("out"));
    UserException.requireAbsent("--out", target);
    List<ModelSnapshot> snapshots =
        SnapshotFiles.read("--snapshot", Path.of(flags.string("snapshot")));
    TrainConfig config = flags.isSet("config")
        ? TrainConfig.load(Path.of(flags.string("config"))) : null;
    boolean withSlots = snapshots.stream().allMatch(ModelSnapshot::getWithSlots);
    if (!withSlots && config == null) {
      throw new Command.UsageException("--snapshot " + flags.string("snapshot") + " holds"
          + " weights without optimizer slots; give --config with the job that will start from"
          + " it, so rows get that optimizer's fresh state");
    }
    Map<String, String> signature = new LinkedHashMap<>(snapshots.get(0).getSignature());
    if (config != null) {
      ModelSignature configured = new TrainerOperator(config.candidates(), config.trainer(),
          config.hashBits()).signature();
      if (withSlots && !signature.isEmpty()) {
        String refusal = configured.refusal(new ModelSignature(signature));
        if (refusal != null) {
          throw new UserException("--snapshot " + flags.string("snapshot") + " is a model the"
              + " job of --config " + flags.string("config") + " cannot continue: " + refusal, 2);
        }
      }
      signature = new LinkedHashMap<>(configured.parts());
    }
    int pageBits = config != null ? config.trainer().pageBits()
        : Integer.parseInt(signature.getOrDefault("state.page_bits", "-1"));
    if (pageBits < 0) {
      throw new UserException("--snapshot " + flags.string("snapshot") + " records no"
          + " state.page_bits (no model signature); give --config", 2);
    }
    List<ModelState> states = new ArrayList<>();
    long rows = 0;
    for (ModelSnapshot s : snapshots) {
      states.add(withSlots ? restored(s, pageBits) : fresh(s, config, pageBits));
      rows += s.getRows().size();
    }
    Map<String, String> provenance = new LinkedHashMap<>();
    provenance.put(Provenance.CODE_VERSION, snapshots.get(0).getCodeVersion());
    provenance.put(Provenance.CONFIGURATION, snapshots.get(0).getConfiguration());
    provenance.putAll(Provenance.version2Entries(snapshots.get(0)));
    // Each candidate's own dense backend, which export reads from learners.<c>.resolved.
    String learners = Provenance.bootstrappedLearners(snapshots);
    if (learners != null) {
      provenance.put(Provenance.LEARNERS, learners);
    }
    // Audit version 3: the history of configurations and the source go on.
    provenance.putAll(Provenance.historyEntries(snapshots));
    if (!snapshots.get(0).getSource().isEmpty()) {
      provenance.put(Provenance.SOURCE, snapshots.get(0).getSource());
    }
    provenance.put("bootstrapped_from", flags.string("snapshot"));
    write(states, signature, provenance, target);

    err.println("wrote a savepoint of " + Counts.of(states.size(), "model") + ", "
        + Counts.of(rows, "row") + ", to "
        + target + (withSlots ? " (optimizer slots, step counts and session state restored)"
        : " (the snapshot has no optimizer slots: rows start with fresh optimizer state and"
        + " step count 0, models with a new session)"));
    List<TopicPartitionOffset> offsets = snapshots.get(0).getDataOffsets();
    if (!offsets.isEmpty()) {
      err.println("start it with train --savepoint " + target + " and, to read on where the"
          + " model stopped, kafka.starting_offsets: " + startingOffsets(offsets));
    }
    return 0;
  }

  /** The offsets in the form of {@code kafka.starting_offsets}. */
  static String startingOffsets(List<TopicPartitionOffset> offsets) {
    return offsets.stream().filter(o -> o.getOffset() >= 0)
        .map(o -> "\"" + o.getTopic() + ":" + o.getPartition() + "\": " + o.getOffset())
        .collect(Collectors.joining(", ", "{offsets: {", "}}"));
  }

  /** The exact pages, session and row book a snapshot with slots was exported from. */
  static ModelState restored(ModelSnapshot s, int pageBits) {
    int rowSize = s.getRowFloats();
    int stamps = s.getPageFormat() == 2 ? 1 : 0;
    Pages pages = new Pages(rowSize, stamps, pageBits);
    for (SnapshotRow row : s.getRows()) {
      if (row.getValues().size() != rowSize) {
        throw new UserException("model " + s.getModelKey() + ": row " + row.getRowId() + " holds "
            + row.getValues().size() + " floats, but the snapshot says " + rowSize, 2);
      }
      int at = pages.row(row.getRowId(), row.getStamp(), null);
      PageRows.put(row.getValues(), pages.page(row.getRowId()), at);
    }
    Map<Long, float[]> built = pages.build();
    if (!s.getBook().isEmpty()) {
      float[] book = new float[s.getBook().size()];
      for (int i = 0; i < book.length; i++) {
        book[i] = s.getBook().get(i);
      }
      built.put(PageFormat.BOOK_PAGE, book);
    }
    if (!s.getDense().isEmpty()) {
      float[] dense = new float[s.getDense().size()];
      for (int i = 0; i < dense.length; i++) {
        dense[i] = s.getDense().get(i);
      }
      built.put(PageFormat.DENSE_PAGE, dense);
    }
    return state(s.getModelKey(), s.getSession() == null ? null : meta(s.getSession()), built);
  }

  /** Rows as the configured learner creates them, with the snapshot's weights. */
  static ModelState fresh(ModelSnapshot s, TrainConfig config, int pageBits) {
    LearnerSpec spec = config.candidates().get(s.getCandidate());
    if (spec == null) {
      throw new UserException("model " + s.getModelKey() + " was trained by candidate '"
          + s.getCandidate() + "', which --config does not have; its candidates: "
          + config.candidates().keySet(), 2);
    }
    ExampleLearner learner = new ExampleLearner(spec);
    RowLayout layout = learner.layout();
    if (s.getWeightsPerRow() != layout.width()) {
      throw new UserException("model " + s.getModelKey() + " has " + s.getWeightsPerRow()
          + " weights per row, but the model of --config has " + layout.width()
          + " (model.type, model.factors)", 2);
    }
    int stamps = config.trainer().rows().stamped() ? 1 : 0;
    Pages pages = new Pages(learner.rowSize(), stamps, pageBits);
    float[] weights = new float[layout.width()];
    float[] initial = new float[layout.width()];
    for (SnapshotRow row : s.getRows()) {
      for (int i = 0; i < weights.length; i++) {
        weights[i] = row.getValues().get(i);
      }
      int at = pages.row(row.getRowId(), 0f, learner);
      float[] page = pages.page(row.getRowId());
      layout.copyWeights(page, at, initial, 0);
      layout.setWeights(page, at, weights, 0);
      if (stamps > 0) {
        // A row that differs from a new one was learned; its last update is not known.
        float stamp = s.getPageFormat() == 2 ? row.getStamp()
            : Arrays.equals(initial, weights) ? PageFormat.ABSENT : PageFormat.UNDATED;
        pages.stamp(row.getRowId(), stamp);
      }
    }
    return state(s.getModelKey(), null, pages.build());
  }

  private static ModelState state(String key, ModelMeta meta, Map<Long, float[]> pages) {
    long[] keys = new long[pages.size()];
    float[][] values = new float[pages.size()][];
    int i = 0;
    for (Map.Entry<Long, float[]> e : new TreeMap<>(pages).entrySet()) {
      keys[i] = e.getKey();
      values[i++] = e.getValue();
    }
    return new ModelState(key, meta, keys, values);
  }

  private static ModelMeta meta(SessionSnapshot s) {
    ModelMeta m = new ModelMeta();
    m.step = s.getStep();
    m.scored = s.getScored();
    m.scheduleStartStep = s.getScheduleStartStep();
    m.scheduleStartMillis = s.getScheduleStartMillis();
    m.standardizer = s.getStandardizer().stream().mapToDouble(Double::doubleValue).toArray();
    m.metrics = s.getMetrics().stream().mapToDouble(Double::doubleValue).toArray();
    m.sinceReport = s.getSinceReport();
    m.windowStartMillis = s.getWindowStartMillis();
    m.lastEventTime = s.getLastEventTime();
    m.detector = s.getDetector().stream().mapToDouble(Double::doubleValue).toArray();
    m.boostStartStep = s.getBoostStartStep();
    m.drifts = s.getDrifts();
    m.pendingDrifts = s.getPendingDrifts().stream().mapToLong(Long::longValue).toArray();
    m.batch = s.getBatch().stream().mapToDouble(Double::doubleValue).toArray();
    m.batchRows = s.getBatchRows().stream().mapToLong(Long::longValue).toArray();
    m.batchRate = s.getBatchRate();
    m.changesDue = s.getChangesDue();
    return m;
  }

  /**
   * Pages under construction, as the trainer stores them: a direct key's page whole when every
   * one of its 512 rows is there, else (and for hashed keys) a page of records growing in the
   * order rows arrive (the order export wrote them in, so the same pages come back).
   */
  static final class Pages {
    private final int rowSize;
    private final int stamps;
    private final int pageBits;
    private final Map<Long, List<float[]>> hashed = new LinkedHashMap<>();
    private final Map<Long, float[]> records = new java.util.HashMap<>();

    Pages(int rowSize, int stamps, int pageBits) {
      this.rowSize = rowSize;
      this.stamps = stamps;
      this.pageBits = pageBits;
    }

    /** The array a row lives in: its own record, until {@link #build}. */
    float[] page(long rowId) {
      return records.get(rowId);
    }

    /**
     * Places a row, initialized by {@code learner} when given, and returns the offset of its
     * values in {@link #page}.
     */
    int row(long rowId, float stamp, ExampleLearner learner) {
      long key = PageFormat.pageKey(rowId, pageBits);
      // Every row is placed as a record with its id first. A direct key's page is built whole
      // at build() when the snapshot holds all its rows, and otherwise kept in the hashed form
      // the trainer stores such a page in until it fills (its rows alone, each with its id).
      float[] record = new float[PageFormat.recordSize(rowSize, stamps)];
      PageFormat.writeId(record, 0, rowId);
      if (stamps > 0) {
        record[PageFormat.ID_FLOATS] = stamp;
      }
      if (learner != null) {
        learner.initializeRow(rowId, record, PageFormat.ID_FLOATS + stamps);
      }
      if (records.put(rowId, record) != null) {
        throw new UserException("row " + rowId + " appears twice in the snapshot", 2);
      }
      hashed.computeIfAbsent(key, k -> new ArrayList<>()).add(record);
      return PageFormat.ID_FLOATS + stamps;
    }

    /** Sets a placed row's stamp (format 2). */
    void stamp(long rowId, float stamp) {
      records.get(rowId)[PageFormat.ID_FLOATS] = stamp;
    }

    /** A direct page holding every one of its rows, from their records. */
    private float[] whole(List<float[]> rows) {
      float[] page = new float[PageFormat.directPageFloats(rowSize, stamps)];
      page[0] = PageFormat.directMarker(stamps);
      for (float[] r : rows) {
        long rowId = PageFormat.readId(r, 0);
        System.arraycopy(r, PageFormat.ID_FLOATS + stamps, page,
            PageFormat.directOffset(rowId, rowSize), rowSize);
        if (stamps > 0) {
          page[PageFormat.directStampOffset(rowId, rowSize)] = r[PageFormat.ID_FLOATS];
        }
      }
      return page;
    }

    /** The finished pages by key. */
    Map<Long, float[]> build() {
      Map<Long, float[]> pages = new LinkedHashMap<>();
      int record = PageFormat.recordSize(rowSize, stamps);
      hashed.forEach((key, rows) -> {
        if (PageFormat.isDirect(key) && rows.size() == PageFormat.DIRECT_ROWS) {
          pages.put(key, whole(rows));
          return;
        }
        float[] page = new float[PageFormat.HEADER + rows.size() * record];
        PageFormat.setRowCount(page, rows.size(), stamps);
        for (int r = 0; r < rows.size(); r++) {
          System.arraycopy(rows.get(r), 0, page, PageFormat.recordOffset(r, rowSize, stamps),
              record);
        }
        pages.put(key, page);
      });
      return pages;
    }
  }

  /** Writes the trainer's state with the State Processor API. */
  static void write(List<ModelState> states, Map<String, String> signature,
      Map<String, String> provenance, Path target) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setRuntimeMode(org.apache.flink.api.common.RuntimeExecutionMode.BATCH);
    env.setParallelism(1);
    // Without object reuse the writer's chained operators copy each subtask's state with Kryo,
    // which fails on Flink's package-private state classes (IllegalAccessError from
    // reflectasm), and the State Processor API's bootstrap thread swallows that failure: the
    // savepoint comes out without the operator's state. With reuse nothing is copied.
    env.getConfig().enableObjectReuse();
    var transformation = OperatorTransformation
        .bootstrapWith(env.fromData(TypeInformation.of(ModelState.class), states
            .toArray(ModelState[]::new)))
        .keyBy(s -> s.key, Types.STRING)
        .transform(new StateWriter(signature, provenance));
    SavepointWriter.newSavepoint(env, new HashMapStateBackend(), MAX_PARALLELISM)
        .withOperator(OperatorIdentifier.forUid(SavepointModels.TRAINER_UID), transformation)
        .write(target.toAbsolutePath().toUri().toString());
    env.execute("bootstrap " + target.getFileName());
    requireTrainerState(target);
  }

  /**
   * Checked, not trusted: a writer failure the State Processor API swallows leaves a savepoint
   * whose trainer has no subtask state, which a job would start from as an empty model without
   * an error. Such a savepoint is deleted and refused.
   */
  static void requireTrainerState(Path target) throws Exception {
    boolean written = Files.exists(target.resolve("_metadata"))
        && org.apache.flink.state.api.runtime.SavepointLoader.loadSavepointMetadata(
            target.toUri().toString()).getOperatorStates().stream()
            .anyMatch(o -> o.getOperatorID().equals(OperatorIdentifier.forUid(
                SavepointModels.TRAINER_UID).getOperatorId()) && o.getNumberCollectedStates() > 0);
    if (!written) {
      deleteTree(target);
      throw new UserException("the State Processor API wrote a savepoint without the trainer's"
          + " state, which a job would start from as an empty model; nothing was written to "
          + target, 1);
    }
  }

  private static void deleteTree(Path dir) throws java.io.IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var files = Files.walk(dir)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** Writes each model key's pages and session, and the operator's signature and provenance. */
  static final class StateWriter extends KeyedStateBootstrapFunction<String, ModelState>
      implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;
    private final Map<String, String> signature;
    private final Map<String, String> provenance;
    private transient MapState<Long, float[]> pages;
    private transient ValueState<ModelMeta> meta;

    StateWriter(Map<String, String> signature, Map<String, String> provenance) {
      this.signature = new LinkedHashMap<>(signature);
      this.provenance = new LinkedHashMap<>(provenance);
    }

    @Override
    public void open(OpenContext context) {
      pages = getRuntimeContext().getMapState(TrainerState.pages());
      meta = getRuntimeContext().getState(TrainerState.meta());
    }

    @Override
    public void processElement(ModelState state, Context context) throws Exception {
      for (int i = 0; i < state.pageKeys.length; i++) {
        pages.put(state.pageKeys[i], state.pages[i]);
      }
      if (state.meta != null) {
        meta.update(state.meta);
      }
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
      var serializer = new MapSerializer<>(StringSerializer.INSTANCE, StringSerializer.INSTANCE);
      if (!signature.isEmpty()) {
        context.getOperatorStateStore().getUnionListState(new ListStateDescriptor<>(
            TrainerOperator.SIGNATURE_STATE, serializer)).update(List.of(signature));
      }
      context.getOperatorStateStore().getUnionListState(new ListStateDescriptor<>(
          TrainerOperator.PROVENANCE_STATE, serializer)).update(List.of(provenance));
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) {}
  }
}
