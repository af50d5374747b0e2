package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradflow.config.ConfigReport;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.evaluate.EvaluateITCase;
import io.gradflow.jobs.evaluate.EvaluateJob;
import io.gradflow.jobs.evaluate.EvaluateOutput;
import io.gradflow.jobs.kafka.DeadLetterAccumulator;
import io.gradflow.jobs.kafka.EarlyEventTimes;
import io.gradflow.jobs.kafka.InputAccumulator;
import io.gradflow.jobs.kafka.RawRecord;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import io.gradflow.schema.RecordCodec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectClusterRESTAddress;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gradflow's accumulators as an operator sees them in Flink's REST API (and its web UI, which
 * reads it): the evaluation job (every accumulator the console reads: input, dead letters, event
 * times before 2000, predictions, metrics) on a MiniCluster with its REST endpoint, then
 * {@code GET /jobs/:id/accumulators}. Each value names its columns instead of printing a Java
 * array ({@code [J@1b2c3d}); the job's result, deserialized in the client, still gives the console
 * its counts.
 */
class RestAccumulatorsITCase {
  @RegisterExtension
  static final MiniClusterExtension CLUSTER = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1)
          .setNumberSlotsPerTaskManager(1).build());

  static final long SECONDS_AS_MILLIS = 1_733_000_000L;

  @TempDir
  Path temp;

  @Test
  void restShowsEveryAccumulatorWithNamedColumnsAndTheConsoleStillReadsThem(
      @InjectClusterRESTAddress URI rest) throws Exception {
    Path yaml = temp.resolve("job.yaml");
    Files.writeString(yaml, EvaluateITCase.LOGISTIC);
    TrainConfig config = TrainConfig.load(yaml, new ConfigReport(), TrainConfig.Use.EVALUATE);
    RecordCodec<Example> codec = Codecs.codec(Example.class);
    List<RawRecord> records = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Example e = Example.newBuilder().setExampleId("e" + i).setModelKey("default")
          .setEventTime(Instant.ofEpochMilli(SECONDS_AS_MILLIS + i)) // seconds, by mistake
          .setFeatures(List.of(Feature.newBuilder().setNamespace("f").setName("a").build()))
          .setLabel(i % 2 == 0 ? 1f : 0f).build();
      records.add(new RawRecord("file", 0, i, SECONDS_AS_MILLIS + i, null, codec.encode(e)));
    }
    records.add(new RawRecord("file", 0, 4, SECONDS_AS_MILLIS + 4, null, new byte[] {1, 2, 3}));

    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    Map<String, Object> accumulators;
    JobClient job;
    try (CloseableIterator<EvaluateOutput> outputs =
        EvaluateJob.build(env, config, records).collectAsync()) {
      job = env.executeAsync("rest-accumulators");
      outputs.forEachRemaining(o -> { });
      accumulators = job.getJobExecutionResult().get().getAllAccumulatorResults();
    }

    // The client path: the result's values, deserialized here, are what the console reads.
    assertEquals(5, TrainConsole.input(accumulators).get("file:0")[InputAccumulator.COUNT],
        "four good records and one refused one: " + accumulators);
    assertEquals(1, TrainConsole.deadLetterTotal(accumulators));
    assertEquals(4, EarlyEventTimes.count(accumulators));
    assertEquals(4, TrainConsole.predictions(accumulators).get("default")[0]);

    HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        rest.resolve("/jobs/" + job.getJobID() + "/accumulators")).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    Map<String, String> shown = new HashMap<>();
    for (JsonNode a : new ObjectMapper().readTree(response.body()).get("user-task-accumulators")) {
      shown.put(a.get("name").asText(), a.get("value").asText());
    }
    for (String name : List.of(InputAccumulator.NAME, DeadLetterAccumulator.NAME,
        EarlyEventTimes.NAME, ProgressTaps.PREDICTIONS, ProgressTaps.METRICS)) {
      String value = shown.get(name);
      assertTrue(value != null, name + " is in " + response.body());
      assertFalse(value.contains("[J@") || value.contains("[D@") || value.contains("[L"),
          name + " shows a Java array: " + value);
    }
    assertEquals("{file:0: count=5, first=0, last=4, skipped=0, firstSkipped=-1}",
        shown.get(InputAccumulator.NAME));
    assertEquals("count=4, earliest=1733000000 (1970-01-21T01:23:20Z)",
        shown.get(EarlyEventTimes.NAME));
    assertEquals("{default: scored=4, learned=4, learnedStep=4}",
        shown.get(ProgressTaps.PREDICTIONS));
    assertEquals("0", shown.get(InputAccumulator.ATTEMPT), "a first attempt: " + response.body());
    assertEquals(0, TrainConsole.attempt(accumulators));
    assertEquals("{UNDECODABLE: count=\"1\", detail=\"not a single-object-encoded Avro record:"
        + " Not enough header bytes\", topic=\"file\", partition=\"0\", offset=\"4\"}",
        shown.get(DeadLetterAccumulator.NAME));
    assertTrue(shown.get(ProgressTaps.METRICS).startsWith("{default: weight=4.0, logLossSum="),
        shown.get(ProgressTaps.METRICS));
  }

  /** Fails the first record of the job's first attempt, then passes everything. */
  static final class FailFirstAttempt
      extends org.apache.flink.api.common.functions.RichMapFunction<
          io.gradflow.model.CompactExample, io.gradflow.model.CompactExample> {
    private static final long serialVersionUID = 1L;

    @Override
    public io.gradflow.model.CompactExample map(io.gradflow.model.CompactExample e) {
      if (getRuntimeContext().getTaskInfo().getAttemptNumber() == 0) {
        throw new IllegalStateException("the first attempt fails");
      }
      return e;
    }
  }

  /**
   * A task restarted by Flink's restart strategy reports its attempt number
   * ({@link InputAccumulator#ATTEMPT}): the console knows from it that the counts started again.
   */
  @Test
  void aRestartedDecodeTaskReportsItsAttempt() throws Exception {
    TrainConfig config = TrainConfig.fromYaml(EvaluateITCase.LOGISTIC, new ConfigReport(),
        TrainConfig.Use.EVALUATE);
    RecordCodec<Example> codec = Codecs.codec(Example.class);
    List<RawRecord> records = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Example e = Example.newBuilder().setExampleId("e" + i).setModelKey("default")
          .setEventTime(Instant.ofEpochMilli(1_700_000_000_000L + i))
          .setFeatures(List.of(Feature.newBuilder().setNamespace("f").setName("a").build()))
          .setLabel(1f).build();
      records.add(new RawRecord("file", 0, i, 1_700_000_000_000L + i, null, codec.encode(e)));
    }
    org.apache.flink.configuration.Configuration conf =
        new org.apache.flink.configuration.Configuration();
    conf.set(org.apache.flink.configuration.RestartStrategyOptions.RESTART_STRATEGY,
        "fixed-delay");
    conf.set(org.apache.flink.configuration.RestartStrategyOptions
        .RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 1);
    conf.set(org.apache.flink.configuration.RestartStrategyOptions
        .RESTART_STRATEGY_FIXED_DELAY_DELAY, java.time.Duration.ofMillis(100));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setParallelism(1);
    env.fromData(records)
        .process(new io.gradflow.jobs.kafka.ExampleDecodeFunction(config.decoder()),
            io.gradflow.flink.CompactExampleTypeInfo.INSTANCE)
        .map(new FailFirstAttempt()).returns(io.gradflow.flink.CompactExampleTypeInfo.INSTANCE)
        .sinkTo(new org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink<>());
    Map<String, Object> accumulators = env.execute("restarted").getAllAccumulatorResults();
    assertEquals(1, TrainConsole.attempt(accumulators), accumulators.toString());
    assertEquals(3, TrainConsole.input(accumulators).get("file:0")[InputAccumulator.COUNT],
        "the restarted attempt's count: " + accumulators);
  }
}
