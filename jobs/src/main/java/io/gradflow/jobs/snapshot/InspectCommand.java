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
import io.gradflow.schema.FeatureHashing;
import io.gradflow.schema.ModelSnapshot;
import io.gradflow.schema.SnapshotRow;
import io.gradflow.schema.TopicPartitionOffset;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplit;

/**
 * {@code gradflow inspect model.avro [--rows N]}: prints a snapshot's provenance as one JSON
 * document on stdout (the audit record): per model key its {@code audit_version}, its components
 * with every parameter under its configuration name and its value as configured, the row layout,
 * the input offsets, the job configuration, the signature, the schema and code versions, what the
 * savepoint did not record, and with {@code --rows N} its first N rows.
 *
 * <p>Row ids are hashes ({@link FeatureHashing}): an entity's row cannot be read back to its id.
 * {@code --entity TYPE=ID}, {@code --feature NAMESPACE=NAME} and
 * {@code --feature-index NAMESPACE=N} (each may repeat) look rows up by what they mean: each
 * model gets {@code lookups}, one object per request in the order given, with the request, its
 * {@code row_id} and, when the model has that row, its {@code values} (and {@code stamp});
 * {@code "found": false} otherwise. A feature's row depends on the model's
 * {@code model.hash_bits} (read from its signature); an entity's does not.
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
      Flag.of("rows", Type.LONG, "0", "print the first N rows of each model too"),
      Flag.repeated("entity", "TYPE=ID",
          "print the row of this entity (user=42), for example a user's embedding"),
      Flag.repeated("feature", "NAMESPACE=NAME",
          "print the row of this hashed feature (a CSV column's category: country=DE)"),
      Flag.repeated("feature-index", "NAMESPACE=N",
          "print the row of this indexed feature (LibSVM's index N, in its namespace)"));
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private InspectCommand() {}

  public static int run(List<String> args, InputStream in, PrintStream out, PrintStream err)
      throws Exception {
    if (args.isEmpty() || args.get(0).startsWith("--")) {
      throw new Command.UsageException("give the snapshot file first: gradflow inspect"
          + " model.avro [--rows N] [--entity TYPE=ID] [--feature NAMESPACE=NAME]");
    }
    Flag.Values flags = Flag.parse(FLAGS, args.subList(1, args.size()));
    long rows = flags.longValue("rows", 0);
    List<Lookup> lookups = new ArrayList<>();
    for (String e : flags.all("entity")) {
      lookups.add(Lookup.parse("entity", e));
    }
    for (String f : flags.all("feature")) {
      lookups.add(Lookup.parse("feature", f));
    }
    for (String f : flags.all("feature-index")) {
      lookups.add(Lookup.parse("feature-index", f));
    }
    List<ModelSnapshot> snapshots = SnapshotFiles.read("snapshot", Path.of(args.get(0)));
    ObjectNode doc = NODES.objectNode();
    doc.put("file", args.get(0));
    ArrayNode models = doc.putArray("models");
    for (ModelSnapshot s : snapshots) {
      ObjectNode m = describe(s, rows);
      if (!lookups.isEmpty()) {
        m.set("lookups", lookUp(s, lookups));
      }
      models.add(m);
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
      ObjectNode offset = offsets.addObject().put("topic", o.getTopic())
          .put("partition", o.getPartition()).put("offset", o.getOffset());
      String sentinel = offsetSentinel(o.getOffset());
      if (sentinel != null) {
        offset.put("offset_means", sentinel);
      }
    }
    m.set("configuration", s.getConfiguration().isEmpty() ? NODES.nullNode()
        : Provenance.parse(s.getConfiguration()));
    if (s.getAuditVersion() >= 2) {
      ArrayNode defaults = m.putArray("configuration_defaults");
      s.getConfigurationDefaults().forEach(defaults::add);
      m.set("configuration_notes", strings(s.getConfigurationNotes()));
      m.set("runtime", strings(s.getRuntime()));
    }
    if (s.getAuditVersion() >= 3) {
      m.set("source", s.getSource().isEmpty() ? NODES.nullNode()
          : Provenance.parse(s.getSource()));
      m.set("configuration_history", s.getConfigurationHistory().isEmpty()
          ? NODES.arrayNode() : Provenance.parse(s.getConfigurationHistory()));
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
        putRow(r, all.get(i), s.getPageFormat());
      }
    }
    return m;
  }

  /**
   * What a negative offset of the Kafka source's split state means (the connector's sentinels,
   * {@code KafkaPartitionSplit}): the source had read nothing from that partition, and a restore
   * starts it as the sentinel says; null for a real offset.
   */
  static String offsetSentinel(long offset) {
    if (offset >= 0) {
      return null;
    }
    if (offset == KafkaPartitionSplit.EARLIEST_OFFSET) {
      return "earliest: nothing read from this partition yet; a restore starts at its"
          + " earliest record";
    }
    if (offset == KafkaPartitionSplit.LATEST_OFFSET) {
      return "latest: nothing read from this partition yet; a restore starts at its end";
    }
    if (offset == KafkaPartitionSplit.COMMITTED_OFFSET) {
      return "committed: nothing read from this partition yet; a restore starts at the"
          + " group's committed offset";
    }
    return "no position recorded for this partition";
  }

  /**
   * A row asked for by what it means.
   *
   * @param kind {@code entity}, {@code feature} or {@code feature-index}
   * @param space the entity type or the feature's namespace
   * @param name the entity id, the feature's name or its index
   */
  record Lookup(String kind, String space, String name) {
    static Lookup parse(String kind, String value) {
      int eq = value.indexOf('=');
      String form = kind.equals("entity") ? "TYPE=ID" : kind.equals("feature")
          ? "NAMESPACE=NAME" : "NAMESPACE=N";
      if (eq <= 0) {
        throw new Command.UsageException("--" + kind + " takes " + form + ", but was '" + value
            + "'");
      }
      String name = value.substring(eq + 1);
      if (kind.equals("feature-index")) {
        try {
          Long.parseLong(name);
        } catch (NumberFormatException ex) {
          throw new Command.UsageException("--feature-index takes NAMESPACE=N with N an integer,"
              + " but was '" + value + "'");
        }
      }
      return new Lookup(kind, value.substring(0, eq), name);
    }

    /** The row id, given the model's {@code model.hash_bits} (null: not recorded). */
    long rowId(Integer hashBits) {
      if (kind.equals("entity")) {
        return FeatureHashing.entityRow(space, name);
      }
      if (hashBits == null) {
        throw new Command.UsageException("the snapshot's signature records no model.hash_bits,"
            + " so a feature's row cannot be computed (--entity needs none)");
      }
      FeatureHashing hashing = new FeatureHashing(hashBits);
      return kind.equals("feature") ? hashing.feature(space, name)
          : hashing.feature(space, Long.parseLong(name));
    }
  }

  /** One object per lookup, in order: the request, its row id, and the row's values if held. */
  static ArrayNode lookUp(ModelSnapshot s, List<Lookup> lookups) {
    String bits = s.getSignature().get("model.hash_bits");
    Integer hashBits = bits == null ? null : Integer.valueOf(bits);
    Map<Long, SnapshotRow> byId = new HashMap<>();
    for (SnapshotRow r : s.getRows()) {
      byId.put(r.getRowId(), r);
    }
    ArrayNode out = NODES.arrayNode();
    for (Lookup l : lookups) {
      long id = l.rowId(hashBits);
      ObjectNode o = out.addObject();
      o.put(l.kind(), l.space() + "=" + l.name());
      o.put("row_id", id);
      SnapshotRow r = byId.get(id);
      o.put("found", r != null);
      if (r != null) {
        putRow(o, r, s.getPageFormat());
      }
    }
    return out;
  }

  private static void putRow(ObjectNode o, SnapshotRow r, int pageFormat) {
    ArrayNode values = o.putArray("values");
    r.getValues().forEach(values::add);
    if (pageFormat == 2) {
      o.put("stamp", r.getStamp());
    }
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
