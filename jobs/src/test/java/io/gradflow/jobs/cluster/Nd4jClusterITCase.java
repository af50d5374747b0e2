package io.gradflow.jobs.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.kafka.KafkaTestSupport;
import io.gradflow.jobs.kafka.TestBroker;
import io.gradflow.jobs.produce.DriftSpec;
import io.gradflow.jobs.produce.GradflowProducer;
import io.gradflow.jobs.produce.TabularGenerator;
import io.gradflow.schema.Prediction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ND4J's native libraries under Flink's user-code class loaders, on a session cluster of
 * separate JVMs: the job jar, with ND4J inside, trains a {@code wide_and_deep} model at batch
 * size 64 with {@code dense_backend: nd4j} from Kafka; it is stopped with a savepoint and
 * submitted again from it, to the same TaskManager (one JVM, so the second job's class loader
 * loads ND4J and its JNI libraries a second time while the first one's may still be alive), and
 * trains on. Every example of both runs is predicted once, and the restored run predicts better
 * than the base rate (its log loss below the entropy of its labels' mean).
 *
 * <p>With lib/ without ND4J (as a Flink distribution's), JavaCPP extracts the natives once per
 * job: into a cache directory named after the jar, and the TaskManager stores each submission's
 * jar under a new blob name, so each class loader loads its own copy (about 400 MB on disk,
 * kept). With ND4J in lib/, parent-first, they are extracted and loaded once per TaskManager.
 */
class Nd4jClusterITCase {
  /** Examples per run. */
  static final int EXAMPLES = 3_000;

  @TempDir
  Path temp;

  /** ND4J only in the job jar: each job extracts and loads its own copy of the natives. */
  @Test
  void nd4jInTheJobJarTrainsAgainAfterARestartOnTheSameTaskManager() throws Exception {
    Path cache = restartOnTheSameTaskManager(false);
    assertEquals(2, extractions(cache), "one extraction of ND4J's natives per job");
  }

  /** ND4J in lib/, parent-first: both jobs use the natives extracted and loaded once. */
  @Test
  void nd4jInLibTrainsAgainAfterARestartOnTheSameTaskManager() throws Exception {
    Path cache = restartOnTheSameTaskManager(true);
    assertEquals(1, extractions(cache), "one extraction of ND4J's natives per TaskManager");
  }

  /** Directories of the JavaCPP cache that hold ND4J's JNI library. */
  private static long extractions(Path cache) throws Exception {
    try (var files = Files.walk(cache)) {
      return files.filter(f -> f.getFileName().toString().equals("libjnind4jcpu.so")).count();
    }
  }

  /** Runs the scenario and returns the TaskManager's JavaCPP cache directory. */
  private Path restartOnTheSameTaskManager(boolean nd4jInLib) throws Exception {
    Path jar = FlinkRunITCase.jobJar();
    try (TestBroker kafka = TestBroker.start(
        Map.of("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000"))) {
      kafka.createTopics(1, "examples", "labels", "predictions", "metrics", "changelog",
          "dead-letters");
      TabularGenerator generator = new TabularGenerator(new TabularGenerator.Spec(23, 8, 2, 50,
          1.0, 0.5, -0.3, 1.0, false, 0.5, DriftSpec.NONE, null, 1_700_000_000_000L, 10));
      produce(kafka, generator, EXAMPLES);
      Path config = temp.resolve("job.yaml");
      Files.writeString(config, String.join("\n",
          "job: {name: nd4j-cluster, parallelism: 1}",
          "kafka:",
          "  bootstrap_servers: " + kafka.bootstrapServers(),
          "  group_id: nd4j-cluster",
          "  transactional_id_prefix: nd4j-cluster",
          "  transaction_timeout: 15s",
          "  topics: {examples: examples, labels: labels, predictions: predictions,"
              + " metrics: metrics, changelog: changelog, dead_letters: dead-letters}",
          "  starting_offsets: earliest",
          "model: {type: wide_and_deep, hash_bits: 18, inputs: 8, hidden: [32, 16], factors: 8,"
              + " batch_size: 64, batch_timeout: 1s, dense_backend: nd4j}",
          "optimizer: {name: Adagrad, lr: 0.1}",
          "checkpoints: {interval: 1s, directory: " + temp.resolve("checkpoints").toUri() + "}",
          ""));

      try (LocalFlinkCluster cluster = nd4jInLib
          ? LocalFlinkCluster.startWithNd4jInLib(temp.resolve("flink"), 2)
          : LocalFlinkCluster.start(temp.resolve("flink"), 2)) {
        String first = submit(cluster, jar, config);
        List<Prediction> firstRun = predictions(kafka, EXAMPLES, cluster);
        assertEquals(EXAMPLES, firstRun.size(), cluster.logs());

        LocalFlinkCluster.Result stop = cluster.flink(Duration.ofMinutes(1), "stop",
            "--savepointPath", temp.resolve("savepoints").toUri().toString(), first);
        Matcher savepoint = Pattern.compile("Savepoint completed\\. Path: (\\S+)")
            .matcher(stop.output());
        assertTrue(stop.code() == 0 && savepoint.find(), stop.output() + cluster.logs());

        produce(kafka, generator, EXAMPLES);
        String second = submit(cluster, jar, config, "-s", savepoint.group(1));
        List<Prediction> all = predictions(kafka, 2 * EXAMPLES, cluster);
        assertEquals(2 * EXAMPLES, all.size(), "predictions of both runs" + cluster.logs());
        assertTrue(cluster.rest("/jobs/" + second).contains("\"state\":\"RUNNING\""),
            cluster.logs());

        List<Prediction> restored = all.subList(EXAMPLES, all.size());
        double logLoss = 0;
        double positives = 0;
        for (Prediction p : restored) {
          double y = p.getLabel();
          double s = Math.min(Math.max(p.getScore(), 1e-15), 1 - 1e-15);
          logLoss -= (y * Math.log(s) + (1 - y) * Math.log(1 - s)) / restored.size();
          positives += y;
        }
        double rate = positives / restored.size();
        double entropy = -(rate * Math.log(rate) + (1 - rate) * Math.log(1 - rate));
        System.out.printf("restored run on ND4J: log loss %.4f, base rate entropy %.4f%n",
            logLoss, entropy);
        assertTrue(logLoss < entropy, "the restored run predicts better than the base rate: "
            + logLoss + " >= " + entropy);
        assertEquals(0, cluster.flink(Duration.ofMinutes(1), "cancel", second).code());
        return cluster.javacppCache();
      }
    }
  }

  private static String submit(LocalFlinkCluster cluster, Path jar, Path config,
      String... options) throws Exception {
    String[] args = new String[options.length + 5];
    args[0] = "run";
    args[1] = "-d";
    System.arraycopy(options, 0, args, 2, options.length);
    args[options.length + 2] = jar.toString();
    args[options.length + 3] = "--config";
    args[options.length + 4] = config.toString();
    LocalFlinkCluster.Result run = cluster.flink(Duration.ofMinutes(2), args);
    Matcher id = Pattern.compile("JobID ([0-9a-f]{32})").matcher(run.output());
    assertTrue(run.code() == 0 && id.find(), "flink run failed: " + run.output()
        + cluster.logs());
    return id.group(1);
  }

  /** The committed predictions, in topic order, once {@code count} are in; no duplicates. */
  private static List<Prediction> predictions(TestBroker kafka, int count,
      LocalFlinkCluster cluster) throws Exception {
    List<ConsumerRecord<byte[], byte[]>> records =
        KafkaTestSupport.readAll(kafka, "predictions", count, Duration.ofSeconds(60));
    List<Prediction> out = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      Prediction p = Prediction.getDecoder().decode(r.value());
      assertTrue(ids.add(p.getExampleId()), "duplicate prediction " + p + cluster.logs());
      out.add(p);
    }
    return out;
  }

  private static void produce(TestBroker kafka, TabularGenerator generator, int count) {
    try (GradflowProducer producer = GradflowProducer.builder(kafka.bootstrapServers())
        .examplesTopic("examples").build()) {
      for (int i = 0; i < count; i++) {
        producer.send(generator.next().example());
      }
      producer.flush();
    }
  }
}
