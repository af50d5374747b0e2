package io.gradflow.jobs.kafka;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.cli.UserException;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What {@link KafkaPreflight} says when no broker answers, for a job's YAML and for a flag. */
class KafkaPreflightTest {

  private static String unreachable(String serversSetting) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    KafkaSpec spec = KafkaSpec.of("localhost:" + port);
    UserException e = assertThrows(UserException.class,
        () -> KafkaPreflight.connect(spec, Duration.ofSeconds(1), serversSetting).close());
    return e.getMessage();
  }

  @Test
  void aJobsYamlIsToldOfKafkaProperties() throws Exception {
    String m = unreachable("kafka.bootstrap_servers");
    assertTrue(m.startsWith("no Kafka broker answered at kafka.bootstrap_servers (localhost:"), m);
    assertTrue(m.endsWith("(and the security settings in kafka.properties)"), m);
  }

  @Test
  void aFlagIsToldOfKafkaPropertyFlags() throws Exception {
    String m = unreachable("--bootstrap-servers");
    assertTrue(m.startsWith("no Kafka broker answered at --bootstrap-servers (localhost:"), m);
    assertTrue(m.endsWith("(and the security settings in --kafka-property (or kafka.properties"
        + " with --config))"), m);
  }
}
