// Writes provenance-v1.json: the trainer's provenance.v1 map as main wrote it before the audit
// record's version 2 (commit a46c2b1), for ProvenanceVersionsTest's savepoint of an older job.
// Run from the repository root with main's classes, not this branch's:
//   java -Dgradflow.code_version="git a46c2b1" -cp "jobs/target/classes:operators/target/classes:schemas/target/classes:jobs/target/lib/*" \
//     jobs/src/test/resources/io/gradflow/jobs/snapshot/MakeProvenanceV1.java > provenance-v1.json
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.snapshot.Provenance;

public class MakeProvenanceV1 {
  public static void main(String[] args) throws Exception {
    TrainConfig config = TrainConfig.fromYaml(
        "kafka:\n"
        + "  bootstrap_servers: localhost:9092\n"
        + "  properties: {security.protocol: SASL_SSL, sasl.jaas.config: \"secret-jaas\"}\n"
        + "optimizer: {name: Adam, lr: 0.05, betas: [0.9, 0.999]}\n"
        + "schedule: {type: step, step_size: 1000, gamma: 0.5}\n"
        + "gradient: {clip_value: 5}\n");
    System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
        .writeValueAsString(Provenance.of(config)));
  }
}
