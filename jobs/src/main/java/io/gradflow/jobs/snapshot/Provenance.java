package io.gradflow.jobs.snapshot;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradflow.config.ConfigReport;
import io.gradflow.config.Durations;
import io.gradflow.config.Secrets;
import io.gradflow.config.Section;
import io.gradflow.config.TrainSettings;
import io.gradflow.flink.ProvenanceCarry;
import io.gradflow.flink.TrainerOperator;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.learn.LearnerSpec;
import io.gradflow.model.DeepModelSpec;
import io.gradflow.model.DenseBackends;
import io.gradflow.schedule.ScheduleClock;
import io.gradflow.schema.Codecs;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.specific.SpecificData;

/**
 * How a model is trained, as the trainer keeps it in its savepoints ({@code provenance.v1},
 * {@link TrainerOperator}) and {@code gradflow export} records it: a map of a few entries, each a
 * JSON document.
 *
 * <ul>
 *   <li>{@value #AUDIT_VERSION}: the form of this record, {@value #CURRENT_AUDIT_VERSION} (absent
 *       in savepoints of jobs before it: version 1, whose {@value #CONFIGURATION} holds every
 *       value as text and which has none of the entries below marked "version 2");
 *   <li>{@value #CODE_VERSION}: {@link CodeVersion#current()} (a plain string);
 *   <li>{@value #LEARNERS}: per race candidate ({@code ""} without a race) its components, each
 *       {@code {"name": configName(), "parameters": parameters()}} as the specs state them
 *       ({@code ModelSpec}, {@code Loss}, {@code OptimizerSpec}, {@code ScheduleSpec} with its
 *       clock, {@code GradientSpec}, {@code DriftPolicy}, standardization), so a new optimizer's
 *       hyper-parameters are recorded without a change here; since version 2 the schedule's
 *       {@code clock} is spelled as the job file spells it ({@code step}, {@code event_time};
 *       version 1 wrote {@code model_step}), and {@code resolved} holds what the learner decides
 *       from its configuration ({@code dense_backend}: what {@code auto} chose, for deep models);
 *       a savepoint written by {@code bootstrap} holds {@code resolved} alone, from each
 *       snapshot's own runtime ({@link #bootstrappedLearners});
 *   <li>{@value #ROWS}: the {@code rows} policy's parameters;
 *   <li>{@value #TOPICS}: the input topics ({@code examples}, and {@code labels} when delayed
 *       labels are joined);
 *   <li>{@value #CONFIGURATION}: the whole validated job configuration under the job file's
 *       keys, every declared setting with the value in force (defaults included, as
 *       {@code train --validate-only} shows them), values that may hold a secret masked; since
 *       version 2 each value typed by its setting's declaration ({@link
 *       io.gradflow.config.Setting#json}): numbers, booleans, lists as arrays, maps as objects,
 *       durations in the job file's spelling ({@code "10s"}), null for a setting without a value
 *       ({@code kafka.bounded: none}), {@value io.gradflow.config.SettingType#MASK} for a secret,
 *       derived defaults resolved ({@code model.loss}, {@code kafka.transactional_id_prefix},
 *       {@code checkpoints.directory});
 *   <li>{@value #CONFIGURATION_DEFAULTS} (version 2): the full keys ({@code optimizer.eps}) of
 *       the settings the job file left at their default, in the configuration's order;
 *   <li>{@value #CONFIGURATION_NOTES} (version 2): per full key, the text {@code --validate-only}
 *       shows where it says more than the value ({@code "model.loss": "logistic (labels in [0,
 *       1])"}, a derived default's rule);
 *   <li>{@value #SCHEMA_VERSIONS}: the trainer's state versions and the page format, and the
 *       parsing fingerprint of every Avro record schema of this code;
 *   <li>{@code runtime.flink_version}, {@code runtime.java_version}, {@code
 *       runtime.java_vendor} (version 2): added by the trainer where it runs, by each subtask;
 *       values that differ between subtasks are all kept ({@link #merge}).
 * </ul>
 *
 * <p>Names: the typed sections and the configuration use the job file's words. A component's
 * {@code name} is the value of the job file's selector ({@code optimizer.name},
 * {@code schedule.type}, {@code model.type}; the component field keeps the name {@code name},
 * which version 1 gave it), a warm-up's {@code then} is the job file's nested schedule with its
 * {@code type}, and the run-time entries are named after the setting they resolve
 * ({@code dense_backend}) or as {@code <software>_version}.
 *
 * <p>Stateless; thread-safe.
 */
