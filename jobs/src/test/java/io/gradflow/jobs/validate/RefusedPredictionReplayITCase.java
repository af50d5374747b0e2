package io.gradflow.jobs.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradflow.config.ConfigReport;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.evaluate.EvaluateITCase;
import io.gradflow.jobs.evaluate.EvaluateReport;
import io.gradflow.jobs.evaluate.RefusedPredictionWindowsITCase;
import io.gradflow.jobs.kafka.RawRecord;
import io.gradflow.jobs.produce.FileReplay;
import io.gradflow.jobs.produce.VwFormat;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Example;
import io.gradflow.schema.RecordCodec;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code validate}'s replay ({@link ValidateCommand#replay}, on a new model: no savepoint) of
 * the examples of {@link RefusedPredictionWindowsITCase}, two of which the metrics refuse: each
 * model key's windows end at the last example their metrics measured and count what they
 * measured, in a prequential and in a frozen replay. The hand computation is that class's.
 */
class RefusedPredictionReplayITCase {
  @TempDir
  Path temp;

  /** The file's examples as the topic would hold them, one partition, in order. */
  static List<RawRecord> records(String vw) throws Exception {
    RecordCodec<Example> codec = Codecs.codec(Example.class);
    List<RawRecord> records = new ArrayList<>();
    long start = Instant.parse(EvaluateITCase.START).toEpochMilli();
    try (FileReplay replay = FileReplay.of(new ByteArrayInputStream(
        vw.getBytes(StandardCharsets.UTF_8)),
        new VwFormat(false, "default", start, 1000), "refused", FileReplay.OnError.FAIL)) {
      while (replay.hasNext()) {
        Example e = replay.next();
        records.add(new RawRecord("refused", 0, records.size(), e.getEventTime().toEpochMilli(),
            null, codec.encode(e)));
      }
    }
    return records;
  }

  JsonNode replay(boolean frozen) throws Exception {
    return replay(RefusedPredictionWindowsITCase.YAML, RefusedPredictionWindowsITCase.vw(),
        frozen);
  }

  /** The replay's JSON object of the model key {@code default}. */
  JsonNode replay(String job, String vw, boolean frozen) throws Exception {
    Path yaml = temp.resolve("job-" + System.nanoTime() + ".yaml");
    Files.writeString(yaml, job);
    TrainConfig config = TrainConfig.load(yaml, new ConfigReport(), TrainConfig.Use.EVALUATE);
    EvaluateReport report = ValidateCommand.replay(ValidateCommand.replayConfig(config, frozen),
        null, records(vw), false, frozen, null);
    Map<String, Object> models = report.models();
    return new ObjectMapper().valueToTree(models.get("default"));
  }

  @Test
  void aPrequentialReplaysWindowsCountOnlyWhatTheMetricsMeasured() throws Exception {
    JsonNode m = replay(false);
    RefusedPredictionWindowsITCase.assertWindows(m.get("windows"), m.get("examples").asLong());
    assertEquals(10, m.get("learned").asLong());
  }

  @Test
  void aFrozenReplaysWindowsCountOnlyWhatTheMetricsMeasured() throws Exception {
    JsonNode m = replay(true);
    RefusedPredictionWindowsITCase.assertWindows(m.get("windows"), m.get("examples").asLong());
    assertEquals(0, m.get("learned").asLong());
  }

  /**
   * A frozen replay names a drift event by the examples its metrics measured when the detector
   * fired ({@code model_step}); its {@code example} is the position of that measured example. 100
   * examples, those at 4 and 6 refused as in {@link RefusedPredictionWindowsITCase}; nothing is
   * learned, so the others' squared errors stay one value up to position 40 ({@code a:1 b:1}) and
   * another, 16 times larger, after it ({@code a:2 b:2}: the prediction doubles), and ADWIN
   * (which checks every 32 observations) detects the rise at a later check.
   */
  @Test
  void aFrozenReplaysDriftEventStandsAtTheMeasuredExampleThatCompletedIt() throws Exception {
    StringBuilder vw = new StringBuilder();
    List<Long> measured = new ArrayList<>(); // positions the metrics measure, by hand
    for (int i = 1; i <= 100; i++) {
      if (RefusedPredictionWindowsITCase.REFUSED.contains(i)) {
        vw.append("0 1e30 |f a:3e38 b:3e38\n");
      } else {
        vw.append(i <= 40 ? "1 |f a:1 b:1\n" : "1 |f a:2 b:2\n");
        measured.add((long) i);
      }
    }
    JsonNode m = replay(RefusedPredictionWindowsITCase.YAML
        + "drift: {detector: adwin, watch: loss}\n", vw.toString(), true);
    assertEquals(98, measured.size());
    JsonNode events = m.get("drift_events");
    assertEquals(true, events.size() >= 1, "ADWIN detected the change: " + m);
    for (JsonNode e : events) {
      long step = e.get("model_step").asLong(); // examples measured at the detection
      assertEquals(true, step > 38, "after the change (38 measured up to position 40): " + e);
      assertEquals(measured.get((int) step - 1), e.get("example").asLong(), "event " + e);
    }
  }
}
