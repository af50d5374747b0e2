package io.gradflow.jobs.snapshot;

import io.gradflow.flink.ModelMeta;
import io.gradflow.flink.TrainerOperator;
import io.gradflow.jobs.cli.Counts;
import io.gradflow.jobs.cli.UserException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.base.MapSerializer;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.api.common.typeutils.base.array.BytePrimitiveArraySerializer;
import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplit;
import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplitSerializer;
import org.apache.flink.core.io.SimpleVersionedSerialization;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.SavepointReader;
import org.apache.flink.state.api.functions.KeyedStateReaderFunction;
import org.apache.flink.state.api.runtime.SavepointLoader;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;

/**
 * The train job's state in a savepoint, read with Flink's State Processor API (a small local job
 * per read): the trainer's keyed state ({@code pages.v1}, {@code model.v1} under the operator uid
 * {@value #TRAINER_UID}), its operator state ({@code signature.v1}, {@code provenance.v1}) and the
 * Kafka sources' split state ({@value #EXAMPLES_SOURCE_UID}, {@value #LABELS_SOURCE_UID}: the
 * operator list state {@code SourceReaderState} of Flink's {@code SourceOperator}, each split
 * written by the connector's {@link KafkaPartitionSplitSerializer}), which holds the next offset
 * of every partition a reader had been assigned.
 *
 * <p>Offsets of partitions the enumerator had discovered but not yet assigned live in the
 * coordinator's state, which the State Processor API cannot read; a bounded job's readers drop a
 * partition's split once they reach its end. Not thread-safe; one read at a time.
 */
public final class SavepointModels {
  public static final String TRAINER_UID = "trainer.v1";
  public static final String EXAMPLES_SOURCE_UID = "examples-source.v1";
  public static final String LABELS_SOURCE_UID = "labels-source.v1";
  /** Flink's {@code SourceOperator} split state. */
  static final String SPLITS_STATE = "SourceReaderState";

  /**
   * What a savepoint holds of a train job.
   *
   * @param models each model key's state, by key
   * @param signature the stored model signature, or empty when the savepoint has none
   * @param provenance the stored provenance, or empty when the savepoint has none
   * @param offsets per source uid, the next offset per {@code topic:partition} (a negative value
   *     is the connector's marker of a split that had not started: -2 earliest, -1 latest, -3
   *     committed)
   */
  public record Read(Map<String, ModelState> models, Map<String, String> signature,
      Map<String, String> provenance, Map<String, Map<String, Long>> offsets) {}

  private SavepointModels() {}

  /**
   * Reads the train job's state from a savepoint or retained checkpoint directory.
   *
   * @throws UserException naming the path when it is no savepoint or not one of the train job
   */
  public static Read read(String savepoint) throws Exception {
    Set<String> uids = operatorUids(savepoint);
    SavepointReader reader = reader(savepoint);
    OperatorIdentifier trainer = OperatorIdentifier.forUid(TRAINER_UID);

    Map<String, ModelState> models = new TreeMap<>();
    try (CloseableIterator<ModelState> it = reader.readKeyedState(trainer, new StateReader(),
        Types.STRING, TypeInformation.of(ModelState.class)).executeAndCollect("export: keyed")) {
      Map<String, ModelMeta> metas = new HashMap<>();
      Map<String, TreeMap<Long, float[]>> pages = new TreeMap<>();
      while (it.hasNext()) {
        ModelState part = it.next();
        TreeMap<Long, float[]> model = pages.computeIfAbsent(part.key, k -> new TreeMap<>());
        if (part.meta != null) {
          metas.put(part.key, part.meta);
        }
        for (int i = 0; i < part.pageKeys.length; i++) {
          model.put(part.pageKeys[i], part.pages[i]);
        }
      }
      pages.forEach((key, model) -> models.put(key, new ModelState(key, metas.get(key),
          model.keySet().stream().mapToLong(Long::longValue).toArray(),
          model.values().toArray(float[][]::new))));
    }
    OperatorParts parts = operatorParts(reader, uids, trainer);
    return new Read(models, parts.signature(), parts.provenance(), parts.offsets());
  }

