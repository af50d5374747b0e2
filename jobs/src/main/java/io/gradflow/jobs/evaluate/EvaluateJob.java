package io.gradflow.jobs.evaluate;

import io.gradflow.flink.CompactExampleTypeInfo;
import io.gradflow.flink.MetricsEvent;
import io.gradflow.flink.Scored;
import io.gradflow.flink.TrainerSettings;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.kafka.DeadLetter;
import io.gradflow.jobs.kafka.ExampleDecodeFunction;
import io.gradflow.jobs.kafka.ExampleDecoder;
import io.gradflow.jobs.kafka.RawRecord;
import io.gradflow.jobs.kafka.CompactLabel;
import io.gradflow.jobs.train.ProgressTaps;
import io.gradflow.jobs.train.TrainJob;
import io.gradflow.jobs.train.TrainPipeline;
import io.gradflow.model.CompactExample;
import java.util.List;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.Collector;

/**
 * The training job's own operators over the records of a file, on a local MiniCluster: the
 * job's decoding and validation ({@link ExampleDecodeFunction}: bad records become dead letters,
 * as in {@code train}), the trainer ({@link TrainPipeline}) and the console's accumulators
 * ({@link ProgressTaps}), with every output funnelled into {@link EvaluateOutput}s for the client
 * to collect. Parallelism 1 and a bounded source read in order ({@link FileReplaySource}, as
 * the job consumes it) keep the file's order: each example is predicted, then learned
 * (progressive validation).
 *
 * <pre>
 *   file records ─ decode (dead letters ─┐) ─ {@link TrainPipeline} ─ predictions ─┐
 *                     (with labels.delayed: the label join, no label arriving)   │
 *                                        │                ├─ metrics ─────────┤
 *                                        │                └─ changed rows ────┴─► collect
 *                                        └────────────────────────────────────┘
 * </pre>
 *
 * The changelog is switched on (once, at the end of the input, unless {@code changelog.every}
 * asks for more) to count the rows the model holds at the end; it does not change what is learned.
 */
public final class EvaluateJob {
  private EvaluateJob() {}

  /** The Flink configuration of an evaluation: the job's state backend; no checkpoints. */
  public static Configuration flinkConfiguration(TrainConfig config) {
    Configuration c = new Configuration();
    c.set(StateBackendOptions.STATE_BACKEND, config.state().backend());
    return c;
  }

