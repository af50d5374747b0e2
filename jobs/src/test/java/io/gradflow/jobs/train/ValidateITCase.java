package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.produce.ClickThroughGenerator;
import io.gradflow.jobs.produce.GradflowProducer;
import io.gradflow.schema.Example;
import io.gradflow.schema.Label;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

/**
 * {@code gradflow validate} end to end against the in-process broker: a champion savepoint
 * trained on 2,000 examples and a challenger trained on 4,000 replay the next 2,000, frozen and
 * prequential; the same replay twice gives the same JSON byte for byte; bad input is refused.
 */
class ValidateITCase extends TrainJobITCase {
  static final String TOPIC = "validate-examples";

  /** The record timestamp at an offset of a one-partition topic. */
  static Instant timestampAt(String topic, long offset) {
    java.util.Properties p = new java.util.Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    try (var c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      c.assign(List.of(tp));
      c.seek(tp, offset);
      for (int i = 0; i < 50; i++) {
        for (var r : c.poll(java.time.Duration.ofMillis(200))) {
          return Instant.ofEpochMilli(r.timestamp());
        }
      }
    }
    throw new AssertionError("no record at " + offset + " of " + topic);
  }

  JsonNode validate(Path json, String yaml, String... flags) throws Exception {
    Path file = Files.createTempFile(temp, "job", ".yaml");
    Files.writeString(file, yaml);
    List<String> args = new ArrayList<>(List.of("validate", "--config", file.toString(),
        "--json", json.toString()));
    args.addAll(List.of(flags));
    int exit = gradflow(args.toArray(String[]::new));
    assertEquals(0, exit, both());
    return new ObjectMapper().readTree(json.toFile());
  }

