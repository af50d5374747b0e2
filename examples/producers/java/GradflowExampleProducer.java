import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import io.gradflow.schema.Label;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A feature team's own Java producer of Gradflow examples: plain {@code kafka-clients} and the
 * Avro classes generated from {@code schemas/src/main/avro} (the {@code gradflow-schemas} jar, or
 * your own build of the {@code .avsc} files with {@code avro-maven-plugin}). No Gradflow producer
 * library, no Schema Registry.
 *
 * <ul>
 *   <li>value: {@code Example.getEncoder().encode(example)}, Avro's {@code BinaryMessageEncoder}:
 *       single-object encoding ({@code C3 01}, the schema's 8-byte CRC-64-AVRO fingerprint,
 *       the binary body), which the job resolves by fingerprint;</li>
 *   <li>key: the model key in UTF-8 ({@code default} for the job's default model), so a model's
 *       examples stay in order on one partition;</li>
 *   <li>record timestamp: the example's {@code event_time};</li>
 *   <li>idempotent ({@code enable.idempotence=true}, {@code acks=all}).</li>
 * </ul>
 *
 * <p>Run it from the source file (Java 17), with the schemas classes, Avro (and its Jackson and
 * SLF4J) and kafka-clients on the class path, for example the job jar that {@code ./mvnw package}
 * builds:
 * <pre>
 * java -cp jobs/target/gradflow-jobs-0.1.0-SNAPSHOT-flink.jar \
 *     examples/producers/java/GradflowExampleProducer.java \
 *     --bootstrap-servers localhost:9092 --topic examples --count 1000 --models ctr-de,ctr-fr
 * </pre>
 * {@code --delayed-labels} sends the examples without labels and then each label as a
 * {@link Label} on {@code --labels-topic} (the job needs {@code labels.delayed: true}).
 */
public class GradflowExampleProducer {
  private static final String[] COUNTRIES = {"DE", "FR", "US", "GB", "JP", "BR", "IN", "ES"};
  private static final String[] DEVICES = {"mobile", "desktop", "tablet"};

  public static void main(String[] args) throws Exception {
    String servers = null;
    String topic = "examples";
    String labelsTopic = "labels";
    boolean delayedLabels = false;
    int count = 1000;
    String[] models = {"default"};
    String idPrefix = "java-";
    long seed = 7;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--bootstrap-servers" -> servers = args[++i];
        case "--topic" -> topic = args[++i];
        case "--labels-topic" -> labelsTopic = args[++i];
        case "--delayed-labels" -> delayedLabels = true;
        case "--count" -> count = Integer.parseInt(args[++i]);
        case "--models" -> models = args[++i].split(",");
        case "--id-prefix" -> idPrefix = args[++i];
        case "--seed" -> seed = Long.parseLong(args[++i]);
        default -> {
          System.err.println("unknown argument " + args[i] + "; see the class comment");
          System.exit(2);
        }
      }
    }
    if (servers == null) {
      System.err.println("--bootstrap-servers is required");
      System.exit(2);
    }

    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    Random random = new Random(seed);
    double[] country = random.doubles(COUNTRIES.length).map(x -> 2 * x - 1).toArray();
    double[] device = random.doubles(DEVICES.length).map(x -> 2 * x - 1).toArray();
    long start = System.currentTimeMillis() - count * 1000L;
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    List<ProducerRecord<byte[], byte[]>> labels = new ArrayList<>();
    int positives = 0;
    try (KafkaProducer<byte[], byte[]> producer =
             new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < count; i++) {
        String model = models[i % models.length];
        int c = random.nextInt(COUNTRIES.length);
        int d = random.nextInt(DEVICES.length);
        double z = country[c] + device[d] - 0.5;
        float label = random.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1f : 0f;
        positives += (int) label;
        long eventTime = start + i * 1000L;
        String id = idPrefix + i;
        // null model_key: the job's default model, whose records are keyed "default".
        String modelKey = model.equals("default") ? null : model;
        Example example = Example.newBuilder()
            .setExampleId(id)
            .setEventTime(Instant.ofEpochMilli(eventTime))
            .setModelKey(modelKey)
            .setFeatures(List.of(
                Feature.newBuilder().setNamespace("country").setName(COUNTRIES[c]).build(),
                Feature.newBuilder().setNamespace("device").setName(DEVICES[d]).build()))
            .setLabel(delayedLabels ? null : label)
            .build();
        byte[] key = model.getBytes(StandardCharsets.UTF_8);
        sent.add(producer.send(new ProducerRecord<>(topic, null, eventTime, key,
            bytes(Example.getEncoder().encode(example)))));
        if (delayedLabels) {
          long observed = eventTime + 30_000; // the outcome, seen 30 s after the example
          Label l = Label.newBuilder().setExampleId(id).setModelKey(modelKey)
              .setEventTime(Instant.ofEpochMilli(observed)).setLabel(label).build();
          labels.add(new ProducerRecord<>(labelsTopic, null, observed, key,
              bytes(Label.getEncoder().encode(l))));
        }
      }
      for (ProducerRecord<byte[], byte[]> r : labels) {
        sent.add(producer.send(r));
      }
      producer.flush();
      for (Future<RecordMetadata> f : sent) {
        f.get(); // throws when the broker refused a record
      }
    }
    System.out.println("sent " + count + " examples to " + topic
        + (labels.isEmpty() ? "" : " and " + labels.size() + " labels to " + labelsTopic)
        + " (" + positives + " positive), keyed by model: " + String.join(",", models));
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }
}