  /**
   * Why a job of {@code config} cannot restore the savepoint's model ({@link
   * io.gradflow.learn.ModelSignature#refusal}: the setting and both values), or null when it can
   * or the savepoint holds no signature (taken before signatures were kept; the trainer warns at
   * restore). The same check as the trainer's at restore, made before a job starts: reads only the
   * operator state (a small local job).
   *
   * @throws UserException naming the path when it is no savepoint or not one of the train job
   */
  public static String refusal(String savepoint, io.gradflow.jobs.config.TrainConfig config)
      throws Exception {
    return restoreCheck(savepoint, config, null).refusal();
  }

  /**
   * What a restore of the savepoint by a job of {@code config} meets, read in one pass over its
   * operator state.
   *
   * @param refusal why it cannot restore ({@link #refusal}), or null
   * @param sourcePositions each Kafka source's next offset per {@code topic:partition}, by the
   *     source's uid ({@link #EXAMPLES_SOURCE_UID}, {@link #LABELS_SOURCE_UID}), as {@link
   *     Read#offsets()}
   * @param changed the settings whose values differ from the savepoint's record (the audit
   *     record's history keeps both: {@link Provenance#carry}); empty when none differ or the
   *     savepoint kept no record
   */
  public record RestoreCheck(String refusal, Map<String, Map<String, Long>> sourcePositions,
      List<Provenance.Change> changed) {
    /** The examples source's positions; empty when the savepoint holds none. */
    public Map<String, Long> examplesPositions() {
      return positions(EXAMPLES_SOURCE_UID);
    }

    /** The positions of the source of that uid; empty when the savepoint holds none. */
    public Map<String, Long> positions(String sourceUid) {
      return sourcePositions.getOrDefault(sourceUid, Map.of());
    }
  }

  /**
   * {@link #refusal}, where the restored examples source reads on from, and the changed
   * settings, from one read of the savepoint's operator state.
   *
   * @param checkpointDirectory the job's resolved {@code checkpoints.directory} (as the trainer
   *     records it), or null to compare without it
   * @throws UserException naming the path when it is no savepoint or not one of the train job
   */
  public static RestoreCheck restoreCheck(String savepoint,
      io.gradflow.jobs.config.TrainConfig config, String checkpointDirectory) throws Exception {
    OperatorParts parts = operatorParts(reader(savepoint), operatorUids(savepoint),
        OperatorIdentifier.forUid(TRAINER_UID));
    String refusal = parts.signature().isEmpty() ? null
        : new TrainerOperator(config.candidates(), config.trainer(), config.hashBits())
            .signature().refusal(new io.gradflow.learn.ModelSignature(parts.signature()));
    List<Provenance.Change> changed = parts.provenance().containsKey(Provenance.CONFIGURATION)
        && checkpointDirectory != null
        ? Provenance.changes(parts.provenance(), Provenance.of(config, checkpointDirectory))
        : List.of();
    return new RestoreCheck(refusal, parts.offsets(), changed);
  }