  /**
   * With {@code --final-savepoint}: checkpoint storage on the file system under {@code directory}
   * (a temporary one the caller deletes). Without it Flink keeps a savepoint's state in the
   * JobManager's memory and refuses a state stream above 5 MiB (the whole model, at parallelism
   * 1), so any model of a realistic size could not be saved.
   */
  static Configuration withSavepointStorage(Configuration c, java.nio.file.Path directory) {
    c.set(org.apache.flink.configuration.CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
    c.set(org.apache.flink.configuration.CheckpointingOptions.CHECKPOINTS_DIRECTORY,
        directory.toUri().toString());
    return c;
  }

  /**
   * The configuration the trainer runs with: the job's, with the changelog on at the end, and
   * without a batch timeout (processing time would make a file's result vary from run to run:
   * mini-batches are cut by the batch size alone, the last one at the end).
   */
  static TrainConfig forEvaluation(TrainConfig config) {
    TrainerSettings t = config.trainer().withBatchTimeout(java.time.Duration.ZERO);
    if (t.changelogEvery() > 0) {
      return config.onOneSubtask(t);
    }
    TrainerSettings withRows = new TrainerSettings(t.cache(), t.pageBits(), t.metricsEvery(),
        Long.MAX_VALUE, t.metrics(), t.rows(), t.replay(), t.batchTimeout());
    return config.onOneSubtask(withRows);
  }

  /**
   * The max parallelism {@code train} runs {@code config} with: Gradflow sets none, so it is
   * Flink's default for {@code job.parallelism} ({@code
   * KeyGroupRangeAssignment.computeDefaultMaxParallelism}: 128 up to parallelism 85, else 1.5
   * times the parallelism rounded up to a power of two, at most 32,768), unless the cluster sets
   * {@code pipeline.max-parallelism}.
   */
  public static int trainMaxParallelism(TrainConfig config) {
    return org.apache.flink.runtime.state.KeyGroupRangeAssignment.computeDefaultMaxParallelism(
        config.parallelism());
  }

  /**
   * Adds the evaluation to {@code env} (parallelism 1); returns the stream to collect.
   *
   * @param records the examples in order, encoded as the job reads them from Kafka, held in
   *     memory ({@code validate}'s replay)
   */
  public static DataStream<EvaluateOutput> build(StreamExecutionEnvironment env,
      TrainConfig config, List<RawRecord> records) {
    prepare(env, config, false);
    return build(env, config, env.fromData(records, TypeInformation.of(RawRecord.class))
        .name("file"), null);
  }

  /**
   * Adds the evaluation of a file to {@code env} (parallelism 1), its examples read as the job
   * consumes them ({@link FileReplaySource}); returns the stream to collect. With a {@code hold}
   * ({@code --final-savepoint}), the file's source holds at its end until the hold is released
   * ({@link HoldingSource}): the same records, the same source, then the same end; and the job's
   * max parallelism is the one {@code train} runs this job file with ({@link
   * #trainMaxParallelism}), as a savepoint keeps it: the savepoint restores in {@code train} at
   * {@code job.parallelism} (at parallelism 1, Flink's default would be 128, which no
   * {@code train} above 128 can restore).
   *
   * @param reading the file, opened, with at least one example
   * @param hold the hold of a run that takes a savepoint at the end of the file, or null
   * @param source the file the examples come from, for the model's audit record ({@link
   *     io.gradflow.jobs.snapshot.Provenance#evaluateSource}), or null
   */
  static DataStream<EvaluateOutput> build(StreamExecutionEnvironment env,
      TrainConfig config, FileReading reading, HoldingSource.Hold hold,
      com.fasterxml.jackson.databind.node.ObjectNode source) {
    prepare(env, config, hold != null);
    FileReplaySource replay = new FileReplaySource(reading);
    // fromData's watermarks: records without timestamps, as its source emitted them
    DataStream<RawRecord> file = hold == null
        ? env.fromSource(replay, WatermarkStrategy.forMonotonousTimestamps(), "file")
            .setParallelism(1)
        : env.fromSource(new HoldingSource<>(replay, hold, reading.source),
            WatermarkStrategy.forMonotonousTimestamps(), "file").setParallelism(1);
    return build(env, config, file, source);
  }

  /** Parallelism 1, object reuse, and train's max parallelism for a {@code savepoint}. */
  static void prepare(StreamExecutionEnvironment env, TrainConfig config, boolean savepoint) {
    env.setParallelism(1);
    if (savepoint) {
      env.setMaxParallelism(trainMaxParallelism(config));
    }
    env.getConfig().enableObjectReuse();
  }

  /** The job's decoding, trainer and outputs over {@code file}'s records ({@link #prepare}d). */
  static DataStream<EvaluateOutput> build(StreamExecutionEnvironment env,
      TrainConfig config, DataStream<RawRecord> file,
      com.fasterxml.jackson.databind.node.ObjectNode source) {
    TrainConfig evaluation = forEvaluation(config);
    ExampleDecoder decoder = config.decoder();
    SingleOutputStreamOperator<CompactExample> examples = file
        .process(new ExampleDecodeFunction(decoder), CompactExampleTypeInfo.INSTANCE)
        .name("decode-examples");
    DataStream<EvaluateOutput> deadLetters = examples.getSideOutput(DeadLetter.TAG)
        .map(d -> EvaluateOutput.deadLetter(d.reason))
        .returns(EvaluateOutput.class).name("dead-letters");

    DataStream<CompactExample> timed = examples;
    DataStream<CompactLabel> labels = null;
    if (config.labels().delayed()) {
      // As in the job, with a labels topic where no label arrives: an unlabeled example is
      // scored, then waits labels.timeout of event time for its label and gets
      // labels.default_label (or is dropped); the end of the file ends every wait.
      timed = examples.assignTimestampsAndWatermarks(
          WatermarkStrategy.<CompactExample>forBoundedOutOfOrderness(TrainJob.OUT_OF_ORDERNESS)
              .withTimestampAssigner((e, ts) -> e.eventTime));
      labels = timed.flatMap((CompactExample e, Collector<CompactLabel> none) -> { })
          .returns(CompactLabel.class).name("no-labels");
    }
    TrainPipeline.Outputs out = TrainPipeline.build(timed, labels, evaluation,
        source != null ? source : io.gradflow.jobs.snapshot.Provenance.evaluateSource(
            "(unnamed)", "(unknown)", java.util.Map.of(), null));
    DataStream<EvaluateOutput> predictions = out.predictions()
        .map(new ProgressTaps.CountPredictions()).returns(Scored.class).name("count-predictions")
        .map(EvaluateOutput::of).returns(EvaluateOutput.class).name("predictions");
    DataStream<EvaluateOutput> metrics = out.metrics()
        .map(new ProgressTaps.CollectMetrics()).returns(MetricsEvent.class)
        .name("collect-metrics")
        .map(EvaluateOutput::of).returns(EvaluateOutput.class).name("metrics");
    DataStream<EvaluateOutput> rows = out.changelog()
        .map(r -> EvaluateOutput.row(r.modelKey, r.rowId, r.removed()))
        .returns(EvaluateOutput.class)
        .name("rows");
    return predictions.union(metrics, rows, deadLetters);
  }
}
