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
import io.gradflow.flink.TrainerOperator;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.learn.LearnerSpec;
import io.gradflow.model.DeepModelSpec;
import io.gradflow.model.DenseBackends;
import io.gradflow.schedule.ScheduleClock;
import io.gradflow.schema.Codecs;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
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
  public static final int CURRENT_AUDIT_VERSION = 2;
  public static final String CODE_VERSION = "code_version";
  public static final String LEARNERS = "learners";
  public static final String ROWS = "rows";
  public static final String TOPICS = "topics";
  public static final String CONFIGURATION = "configuration";
  public static final String CONFIGURATION_DEFAULTS = "configuration_defaults";
  public static final String CONFIGURATION_NOTES = "configuration_notes";
  public static final String SCHEMA_VERSIONS = "schema_versions";
  /** Every entry a complete provenance of version 1 holds. */
  public static final List<String> ENTRIES =
      List.of(CODE_VERSION, LEARNERS, ROWS, TOPICS, CONFIGURATION, SCHEMA_VERSIONS);
  /** The entries version 2 adds (besides the trainer's {@code runtime.} entries). */
  public static final List<String> VERSION_2_ENTRIES =
      List.of(AUDIT_VERSION, CONFIGURATION_DEFAULTS, CONFIGURATION_NOTES);

  static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private Provenance() {}

  /**
   * The provenance of a job's trainer.
   *
   * @param checkpointDirectory where the job's checkpoints go, as the job resolved it (its
   *     configured {@code checkpoints.directory} or the default under {@code java.io.tmpdir}):
   *     the configuration records the value in force
   */
  public static Map<String, String> of(TrainConfig config, String checkpointDirectory) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put(AUDIT_VERSION, String.valueOf(CURRENT_AUDIT_VERSION));
    p.put(CODE_VERSION, CodeVersion.current());
    ObjectNode learners = NODES.objectNode();
    config.candidates().forEach((name, spec) -> learners.set(name, learner(spec)));
    p.put(LEARNERS, learners.toString());
    p.put(ROWS, value(config.trainer().rows().parameters()).toString());
    ObjectNode topics = NODES.objectNode();
    if (config.kafka() != null) {
      topics.put("examples", config.kafka().topics().examples());
      if (config.labels().delayed()) {
        topics.put("labels", config.kafka().topics().labels());
      }
    }
    p.put(TOPICS, topics.toString());
    List<ConfigReport.Entry> settings = resolved(config, checkpointDirectory);
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
    if (e.json() == null || e.value().startsWith(e.json() + " (")
        || (e.key().equals(CHECKPOINTS_DIRECTORY) && !e.value().equals(e.json()))) {
      return e.value();
    }
    return null;
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
        JsonNode next = at.get(parts[i]);
        at = next == null ? at.putObject(parts[i]) : next instanceof ObjectNode o ? o : null;
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
}