  @Test
  void aChampionAndAChallengerReplayTheSameRange() throws Exception {
    kafka.createTopics(1, TOPIC);
    produce(TOPIC, 21, 0, 2_000, "m1", "m2");
    Run first = Run.create(TOPIC, "labels");
    String extra = "optimizer: {name: Adagrad, lr: 0.05}\nstate: {backend: hashmap}";

    String champion = runUntil(config(first.yaml(extra, false), temp.resolve("c1")),
        first.predictions(), 2_000, null, temp.resolve("savepoints"));
    produce(TOPIC, 21, 2_000, 2_000, "m1", "m2");
    Run second = Run.create(TOPIC, "labels");
    String challenger = runUntil(config(second.yaml(extra, false), temp.resolve("c2")),
        second.predictions(), 2_000, champion, temp.resolve("savepoints"));
    produce(TOPIC, 21, 4_000, 2_000, "m1", "m2");
    String from = timestampAt(TOPIC, 4_000).toString();
    // The replays run without the changelog, as a job without one does: frozen must hold then.
    String yaml = Run.create(TOPIC, "labels").yaml(extra + "\ncheckpoints: {interval: 300ms}",
        false).replace("changelog: {every: 1000}", "changelog: {every: 0}");

    String[] frozen = {"--savepoint", champion, "--name", "champion", "--savepoint",
        challenger, "--name", "challenger", "--from", from, "--to", "6000", "--quiet"};
    JsonNode j = validate(temp.resolve("frozen.json"), yaml, frozen);
    assertEquals("frozen", j.get("mode").asText());
    assertEquals(2_000, j.get("records").asLong(), j.toString());
    for (String name : List.of("champion", "challenger")) {
      JsonNode sp = j.get("savepoints").get(name);
      assertEquals(2_000, sp.get("examples").asLong(), name);
      assertEquals(0, sp.get("learned").asLong(), name + ": frozen learns nothing");
      assertTrue(sp.get("log_loss").asDouble() > 0 && sp.get("log_loss").asDouble() < 0.7,
          name + ": " + sp);
      assertEquals(2, sp.get("models").size(), name + ": m1 and m2");
      JsonNode m1 = sp.get("models").get("m1");
      assertEquals(1_000, m1.get("examples").asLong());
      JsonNode windows = m1.get("windows");
      assertTrue(windows.size() >= 1, m1.toString());
      assertEquals(1_000, windows.get(windows.size() - 1).get("end_example").asLong(),
          "the last window closes at the key's last example: " + windows);
    }
    assertNotEquals(j.get("savepoints").get("champion").get("log_loss").asDouble(),
        j.get("savepoints").get("challenger").get("log_loss").asDouble(),
        "two models, two losses");

    // From where the savepoints' job had read to: the challenger's 4,000, the furthest.
    String[] fromSavepoints = frozen.clone();
    fromSavepoints[java.util.Arrays.asList(frozen).indexOf("--from") + 1] = "offsets-in-savepoint";
    JsonNode same = validate(temp.resolve("from-savepoints.json"), yaml, fromSavepoints);
    assertEquals(4_000, same.get("partitions").get(0).get("from_offset").asLong(), same.toString());
    assertEquals(j.get("savepoints").get("challenger").get("log_loss"),
        same.get("savepoints").get("challenger").get("log_loss"), "the same 2,000 records");

    // The same replay again: the same JSON, byte for byte.
    validate(temp.resolve("again.json"), yaml, frozen);
    assertEquals(Files.readString(temp.resolve("frozen.json")),
        Files.readString(temp.resolve("again.json")));

    // The gate: the challenger, trained on twice as much, against the champion.
    double championLoss = j.get("savepoints").get("champion").get("log_loss").asDouble();
    double challengerLoss = j.get("savepoints").get("challenger").get("log_loss").asDouble();
    boolean better = challengerLoss <= championLoss;
    Path file = Files.createTempFile(temp, "job", ".yaml");
    Files.writeString(file, yaml);
    Path html = temp.resolve("report.html");
    List<String> gated = new ArrayList<>(List.of("validate", "--config", file.toString(),
        "--report", html.toString(), "--gate", "challenger.log_loss <= champion.log_loss"));
    gated.addAll(List.of(frozen));
    int exit = gradflow(gated.toArray(String[]::new));
    assertEquals(better ? 0 : 1, exit, both());
    assertTrue(both().contains("gate " + (better ? "passed" : "failed")
        + ": challenger.log_loss "), both());
    String page = Files.readString(html);
    assertTrue(page.contains("<svg") && page.contains("champion") && page.contains("challenger"),
        "the report holds the charts of both");
    gated.set(gated.indexOf("--gate") + 1, "challenger.log_loss > champion.log_loss");
    gated.set(gated.indexOf("--report") + 1, temp.resolve("report2.html").toString());
    assertEquals(better ? 1 : 0, gradflow(gated.toArray(String[]::new)), both());

    JsonNode prequential = validate(temp.resolve("prequential.json"), yaml, "--savepoint",
        champion, "--name", "champion", "--from", from, "--to", "6000", "--mode",
        "prequential", "--quiet");
    JsonNode learned = prequential.get("savepoints").get("champion");
    assertEquals(2_000, learned.get("learned").asLong(), learned.toString());
    assertNotEquals(j.get("savepoints").get("champion").get("log_loss").asDouble(),
        learned.get("log_loss").asDouble(), "learning while replaying changes the predictions");

    // Trial L11: no replay above started below a savepoint's position; one from earliest scores
    // the 2,000 records the champion's job had read, and says so.
    assertTrue(!err().contains("note: the range includes"), both());
    validate(temp.resolve("earliest.json"), yaml, "--savepoint", champion, "--name", "champion",
        "--from", "earliest", "--to", "6000", "--quiet");
    assertTrue(err().contains("note: the range includes 2,000 records a savepoint learned (below"
        + " where its job had read to, partition: position 0: 2000); --from offsets-in-savepoint"
        + " scores only the records after them"), both());

    // Positions outside the log: an end past it, and a savepoint's position before its start.
    Path config = Files.writeString(Files.createTempFile(temp, "job", ".yaml"), yaml);
    assertEquals(2, gradflow("validate", "--config", config.toString(), "--savepoint", champion,
        "--to", "6001", "--quiet"), both());
    assertTrue(err().contains("--to 6001: offset 6001 of " + TOPIC + "-0 is past the end of its"
        + " log (6000)"), both());
    try (var admin = org.apache.kafka.clients.admin.Admin.create(java.util.Map.of(
        "bootstrap.servers", kafka.bootstrapServers()))) {
      admin.deleteRecords(java.util.Map.of(new TopicPartition(TOPIC, 0),
          org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(4_500))).all().get();
    }
    assertEquals(2, gradflow("validate", "--config", config.toString(), "--savepoint",
        challenger, "--from", "offsets-in-savepoint", "--quiet"), both());
    assertTrue(err().contains("the savepoint had read " + TOPIC + "-0 to offset 4000, but the"
        + " log now starts at 4500 (records 4000 to 4499 were deleted"), both());
    assertTrue(!err().contains("\tat "), "no stack trace: " + both());
  }

