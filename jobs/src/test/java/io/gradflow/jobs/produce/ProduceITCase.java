package io.gradflow.jobs.produce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.cli.Main;
import io.gradflow.jobs.kafka.EmbeddedKafka;
import io.gradflow.jobs.kafka.KafkaTestSupport;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Example;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gradflow produce} into a real broker: every file format and every generator. */
class ProduceITCase {
  static EmbeddedKafka kafka;
  @TempDir
  Path dir;

  @BeforeAll
  static void start() throws Exception {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stop() throws Exception {
    kafka.close();
  }

  record Run(int code, String err) {}

  static Run produce(String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] full = new String[args.length + 3];
    full[0] = "produce";
    full[1] = "--bootstrap-servers";
    full[2] = kafka.bootstrapServers();
    System.arraycopy(args, 0, full, 3, args.length);
    int code = Main.run(full, new ByteArrayInputStream(new byte[0]), System.out,
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, err.toString(StandardCharsets.UTF_8));
  }

  static List<Example> read(String topic, int expected) {
    List<ConsumerRecord<byte[], byte[]>> records =
        KafkaTestSupport.readAll(kafka, topic, expected, Duration.ofSeconds(20));
    return records.stream().map(r -> Codecs.codec(Example.class).decode(r.value())).toList();
  }

  void replay(String format, String text, int good, String malformed, String... extra)
      throws Exception {
    Path file = dir.resolve("in." + format);
    Files.writeString(file, text);
    String topic = "replay-" + format;
    kafka.createTopics(1, topic, topic + "-fail");
    String[] base = {"--file", file.toString(), "--format", format, "--topic", topic, "--quiet"};
    String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(base),
        java.util.Arrays.stream(extra)).toArray(String[]::new);
    Run skip = produce(args);
    assertEquals(0, skip.code(), skip.err());
    assertTrue(skip.err().contains("skipped 1 malformed lines"), skip.err());
    assertTrue(skip.err().contains(malformed), skip.err());
    assertEquals(good, read(topic, good).size(), format);

    args[5] = topic + "-fail";
    String[] failing = java.util.stream.Stream.concat(java.util.Arrays.stream(args),
        java.util.stream.Stream.of("--on-error", "fail")).toArray(String[]::new);
    Run fail = produce(failing);
    assertEquals(1, fail.code(), fail.err());
    assertTrue(fail.err().contains(malformed + " (--on-error fail); 1 examples were written"),
        fail.err());
    assertEquals(1, read(topic + "-fail", 1).size(), "the line before the malformed one");
  }

  @Test
  void csvReplay() throws Exception {
    replay("csv", "y,x,c\n1,0.5,a\n0,oops,b\n1,2,c\n", 2, "in.csv, line 3: column x 'oops' is"
        + " not a number", "--csv-label", "y", "--csv-numeric", "x", "--csv-categorical", "c");
  }

  @Test
  void libSvmReplay() throws Exception {
    replay("libsvm", "+1 1:1 2:0.5\n-1 3\n-1 4:1\n", 2, "in.libsvm, line 2: expected"
        + " index:value, but found '3'", "--binary-labels");
  }

  @Test
  void vwReplay() throws Exception {
    replay("vw", "1 |a x y:2\n1 a x\n-1 'e3|a z\n", 2, "in.vw, line 2: no '|' namespace: a VW example is [label [importance]] ['tag]|namespace"
        + " features",
        "--binary-labels");
  }

  @Test
  void generatorsWriteTheirStreams() throws Exception {
    kafka.createTopics(2, "synthetic");
    Run r = produce("--generator", "recsys", "--count", "500", "--topic", "synthetic",
        "--key-by", "entity:user", "--rate", "5000", "--quiet");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().startsWith("produced 500 examples to topic synthetic"), r.err());
    List<Example> read = read("synthetic", 500);
    assertEquals(500, read.size());
    assertEquals(new RecommendationGenerator(RecommendationGenerator.Spec.defaults(42)).examples(500)
        .map(Example::getExampleId).sorted().toList(),
        read.stream().map(Example::getExampleId).sorted().toList());
  }
}
