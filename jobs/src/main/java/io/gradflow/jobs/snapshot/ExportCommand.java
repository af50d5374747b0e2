package io.gradflow.jobs.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import io.gradflow.flink.ModelMeta;
import io.gradflow.flink.TrainerOperator;
import io.gradflow.jobs.cli.Command;
import io.gradflow.jobs.cli.Counts;
import io.gradflow.jobs.cli.Flag;
import io.gradflow.jobs.cli.Flag.Type;
import io.gradflow.jobs.cli.UserException;
import io.gradflow.schema.Component;
import io.gradflow.schema.ModelSnapshot;
import io.gradflow.schema.SessionSnapshot;
import io.gradflow.schema.SnapshotRow;
import io.gradflow.schema.TopicPartitionOffset;
import io.gradflow.state.PageFormat;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code gradflow export --savepoint PATH --out model.avro [--with-slots]}: reads the train job's
 * state from a savepoint ({@link SavepointModels}) and writes one {@link ModelSnapshot} per model
 * key ({@link SnapshotFiles}): every row (the weights, or with {@code --with-slots} the whole row
 * with optimizer slots and step count, plus the session state and row book that a bit-exact
 * restore needs), and the provenance the trainer kept ({@link Provenance}): components with their
 * parameters under their configuration names, values as JSON text, the job configuration in the
 * form of its audit version ({@code audit_version}: 1 for savepoints of jobs before it was
 * versioned, 2 typed, with the defaults marked and the run time recorded), the topics' offsets,
 * the schema and code versions. What the savepoint did not record is listed in {@code missing}
 * and printed.
 */
public final class ExportCommand {
  public static final String SUMMARY =
      "write a savepoint's model and how it was trained to an Avro snapshot file";
  public static final List<Flag> FLAGS = List.of(
      Flag.of("savepoint", Type.STRING, null, "the savepoint (or retained checkpoint) to read"),
      Flag.of("out", Type.STRING, null, "the snapshot file to write; must not exist"),
      Flag.of("with-slots", Type.SWITCH, null,
          "keep optimizer slots, step counts and session state: a bit-exact restore"));
  private static final Pattern LAYOUT =
      Pattern.compile("(\\d+) weights?, (\\d+) slot(?:s|\\(s\\))? per weight, (\\d+) floats per"
          + " row");

  private ExportCommand() {}

  public static int run(List<String> args, InputStream in, PrintStream out, PrintStream err)
      throws Exception {
    Flag.Values flags = Flag.parse(FLAGS, args);
    SnapshotFiles.requireFlags(flags, FLAGS, "savepoint", "out");
    Path file = Path.of(flags.string("out"));
    UserException.requireAbsent("--out", file);
    String savepoint = flags.string("savepoint");
    SavepointModels.Read read = SavepointModels.read(savepoint);
    List<ModelSnapshot> snapshots = snapshots(read, savepoint, flags.on("with-slots"));
    SnapshotFiles.write(snapshots, file);
    long rows = snapshots.stream().mapToLong(s -> s.getRows().size()).sum();
    err.println("exported " + Counts.of(snapshots.size(), "model") + ", "
        + Counts.of(rows, "row")
        + (flags.on("with-slots") ? " with optimizer slots" : " (weights only)") + " to "
        + file);
    if (!snapshots.isEmpty() && !snapshots.get(0).getMissing().isEmpty()) {
      err.println("the savepoint does not record: "
          + String.join("; ", snapshots.get(0).getMissing()));
    }
    return 0;
  }