  private static SavepointReader reader(String savepoint) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setRuntimeMode(RuntimeExecutionMode.BATCH);
    env.setParallelism(1);
    return SavepointReader.read(env, savepoint);
  }

  /** The trainer's operator state and the sources' positions. */
  private record OperatorParts(Map<String, String> signature, Map<String, String> provenance,
      Map<String, Map<String, Long>> offsets) {}

  private static OperatorParts operatorParts(SavepointReader reader, Set<String> uids,
      OperatorIdentifier trainer) throws Exception {
    var mapType = Types.MAP(Types.STRING, Types.STRING);
    var mapSerializer = new MapSerializer<>(StringSerializer.INSTANCE, StringSerializer.INSTANCE);
    var signatures = reader.readUnionState(trainer, TrainerOperator.SIGNATURE_STATE, mapType,
        mapSerializer).map(m -> tagged("signature", m)).returns(TAGGED);
    var operatorState = signatures.union(reader.readUnionState(trainer,
        TrainerOperator.PROVENANCE_STATE, mapType, mapSerializer)
        .map(m -> tagged("provenance", m)).returns(TAGGED));
    for (String source : List.of(EXAMPLES_SOURCE_UID, LABELS_SOURCE_UID)) {
      if (uids.contains(source)) {
        operatorState = operatorState.union(reader.readListState(
            OperatorIdentifier.forUid(source), SPLITS_STATE, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO,
            BytePrimitiveArraySerializer.INSTANCE).map(bytes -> split(source, bytes))
            .returns(TAGGED));
      }
    }
    Map<String, String> signature = new LinkedHashMap<>();
    List<Map<String, String>> provenances = new ArrayList<>();
    Map<String, Map<String, Long>> offsets = new TreeMap<>();
    try (CloseableIterator<Map<String, String>> it =
             operatorState.executeAndCollect("export: operator state")) {
      while (it.hasNext()) {
        Map<String, String> m = new LinkedHashMap<>(it.next());
        String tag = m.remove(TAG);
        switch (tag) {
          case "signature" -> signature.putAll(m);
          case "provenance" -> provenances.add(m);
          default -> offsets.computeIfAbsent(tag, k -> new TreeMap<>())
              .put(m.get("split"), Long.parseLong(m.get("offset")));
        }
      }
    }
    // One copy per subtask; run-time entries may differ between them (Provenance.merge).
    return new OperatorParts(signature, Provenance.merge(provenances), offsets);
  }

  private static final String TAG = "\u0000tag";
  private static final TypeInformation<Map<String, String>> TAGGED =
      Types.MAP(Types.STRING, Types.STRING);

  private static Map<String, String> tagged(String tag, Map<String, String> m) {
    Map<String, String> t = new HashMap<>(m);
    t.put(TAG, tag);
    return t;
  }

  private static Map<String, String> split(String source, byte[] bytes) throws IOException {
    KafkaPartitionSplit split = SimpleVersionedSerialization.readVersionAndDeSerialize(
        new KafkaPartitionSplitSerializer(), bytes);
    Map<String, String> m = new HashMap<>();
    m.put(TAG, source);
    m.put("split", split.getTopic() + ":" + split.getPartition());
    m.put("offset", String.valueOf(split.getStartingOffset()));
    return m;
  }

  /**
   * The operator uids a savepoint holds state for (by hash), failing with a message that names
   * the path when it is not a savepoint or has no trainer.
   */
  static Set<String> operatorUids(String savepoint) {
    io.gradflow.jobs.train.TrainCommand.checkSavepoint(savepoint);
    CheckpointMetadata metadata;
    try {
      metadata = SavepointLoader.loadSavepointMetadata(savepoint);
    } catch (Exception e) {
      throw new UserException("--savepoint " + savepoint + " cannot be read as a savepoint ("
          + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", 2);
    }
    Map<Object, String> known = new HashMap<>();
    for (String uid : List.of(TRAINER_UID, EXAMPLES_SOURCE_UID, LABELS_SOURCE_UID)) {
      known.put(OperatorIdentifier.forUid(uid).getOperatorId(), uid);
    }
    Set<String> found = metadata.getOperatorStates().stream()
        .filter(s -> s.getStateSize() > 0 || known.containsKey(s.getOperatorID()))
        .map(OperatorState::getOperatorID).filter(known::containsKey).map(known::get)
        .collect(Collectors.toSet());
    if (!found.contains(TRAINER_UID)) {
      throw new UserException("--savepoint " + savepoint + " is not a savepoint of the train job:"
          + " it holds no state of the trainer (operator uid " + TRAINER_UID + "); it holds "
          + Counts.of(metadata.getOperatorStates().size(), "other operator"), 2);
    }
    return found;
  }

  /** Reads every model key's pages and session. */
  static final class StateReader extends KeyedStateReaderFunction<String, ModelState> {
    private transient MapState<Long, float[]> pages;
    private transient ValueState<ModelMeta> meta;

    @Override
    public void open(OpenContext context) {
      pages = getRuntimeContext().getMapState(TrainerState.pages());
      meta = getRuntimeContext().getState(TrainerState.meta());
    }

    /** One record for the session, then one per page: a model is too large for one record. */
    @Override
    public void readKey(String key, Context context, Collector<ModelState> out)
        throws Exception {
      out.collect(new ModelState(key, meta.value(), new long[0], new float[0][]));
      for (Map.Entry<Long, float[]> e : pages.entries()) {
        out.collect(new ModelState(key, null, new long[] {e.getKey()},
            new float[][] {e.getValue()}));
      }
    }
  }
}
