package io.gradflow.jobs.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.flink.TrainerOperator;
import io.gradflow.jobs.cli.Main;
import io.gradflow.jobs.cli.UserException;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.learn.ExampleLearner;
import io.gradflow.schema.Component;
import io.gradflow.schema.ModelSnapshot;
import io.gradflow.schema.SessionSnapshot;
import io.gradflow.schema.SnapshotRow;
import io.gradflow.state.PageFormat;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.OperatorTransformation;
import org.apache.flink.state.api.SavepointWriter;
import org.apache.flink.state.api.functions.KeyedStateBootstrapFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bootstrap} then {@code export} on synthetic snapshots, through Flink's State Processor
 * API 2.2.0 (writer and reader) on the 2.2.1 runtime: every row (direct and hashed pages, page
 * formats 1 and 2 with their stamps), the session state, the row book and the signature come
 * back bit for bit; and the refusals of bad input (another job's savepoint, a missing savepoint,
 * an existing output, truncated, corrupt and foreign snapshot files), each a one-line message
 * with exit code 2 and nothing written.
 */
class SnapshotRoundTripITCase {
  private static final String KAFKA = "kafka: {bootstrap_servers: localhost:9092}\n"
      + "optimizer: {name: Adam, lr: 0.01}\n";

  @TempDir
  Path temp;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int gradflow(String... args) {
    out.reset();
    err.reset();
    return Main.run(args, new ByteArrayInputStream(new byte[0]),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  private static TrainConfig config(boolean stamped) throws Exception {
    return TrainConfig.fromYaml(KAFKA + (stamped ? "rows: {expire_after: 30d}\n" : ""));
  }

  /**
   * A snapshot with slots of one model: the 512 rows of feature page 0, the 512 of the bias and
   * dense page, 40 rows of feature page 1 (kept in the hashed form, as the trainer stores a
   * direct key's page until it has 64 rows), and 60 entity rows on hashed pages, all random; a
   * session; a book if stamped.
   */
  static ModelSnapshot synthetic(TrainConfig config, String key, long seed) {
    boolean stamped = config.trainer().rows().stamped();
    int rowSize = new ExampleLearner(config.candidates().get("")).rowSize();
    Random random = new Random(seed);
    List<Long> ids = new ArrayList<>();
    for (long i = 0; i < PageFormat.DIRECT_ROWS; i++) {
      ids.add(i);
      ids.add((1L << 62) + i);
    }
    for (int k = 0; k < 60; k++) {
      ids.add((1L << 45) + 7919L * k);
    }
    // A direct key's page in the hashed form: 40 of the 512 ids of feature page 1.
    for (int k = 0; k < 40; k++) {
      ids.add(PageFormat.DIRECT_ROWS + 3L * k);
    }
    List<SnapshotRow> rows = new ArrayList<>();
    for (long id : ids) {
      List<Float> values = new ArrayList<>();
      for (int i = 0; i < rowSize; i++) {
        values.add(i >= rowSize - 2 ? (float) random.nextInt(1000) : (float) random.nextGaussian());
      }
      float stamp = stamped ? new float[] {0f, 1f, 493_000f}[random.nextInt(3)] : 0f;
      rows.add(new SnapshotRow(id, values, stamp));
    }
    List<Float> book = new ArrayList<>();
    if (stamped) {
      for (int i = 0; i < 40; i++) {
        book.add((float) random.nextInt(100));
      }
    }
    return ModelSnapshot.newBuilder()
        .setModelKey(key).setCreatedAt(Instant.EPOCH).setSchemaVersion(2)
        .setModel(new Component("logistic_regression", Map.of()))
        .setOptimizer(new Component("Adam", Map.of("lr", "0.01")))
        .setWithSlots(true).setRowFloats(rowSize).setWeightsPerRow(1)
        .setPageFormat(stamped ? 2 : 1)
        .setSignature(new TrainerOperator(config.candidates(), config.trainer(),
            config.hashBits()).signature().parts())
        .setSession(new SessionSnapshot(seed, 7L, 3L, -5L, List.of(0.5, 1.5), List.of(2.0), 4L,
            11L, 12L, List.of(0.25), 0L, 1L, List.of(9L), List.of(1.0, 2.0, 0.125, -3.5),
            List.of(5L, -7L), 0.01, true))
        .setBook(book)
        .setRows(rows).build();
  }

  private static Map<Long, SnapshotRow> byId(ModelSnapshot s) {
    Map<Long, SnapshotRow> m = new HashMap<>();
    s.getRows().forEach(r -> m.put(r.getRowId(), r));
    return m;
  }

  /**
   * A savepoint of a job of main before the audit record's version (its trainer's
   * {@code provenance.v1} as main wrote it, {@code provenance-v1.json}; the state formats are
   * unchanged since) exports and inspects as audit version 1, saying what it lacks; a snapshot
   * of version 2 bootstrapped into a savepoint exports as version 2 again, its runtime (the dense
   * backend included) as it was.
   */
  @Test
  void aSavepointOfAJobBeforeTheAuditVersionExportsAsVersion1() throws Exception {
    TrainConfig config = config(false);
    Path savepoint = temp.resolve("v1-savepoint");
    BootstrapCommand.write(List.of(BootstrapCommand.restored(synthetic(config, "m1", 4),
        config.trainer().pageBits())), new TrainerOperator(config.candidates(), config.trainer(),
        config.hashBits()).signature().parts(), ProvenanceVersionsTest.storedVersion1(),
        savepoint);
    Path file = temp.resolve("v1.avro");
    assertEquals(0, gradflow("export", "--savepoint", savepoint.toString(), "--out",
        file.toString(), "--with-slots"), err());
    assertTrue(err().contains("audit version 1"), err());
    ModelSnapshot s = SnapshotFiles.read("--out", file).get(0);
    assertEquals(1, s.getAuditVersion());
    assertEquals("git a46c2b1", s.getCodeVersion());
    assertEquals(PageFormat.DIRECT_ROWS * 2 + 100, s.getRows().size());
    assertEquals(0, gradflow("inspect", file.toString()), err());
    var doc = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(out.toString(StandardCharsets.UTF_8)).path("models").get(0);
    assertEquals(1, doc.path("audit_version").intValue(), doc.toString());
    assertEquals("0.05", doc.path("configuration").path("optimizer").path("lr").textValue());
    assertEquals("model_step", doc.path("schedule").path("parameters").path("clock").textValue());

    // Version 2 through bootstrap: the savepoint it writes keeps the record's version.
    Map<String, String> v2 = TrainerOperator.withRuntime(Provenance.of(config,
        io.gradflow.jobs.train.TrainJob.checkpointDirectory(config)));
    ModelSnapshot typed = ModelSnapshot.newBuilder(synthetic(config, "m1", 5))
        .setSchemaVersion(SnapshotFiles.SCHEMA_VERSION).setAuditVersion(2)
        .setConfiguration(v2.get(Provenance.CONFIGURATION))
        .setConfigurationDefaults(List.of("optimizer.eps"))
        .setConfigurationNotes(Map.of("model.loss", "logistic (labels in [0, 1])"))
        .setRuntime(Map.of("java_version", "17.0.99", "flink_version", "2.2.1",
            "dense_backend", "nd4j")).build();
    ModelSnapshot back = bootstrapThenExport(typed, "v2");
    assertEquals(2, back.getAuditVersion());
    assertEquals(typed.getConfiguration(), back.getConfiguration());
    assertEquals(List.of("optimizer.eps"), back.getConfigurationDefaults());
    assertEquals("17.0.99", back.getRuntime().get("java_version"));
    // What model.dense_backend: auto chose is the learner's, kept through the savepoint too.
    assertEquals("nd4j", back.getRuntime().get("dense_backend"), back.getRuntime().toString());
    assertEquals(typed.getRuntime(), back.getRuntime());
    assertTrue(back.getMissing().stream().anyMatch(m -> m.contains("learners")),
        back.getMissing().toString());
  }

  /**
   * Writes {@code s} to {@code NAME.avro}, bootstraps it into {@code NAME-savepoint} and exports
   * that with slots to {@code NAME-out.avro}: the snapshot that comes back.
   */
  private ModelSnapshot bootstrapThenExport(ModelSnapshot s, String name) throws Exception {
    Path file = temp.resolve(name + ".avro");
    SnapshotFiles.write(List.of(s), file);
    Path savepoint = temp.resolve(name + "-savepoint");
    assertEquals(0, gradflow("bootstrap", "--snapshot", file.toString(), "--out",
        savepoint.toString()), err());
    Path exported = temp.resolve(name + "-out.avro");
    assertEquals(0, gradflow("export", "--savepoint", savepoint.toString(), "--out",
        exported.toString(), "--with-slots"), err());
    return SnapshotFiles.read("--out", exported).get(0);
  }

  /** What bootstrap wrote is checked: a savepoint without the trainer's state is deleted. */
  @Test
  void aSavepointWithoutTheTrainersStateIsDeletedAndRefused() throws Exception {
    Path other = temp.resolve("other");
    otherJobSavepoint(other);
    UserException refused = assertThrows(UserException.class,
        () -> BootstrapCommand.requireTrainerState(other));
    assertTrue(refused.getMessage().contains("without the trainer's state"), refused.getMessage());
    assertFalse(Files.exists(other));
  }

  @ParameterizedTest(name = "page format {0}")
  @ValueSource(ints = {1, 2})
  void bootstrapThenExportGivesTheSameModel(int format) throws Exception {
    TrainConfig config = config(format == 2);
    List<ModelSnapshot> written = List.of(synthetic(config, "m1", 1), synthetic(config, "m2", 2));
    Path file = temp.resolve("in.avro");
    SnapshotFiles.write(written, file);
    Path savepoint = temp.resolve("savepoint");
    assertEquals(0, gradflow("bootstrap", "--snapshot", file.toString(), "--out",
        savepoint.toString()), err());
    assertTrue(err().contains("optimizer slots, step counts and session state restored"), err());

    Path exported = temp.resolve("out.avro");
    assertEquals(0, gradflow("export", "--savepoint", savepoint.toString(), "--out",
        exported.toString(), "--with-slots"), err());
    List<ModelSnapshot> read = SnapshotFiles.read("--out", exported);
    assertEquals(2, read.size());
    for (int m = 0; m < 2; m++) {
      ModelSnapshot before = written.get(m);
      ModelSnapshot after = read.get(m);
      assertEquals(before.getModelKey(), after.getModelKey());
      assertEquals(before.getRows().size(), after.getRows().size());
      // Float.equals compares bits: bit for bit, stamps included.
      assertEquals(byId(before), byId(after));
      assertEquals(before.getSession(), after.getSession());
      assertEquals(before.getBook(), after.getBook());
      assertEquals(before.getSignature(), after.getSignature());
      assertEquals(format, after.getPageFormat());
      assertEquals(before.getSession().getStep(), after.getModelStep());
      // Bootstrapped, not trained: the configuration was not recorded, and export says so.
      assertTrue(after.getMissing().stream().anyMatch(s -> s.contains("learners")),
          after.getMissing().toString());
    }

    // Weights alone: the first float of each row (Adam keeps two slots after each weight).
    Path weights = temp.resolve("weights.avro");
    assertEquals(0, gradflow("export", "--savepoint", savepoint.toString(), "--out",
        weights.toString()), err());
    ModelSnapshot light = SnapshotFiles.read("--out", weights).get(0);
    assertFalse(light.getWithSlots());
    assertEquals(null, light.getSession());
    Map<Long, SnapshotRow> full = byId(written.get(0));
    for (SnapshotRow r : light.getRows()) {
      assertEquals(List.of(full.get(r.getRowId()).getValues().get(0)), r.getValues());
    }
  }

  /**
   * A model with dense blocks (an mlp's layers, stored beside its pages) comes back from
   * bootstrap and export with them, float for float; weights alone are refused for it, since
   * the layers' weights cannot be told from their slots without the model.
   */
  @Test
  void denseBlocksRoundTripWithSlotsOnly() throws Exception {
    TrainConfig config = config(false);
    List<Float> dense = new ArrayList<>();
    Random random = new Random(9);
    for (int i = 0; i < 300; i++) {
      dense.add((float) random.nextGaussian());
    }
    ModelSnapshot deep = ModelSnapshot.newBuilder(synthetic(config, "m1", 6)).setDense(dense)
        .build();
    ModelSnapshot back = bootstrapThenExport(deep, "deep");
    Path savepoint = temp.resolve("deep-savepoint");
    assertEquals(dense, back.getDense());
    assertEquals(byId(deep), byId(back));
    assertEquals(SnapshotFiles.SCHEMA_VERSION, back.getSchemaVersion());
    assertRefused(2, "has dense layers", "export", "--savepoint", savepoint.toString(), "--out",
        temp.resolve("deep-weights.avro").toString());
    assertFalse(Files.exists(temp.resolve("deep-weights.avro")));
  }

  @Test
  void aSnapshotWithoutSlotsStartsFreshOptimizerState() throws Exception {
    TrainConfig config = config(false);
    Path file = temp.resolve("in.avro");
    SnapshotFiles.write(List.of(synthetic(config, "m1", 3)), file);
    Path savepoint = temp.resolve("savepoint");
    assertEquals(0, gradflow("bootstrap", "--snapshot", file.toString(), "--out",
        savepoint.toString()));
    Path weights = temp.resolve("weights.avro");
    assertEquals(0, gradflow("export", "--savepoint", savepoint.toString(), "--out",
        weights.toString()));

    Path refused = temp.resolve("refused");
    assertEquals(2, gradflow("bootstrap", "--snapshot", weights.toString(), "--out",
        refused.toString()));
    assertTrue(err().contains("give --config"), err());
    assertFalse(Files.exists(refused));

    Path job = temp.resolve("job.yaml");
    Files.writeString(job, KAFKA);
    Path fresh = temp.resolve("fresh");
    assertEquals(0, gradflow("bootstrap", "--snapshot", weights.toString(), "--out",
        fresh.toString(), "--config", job.toString()), err());
    assertTrue(err().contains("rows start with fresh optimizer state"), err());
    Path again = temp.resolve("again.avro");
    assertEquals(0, gradflow("export", "--savepoint", fresh.toString(), "--out",
        again.toString(), "--with-slots"));
    ModelSnapshot restarted = SnapshotFiles.read("--out", again).get(0);
    Map<Long, SnapshotRow> original = byId(synthetic(config, "m1", 3));
    int rowSize = restarted.getRowFloats();
    for (SnapshotRow r : restarted.getRows()) {
      // The weight is kept; Adam's two slots and the step count start at 0.
      assertEquals(original.get(r.getRowId()).getValues().get(0), r.getValues().get(0));
      assertEquals(List.of(0f, 0f, 0f, 0f), r.getValues().subList(1, rowSize));
    }
    assertEquals(null, restarted.getSession());
  }

  @Test
  void badInputIsRefusedByNameWithNothingWritten() throws Exception {
    TrainConfig config = config(false);
    Path file = temp.resolve("model.avro");
    SnapshotFiles.write(List.of(synthetic(config, "m1", 4)), file);
    byte[] good = Files.readAllBytes(file);

    Path other = temp.resolve("other-job");
    otherJobSavepoint(other);
    Path out = temp.resolve("out.avro");
    assertRefused(2, "is not a savepoint of the train job", "export", "--savepoint",
        other.toString(), "--out", out.toString());
    assertFalse(Files.exists(out));
    assertRefused(2, "does not exist", "export", "--savepoint",
        temp.resolve("nowhere").toString(), "--out", out.toString());

    Path existing = temp.resolve("existing.avro");
    Files.writeString(existing, "keep");
    assertRefused(2, "exists", "export", "--savepoint", other.toString(), "--out",
        existing.toString());
    assertRefused(2, "exists", "bootstrap", "--snapshot", file.toString(), "--out",
        existing.toString());
    assertEquals("keep", Files.readString(existing));

    Path truncated = temp.resolve("truncated.avro");
    Files.write(truncated, java.util.Arrays.copyOf(good, good.length / 2));
    Path corrupt = temp.resolve("corrupt.avro");
    byte[] flipped = good.clone();
    for (int i = good.length / 2; i < good.length / 2 + 8; i++) {
      flipped[i] ^= 0x5a;
    }
    Files.write(corrupt, flipped);
    Path text = temp.resolve("text.avro");
    Files.writeString(text, "not a snapshot\n");
    Path newer = temp.resolve("newer.avro");
    SnapshotFiles.write(List.of(ModelSnapshot.newBuilder(synthetic(config, "m1", 4))
        .setSchemaVersion(SnapshotFiles.SCHEMA_VERSION + 1).build()), newer);
    assertRefused(2, "has snapshot schema_version " + (SnapshotFiles.SCHEMA_VERSION + 1)
        + ", newer than this Gradflow reads", "bootstrap", "--snapshot", newer.toString(),
        "--out", temp.resolve("sp-newer").toString());
    assertFalse(Files.exists(temp.resolve("sp-newer")));
    assertRefused(2, "newer than this Gradflow reads", "inspect", newer.toString());

    for (Path bad : List.of(truncated, corrupt, text)) {
      Path savepoint = temp.resolve("sp-" + bad.getFileName());
      assertRefused(2, "is not a readable model snapshot", "bootstrap", "--snapshot",
          bad.toString(), "--out", savepoint.toString());
      assertFalse(Files.exists(savepoint));
      assertRefused(2, "is not a readable model snapshot", "inspect", bad.toString());
    }
  }

  private void assertRefused(int code, String message, String... args) {
    assertEquals(code, gradflow(args), err());
    assertTrue(err().contains(message), err());
    assertFalse(err().contains("\tat "), "a stack trace: " + err());
    assertNotEquals("", err().lines().findFirst().orElse(""));
  }

  /** A savepoint of a job that is not the train job: one keyed operator "other.v1". */
  private static void otherJobSavepoint(Path target) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setRuntimeMode(org.apache.flink.api.common.RuntimeExecutionMode.BATCH);
    env.setParallelism(1);
    SavepointWriter.newSavepoint(env, new HashMapStateBackend(), 128)
        .withOperator(OperatorIdentifier.forUid("other.v1"), OperatorTransformation
            .bootstrapWith(env.fromData(1L, 2L, 3L)).keyBy(x -> x, Types.LONG)
            .transform(new Counter()))
        .write(target.toUri().toString());
    env.execute("other job");
  }

  static final class Counter extends KeyedStateBootstrapFunction<Long, Long> {
    private transient ValueState<Long> count;

    @Override
    public void open(OpenContext context) {
      count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
    }

    @Override
    public void processElement(Long value, Context context) throws Exception {
      count.update(value);
    }
  }
}