  /**
   * A delayed-label job: the replay reads the labels topic beside the examples topic and joins
   * them in the client. Frozen, its metrics are those of the same savepoint replaying a topic
   * holding the same examples with their labels inline (examples not labeled in time carry the
   * default label there); the labels source's position in the savepoint starts the labels; the
   * prequential replay is the same twice, byte for byte.
   */
  @Test
  void aDelayedLabelJobReplaysItsLabelsTopicToo() throws Exception {
    String examples = "dl-examples";
    String labels = "dl-labels";
    String inline = "dl-inline";
    kafka.createTopics(1, examples, labels, inline);
    ClickThroughGenerator generator =
        new ClickThroughGenerator(ClickThroughGenerator.Spec.defaults(8));
    produceDelayed(generator, 0, 1_000, examples, labels, inline);
    Run run = Run.create(examples, labels);
    String delayed = "labels: {delayed: true, timeout: 2s, on_timeout: default_label,"
        + " default_label: 0}\ncheckpoints: {interval: 300ms, directory: "
        + temp.resolve("dl-checkpoints").toUri() + "}";
    assertEquals(0, train(run.yaml(delayed, true), "--final-savepoint",
        temp.resolve("dl-final").toString()), both());
    String savepoint = FinalSavepointITCase.savepointIn(out());
    produceDelayed(generator, 1_000, 1_000, examples, labels, inline);

    String yaml = Run.create(examples, labels).yaml(delayed, false);
    JsonNode j = validate(temp.resolve("dl.json"), yaml, "--savepoint", savepoint, "--from",
        "offsets-in-savepoint", "--quiet");
    assertEquals(1_000, j.get("partitions").get(0).get("from_offset").asLong(), j.toString());
    JsonNode counts = j.get("labels");
    // Every 25th example has no label: 40 of the replayed 1,000.
    assertEquals(960, counts.get("records").asLong(), counts.toString());
    assertEquals(960, counts.get("joined").asLong(), counts.toString());
    assertEquals(40, counts.get("default_labeled").asLong(), counts.toString());
    assertEquals(0, counts.get("orphans").asLong(), counts.toString());

    String inlineYaml = Run.create(inline, "labels").yaml("checkpoints: {interval: 300ms}", false);
    JsonNode reference = validate(temp.resolve("inline.json"), inlineYaml, "--savepoint",
        savepoint, "--from", timestampAt(inline, 1_000).toString(), "--quiet");
    JsonNode got = j.get("savepoints").elements().next();
    JsonNode want = reference.get("savepoints").elements().next();
    assertEquals(1_000, got.get("examples").asLong(), got.toString());
    assertEquals(want.get("examples").asLong(), got.get("examples").asLong());
    // The same scores; only the order of the sums differs. (Not the AUC: it is taken over the
    // second half of the examples in replay order, and the default-labeled ones come later.)
    for (String metric : List.of("log_loss", "base_rate_log_loss", "calibration")) {
      assertEquals(want.get(metric).asDouble(), got.get(metric).asDouble(), 1e-12, metric);
    }

    String[] prequential = {"--savepoint", savepoint, "--from", "offsets-in-savepoint",
        "--mode", "prequential", "--quiet"};
    JsonNode learned = validate(temp.resolve("dl-prequential.json"), yaml, prequential);
    assertEquals(1_000, learned.get("savepoints").elements().next().get("learned").asLong());
    validate(temp.resolve("dl-again.json"), yaml, prequential);
    assertEquals(Files.readString(temp.resolve("dl-prequential.json")),
        Files.readString(temp.resolve("dl-again.json")));

    // A bounded challenger (trial 23 F8): its examples end at offset 500, while its labels
    // source reads the labels topic to its end (1,920), past the champion's labels position
    // (960). The replay's labels start at the earlier of the two: the furthest left no label.
    String boundedYaml = Run.create(examples, labels).yaml(delayed, false).replace(
        "  starting_offsets: earliest", "  starting_offsets: earliest\n  bounded: {offsets: {\""
            + examples + ":0\": 500, \"" + labels + ":0\": 1920}}");
    assertEquals(0, train(boundedYaml, "--final-savepoint",
        temp.resolve("dl-challenger").toString()), both());
    String challenger = FinalSavepointITCase.savepointIn(out());
    JsonNode pair = validate(temp.resolve("dl-pair.json"), yaml, "--savepoint", savepoint,
        "--name", "champion", "--savepoint", challenger, "--name", "challenger", "--from",
        "offsets-in-savepoint", "--quiet");
    assertEquals(1_000, pair.get("partitions").get(0).get("from_offset").asLong(),
        pair.toString());
    assertEquals(960, pair.get("labels").get("joined").asLong(), pair.get("labels").toString());
    assertEquals(40, pair.get("labels").get("default_labeled").asLong(),
        pair.get("labels").toString());
  }

