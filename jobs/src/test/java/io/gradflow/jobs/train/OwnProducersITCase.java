package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.kafka.KafkaTestSupport;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Example;
import io.gradflow.schema.Label;
import io.gradflow.schema.Prediction;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The producers kept in {@code examples/producers/} (README "Your own producer"), run as a user
 * runs them against a real broker, then the training job over their topics: every example
 * learned (with the producer's labels, inline or joined from the labels topic by example id), no
 * dead letter, predictions keyed by the producer's model keys, and every record keyed by its
 * model with its event time as the record timestamp.
 *
 * <p>The Python producer needs a {@code python3} that imports {@code avro} and
 * {@code confluent_kafka} (Debian's {@code python3-avro} and {@code python3-confluent-kafka},
 * which {@code .ci/run} installs): the system property {@code gradflow.python}, the environment
 * variable {@code GRADFLOW_PYTHON}, {@code python3} on the path and {@code /usr/bin/python3} are
 * tried in that order; without one the test is skipped, saying why. The Java producer runs from
 * its source file with this test's class path ({@code java File.java}).
 */
class OwnProducersITCase extends TrainJobITCase {
  private static final Pattern SENT = Pattern.compile("sent (\\d+) examples .*\\((\\d+) positive\\)");

  @Test
  void thePythonProducersExamplesAndDelayedLabelsAreAllLearned() throws Exception {
    String python = python();
    String examples = "python-examples";
    String labels = "python-labels";
    kafka.createTopics(2, examples, labels);
    int count = 1_500;
    String out = run(List.of(python, root().resolve("examples/producers/python/gradflow_producer.py")
        .toString(), "--bootstrap-servers", kafka.bootstrapServers(), "--topic", examples,
        "--labels-topic", labels, "--delayed-labels", "--count", Integer.toString(count),
        "--models", "ctr-de,ctr-fr,default"));
    int positives = positives(out, count);

    Run run = Run.create(examples, labels);
    runBounded(config(run.yaml("optimizer: {name: Adagrad, lr: 0.1}\n"
            + "labels: {delayed: true, timeout: 10m, on_timeout: default_label,"
            + " default_label: 0}", true), temp.resolve("python")), UnaryOperator.identity(),
        new Configuration());
    assertLearned(run, count, 2 * count, positives, Set.of("ctr-de", "ctr-fr", "default"));
    assertKeyedByModelAtEventTime(examples, count, Example.class);
    assertKeyedByModelAtEventTime(labels, count, Label.class);
  }

  @Test
  void theJavaProducersExamplesAreAllLearned() throws Exception {
    String examples = "java-examples";
    kafka.createTopics(2, examples);
    int count = 1_500;
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String out = run(List.of(java, "-cp", System.getProperty("java.class.path"),
        root().resolve("examples/producers/java/GradflowExampleProducer.java").toString(),
        "--bootstrap-servers", kafka.bootstrapServers(), "--topic", examples,
        "--count", Integer.toString(count), "--models", "ctr-de,ctr-fr"));
    int positives = positives(out, count);

    Run run = Run.create(examples, "java-labels");
    runBounded(config(run.yaml("optimizer: {name: Adagrad, lr: 0.1}", true),
        temp.resolve("java")), UnaryOperator.identity(), new Configuration());
    assertLearned(run, count, count, positives, Set.of("ctr-de", "ctr-fr"));
    assertKeyedByModelAtEventTime(examples, count, Example.class);
  }

  /**
   * What most Kafka producers send by default (Confluent's Avro serializer: magic byte 0, a
   * schema id, the body) and a plain Avro body without a header become dead letters whose detail
   * says what they are; {@code gradflow consume} shows it on the dead-letter topic, and names the
   * framing on the examples topic too. The good example beside them is learned.
   */
  @Test
  void confluentFramedAndHeaderlessRecordsAreDeadLettersSayingWhatTheyAre() throws Exception {
    String examples = "foreign-examples";
    kafka.createTopics(1, examples);
    Example good = Example.newBuilder().setExampleId("good").setModelKey("ctr")
        .setEventTime(java.time.Instant.now().minusSeconds(60))
        .setFeatures(List.of(new io.gradflow.schema.Feature("country", "DE", null, 1f)))
        .setLabel(1f).build();
    java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
    org.apache.avro.io.BinaryEncoder enc =
        org.apache.avro.io.EncoderFactory.get().binaryEncoder(body, null);
    new org.apache.avro.specific.SpecificDatumWriter<>(Example.class).write(good, enc);
    enc.flush();
    byte[] plain = body.toByteArray();
    byte[] confluent = java.nio.ByteBuffer.allocate(5 + plain.length).put((byte) 0).putInt(17)
        .put(plain).array();
    byte[] key = "ctr".getBytes(StandardCharsets.UTF_8);
    long t = good.getEventTime().toEpochMilli();
    try (var producer = KafkaTestSupport.producer(kafka)) {
      KafkaTestSupport.assertWritten(List.of(
          producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(examples, null, t,
              key, Codecs.codec(Example.class).encode(good))),
          producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(examples, null, t,
              key, confluent)),
          producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(examples, null, t,
              key, plain))), List.of("good", "confluent", "plain"));
    }
    Run run = Run.create(examples, "foreign-labels");
    runBounded(config(run.yaml("optimizer: {name: Adagrad, lr: 0.1}", true),
        temp.resolve("foreign")), UnaryOperator.identity(), new Configuration());
    assertEquals(1, predictions(run.predictions(), 1).size());

    assertEquals(0, gradflow("consume", "--bootstrap-servers", kafka.bootstrapServers(),
        "--topic", run.deadLetters(), "--from-beginning", "--timeout", "3s"), both());
    String deadLetters = out();
    assertTrue(deadLetters.contains("\"reason\":\"UNDECODABLE\",\"detail\":\"not a"
        + " single-object-encoded Avro record: the value starts with Confluent Schema Registry"
        + " framing (magic byte 0, schema id 17, then an Example body)"), deadLetters);
    assertTrue(deadLetters.contains("\"reason\":\"UNDECODABLE\",\"detail\":\"not a"
        + " single-object-encoded Avro record: the value is a plain Avro binary Example body"
        + " without a header"), deadLetters);
    assertTrue(deadLetters.contains("see README 'Your own producer'"), deadLetters);
    out.reset();
    assertEquals(0, gradflow("consume", "--bootstrap-servers", kafka.bootstrapServers(),
        "--topic", examples, "--from-beginning", "--timeout", "3s"), both());
    assertTrue(out().contains("\"error\":\"not an Avro single-object record (no C3 01 header):"
        + " the value starts with Confluent Schema Registry framing (magic byte 0, schema id 17,"
        + " then an Example body)"), out());
  }

  /**
   * Every example learned once with the producer's label (so {@code positives} labels of 1), no
   * dead letter written, and predictions keyed by exactly the producer's model keys, each by the
   * model key in its value.
   */
  private static void assertLearned(Run run, int count, int predictions, int positives,
      Set<String> models) throws Exception {
    Set<String> keys = new TreeSet<>();
    Set<String> learned = new LinkedHashSet<>();
    int learnedPositives = 0;
    for (ConsumerRecord<byte[], byte[]> r : KafkaTestSupport.readAll(kafka, run.predictions(),
        predictions, Duration.ofSeconds(60))) {
      Prediction p = Codecs.codec(Prediction.class).decode(r.value());
      String key = new String(r.key(), StandardCharsets.UTF_8);
      assertEquals(p.getModelKey(), key, "a prediction is keyed by its model");
      keys.add(key);
      if (p.getLabel() != null) {
        assertTrue(learned.add(p.getExampleId()), "learned twice: " + p);
        learnedPositives += p.getLabel() == 1f ? 1 : 0;
      }
    }
    assertEquals(count, learned.size(), "every example learned");
    assertEquals(positives, learnedPositives, "with the producer's labels");
    assertEquals(new TreeSet<>(models), keys);
    assertEquals(0, uncommittedCount(run.deadLetters()), "no dead letter, not even an aborted one");
  }

  /** Every record of {@code topic} is keyed by its model key and stamped with its event time. */
  private static void assertKeyedByModelAtEventTime(String topic, int count,
      Class<? extends org.apache.avro.specific.SpecificRecord> type) {
    List<ConsumerRecord<byte[], byte[]>> records =
        KafkaTestSupport.readAll(kafka, topic, count, Duration.ofSeconds(30));
    assertEquals(count, records.size(), topic);
    for (ConsumerRecord<byte[], byte[]> r : records) {
      Object record = Codecs.codec(type).decode(r.value());
      String model;
      long eventTime;
      if (record instanceof Example e) {
        model = e.getModelKey();
        eventTime = e.getEventTime().toEpochMilli();
      } else {
        Label l = (Label) record;
        model = l.getModelKey();
        eventTime = l.getEventTime().toEpochMilli();
      }
      assertEquals(model == null ? "default" : model,
          new String(r.key(), StandardCharsets.UTF_8), topic + " key");
      assertEquals(eventTime, r.timestamp(), topic + " record timestamp");
    }
  }

  /** The producer's count of positive labels, from its last line; checks the examples sent. */
  private static int positives(String out, int count) {
    Matcher m = SENT.matcher(out);
    assertTrue(m.find(), out);
    assertEquals(count, Integer.parseInt(m.group(1)), out);
    return Integer.parseInt(m.group(2));
  }

  /** Runs a producer to its end (at most 3 minutes); fails with its output unless it exits 0. */
  private static String run(List<String> command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    byte[] output = p.getInputStream().readAllBytes();
    boolean ended = p.waitFor(3, TimeUnit.MINUTES);
    if (!ended) {
      p.destroyForcibly();
    }
    String out = new String(output, StandardCharsets.UTF_8);
    assertTrue(ended && p.exitValue() == 0, command.get(0) + " " + command.get(1) + " failed ("
        + (ended ? "exit " + p.exitValue() : "no end in 3 minutes") + "):\n" + out);
    return out;
  }

  /** The repository's root: failsafe runs in jobs/. */
  private static Path root() {
    Path here = Path.of("").toAbsolutePath();
    for (Path p = here; p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("examples/producers"))) {
        return p;
      }
    }
    throw new AssertionError("no examples/producers above " + here);
  }

  /**
   * A Python interpreter that imports avro and confluent_kafka, or the test is skipped naming
   * every interpreter tried and what it said.
   */
  private static String python() throws InterruptedException {
    Set<String> candidates = new LinkedHashSet<>();
    for (String c : new String[] {System.getProperty("gradflow.python"),
        System.getenv("GRADFLOW_PYTHON"), "python3", "/usr/bin/python3"}) {
      if (c != null && !c.isBlank()) {
        candidates.add(c);
      }
    }
    List<String> tried = new ArrayList<>();
    for (String c : candidates) {
      try {
        Process p = new ProcessBuilder(c, "-c", "import avro.io, avro.schema, confluent_kafka")
            .redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
          return c;
        }
        String[] lines = said.strip().split("\n");
        tried.add(c + ": " + lines[lines.length - 1]);
      } catch (IOException e) {
        tried.add(c + ": " + e.getMessage());
      }
    }
    Assumptions.abort("no Python with the avro and confluent_kafka modules (Debian:"
        + " apt-get install python3-avro python3-confluent-kafka): " + String.join("; ", tried));
    throw new AssertionError("unreachable");
  }
}
