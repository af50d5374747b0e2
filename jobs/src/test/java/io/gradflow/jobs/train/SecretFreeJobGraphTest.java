package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.config.TrainConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The train job's graph, as Flink submits it (and keeps it in the HA storage), holds the
 * {@code ${file:...}} and {@code ${env:...}} references of {@code kafka.properties} and never the
 * values they resolve to: every source (readers, enumerator, the bounded end's admin client) and
 * sink resolves them when its Kafka client is created. No broker: building the graph connects to
 * nothing.
 */
class SecretFreeJobGraphTest {
  @TempDir
  Path temp;

  @Test
  void theSerializedJobGraphHoldsTheReferencesAndNoSecret() throws Exception {
    String password = "pw-" + UUID.randomUUID();
    String user = "user-" + UUID.randomUUID();
    Path credentials = temp.resolve("client.properties");
    Files.writeString(credentials, "username=" + user + "\npassword=" + password + "\n");
    String passwordReference = "${file:" + credentials + ":password}";
    // PATH is set wherever the test runs; its value is not a secret but must not appear either.
    String path = System.getenv("PATH");
    TrainConfig config = TrainConfig.fromYaml(String.join("\n",
        "job: {name: secret-free}",
        "kafka:",
        "  bootstrap_servers: localhost:9092",
        "  bounded: latest",
        "  properties:",
        "    security.protocol: SASL_SSL",
        "    sasl.mechanism: SCRAM-SHA-512",
        "    sasl.jaas.config: 'org.apache.kafka.common.security.scram.ScramLoginModule required"
            + " username=\"${file:" + credentials + ":username}\" password=\""
            + passwordReference + "\";'",
        "    ssl.truststore.password: '${env:PATH}'",
        "labels: {delayed: true}",
        "changelog: {every: 100}",
        "optimizer: {name: Adagrad, lr: 0.1}",
        ""));

    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    TrainJob.configure(env, config);
    TrainJob.build(env, config);
    StreamGraph streamGraph = env.getStreamGraph();
    JobGraph jobGraph = streamGraph.getJobGraph();
    byte[] bytes = InstantiationUtil.serializeObject(jobGraph);

    assertFalse(contains(bytes, password), "the password is in the serialized job graph");
    assertFalse(contains(bytes, user), "the user name is in the serialized job graph");
    assertFalse(path.length() > 8 && contains(bytes, path), "an ${env:...} value is in the graph");
    // The properties are in the graph (so the absence above means something): the references,
    // and the providers that resolve them.
    assertTrue(contains(bytes, passwordReference), "the reference is not in the job graph");
    assertTrue(contains(bytes, "org.apache.kafka.common.config.provider.FileConfigProvider"));
    assertTrue(contains(bytes, "org.apache.kafka.common.config.provider.EnvVarConfigProvider"));
  }

  private static boolean contains(byte[] haystack, String needle) {
    byte[] n = needle.getBytes(StandardCharsets.UTF_8);
    outer:
    for (int i = 0; i + n.length <= haystack.length; i++) {
      for (int j = 0; j < n.length; j++) {
        if (haystack[i + j] != n[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