  /** The snapshots of every model key of a savepoint. */
  static List<ModelSnapshot> snapshots(SavepointModels.Read read, String savepoint,
      boolean withSlots) {
    Map<String, String> signature = read.signature();
    Map<String, String> provenance = read.provenance();
    List<String> missing = new ArrayList<>();
    if (signature.isEmpty()) {
      missing.add(TrainerOperator.SIGNATURE_STATE + " (the model signature: taken before"
          + " signatures were kept)");
    }
    JsonNode learners = Provenance.parse(provenance.getOrDefault(Provenance.LEARNERS, "{}"));
    for (String entry : Provenance.ENTRIES) {
      // A bootstrapped savepoint's learners hold what was resolved but no components.
      if (!provenance.containsKey(entry)
          || (entry.equals(Provenance.LEARNERS) && !Provenance.hasComponents(learners))) {
        missing.add(TrainerOperator.PROVENANCE_STATE + " " + entry + (provenance.isEmpty()
            ? " (taken before the trainer kept its provenance)" : ""));
      }
    }
    int auditVersion = Provenance.auditVersion(provenance);
    if (!provenance.isEmpty() && auditVersion < 2) {
      missing.add(TrainerOperator.PROVENANCE_STATE + " of audit version 2 (recorded by an older"
          + " Gradflow: audit version 1, its configuration's values are text; no "
          + String.join(", ", Provenance.CONFIGURATION_DEFAULTS, Provenance.CONFIGURATION_NOTES)
          + " or runtime: Flink's and Java's versions, the dense backend chosen)");
    }
    if (read.offsets().isEmpty()) {
      missing.add("the input offsets (no split state of " + SavepointModels.EXAMPLES_SOURCE_UID
          + ")");
    }
    boolean race = !signature.getOrDefault("race", "none").equals("none");
    List<TopicPartitionOffset> offsets = new ArrayList<>();
    read.offsets().forEach((source, partitions) -> partitions.forEach((tp, offset) -> {
      int colon = tp.lastIndexOf(':');
      offsets.add(new TopicPartitionOffset(tp.substring(0, colon),
          Integer.parseInt(tp.substring(colon + 1)), offset));
    }));
    Map<String, String> versions = new LinkedHashMap<>();
    Provenance.parse(provenance.getOrDefault(Provenance.SCHEMA_VERSIONS, "{}")).fields()
        .forEachRemaining(e -> versions.put(e.getKey(), e.getValue().asText()));
    versions.put("ModelSnapshot schema_version", String.valueOf(SnapshotFiles.SCHEMA_VERSION));
    Instant now = Instant.ofEpochMilli(System.currentTimeMillis());
    List<String> defaults = new ArrayList<>();
    Map<String, String> notes = new LinkedHashMap<>();
    Map<String, String> runtime = new LinkedHashMap<>();
    if (auditVersion >= 2) {
      Provenance.parse(provenance.getOrDefault(Provenance.CONFIGURATION_DEFAULTS, "[]"))
          .forEach(k -> defaults.add(k.asText()));
      Provenance.parse(provenance.getOrDefault(Provenance.CONFIGURATION_NOTES, "{}")).fields()
          .forEachRemaining(e -> notes.put(e.getKey(), e.getValue().asText()));
      provenance.forEach((k, v) -> {
        if (k.startsWith(TrainerOperator.RUNTIME_PREFIX)) {
          runtime.put(k.substring(TrainerOperator.RUNTIME_PREFIX.length()), v);
        }
      });
    }

    List<ModelSnapshot> out = new ArrayList<>();
    for (ModelState model : read.models().values()) {
      int at = model.key.lastIndexOf(TrainerOperator.CANDIDATE_SEPARATOR);
      String candidate = race && at >= 0 ? model.key.substring(at + 1) : "";
      String prefix = race ? "race[" + candidate + "]." : "";
      String layoutText = signature.getOrDefault(prefix + "row layout", "");
      Matcher layout = LAYOUT.matcher(layoutText);
      int width = layout.find() ? Integer.parseInt(layout.group(1)) : 0;
      int slots = width > 0 ? Integer.parseInt(layout.group(2)) : 0;
      int rowSize = rowSize(model);
      if (!withSlots && width == 0) {
        throw new UserException("--savepoint " + savepoint + " has no model signature, so the"
            + " weights cannot be told from the optimizer slots in its rows; export it"
            + " --with-slots", 2);
      }
      if (width > 0 && rowSize > 0 && rowSize != width * (1 + slots) + 2) {
        throw new UserException("--savepoint " + savepoint + ": model " + model.key
            + " has rows of " + rowSize + " floats, but its signature says " + layoutText, 1);
      }
      List<SnapshotRow> rows = new ArrayList<>();
      List<Float> book = new ArrayList<>();
      List<Float> dense = new ArrayList<>();
      int pageFormat = 1;
      for (int i = 0; i < model.pageKeys.length; i++) {
        long key = model.pageKeys[i];
        float[] page = model.pages[i];
        if (!PageFormat.isRowPage(key)) {
          if (key == PageFormat.DENSE_PAGE && !withSlots) {
            throw new UserException("--savepoint " + savepoint + ": model " + model.key
                + " has dense layers (" + signature.getOrDefault(prefix + "model.type",
                signature.getOrDefault("model.type", "a deep model")) + "), which are exported"
                + " with their optimizer slots only; export it --with-slots", 2);
          }
          List<Float> into = key == PageFormat.BOOK_PAGE ? book
              : key == PageFormat.DENSE_PAGE ? dense : null;
          if (withSlots && into != null) {
            for (float f : page) {
              into.add(f);
            }
          }
          continue;
        }
        pageFormat = PageFormat.version(PageFormat.stamps(page));
        PageRows.rows(key, page, rowSize, withSlots ? PageRows.whole(rowSize)
            : PageRows.weights(width, 1 + slots), rows);
      }
      JsonNode learner = learners.path(candidate);
      Map<String, String> resolved = new LinkedHashMap<>(runtime);
      if (auditVersion >= 2) {
        learner.path("resolved").fields()
            .forEachRemaining(e -> resolved.put(e.getKey(), e.getValue().asText()));
      }
      ModelMeta meta = model.meta;
      Map<String, String> properties = new LinkedHashMap<>();
      properties.put("savepoint", savepoint);
      properties.put("topics", provenance.getOrDefault(Provenance.TOPICS, ""));
      out.add(ModelSnapshot.newBuilder()
          .setModelKey(model.key)
          .setCandidate(candidate)
          .setCreatedAt(now)
          .setSchemaVersion(SnapshotFiles.SCHEMA_VERSION)
          .setCodeVersion(provenance.getOrDefault(Provenance.CODE_VERSION, ""))
          .setModelStep(meta == null ? 0 : meta.step)
          .setModel(component(learner.path("model"), signature.getOrDefault(prefix
              + "model.type", signature.getOrDefault("model.type", "unknown"))))
          .setOptimizer(component(learner.path("optimizer"),
              signature.getOrDefault(prefix + "optimizer.name", "unknown")))
          .setSchedule(learner.has("schedule") ? component(learner.path("schedule"), "") : null)
          .setOtherComponents(others(learner, provenance))
          .setRowLayout(layoutText)
          .setDataOffsets(offsets)
          .setProperties(properties)
          .setWithSlots(withSlots)
          .setRowFloats(withSlots ? rowSize : width)
          .setWeightsPerRow(width)
          .setPageFormat(pageFormat)
          .setConfiguration(provenance.getOrDefault(Provenance.CONFIGURATION, ""))
          .setAuditVersion(auditVersion)
          .setConfigurationDefaults(defaults)
          .setConfigurationNotes(notes)
          .setRuntime(resolved)
          .setConfigurationHistory(auditVersion >= 3 ? Provenance.history(provenance, model.key,
              meta == null ? 0 : meta.step).toString() : "")
          .setSource(provenance.getOrDefault(Provenance.SOURCE, ""))
          .setSignature(new LinkedHashMap<>(signature))
          .setSchemaVersions(versions)
          .setMissing(missing)
          .setSession(withSlots && meta != null ? session(meta) : null)
          .setBook(book)
          .setDense(dense)
          .setRows(rows)
          .build());
    }
    return out;
  }