  /**
   * Examples {@code from} to {@code from + count - 1}: unlabeled on {@code examples}, their labels
   * 50 ms of event time later on {@code labels} (every 25th left without one), and labeled inline
   * on {@code inline} (the unlabeled ones with the default label 0).
   */
  static void produceDelayed(ClickThroughGenerator generator, int from, int count,
      String examples, String labels, String inline) {
    try (GradflowProducer delayed = GradflowProducer.builder(kafka.bootstrapServers())
        .examplesTopic(examples).labelsTopic(labels).build();
        GradflowProducer labeled = GradflowProducer.builder(kafka.bootstrapServers())
            .examplesTopic(inline).build()) {
      for (int i = from; i < from + count; i++) {
        Example e = generator.next().example();
        String model = i % 2 == 0 ? "m1" : "m2";
        Example example = Example.newBuilder(e).setExampleId("d" + i).setModelKey(model).build();
        delayed.send(Example.newBuilder(example).setLabel(null).build());
        boolean hasLabel = i % 25 != 7;
        if (hasLabel) {
          delayed.send(Label.newBuilder().setExampleId("d" + i).setModelKey(model)
              .setEventTime(e.getEventTime().plusMillis(50)).setLabel(e.getLabel()).build());
        }
        labeled.send(hasLabel ? example
            : Example.newBuilder(example).setLabel(0f).build());
      }
      delayed.flush();
      labeled.flush();
    }
  }

