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
import io.gradflow.flink.TrainerOperator;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.learn.LearnerSpec;
import io.gradflow.schema.Codecs;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.specific.SpecificData;

/**
 * How a model is trained, as the trainer keeps it in its savepoints ({@code provenance.v1},
 * {@link TrainerOperator}) and {@code gradflow export} records it: a map of a few entries, each a
 * JSON document.
 *
 * <ul>
 *   <li>{@value #CODE_VERSION}: {@link CodeVersion#current()} (a plain string);
 *   <li>{@value #LEARNERS}: per race candidate ({@code ""} without a race) its components, each
 *       {@code {"name": configName(), "parameters": parameters()}} as the specs state them
 *       ({@code ModelSpec}, {@code Loss}, {@code OptimizerSpec}, {@code ScheduleSpec} with its
 *       clock, {@code GradientSpec}, {@code DriftPolicy}, standardization), so a new optimizer's
 *       hyper-parameters are recorded without a change here;
 *   <li>{@value #ROWS}: the {@code rows} policy's parameters;
 *   <li>{@value #TOPICS}: the input topics ({@code examples}, and {@code labels} when delayed
 *       labels are joined);
 *   <li>{@value #CONFIGURATION}: the whole validated job configuration under the job file's
 *       keys, every declared setting with the value in force (defaults included, as
 *       {@code train --validate-only} shows them), values that may hold a secret masked;
 *   <li>{@value #SCHEMA_VERSIONS}: the trainer's state versions and the page format, and the
 *       parsing fingerprint of every Avro record schema of this code.
 * </ul>
 *
 * <p>Stateless; thread-safe.
 */
public final class Provenance {
  public static final String CODE_VERSION = "code_version";
  public static final String LEARNERS = "learners";
  public static final String ROWS = "rows";
  public static final String TOPICS = "topics";
  public static final String CONFIGURATION = "configuration";
  public static final String SCHEMA_VERSIONS = "schema_versions";
  /** Every entry a complete provenance holds. */
  public static final List<String> ENTRIES =
      List.of(CODE_VERSION, LEARNERS, ROWS, TOPICS, CONFIGURATION, SCHEMA_VERSIONS);

  static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private Provenance() {}

  /** The provenance of a job's trainer. */
  public static Map<String, String> of(TrainConfig config) {
    Map<String, String> p = new LinkedHashMap<>();
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
    p.put(CONFIGURATION, configuration(config.settings()).toString());
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
   * The job's effective configuration as nested objects under the job file's own keys
   * ({@code kafka.topics.examples} is {@code {"kafka": {"topics": {"examples": ...}}}}), every
   * value as the configuration shows it, defaults included, secrets masked.
   */
  static ObjectNode configuration(List<ConfigReport.Entry> settings) {
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
        root.put(e.key(), e.value());
      } else {
        at.put(parts[parts.length - 1], e.value());
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
    ((ObjectNode) schedule.get("parameters")).put("clock",
        spec.clock().name().toLowerCase(Locale.ROOT));
    l.set("schedule", schedule);
    l.set("gradient", component("gradient", spec.gradient().parameters()));
    l.set("drift", component("drift", spec.drift().parameters()));
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
   * case), durations (configuration spelling), numbers, booleans, strings; anything else by its
   * {@code toString}. A map entry whose key may name a secret is masked.
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
      return NODES.textNode(Durations.format(d));
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

  /** Parses an entry's JSON, or a JSON string of its text when it is not JSON (code_version). */
  static JsonNode parse(String text) {
    try {
      return JSON.readTree(text);
    } catch (JsonProcessingException e) {
      return NODES.textNode(text);
    }
  }
}