public final class Provenance {
  public static final String AUDIT_VERSION = "audit_version";
  /** The form of the audit record this code writes; 1 is the form before it had a version. */
  public static final int CURRENT_AUDIT_VERSION = 4;
  public static final String CODE_VERSION = "code_version";
  public static final String LEARNERS = "learners";
  public static final String ROWS = "rows";
  public static final String TOPICS = "topics";
  public static final String CONFIGURATION = "configuration";
  public static final String CONFIGURATION_DEFAULTS = "configuration_defaults";
  public static final String CONFIGURATION_NOTES = "configuration_notes";
  public static final String SCHEMA_VERSIONS = "schema_versions";
  /**
   * Version 3: the configurations in force before the current one, oldest first (at most
   * {@value #MAX_HISTORY}), each as {@link #segment} wrote it; absent while none changed.
   */
  public static final String CONFIGURATION_HISTORY = "configuration_history";

  /** Version 3: how the segment in force began (the restore, the settings it changed). */
  public static final String SEGMENT_BEGAN = "segment_began";
  /** Version 3: where the examples came from ({@code train}'s topics, {@code evaluate}'s file). */
  public static final String SOURCE = "source";
  /** The most earlier configurations the history keeps; older ones are dropped. */
  public static final int MAX_HISTORY = 100;
  /** Every entry a complete provenance of version 1 holds. */
  public static final List<String> ENTRIES =
      List.of(CODE_VERSION, LEARNERS, ROWS, TOPICS, CONFIGURATION, SCHEMA_VERSIONS);
  /** The entries version 2 adds (besides the trainer's {@code runtime.} entries). */
  public static final List<String> VERSION_2_ENTRIES =
      List.of(AUDIT_VERSION, CONFIGURATION_DEFAULTS, CONFIGURATION_NOTES);

  static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  /** A list element's part of a key: {@code race[1]}. */
  private static final Pattern ELEMENT = Pattern.compile("(.+)\\[(\\d+)]");

  private Provenance() {}

  /**
   * The provenance of a job's trainer.
   *
   * @param checkpointDirectory where the job's checkpoints go, as the job resolved it (its
   *     configured {@code checkpoints.directory} or the default under {@code java.io.tmpdir}):
   *     the configuration records the value in force
   */
  public static Map<String, String> of(TrainConfig config, String checkpointDirectory) {
    return of(config, checkpointDirectory, null);
  }

