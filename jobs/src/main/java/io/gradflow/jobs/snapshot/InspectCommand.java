package io.gradflow.jobs.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradflow.jobs.cli.Command;
import io.gradflow.jobs.cli.Flag;
import io.gradflow.jobs.cli.Flag.Type;
import io.gradflow.schema.Component;
import io.gradflow.schema.ModelSnapshot;
import io.gradflow.schema.SnapshotRow;
import io.gradflow.schema.TopicPartitionOffset;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code gradflow inspect model.avro [--rows N]}: prints a snapshot's provenance as one JSON
 * document on stdout (the audit record): per model key its {@code audit_version}, its components
 * with every parameter under its configuration name and its value as configured, the row layout,
 * the input offsets, the job configuration, the signature, the schema and code versions, what the
 * savepoint did not record, and with {@code --rows N} its first N rows.
 *
 * <p>Audit version 1 (snapshots, and savepoints of jobs, before the record was versioned): the
 * configuration's values are text. Version 2: they are typed (numbers, booleans, arrays,
 * objects; text only for text), and {@code configuration_defaults} (the keys left at their
 * default), {@code configuration_notes} (a value's description, a derived default's rule) and
 * {@code runtime} ({@code flink_version}, {@code java_version}, {@code java_vendor},
 * {@code dense_backend}) are printed; they are absent in version 1.
 */
public final class InspectCommand {
  public static final String SUMMARY =
      "print a snapshot's provenance (how the model was trained) as JSON";
  public static final List<Flag> FLAGS = List.of(
      Flag.of("rows", Type.LONG, "0", "print the first N rows of each model too"));
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private InspectCommand() {}

  public static int run(List<String> args, InputStream in, PrintStream out, PrintStream err)
      throws Exception {
    if (args.isEmpty() || args.get(0).startsWith("--")) {
      throw new Command.UsageException("give the snapshot file first: gradflow inspect"
          + " model.avro [--rows N]");
    }
    Flag.Values flags = Flag.parse(FLAGS, args.subList(1, args.size()));
    long rows = flags.longValue("rows", 0);
    List<ModelSnapshot> snapshots = SnapshotFiles.read("snapshot", Path.of(args.get(0)));
    ObjectNode doc = NODES.objectNode();
    doc.put("file", args.get(0));
    ArrayNode models = doc.putArray("models");
    for (ModelSnapshot s : snapshots) {
      models.add(describe(s, rows));
    }
    out.println(Provenance.JSON.copy().enable(SerializationFeature.INDENT_OUTPUT)
        .writeValueAsString(doc));
    return 0;
  }

  static ObjectNode describe(ModelSnapshot s, long rows) {
    ObjectNode m = NODES.objectNode();
    m.put("model_key", s.getModelKey());
    m.put("candidate", s.getCandidate());
    m.put("created_at", s.getCreatedAt().toString());
    m.put("schema_version", s.getSchemaVersion());
    m.put("audit_version", s.getAuditVersion());
    m.put("code_version", s.getCodeVersion());
    m.put("model_step", s.getModelStep());
    m.set("model", component(s.getModel()));
    m.set("optimizer", component(s.getOptimizer()));
    m.set("schedule", s.getSchedule() == null ? NODES.nullNode() : component(s.getSchedule()));
    ObjectNode others = m.putObject("other_components");
    for (Component c : s.getOtherComponents()) {
      others.set(c.getName(), component(c));
    }
    m.put("row_layout", s.getRowLayout());
    m.put("with_slots", s.getWithSlots());
    m.put("page_format", s.getPageFormat());
    m.put("rows", s.getRows().size());
    ArrayNode offsets = m.putArray("data_offsets");
    for (TopicPartitionOffset o : s.getDataOffsets()) {
      offsets.addObject().put("topic", o.getTopic()).put("partition", o.getPartition())
          .put("offset", o.getOffset());
    }
    m.set("configuration", s.getConfiguration().isEmpty() ? NODES.nullNode()
        : Provenance.parse(s.getConfiguration()));
    if (s.getAuditVersion() >= 2) {
      ArrayNode defaults = m.putArray("configuration_defaults");
      s.getConfigurationDefaults().forEach(defaults::add);
      m.set("configuration_notes", strings(s.getConfigurationNotes()));
      m.set("runtime", strings(s.getRuntime()));
    }
    m.set("signature", strings(s.getSignature()));
    m.set("schema_versions", strings(s.getSchemaVersions()));
    m.set("properties", strings(s.getProperties()));
    ArrayNode missing = m.putArray("missing");
    s.getMissing().forEach(missing::add);
    if (rows > 0) {
      ArrayNode first = m.putArray("first_rows");
      List<SnapshotRow> all = s.getRows();
      for (int i = 0; i < Math.min(rows, all.size()); i++) {
        ObjectNode r = first.addObject();
        r.put("row_id", all.get(i).getRowId());
        ArrayNode values = r.putArray("values");
        all.get(i).getValues().forEach(values::add);
        if (s.getPageFormat() == 2) {
          r.put("stamp", all.get(i).getStamp());
        }
      }
    }
    return m;
  }

  /** A component with each parameter's value as configured (stored as JSON text). */
  private static ObjectNode component(Component c) {
    ObjectNode o = NODES.objectNode();
    o.put("name", c.getName());
    ObjectNode p = o.putObject("parameters");
    c.getParameters().forEach((k, v) -> p.set(k, Provenance.parse(v)));
    return o;
  }

  private static JsonNode strings(Map<String, String> map) {
    ObjectNode o = NODES.objectNode();
    new ArrayList<>(map.keySet()).forEach(k -> o.put(k, map.get(k)));
    return o;
  }
}