  /** The model's floats per row, from its first page that holds a row; -1 if none does. */
  private static int rowSize(ModelState model) {
    for (int i = 0; i < model.pageKeys.length; i++) {
      if (PageFormat.isRowPage(model.pageKeys[i])) {
        int size = PageRows.rowSize(model.pageKeys[i], model.pages[i]);
        if (size > 0) {
          return size;
        }
      }
    }
    return -1;
  }

  /** The loss, gradient, drift and rows components. */
  private static List<Component> others(JsonNode learner, Map<String, String> provenance) {
    List<Component> others = new ArrayList<>();
    for (String name : List.of("loss", "gradient", "drift")) {
      if (learner.has(name)) {
        others.add(component(learner.path(name), name));
      }
    }
    if (provenance.containsKey(Provenance.ROWS)) {
      Map<String, String> rows = new LinkedHashMap<>();
      Iterator<Map.Entry<String, JsonNode>> it =
          Provenance.parse(provenance.get(Provenance.ROWS)).fields();
      it.forEachRemaining(e -> rows.put(e.getKey(), e.getValue().toString()));
      others.add(new Component("rows", rows));
    }
    return others;
  }

  /**
   * A component from the provenance's {@code {"name", "parameters"}}, each parameter's value as
   * JSON text; {@code fallback} names it when the provenance has none.
   */
  private static Component component(JsonNode node, String fallback) {
    Map<String, String> parameters = new LinkedHashMap<>();
    node.path("parameters").fields()
        .forEachRemaining(e -> parameters.put(e.getKey(), e.getValue().toString()));
    return new Component(node.path("name").asText(fallback), parameters);
  }

  private static SessionSnapshot session(ModelMeta m) {
    return new SessionSnapshot(m.step, m.scored, m.scheduleStartStep, m.scheduleStartMillis,
        doubles(m.standardizer), doubles(m.metrics), m.sinceReport, m.windowStartMillis,
        m.lastEventTime, doubles(m.detector), m.boostStartStep, m.drifts,
        m.pendingDrifts == null ? List.of() : Arrays.stream(m.pendingDrifts).boxed().toList(),
        doubles(m.batch),
        m.batchRows == null ? List.of() : Arrays.stream(m.batchRows).boxed().toList(),
        m.batchRate, m.changesDue);
  }

  private static List<Double> doubles(double[] a) {
    return a == null ? List.of() : Arrays.stream(a).boxed().toList();
  }
}