  /**
   * @param source where the examples come from ({@link #evaluateSource}), or null for the job's
   *     Kafka topics ({@code {"command": "train", "topics": ...}})
   */
  public static Map<String, String> of(TrainConfig config, String checkpointDirectory,
      ObjectNode source) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put(AUDIT_VERSION, String.valueOf(CURRENT_AUDIT_VERSION));
    p.put(CODE_VERSION, CodeVersion.current());
    ObjectNode learners = NODES.objectNode();
    config.candidates().forEach((name, spec) -> learners.set(name, learner(spec)));
    p.put(LEARNERS, learners.toString());
    p.put(ROWS, value(config.trainer().rows().parameters()).toString());
    ObjectNode topics = NODES.objectNode();
    boolean evaluate = source != null && source.path("command").asText().equals("evaluate");
    if (config.kafka() != null && !evaluate) { // evaluate reads a file, no topic
      topics.put("examples", config.kafka().topics().examples());
      if (config.labels().delayed()) {
        topics.put("labels", config.kafka().topics().labels());
      }
    }
    p.put(TOPICS, topics.toString());
    if (source == null) {
      source = NODES.objectNode();
      source.put("command", "train");
      source.set("topics", topics);
    }
    p.put(SOURCE, source.toString());
    List<ConfigReport.Entry> settings = resolved(config, checkpointDirectory);
    if (evaluate) {
      // Not in force on a file: recorded as notes, not as values the model was trained with.
      List<ConfigReport.Entry> inForce = new ArrayList<>();
      for (ConfigReport.Entry e : settings) {
        if (ignoredByEvaluate(e.key())) {
          inForce.add(new ConfigReport.Entry(e.key(), IGNORED_BY_EVALUATE + " (" + e.value()
              + ")", e.isDefault(), null));
        } else {
          inForce.add(e);
        }
      }
      settings = inForce;
    }
    p.put(CONFIGURATION, typedConfiguration(settings).toString());
    ArrayNode defaults = NODES.arrayNode();
    ObjectNode notes = NODES.objectNode();
    for (ConfigReport.Entry e : settings) {
      if (e.isDefault()) {
        defaults.add(e.key());
      }
      String note = note(e);
      if (note != null) {
        notes.put(e.key(), note);
      }
    }
    p.put(CONFIGURATION_DEFAULTS, defaults.toString());
    p.put(CONFIGURATION_NOTES, notes.toString());
    ObjectNode versions = NODES.objectNode();
    versions.put("trainer state", String.join(", ", TrainerOperator.PAGES_STATE,
        TrainerOperator.META_STATE, TrainerOperator.SIGNATURE_STATE,
        TrainerOperator.PROVENANCE_STATE));
    versions.put("page format", String.valueOf(config.trainer().rows().pageFormat()));
    for (var type : Codecs.RECORD_TYPES) {
      var schema = SpecificData.get().getSchema(type);
      versions.put(schema.getName(), String.format("%016x",
          SchemaNormalization.parsingFingerprint64(schema)));
    }
    p.put(SCHEMA_VERSIONS, versions.toString());
    return p;
  }

  /**
   * The configuration's entries with the defaults that are decided when the job is built put in:
   * {@code checkpoints.directory} (the job's resolved {@code checkpointDirectory}).
   */
  private static List<ConfigReport.Entry> resolved(TrainConfig config,
      String checkpointDirectory) {
    List<ConfigReport.Entry> out = new ArrayList<>();
    for (ConfigReport.Entry e : config.settings()) {
      out.add(e.json() == null && e.key().equals(CHECKPOINTS_DIRECTORY)
          ? new ConfigReport.Entry(e.key(), e.value(), e.isDefault(), checkpointDirectory)
          : e);
    }
    return out;
  }

  /**
   * What {@code --validate-only} says of a setting beyond its typed value, or null: a setting
   * without a value ({@code none}), a described value ({@code logistic (labels in [0, 1])}), a
   * default resolved here (its rule, {@code $TMPDIR/gradflow-checkpoints/<job name>}).
   */
  private static String note(ConfigReport.Entry e) {
    if (e.value().startsWith(IGNORED_BY_EVALUATE)) {
      return e.value();
    }
    if (e.json() == null || e.value().startsWith(e.json() + " (")
        || (e.key().equals(CHECKPOINTS_DIRECTORY) && !e.value().equals(e.json()))) {
      return e.value();
    }
    return null;
  }

  /** The note of a setting {@code evaluate} does not use (its value is recorded as null). */
  static final String IGNORED_BY_EVALUATE = "not in force: evaluate ignores it";

  /** The settings {@code evaluate} ignores: checkpoints and the job's parallelism. */
  static boolean ignoredByEvaluate(String key) {
    return key.startsWith("checkpoints.") || key.equals("job.parallelism");
  }

  /**
   * The source record of a model trained by {@code evaluate} on a file: {@code {"command":
   * "evaluate", "file" (as given), "path" (absolute), "size_bytes", "format", "flags": {the
   * file's flags as given}, "count"}}; {@code path} and {@code size_bytes} are null for stdin
   * ({@code -}), {@code size_bytes} also when the file is not a regular one (a named pipe) or
   * cannot be read (the run then refuses it).
   */
  public static ObjectNode evaluateSource(String file, String format, Map<String, String> flags,
      Long count) {
    ObjectNode s = NODES.objectNode();
    s.put("command", "evaluate");
    s.put("file", file);
    java.nio.file.Path path = file.equals("-") ? null : java.nio.file.Path.of(file)
        .toAbsolutePath().normalize();
    s.put("path", path == null ? null : path.toString());
    Long size = null;
    // a regular file only: a pipe (<(zcat ...)) or a device has no size to record
    if (path != null && java.nio.file.Files.isRegularFile(path)) {
      try {
        size = java.nio.file.Files.size(path);
      } catch (java.io.IOException | SecurityException unreadable) {
        // no size: the file is refused when it is opened, with its own message
      }
    }
    s.put("size_bytes", size);
    s.put("format", format);
    ObjectNode f = s.putObject("flags");
    flags.forEach(f::put);
    if (count == null) {
      s.putNull("count");
    } else {
      s.put("count", count.longValue());
    }
    return s;
  }

  private static final String CHECKPOINTS_DIRECTORY = Section.key("checkpoints",
      TrainSettings.CHECKPOINTS_DIRECTORY.name());

  /**
   * Version 2's configuration: {@link #configuration}'s nesting, each value its typed
   * {@link ConfigReport.Entry#json}.
   */
  static ObjectNode typedConfiguration(List<ConfigReport.Entry> settings) {
    return nest(settings, e -> JSON.valueToTree(e.json()));
  }

  /**
   * A job file's configuration in the audit record's form ({@value #CONFIGURATION}: typed, under
   * the job file's keys, defaults included, secrets masked), for records kept outside a
   * savepoint ({@code validate}'s JSON). Unlike a job's record it resolves nothing where it runs:
   * a {@code checkpoints.directory} left at its default is null (the job decides it where it
   * runs), so the same file gives the same configuration on any machine.
   */
  public static ObjectNode configurationOf(TrainConfig config) {
    return typedConfiguration(config.settings());
  }

  /**
   * The job's effective configuration as nested objects under the job file's own keys
   * ({@code kafka.topics.examples} is {@code {"kafka": {"topics": {"examples": ...}}}}), every
   * value as the configuration shows it, defaults included, secrets masked.
   */
  static ObjectNode configuration(List<ConfigReport.Entry> settings) {
    return nest(settings, e -> NODES.textNode(e.value()));
  }

  private static ObjectNode nest(List<ConfigReport.Entry> settings,
      Function<ConfigReport.Entry, JsonNode> value) {
    ObjectNode root = NODES.objectNode();
    for (ConfigReport.Entry e : settings) {
      String[] parts = e.key().split("\\.");
      ObjectNode at = root;
      for (int i = 0; i < parts.length - 1 && at != null; i++) {
        at = child(at, parts[i]);
      }
      // A key that is a value and also holds keys under it keeps its full name at the top.
      if (at == null || at.get(parts[parts.length - 1]) instanceof ObjectNode) {
        root.set(e.key(), value.apply(e));
      } else {
        at.set(parts[parts.length - 1], value.apply(e));
      }
    }
    return root;
  }

  /**
   * The object under {@code part} of {@code at}, made when missing; a list element's part
   * ({@code race[1]}) is the element of the list {@code race}, as in the job file. Null where the
   * part is a value already.
   */
  private static ObjectNode child(ObjectNode at, String part) {
    Matcher element = ELEMENT.matcher(part);
    if (element.matches()) {
      JsonNode list = at.get(element.group(1));
      ArrayNode elements = list == null ? at.putArray(element.group(1))
          : list instanceof ArrayNode a ? a : null;
      int index = Integer.parseInt(element.group(2));
      if (elements == null) {
        return null;
      }
      while (elements.size() <= index) {
        elements.addObject();
      }
      return elements.get(index) instanceof ObjectNode o ? o : null;
    }
    JsonNode next = at.get(part);
    return next == null ? at.putObject(part) : next instanceof ObjectNode o ? o : null;
  }

  /** A learner's components, from the specs' own names and parameters. */
  static ObjectNode learner(LearnerSpec spec) {
    ObjectNode l = NODES.objectNode();
    ObjectNode model = component(spec.model().configName(spec.loss()),
        spec.model().parameters());
    ((ObjectNode) model.get("parameters")).put("standardize", spec.standardize());
    ((ObjectNode) model.get("parameters")).put("standardize_clip", spec.standardizeClip());
    l.set("model", model);
    // Named by its role like gradient and drift; the configured value is model.loss's.
    l.set("loss", component("loss", Map.of("loss", spec.loss().configName())));
    l.set("optimizer", component(spec.optimizer().configName(), spec.optimizer().parameters()));
    ObjectNode schedule = component(spec.schedule().configName(), spec.schedule().parameters());
    // The job file's spelling (schedule.clock), as the configuration section shows it.
    ((ObjectNode) schedule.get("parameters")).put("clock",
        spec.clock() == ScheduleClock.EVENT_TIME ? "event_time" : "step");
    l.set("schedule", schedule);
    l.set("gradient", component("gradient", spec.gradient().parameters()));
    l.set("drift", component("drift", spec.drift().parameters()));
    ObjectNode resolved = l.putObject("resolved");
    if (spec.model() instanceof DeepModelSpec deep) {
      resolved.put("dense_backend", DenseBackends.resolve(deep).configName());
    }
    return l;
  }

  private static ObjectNode component(String name, Map<String, Object> parameters) {
    ObjectNode c = NODES.objectNode();
    c.put("name", name);
    c.set("parameters", value(parameters));
    return c;
  }

  /**
   * A value as JSON: records by their components (snake_case), maps, collections, enums (lower
   * case), durations (configuration spelling, zero as {@code "0s"} as in the configuration),
   * numbers, booleans, strings; anything else by its {@code toString}. A map entry whose key may
   * name a secret is masked: for parameters and settings only, never for the record's own maps
   * (the notes' keys are configuration keys).
   */
  static JsonNode value(Object v) {
    if (v == null) {
      return NODES.nullNode();
    } else if (v instanceof Boolean b) {
      return NODES.booleanNode(b);
    } else if (v instanceof Integer || v instanceof Long || v instanceof Short) {
      return NODES.numberNode(((Number) v).longValue());
    } else if (v instanceof Number n) {
      return NODES.numberNode(n.doubleValue());
    } else if (v instanceof CharSequence s) {
      return NODES.textNode(s.toString());
    } else if (v instanceof Duration d) {
      return NODES.textNode(d.isZero() ? "0s" : Durations.format(d));
    } else if (v instanceof Enum<?> e) {
      return NODES.textNode(e.name().toLowerCase(Locale.ROOT));
    } else if (v instanceof Map<?, ?> m) {
      ObjectNode o = NODES.objectNode();
      m.forEach((k, x) -> o.set(String.valueOf(k), Secrets.mayHoldSecret(String.valueOf(k))
          ? NODES.textNode("(masked)") : value(x)));
      return o;
    } else if (v instanceof Collection<?> c) {
      ArrayNode a = NODES.arrayNode();
      c.forEach(x -> a.add(value(x)));
      return a;
    } else if (v.getClass().isRecord()) {
      RecordComponent[] components = v.getClass().getRecordComponents();
      if (components.length == 0) {
        return NODES.textNode(snake(v.getClass().getSimpleName()));
      }
      ObjectNode o = NODES.objectNode();
      for (RecordComponent c : components) {
        try {
          c.getAccessor().setAccessible(true);
          o.set(snake(c.getName()), value(c.getAccessor().invoke(v)));
        } catch (ReflectiveOperationException e) {
          o.put(snake(c.getName()), "(unreadable)");
        }
      }
      return o;
    }
    return NODES.textNode(v.toString());
  }

  private static String snake(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
  }

  /**
   * The audit version of a stored provenance: its {@value #AUDIT_VERSION} entry, or 1 when it
   * has none (a job before the record was versioned; also a savepoint without provenance).
   */
  static int auditVersion(Map<String, String> provenance) {
    try {
      return Integer.parseInt(provenance.getOrDefault(AUDIT_VERSION, "1").trim());
    } catch (NumberFormatException e) {
      return 1;
    }
  }

  /**
   * What version 2 adds to a provenance, read back from a snapshot (for a savepoint that
   * {@code bootstrap} writes from it, so that its export is the same version); empty for a
   * snapshot of audit version 1.
   */
  static Map<String, String> version2Entries(io.gradflow.schema.ModelSnapshot s) {
    Map<String, String> p = new LinkedHashMap<>();
    if (s.getAuditVersion() < 2) {
      return p;
    }
    p.put(AUDIT_VERSION, String.valueOf(s.getAuditVersion()));
    // As data, not through value(): no masking of the record's own keys ("*.key" is no secret).
    p.put(CONFIGURATION_DEFAULTS, JSON.valueToTree(s.getConfigurationDefaults()).toString());
    p.put(CONFIGURATION_NOTES, JSON.valueToTree(s.getConfigurationNotes()).toString());
    s.getRuntime().forEach((k, v) -> {
      if (!k.equals(DENSE_BACKEND)) { // a learner's, not the task's: in learners (bootstrap)
        p.put(TrainerOperator.RUNTIME_PREFIX + k, v);
      }
    });
    return p;
  }

  /**
   * What a savepoint written from snapshots ({@code bootstrap}) records of its learners: per
   * race candidate ({@code ""} without a race), {@code {"resolved": {"dense_backend": ...}}} from
   * that candidate's snapshots' own runtime (the distinct values joined, {@link #join}, should
   * they differ); null when no snapshot is of audit version 2. The components are not rebuilt
   * (export lists {@value #LEARNERS} as missing for it, {@link #hasComponents}).
   */
  static String bootstrappedLearners(List<io.gradflow.schema.ModelSnapshot> snapshots) {
    Map<String, TreeSet<String>> backends = new LinkedHashMap<>();
    boolean typed = false;
    for (io.gradflow.schema.ModelSnapshot s : snapshots) {
      if (s.getAuditVersion() < 2) {
        continue;
      }
      typed = true;
      TreeSet<String> values = backends.computeIfAbsent(s.getCandidate(), c -> new TreeSet<>());
      String backend = s.getRuntime().get(DENSE_BACKEND);
      if (backend != null) {
        values.add(backend);
      }
    }
    if (!typed) {
      return null;
    }
    ObjectNode learners = NODES.objectNode();
    backends.forEach((candidate, values) -> {
      ObjectNode resolved = learners.putObject(candidate).putObject("resolved");
      if (!values.isEmpty()) {
        resolved.put(DENSE_BACKEND, String.join(JOINED, values));
      }
    });
    return learners.toString();
  }

  /** Whether a stored {@value #LEARNERS} entry holds components (a trained job's does). */
  static boolean hasComponents(JsonNode learners) {
    for (JsonNode l : learners) {
      if (l.has("model")) {
        return true;
      }
    }
    return false;
  }

  /** Separates the distinct values of one run-time entry that differ across subtasks. */
  static final String JOINED = ", ";

  /**
   * One provenance from the trainer's subtasks' copies (union state: one map per subtask, the
   * job's entries the same in each). A {@value TrainerOperator#RUNTIME_PREFIX} entry, which each
   * subtask records where it runs and which may differ (task managers on different Java
   * versions), is its distinct values in their natural order joined by {@value #JOINED}
   * ({@code "17.0.9, 21.0.2"}), whatever order the subtasks came in; any other entry is its
   * first copy's value. Entries keep the order of their first appearance.
   */
  static Map<String, String> merge(Collection<? extends Map<String, String>> copies) {
    Map<String, String> merged = new LinkedHashMap<>();
    Map<String, TreeSet<String>> runtime = new LinkedHashMap<>();
    for (Map<String, String> copy : copies) {
      copy.forEach((k, v) -> {
        merged.putIfAbsent(k, v);
        if (k.startsWith(TrainerOperator.RUNTIME_PREFIX)) {
          runtime.computeIfAbsent(k, x -> new TreeSet<>()).add(v);
        }
      });
    }
    runtime.forEach((k, v) -> merged.put(k, String.join(JOINED, v)));
    return merged;
  }

  /** The runtime entry of what {@code model.dense_backend: auto} chose. */
  static final String DENSE_BACKEND = "dense_backend";

  /** Parses an entry's JSON, or a JSON string of its text when it is not JSON (code_version). */
  static JsonNode parse(String text) {
    try {
      return JSON.readTree(text);
    } catch (JsonProcessingException e) {
      return NODES.textNode(text);
    }
  }

  /** A setting whose value differs between two records: its full key and both values. */
  public record Change(String key, JsonNode before, JsonNode after) {
    /** {@code optimizer.lr 0.001 -> 0.01}. */
    @Override
    public String toString() {
      return key + " " + text(before) + " -> " + text(after);
    }
  }

  /** A value as a person reads it: text as is, a list {@code [0.9, 0.99]}, none as absent. */
  static String text(JsonNode v) {
    if (v == null || v.isMissingNode()) {
      return "(absent)";
    } else if (v.isTextual()) {
      return v.asText();
    } else if (v.isArray()) {
      List<String> items = new ArrayList<>();
      v.forEach(x -> items.add(text(x)));
      return "[" + String.join(", ", items) + "]";
    }
    return v.toString();
  }

  /**
   * The settings whose values differ between a stored record's configuration and another's, in
   * the order of {@code to}'s keys, then those only {@code from} has. A record of audit version 1
   * (values as text) is compared by text, spaces ignored. Secrets are compared as masked. A
   * setting only one record has and that record left at its default is not a change: a newer
   * release's new setting (or an older one's retired setting) at its default is the release's
   * doing, and {@link #carry} begins a segment for a change of release ({@value #CODE_VERSION})
   * of its own.
   */
  public static List<Change> changes(Map<String, String> from, Map<String, String> to) {
    Map<String, JsonNode> before = flat(parse(from.getOrDefault(CONFIGURATION, "{}")));
    Map<String, JsonNode> after = flat(parse(to.getOrDefault(CONFIGURATION, "{}")));
    boolean byText = auditVersion(from) < 2 || auditVersion(to) < 2;
    Set<String> beforeDefaults = defaults(from);
    Set<String> afterDefaults = defaults(to);
    List<Change> out = new ArrayList<>();
    after.forEach((k, v) -> {
      JsonNode b = before.get(k);
      if (b == null ? !afterDefaults.contains(k) : !same(b, v, byText)) {
        out.add(new Change(k, b, v));
      }
    });
    before.forEach((k, v) -> {
      if (!after.containsKey(k) && !beforeDefaults.contains(k)) {
        out.add(new Change(k, v, null));
      }
    });
    return out;
  }

  /** The keys a record's {@value #CONFIGURATION_DEFAULTS} lists (none before version 2). */
  private static Set<String> defaults(Map<String, String> record) {
    Set<String> keys = new HashSet<>();
    parse(record.getOrDefault(CONFIGURATION_DEFAULTS, "[]")).forEach(k -> keys.add(k.asText()));
    return keys;
  }

  private static boolean same(JsonNode a, JsonNode b, boolean byText) {
    if (!byText) {
      return a.equals(b) || (a.isNumber() && b.isNumber()
          && a.asDouble() == b.asDouble());
    }
    return text(a).replace(" ", "").equals(text(b).replace(" ", ""));
  }

  /**
   * A configuration's values by full key ({@code optimizer.lr}); a list of objects (a race) by
   * its elements' keys ({@code race[1].optimizer.lr}, as records of audit version 3 and earlier
   * named them as keys, so both forms compare equal), other lists are values.
   */
  static Map<String, JsonNode> flat(JsonNode configuration) {
    Map<String, JsonNode> out = new LinkedHashMap<>();
    flat("", configuration, out);
    return out;
  }

  private static void flat(String prefix, JsonNode node, Map<String, JsonNode> out) {
    if (node instanceof ObjectNode o && (prefix.isEmpty() || o.size() > 0)) {
      o.fields().forEachRemaining(e -> flat(prefix.isEmpty() ? e.getKey()
          : prefix + "." + e.getKey(), e.getValue(), out));
    } else if (node instanceof ArrayNode a && !a.isEmpty() && !prefix.isEmpty()
        && a.get(0) instanceof ObjectNode) {
      for (int i = 0; i < a.size(); i++) {
        flat(prefix + "[" + i + "]", a.get(i), out);
      }
    } else if (!prefix.isEmpty()) {
      out.put(prefix, node);
    }
  }

  /**
   * How the trainer's record takes over a restored one ({@link #carry}): serializable, it goes
   * with the operator.
   *
   * @param restoredFrom the savepoint or checkpoint the job restores, when known
   */
  public record Carry(String restoredFrom) implements ProvenanceCarry {
    @Override
    public Map<String, String> carry(List<Map<String, String>> restored,
        Map<String, String> own) {
      return Provenance.carry(restored, own, restoredFrom, Instant.now());
    }
  }

  /**
   * The job's record {@code own} taking over the {@code restored} one (its subtasks' copies).
   * Without a restored record (a new job, or a savepoint from before provenance) it is
   * {@code own}. When the restored configuration equals the job's and the same release
   * ({@value #CODE_VERSION}) restores it, the history and the segment in force go on. When
   * either differs, the restored record becomes the newest entry of
   * {@value #CONFIGURATION_HISTORY} ({@link #segment}: its configuration, code version, run time,
   * source, and how it began), the oldest beyond {@value #MAX_HISTORY} are dropped, and a new
   * segment begins ({@value TrainerOperator#SEGMENT_ENTRY} one more; {@value #SEGMENT_BEGAN}: the
   * time, the savepoint, the changed settings). The trainer then records each model key's step as
   * it begins the segment. A restored record without history (older savepoints) starts one.
   */
  static Map<String, String> carry(List<Map<String, String>> copies, Map<String, String> own,
      String restoredFrom, Instant now) {
    Map<String, String> out = new LinkedHashMap<>(own);
    Map<String, String> prev = merge(copies);
    if (prev.isEmpty() || !prev.containsKey(CONFIGURATION)) {
      return out;
    }
    JsonNode stored = parse(prev.getOrDefault(CONFIGURATION_HISTORY, "[]"));
    ArrayNode history = stored instanceof ArrayNode a ? a : NODES.arrayNode();
    long segment = TrainerOperator.segmentOf(prev);
    List<Change> changed = changes(prev, own);
    // Another release restoring the savepoint begins a segment too, so the history says which
    // release trained which steps even when no setting changed.
    boolean sameRelease = java.util.Objects.equals(prev.get(CODE_VERSION), own.get(CODE_VERSION));
    if (changed.isEmpty() && sameRelease) {
      if (segment > 0) {
        out.put(TrainerOperator.SEGMENT_ENTRY, Long.toString(segment));
        out.put(CONFIGURATION_HISTORY, history.toString());
        if (prev.containsKey(SEGMENT_BEGAN)) {
          out.put(SEGMENT_BEGAN, prev.get(SEGMENT_BEGAN));
        }
        keepSegmentSteps(prev, out, 0);
      }
      return out;
    }
    history.add(segment(prev, segment));
    while (history.size() > MAX_HISTORY) {
      history.remove(0);
    }
    long oldest = history.get(0).path("segment").asLong();
    keepSegmentSteps(prev, out, oldest);
    out.put(TrainerOperator.SEGMENT_ENTRY, Long.toString(segment + 1));
    ObjectNode began = NODES.objectNode();
    began.put("restored_at", now.toString());
    if (restoredFrom == null) {
      began.putNull("savepoint");
    } else {
      began.put("savepoint", restoredFrom);
    }
    ObjectNode c = began.putObject("changed");
    for (Change ch : changed) {
      ObjectNode x = c.putObject(ch.key());
      x.set("before", ch.before() == null ? NODES.nullNode() : ch.before());
      x.set("after", ch.after() == null ? NODES.nullNode() : ch.after());
    }
    out.put(SEGMENT_BEGAN, began.toString());
    out.put(CONFIGURATION_HISTORY, history.toString());
    return out;
  }

  /** Copies the recorded segment starts of segments from {@code oldest} on. */
  private static void keepSegmentSteps(Map<String, String> prev, Map<String, String> out,
      long oldest) {
    prev.forEach((k, v) -> {
      String rest = k.startsWith(TrainerOperator.SEGMENT_STEP_PREFIX)
          ? k.substring(TrainerOperator.SEGMENT_STEP_PREFIX.length())
          : k.startsWith(TrainerOperator.SEGMENT_STEPS_DROPPED)
          ? k.substring(TrainerOperator.SEGMENT_STEPS_DROPPED.length()) : null;
      if (rest == null) {
        return;
      }
      int dot = rest.indexOf('.');
      try {
        if (Long.parseLong(dot < 0 ? rest : rest.substring(0, dot)) >= oldest) {
          out.put(k, v);
        }
      } catch (NumberFormatException e) {
        // not a segment entry
      }
    });
  }

  /**
   * One segment of the history as stored: {@code segment} (its number, 0 for the first),
   * {@code configuration} (typed, whole: an auditor reads what was in force without replaying
   * the changes), {@code audit_version}, {@code code_version}, {@code runtime}, {@code source},
   * and, for a segment begun at a restore, {@code began} ({@code restored_at}, {@code savepoint},
   * {@code changed}: per setting {@code before} and {@code after}).
   */
  static ObjectNode segment(Map<String, String> record, long number) {
    ObjectNode s = NODES.objectNode();
    s.put("segment", number);
    s.set("configuration", parse(record.getOrDefault(CONFIGURATION, "{}")));
    s.put("audit_version", auditVersion(record));
    s.put("code_version", record.getOrDefault(CODE_VERSION, ""));
    ObjectNode runtime = s.putObject("runtime");
    record.forEach((k, v) -> {
      if (k.startsWith(TrainerOperator.RUNTIME_PREFIX)) {
        runtime.put(k.substring(TrainerOperator.RUNTIME_PREFIX.length()), v);
      }
    });
    s.set("source", record.containsKey(SOURCE) ? parse(record.get(SOURCE))
        : legacySource(record));
    if (record.containsKey(SEGMENT_BEGAN)) {
      s.set("began", parse(record.get(SEGMENT_BEGAN)));
    }
    return s;
  }

  /** A record before {@value #SOURCE}: its topics, or null. */
  private static JsonNode legacySource(Map<String, String> record) {
    if (!record.containsKey(TOPICS)) {
      return NODES.nullNode();
    }
    ObjectNode s = NODES.objectNode();
    s.put("command", "train");
    s.set("topics", parse(record.get(TOPICS)));
    return s;
  }

  /**
   * A model key's configuration history, oldest first: every segment of the record (the
   * earlier ones of {@value #CONFIGURATION_HISTORY}, then the one in force) with the key's
   * {@code from_step} and {@code to_step} (the model steps the segment trained, [from, to)),
   * leaving out those in which the key did not train (from equals to) but the one in force. A
   * segment's start is the step the trainer recorded as the key began it, or, where the key was
   * not loaded during the segment, the next segment's start (its step did not move), the last
   * one's end being {@code finalStep}; null where a subtask could not record it (more than
   * {@value TrainerOperator#MAX_SEGMENT_STEPS} keys). A record whose configuration never changed
   * has one segment; one without a configuration none.
   */
  static ArrayNode history(Map<String, String> record, String modelKey, long finalStep) {
    ArrayNode out = NODES.arrayNode();
    if (!record.containsKey(CONFIGURATION)) {
      return out;
    }
    JsonNode stored = parse(record.getOrDefault(CONFIGURATION_HISTORY, "[]"));
    List<ObjectNode> segments = new ArrayList<>();
    stored.forEach(x -> segments.add(((ObjectNode) x).deepCopy()));
    Map<String, String> current = new LinkedHashMap<>(record);
    segments.add(segment(current, TrainerOperator.segmentOf(record)));
    Long next = finalStep;
    for (int i = segments.size() - 1; i >= 0; i--) {
      ObjectNode s = segments.get(i);
      long n = s.path("segment").asLong();
      String step = record.get(TrainerOperator.SEGMENT_STEP_PREFIX + n + "." + modelKey);
      Long start = n == 0 ? Long.valueOf(0) : step != null ? Long.valueOf(step)
          : record.containsKey(TrainerOperator.SEGMENT_STEPS_DROPPED + n) ? null : next;
      setStep(s, "to_step", next);
      setStep(s, "from_step", start);
      next = start;
    }
    for (int i = 0; i < segments.size(); i++) {
      ObjectNode s = segments.get(i);
      boolean empty = s.get("from_step").isNumber() && s.get("to_step").isNumber()
          && s.get("from_step").asLong() == s.get("to_step").asLong();
      if (!empty || i == segments.size() - 1) {
        out.add(s);
      }
    }
    return out;
  }

  private static void setStep(ObjectNode s, String field, Long step) {
    if (step == null) {
      s.putNull(field);
    } else {
      s.put(field, step.longValue());
    }
  }

  /**
   * A snapshot's history back in a record's form ({@code bootstrap}): the earlier segments (of
   * every snapshot, by number, without their steps), the segment in force and how it began, and
   * each model key's recorded start of every segment but the first.
   */
  static Map<String, String> historyEntries(List<io.gradflow.schema.ModelSnapshot> snapshots) {
    Map<String, String> p = new LinkedHashMap<>();
    java.util.TreeMap<Long, ObjectNode> earlier = new java.util.TreeMap<>();
    long current = -1;
    JsonNode began = null;
    for (io.gradflow.schema.ModelSnapshot s : snapshots) {
      JsonNode h = parse(s.getConfigurationHistory());
      if (!(h instanceof ArrayNode a) || a.isEmpty()) {
        continue;
      }
      for (int i = 0; i < a.size(); i++) {
        ObjectNode seg = ((ObjectNode) a.get(i)).deepCopy();
        long n = seg.path("segment").asLong();
        if (n > 0 && seg.get("from_step") != null && seg.get("from_step").isNumber()) {
          p.put(TrainerOperator.SEGMENT_STEP_PREFIX + n + "." + s.getModelKey(),
              seg.get("from_step").asText());
        }
        seg.remove("from_step");
        seg.remove("to_step");
        if (i == a.size() - 1) {
          current = Math.max(current, n);
          began = began == null ? seg.get("began") : began;
        } else {
          earlier.putIfAbsent(n, seg);
        }
      }
    }
    if (current < 0) {
      return Map.of();
    }
    ArrayNode history = NODES.arrayNode();
    final long now = current;
    earlier.forEach((n, seg) -> {
      if (n < now) {
        history.add(seg);
      }
    });
    p.put(TrainerOperator.SEGMENT_ENTRY, Long.toString(current));
    p.put(CONFIGURATION_HISTORY, history.toString());
    if (began != null) {
      p.put(SEGMENT_BEGAN, began.toString());
    }
    return p;
  }
}
