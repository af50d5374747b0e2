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
  static List<RawRecord> records() throws Exception {
    RecordCodec<Example> codec = Codecs.codec(Example.class);
    List<RawRecord> records = new ArrayList<>();
    long start = Instant.parse(EvaluateITCase.START).toEpochMilli();
    try (FileReplay replay = FileReplay.of(new ByteArrayInputStream(
        RefusedPredictionWindowsITCase.vw().getBytes(StandardCharsets.UTF_8)),
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
    Path yaml = temp.resolve("job-" + frozen + ".yaml");
    Files.writeString(yaml, RefusedPredictionWindowsITCase.YAML);
    TrainConfig config = TrainConfig.load(yaml, new ConfigReport(), TrainConfig.Use.EVALUATE);
    EvaluateReport report = ValidateCommand.replay(ValidateCommand.replayConfig(config, frozen),
        null, records(), false, frozen, null);
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
}
