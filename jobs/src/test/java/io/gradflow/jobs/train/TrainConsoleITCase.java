package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.cli.Main;
import io.gradflow.jobs.kafka.KafkaTestSupport;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * What {@code gradflow train} prints, through {@link Main#run} with captured streams, on the
 * in-process broker: the summary's counts (examples read, predictions, dead letters by reason),
 * the loud line at a reason's first dead letter, the checkpoints of a finished bounded run
 * deleted from the default temporary directory, an empty input refused with exit code 1, and
 * records deleted by the broker before the job read them reported as data loss with exit code 1.
 */
class TrainConsoleITCase extends TrainJobITCase {



  @Test
  void theSummaryCountsExamplesAndDeadLettersByReason() throws Exception {
    String topic = "console-examples";
    kafka.createTopics(1, topic);
    produce(topic, 7, 0, 3000, "default");
    try (KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer(kafka)) {
      for (int i = 0; i < 5; i++) {
        Example rating = Example.newBuilder().setExampleId("r" + i)
            .setEventTime(Instant.now()).setModelKey("default")
            .setFeatures(List.of(Feature.newBuilder().setNamespace("item").setName("i" + i)
                .build()))
            .setLabel(3f + i % 3).build();
        producer.send(new ProducerRecord<>(topic, Codecs.codec(Example.class).encode(rating)));
      }
      for (int i = 0; i < 2; i++) {
        producer.send(new ProducerRecord<>(topic, "not avro".getBytes(StandardCharsets.UTF_8)));
      }
      // a producer writing seconds: learned, and said
      Example seconds = Example.newBuilder().setExampleId("s0")
          .setEventTime(Instant.ofEpochMilli(1_733_000_000L)).setModelKey("default")
          .setFeatures(List.of(Feature.newBuilder().setNamespace("item").setName("i0").build()))
          .setLabel(1f).build();
      producer.send(new ProducerRecord<>(topic, Codecs.codec(Example.class).encode(seconds)));
    }
    Run run = Run.create(topic, "labels");

    assertEquals(0, train(run.yaml("checkpoints: {interval: 300ms}", true)), both());

    String o = out();
    assertTrue(o.contains("input " + topic + ": 1 partition, 3,008 records to read"), o);
    assertTrue(o.contains("job id "), o);
    assertTrue(o.contains("examples read   3,008 from " + topic), o);
    assertTrue(o.contains("predictions     3,001 scored, 3,001 learned (1 model key)"), o);
    assertTrue(o.contains("dead letters    7: LABEL_OUT_OF_DOMAIN 5, UNDECODABLE 2"), o);
    assertTrue(o.contains("model default: scored 3,001, learned 3,001; log loss"), o);
    String e = err();
    assertTrue(e.contains("dead letter: LABEL_OUT_OF_DOMAIN at " + topic + "-0@3000"), e);
    assertTrue(e.contains("model.loss") && e.contains("--label-threshold")
        && e.contains("--csv-positive") && e.contains("--binary-labels"), e);
    assertTrue(e.contains("dead letter: UNDECODABLE at " + topic + "-0@3005"), e);
    assertFalse(e.contains("\tat "), e);
    assertTrue(e.contains("gradflow train: warning: 1 example has an event_time before 2000-01-01"
        + " (earliest: 1733000000 = 1970-01-21T01:23:20Z); event_time is in milliseconds since the"
        + " epoch: a producer writing seconds?"), e);

    Matcher deleted = Pattern.compile("checkpoints     deleted (\\S+) ").matcher(o);
    assertTrue(deleted.find(), o);
    assertFalse(Files.exists(TrainCommand.localPath(deleted.group(1))), deleted.group(1));
  }

  @Test
  void quietPrintsNoSummaryButTheDeadLetterWarning() throws Exception {
    String topic = "quiet-examples";
    kafka.createTopics(1, topic);
    produce(topic, 8, 0, 500, "default");
    try (KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer(kafka)) {
      producer.send(new ProducerRecord<>(topic, new byte[] {1, 2, 3}));
    }
    Run run = Run.create(topic, "labels");
    assertEquals(0, train(run.yaml("checkpoints: {interval: 300ms}", true), "--quiet"), both());
    assertEquals("", out());
    assertTrue(err().contains("dead letter: UNDECODABLE"), err());
    assertFalse(err().contains("/s) | "), "no progress line: " + err());
  }

  /** Trial M3: a bounded run that scored nothing, every record refused, is as good as empty. */
  @Test
  void aBoundedRunWhoseEveryRecordWasRefusedFails() throws Exception {
    String topic = "refused-examples";
    kafka.createTopics(1, topic);
    try (KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer(kafka)) {
      for (int i = 0; i < 20; i++) {
        producer.send(new ProducerRecord<>(topic, "not avro".getBytes(StandardCharsets.UTF_8)));
      }
    }
    Run run = Run.create(topic, "labels");
    assertEquals(1, train(run.yaml("checkpoints: {interval: 300ms}", true)), both());
    assertTrue(out().contains("predictions     0 scored, 0 learned"), out());
    assertTrue(err().contains("gradflow train: nothing was scored or learned: every example read"
        + " from kafka.topics.examples ('" + topic + "') was a dead letter (UNDECODABLE 20; what"
        + " to do: the record is not a Gradflow Example"), err());
    assertTrue(err().contains("): exit code 1"), err());
    assertFalse(err().contains("\tat "), err());
  }

  /**
   * Trial M4: an embedded run stopped with SIGTERM (as Ctrl-C) summarizes the counts the job
   * ended with, not those of its last progress line: with no progress line at all (--progress-every
   * 10m) the summary still counts every example it scored before the stop.
   */
  @Test
  void aStoppedRunSummarizesTheCountsItEndedWith() throws Exception {
    String topic = "stopped-examples";
    kafka.createTopics(1, topic);
    produce(topic, 9, 0, 2_000, "default");
    Run run = Run.create(topic, "labels");
    java.nio.file.Path job = temp.resolve("stopped.yaml");
    Files.writeString(job, run.yaml("checkpoints: {interval: 300ms, directory: "
        + temp.resolve("checkpoints").toUri() + "}", false));
    java.nio.file.Path log = temp.resolve("stopped.log");
    Process p = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin",
        "java").toString(), "-cp", System.getProperty("java.class.path"),
        TrainCommand.class.getName(), "--config", job.toString(), "--progress-every", "10m",
        "--startup-timeout", "10s").redirectErrorStream(true).redirectOutput(log.toFile())
        .start();
    try {
      // Every prediction committed: the job has scored all 2,000 before it is stopped.
      assertEquals(2_000, predictions(run.predictions(), 2_000).size(), Files.readString(log));
      p.destroy(); // SIGTERM, handled as Ctrl-C
      assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), Files.readString(log));
    } finally {
      p.destroyForcibly();
    }
    String o = Files.readString(log);
    // The JVM ends with the signal's status (143 for SIGTERM, 130 for Ctrl-C's SIGINT).
    assertEquals(143, p.exitValue(), o);
    assertTrue(o.contains("gradflow train: stopped after"), o);
    assertTrue(o.contains("examples read   2,000 from " + topic), o);
    assertTrue(o.contains("predictions     2,000 scored, 2,000 learned"), o);
    assertFalse(o.contains("the counts above are as of"), o);
  }

  @Test
  void anEmptyBoundedInputSaysSoAndFails() throws Exception {
    String topic = "empty-examples";
    kafka.createTopics(1, topic);
    Run run = Run.create(topic, "labels");
    assertEquals(1, train(run.yaml("checkpoints: {interval: 300ms}", true)), both());
    assertTrue(out().contains("input " + topic + ": 1 partition, 0 records to read"), out());
    assertTrue(err().contains("the input is empty: kafka.topics.examples ('" + topic + "')"),
        err());
  }

  @Test
  void recordsDeletedBeforeTheJobReadThemAreDataLoss() throws Exception {
    String topic = "lossy-examples";
    kafka.createTopics(1, topic);
    produce(topic, 9, 0, 1000, "default");
    TopicPartition p0 = new TopicPartition(topic, 0);
    try (Admin admin = kafka.admin()) {
      admin.deleteRecords(Map.of(p0, RecordsToDelete.beforeOffset(400))).all().get();
    }
    Run run = Run.create(topic, "labels");
    String yaml = run.yaml("checkpoints: {interval: 300ms}", true).replace(
        "starting_offsets: earliest", "starting_offsets: {offsets: {\"" + topic + ":0\": 0}}");

    assertEquals(1, train(yaml), both());

    String e = err();
    assertTrue(e.contains("DATA LOSS: " + topic + "-0: the job starts at offset 0 but the broker"
        + " has deleted the records below 400 (400 records)"), e);
    assertEquals(1, e.split("DATA LOSS:", -1).length - 1, "the loss is reported once: " + e);
    assertTrue(e.contains("retention.ms"), e);
    assertTrue(e.contains("input records were lost"), e);
    assertTrue(out().contains("examples read   600 from " + topic), out());
  }
}
