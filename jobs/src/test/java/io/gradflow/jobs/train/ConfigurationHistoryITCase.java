package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.snapshot.SavepointModels;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The audit record across a restore with a changed learning rate (a MiniCluster reading the
 * in-process broker, as {@link ExportITCase}): 2,000 examples on keys a and b at Adam lr 0.001,
 * betas [0.9, 0.99], stopped with a savepoint; then 1,000 more on key a alone at lr 0.01 (betas
 * left at their default), restored from it. The export's {@code configuration_history} holds both
 * configurations with the steps each trained: a at lr 0.001 for steps [0, 1000), at 0.01 for
 * [1000, 2000); b (not loaded after the restore) [0, 1000) then [1000, 1000). The start-up check
 * of {@code train} names both changed settings.
 */
class ConfigurationHistoryITCase extends TrainJobITCase {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aRestoreWithAChangedLearningRateKeepsBothInTheRecord() throws Exception {
    String examples = "history-examples";
    kafka.createTopics(1, examples, "history-labels");
    produce(examples, 5, 0, 2000, "a", "b");
    Run run = Run.create(examples, "history-labels");
    TrainConfig slow = config(run.yaml("optimizer: {name: Adam, lr: 0.001, betas: [0.9, 0.99]}",
        false), temp.resolve("checkpoints"));
    TrainConfig fast = config(run.yaml("optimizer: {name: Adam, lr: 0.01}", false),
        temp.resolve("checkpoints"));
    String first = runUntil(slow, run.predictions(), 2000, null, temp.resolve("savepoints"));

    var check = SavepointModels.restoreCheck(first, fast, TrainJob.checkpointDirectory(fast));
    assertEquals(null, check.refusal());
    assertEquals("restored with changed settings: optimizer.lr 0.001 -> 0.01, optimizer.betas"
        + " [0.9, 0.99] -> [0.9, 0.999] (the audit record keeps both)",
        TrainCommand.changedSettings(check.changed()));

    produce(examples, 5, 2000, 1000, "a");
    String second = runUntil(fast, run.predictions(), 3000, first, temp.resolve("savepoints"));

    Path file = temp.resolve("model.avro");
    assertEquals(0, gradflow("export", "--savepoint", second, "--out", file.toString(),
        "--with-slots"), both());
    out.reset();
    assertEquals(0, gradflow("inspect", file.toString()), both());
    JsonNode models = JSON.readTree(out()).path("models");
    JsonNode a = models.get(0);
    assertEquals("a", a.path("model_key").textValue());
    assertEquals(2000, a.path("model_step").longValue());
    assertEquals(0.01, a.path("configuration").path("optimizer").path("lr").doubleValue());
    JsonNode history = a.path("configuration_history");
    assertEquals(2, history.size(), history.toString());
    assertSegment(history.get(0), 0, 1000, 0.001);
    assertEquals(JSON.readTree("[0.9, 0.99]"),
        history.get(0).path("configuration").path("optimizer").path("betas"));
    assertSegment(history.get(1), 1000, 2000, 0.01);
    JsonNode began = history.get(1).path("began");
    assertEquals(first, began.path("savepoint").textValue(), began.toString());
    assertEquals(0.001, began.path("changed").path("optimizer.lr").path("before").doubleValue());
    assertTrue(began.path("changed").has("optimizer.betas"), began.toString());
    assertEquals(examples, history.get(0).path("source").path("topics").path("examples")
        .textValue());
    assertTrue(history.get(0).path("runtime").has("java_version"), history.toString());

    JsonNode b = models.get(1);
    assertEquals("b", b.path("model_key").textValue());
    assertEquals(1000, b.path("model_step").longValue());
    assertSegment(b.path("configuration_history").get(0), 0, 1000, 0.001);
    assertSegment(b.path("configuration_history").get(1), 1000, 1000, 0.01);
  }

  private static void assertSegment(JsonNode segment, long from, long to, double lr) {
    assertEquals(from, segment.path("from_step").longValue(), segment.toString());
    assertEquals(to, segment.path("to_step").longValue(), segment.toString());
    assertEquals(lr, segment.path("configuration").path("optimizer").path("lr").doubleValue(),
        segment.toString());
  }
}