  /**
   * A challenger of another optimizer, with its own --config (paired in order with --savepoint):
   * each savepoint replays with its own job, prequential, so the two learn differently from the
   * same records; the JSON names each savepoint's configuration.
   */
  @Test
  void aChallengerWithAnotherOptimizerReplaysWithItsOwnConfiguration() throws Exception {
    String topic = "validate-two-configs";
    kafka.createTopics(1, topic);
    produce(topic, 23, 0, 1_000, "m1");
    Path adagrad = Files.writeString(temp.resolve("adagrad.yaml"), Run.create(topic, "labels")
        .yaml("optimizer: {name: Adagrad, lr: 0.05}\ncheckpoints: {interval: 300ms}", false));
    Path adam = Files.writeString(temp.resolve("adam.yaml"), Run.create(topic, "labels")
        .yaml("optimizer: {name: Adam, lr: 0.05}\ncheckpoints: {interval: 300ms}", false));
    String champion = io.gradflow.jobs.snapshot.TestSavepoints.write(TrainConfig.load(adagrad),
        temp.resolve("sp-adagrad")).toString();
    String challenger = io.gradflow.jobs.snapshot.TestSavepoints.write(TrainConfig.load(adam),
        temp.resolve("sp-adam")).toString();
    Path json = temp.resolve("two-configs.json");
    assertEquals(0, gradflow("validate", "--config", adagrad.toString(), "--config",
        adam.toString(), "--savepoint", champion, "--name", "champion", "--savepoint",
        challenger, "--name", "challenger", "--mode", "prequential", "--json", json.toString(),
        "--quiet"), both());
    JsonNode j = new ObjectMapper().readTree(json.toFile());
    JsonNode a = j.get("savepoints").get("champion");
    JsonNode b = j.get("savepoints").get("challenger");
    assertEquals(adagrad.toString(), a.get("config").asText());
    assertEquals(adam.toString(), b.get("config").asText());
    // The go/no-go record ties each verdict to its settings: the file's digest and the
    // configuration as the audit record states it.
    assertEquals(java.util.HexFormat.of().formatHex(java.security.MessageDigest
        .getInstance("SHA-256").digest(Files.readAllBytes(adam))), b.get("config_sha256")
        .asText(), b.toString());
    assertEquals("Adagrad", a.path("configuration").path("optimizer").path("name").asText());
    assertEquals("Adam", b.path("configuration").path("optimizer").path("name").asText());
    assertEquals(1_000, a.get("learned").asLong(), a.toString());
    assertEquals(1_000, b.get("learned").asLong(), b.toString());
    assertNotEquals(a.get("log_loss").asDouble(), b.get("log_loss").asDouble(),
        "two optimizers, two losses");

    // One configuration for both: the Adam savepoint is refused before anything is replayed.
    assertEquals(2, gradflow("validate", "--config", adagrad.toString(), "--savepoint",
        champion, "--savepoint", challenger, "--quiet"), both());
    assertTrue(err().contains("--savepoint " + challenger + " (sp_adam) cannot be replayed with"
        + " --config " + adagrad + ": the savepoint's model has optimizer.name Adam"), both());
  }

  @Test
  void badInputIsRefusedNamingIt() throws Exception {
    String yaml = Run.create("nowhere", "labels").yaml("checkpoints: {interval: 300ms}", false);
    Path file = Files.createTempFile(temp, "job", ".yaml");
    Files.writeString(file, yaml);
    Path missing = temp.resolve("no-such-savepoint");
    assertEquals(2, gradflow("validate", "--config", file.toString(), "--savepoint",
        missing.toString()), both());
    assertTrue(err().contains("--savepoint " + missing + " does not exist"), both());
    Path json = Files.writeString(temp.resolve("taken.json"), "{}");
    Path savepoint = Files.createDirectories(temp.resolve("sp"));
    Files.writeString(savepoint.resolve("_metadata"), "");
    assertEquals(2, gradflow("validate", "--config", file.toString(), "--savepoint",
        savepoint.toString(), "--json", json.toString()), both());
    assertTrue(err().contains("--json " + json + " exists"), both());
    assertEquals("{}", Files.readString(json), "nothing is overwritten");
    assertEquals(2, gradflow("validate", "--config", file.toString(), "--savepoint",
        savepoint.toString(), "--savepoint", savepoint.toString(), "--name", "a"), both());
    assertTrue(err().contains("--name must follow each --savepoint (2 savepoints, 1 name)"),
        both());
    assertEquals(2, gradflow("validate", "--config", file.toString(), "--savepoint",
        savepoint.toString(), "--name", "champion", "--gate", "chamion.log_loss < 1"), both());
    assertTrue(err().contains("--gate: unknown savepoint 'chamion'"), both());
    assertTrue(!err().contains("\tat "), "no stack trace: " + both());
  }
}
