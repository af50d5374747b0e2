package io.gradflow.jobs.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.gradflow.jobs.config.TrainConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every manifest in {@code deploy/kubernetes/} against the schema the API server would apply: the
 * CRDs of the Flink Kubernetes Operator 1.15.0 ({@code FlinkDeployment}) and Strimzi 1.2.0
 * ({@code KafkaTopic}), and the Kubernetes 1.34 core schemas ({@code ConfigMap}, {@code Secret},
 * {@code PersistentVolumeClaim}), all kept in {@code src/test/resources/kubernetes-schemas/} with
 * their sources ({@code SOURCES.md}). Schemas are made strict, as the server's {@code Strict}
 * field validation is: an unknown field is an error. Then the pieces that must agree: the job's
 * YAML in the ConfigMap is a valid Gradflow configuration, the job's {@code --config} is where the
 * ConfigMap is mounted, and every Secret, ConfigMap and claim a pod uses is among the manifests.
 * The negative tests prove a typo'd field and a wrong type are rejected.
 */
class KubernetesManifestsTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Path MANIFESTS = projectRoot().resolve("deploy/kubernetes");

  /** Schemas by "apiVersion/kind". */
  private static final Map<String, Schema> SCHEMAS = loadSchemas();

  @TempDir
  Path temp;

  @Test
  void everyManifestMatchesItsSchema() throws IOException {
    List<JsonNode> docs = manifests();
    List<String> kinds = docs.stream().map(d -> d.path("kind").asText()).distinct().toList();
    assertTrue(kinds.containsAll(List.of("FlinkDeployment", "KafkaTopic", "ConfigMap", "Secret",
        "PersistentVolumeClaim")), "kinds " + kinds);
    for (JsonNode doc : docs) {
      List<String> errors = validate(doc);
      assertTrue(errors.isEmpty(), name(doc) + ": " + errors);
    }
  }

  @Test
  void theFlinkDeploymentIsWhatTheRunbookSays() throws IOException {
    JsonNode spec = single("FlinkDeployment").path("spec");
    assertEquals("v2_2", spec.path("flinkVersion").asText());
    assertEquals("savepoint", spec.path("job").path("upgradeMode").asText());
    JsonNode conf = spec.path("flinkConfiguration");
    for (String key : List.of("execution.checkpointing.dir",
        "execution.checkpointing.savepoint-dir", "high-availability.storageDir")) {
      assertTrue(conf.path(key).asText().startsWith("file:///flink-data/"), key);
    }
    assertEquals("kubernetes", conf.path("high-availability.type").asText());
    assertEquals("org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
        conf.path("metrics.reporter.prom.factory.class").asText());
    for (String part : List.of("jobManager", "taskManager")) {
      assertTrue(spec.path(part).path("resource").path("memory").isTextual(), part);
      assertTrue(spec.path(part).path("resource").path("cpu").isNumber(), part);
    }
  }

  @Test
  void theJobsConfigurationIsAValidGradflowConfigurationWhereTheJobReadsIt() throws IOException {
    JsonNode deployment = single("FlinkDeployment").path("spec");
    List<String> args = new ArrayList<>();
    deployment.path("job").path("args").forEach(a -> args.add(a.asText()));
    Path config = Path.of(args.get(args.indexOf("--config") + 1));

    JsonNode container = deployment.path("podTemplate").path("spec").path("containers").get(0);
    String volume = null;
    for (JsonNode mount : container.path("volumeMounts")) {
      if (config.startsWith(mount.path("mountPath").asText())) {
        volume = mount.path("name").asText();
      }
    }
    assertTrue(volume != null, "no volume is mounted at " + config.getParent());
    String configMap = null;
    for (JsonNode v : deployment.path("podTemplate").path("spec").path("volumes")) {
      if (v.path("name").asText().equals(volume)) {
        configMap = v.path("configMap").path("name").asText();
      }
    }
    JsonNode map = byName("ConfigMap", configMap);
    String yaml = map.path("data").path(config.getFileName().toString()).asText();
    assertFalse(yaml.isEmpty(), "ConfigMap " + configMap + " has no " + config.getFileName());

    Path copy = temp.resolve("job.yaml");
    Files.writeString(copy, yaml);
    TrainConfig train = TrainConfig.load(copy);
    assertEquals(deployment.path("job").path("parallelism").asInt(), train.parallelism(),
        "job.parallelism and the FlinkDeployment's parallelism");
    assertEquals(deployment.path("flinkConfiguration").path("execution.checkpointing.dir")
        .asText(), train.state().checkpointDirectory(), "checkpoints.directory");
    // The credentials are references, resolved in the pod; the pod has those variables.
    String jaas = train.kafka().properties().get("sasl.jaas.config");
    List<String> env = new ArrayList<>();
    container.path("env").forEach(e -> env.add(e.path("name").asText()));
    for (String variable : List.of("KAFKA_USERNAME", "KAFKA_PASSWORD")) {
      assertTrue(jaas.contains("${env:" + variable + "}"), jaas);
      assertTrue(env.contains(variable), variable + " in " + env);
    }
    // Every changelog topic is compacted, and every topic the job names is a KafkaTopic.
    for (String topic : train.kafka().topics().all()) {
      byName("KafkaTopic", topic);
    }
    assertEquals("compact", byName("KafkaTopic", train.kafka().topics().changelog())
        .path("spec").path("config").path("cleanup.policy").asText());
  }

  @Test
  void everySecretConfigMapAndClaimThePodsUseIsAManifest() throws IOException {
    JsonNode pod = single("FlinkDeployment").path("spec").path("podTemplate").path("spec");
    for (JsonNode v : pod.path("volumes")) {
      if (v.has("configMap")) {
        byName("ConfigMap", v.path("configMap").path("name").asText());
      }
      if (v.has("persistentVolumeClaim")) {
        byName("PersistentVolumeClaim",
            v.path("persistentVolumeClaim").path("claimName").asText());
      }
    }
    for (JsonNode e : pod.path("containers").get(0).path("env")) {
      JsonNode ref = e.path("valueFrom").path("secretKeyRef");
      if (!ref.isMissingNode()) {
        JsonNode secret = byName("Secret", ref.path("name").asText());
        assertTrue(secret.path("stringData").has(ref.path("key").asText()), ref.toString());
      }
    }
  }

  // Negative tests: the validation rejects what the API server would reject.

  @Test
  void aMisspelledFieldIsRejected() throws IOException {
    ObjectNode d = single("FlinkDeployment").deepCopy();
    ObjectNode job = (ObjectNode) d.path("spec").path("job");
    job.set("upgardeMode", job.remove("upgradeMode"));
    assertRejected(d, "upgardeMode");

    ObjectNode c = single("ConfigMap").deepCopy();
    c.set("datas", c.remove("data"));
    assertRejected(c, "datas");

    ObjectNode pod = single("FlinkDeployment").deepCopy();
    ObjectNode container = (ObjectNode) pod.path("spec").path("podTemplate").path("spec")
        .path("containers").get(0);
    container.set("volumeMount", container.remove("volumeMounts"));
    assertRejected(pod, "volumeMount");
  }

  @Test
  void aWrongTypeOrValueIsRejected() throws IOException {
    ObjectNode d = single("FlinkDeployment").deepCopy();
    ((ObjectNode) d.path("spec").path("job")).put("parallelism", "four");
    assertRejected(d, "parallelism");

    ObjectNode v = single("FlinkDeployment").deepCopy();
    ((ObjectNode) v.path("spec")).put("flinkVersion", "v2_9");
    assertRejected(v, "flinkVersion");

    ObjectNode t = byName("KafkaTopic", "changelog").deepCopy();
    ((ObjectNode) t.path("spec")).put("partitions", "eight");
    assertRejected(t, "partitions");

    ObjectNode claim = single("PersistentVolumeClaim").deepCopy();
    ((ArrayNode) claim.path("spec").path("accessModes")).add(3);
    assertRejected(claim, "accessModes");
  }

  @Test
  void anUnknownKindOrApiVersionIsRejected() throws IOException {
    ObjectNode t = byName("KafkaTopic", "examples").deepCopy();
    t.put("apiVersion", "kafka.strimzi.io/v1beta3");
    assertRejected(t, "no schema");
  }

  private static void assertRejected(JsonNode doc, String named) {
    List<String> errors = validate(doc);
    assertFalse(errors.isEmpty(), "accepted: " + doc);
    assertTrue(errors.stream().anyMatch(e -> e.contains(named)), named + " not in " + errors);
  }

  // ---------------------------------------------------------------------------------------------

  /** The schema errors of one manifest, each with its instance location. */
  static List<String> validate(JsonNode doc) {
    String type = doc.path("apiVersion").asText() + "/" + doc.path("kind").asText();
    Schema schema = SCHEMAS.get(type);
    if (schema == null) {
      return List.of("no schema for " + type + " (known: " + SCHEMAS.keySet() + ")");
    }
    List<String> errors = new ArrayList<>();
    for (Error e : schema.validate(doc)) {
      errors.add(e.toString());
    }
    if (!doc.path("metadata").path("name").isTextual()) {
      errors.add("metadata.name is required");
    }
    return errors;
  }

  private static Map<String, Schema> loadSchemas() {
    try {
      SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_4);
      Map<String, Schema> schemas = new HashMap<>();
      JsonNode objectMeta = null;
      for (String core : List.of("configmap-v1", "secret-v1", "persistentvolumeclaim-v1")) {
        JsonNode schema = resource(core + ".json");
        objectMeta = schema.path("properties").path("metadata");
        String kind = schema.path("properties").path("kind").path("enum").get(0).asText();
        ObjectNode copy = strict(schema.deepCopy());
        // "http://json-schema.org/schema#" (the newest draft, unnamed): read as draft 4, which
        // is what openapi2jsonschema writes.
        copy.remove("$schema");
        schemas.put("v1/" + kind, registry.getSchema(copy));
      }
      for (String crd : List.of("flinkdeployments.flink.apache.org-v1.yml",
          "043-Crd-kafkatopic.yaml")) {
        JsonNode definition = resource(crd);
        String group = definition.path("spec").path("group").asText();
        String kind = definition.path("spec").path("names").path("kind").asText();
        for (JsonNode version : definition.path("spec").path("versions")) {
          if (!version.path("served").asBoolean(true)) {
            continue;
          }
          String apiVersion = group + "/" + version.path("name").asText();
          ObjectNode schema = strict(version.path("schema").path("openAPIV3Schema").deepCopy());
          // The API server checks these itself; a CRD's schema leaves them open.
          ObjectNode properties = (ObjectNode) schema.with("properties");
          properties.putObject("apiVersion").put("type", "string").putArray("enum")
              .add(apiVersion);
          properties.putObject("kind").put("type", "string").putArray("enum").add(kind);
          properties.set("metadata", objectMeta.deepCopy());
          schemas.put(apiVersion + "/" + kind, registry.getSchema(schema));
        }
      }
      return schemas;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The schema with {@code additionalProperties: false} on every object schema that lists its
   * properties and says nothing of others, except where unknown fields are to be kept.
   */
  static ObjectNode strict(ObjectNode schema) {
    boolean keepsUnknown = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
    if (schema.has("properties") && !schema.has("additionalProperties") && !keepsUnknown) {
      schema.put("additionalProperties", false);
    }
    for (Iterator<JsonNode> it = schema.path("properties").elements(); it.hasNext(); ) {
      strictIfObject(it.next());
    }
    strictIfObject(schema.path("items"));
    strictIfObject(schema.path("additionalProperties"));
    for (String list : List.of("allOf", "anyOf", "oneOf")) {
      schema.path(list).forEach(KubernetesManifestsTest::strictIfObject);
    }
    return schema;
  }

  private static void strictIfObject(JsonNode node) {
    if (node instanceof ObjectNode o) {
      strict(o);
    }
  }

  private static JsonNode resource(String name) throws IOException {
    try (InputStream in = KubernetesManifestsTest.class.getResourceAsStream(
        "/kubernetes-schemas/" + name)) {
      if (in == null) {
        throw new IOException("missing test resource kubernetes-schemas/" + name);
      }
      return YAML.readTree(in);
    }
  }

  private static List<JsonNode> manifests() throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    try (Stream<Path> files = Files.list(MANIFESTS)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        try (var it = YAML.readerFor(JsonNode.class).<JsonNode>readValues(file.toFile())) {
          while (it.hasNext()) {
            JsonNode doc = it.next();
            if (doc != null && !doc.isMissingNode() && !doc.isNull()) {
              docs.add(doc);
            }
          }
        }
      }
    }
    if (docs.isEmpty()) {
      fail("no manifests in " + MANIFESTS);
    }
    return docs;
  }

  private static JsonNode single(String kind) throws IOException {
    List<JsonNode> of = manifests().stream().filter(d -> d.path("kind").asText().equals(kind))
        .toList();
    assertEquals(1, of.size(), kind + " manifests");
    return of.get(0);
  }

  private static JsonNode byName(String kind, String name) throws IOException {
    return manifests().stream().filter(d -> d.path("kind").asText().equals(kind)
            && d.path("metadata").path("name").asText().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " named " + name + " in "
            + MANIFESTS));
  }

  private static String name(JsonNode doc) {
    return doc.path("kind").asText() + " " + doc.path("metadata").path("name").asText();
  }

  private static Path projectRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isDirectory(dir.resolve("deploy/kubernetes"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException("no deploy/kubernetes above " + Path.of("").toAbsolutePath());
    }
    return dir;
  }
}
