package io.gradflow.jobs.train;

import io.gradflow.flink.CompactExampleTypeInfo;
import io.gradflow.flink.MetricsEvent;
import io.gradflow.flink.RowChange;
import io.gradflow.flink.Scored;
import io.gradflow.flink.TrainerOperator;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.kafka.CompactLabel;
import io.gradflow.jobs.snapshot.Provenance;
import io.gradflow.model.CompactExample;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.dag.Transformation;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.transformations.UnionTransformation;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The training part of the job graph, from decoded examples (and delayed labels) to predictions,
 * metrics and the changelog: independent of where records come from, so tests and benchmarks feed
 * it from memory and the job from Kafka.
 *
 * <pre>
 *   examples ── split ─┬─ labeled ──────────────────────────────────────┐
 *                      └─ unlabeled ─┐                                  │
 *   labels ──────────── join by example id ─ unlabeled, then labeled ───┤
 *                                                                       └─ race fan-out ─
 *                                                                          keyBy model ─
 *                                                     (timeout hold, chained, delayed labels) ─ trainer
 * </pre>
 *
 * <p><b>At parallelism 1</b> (the trainer and all that feeds it, as {@code evaluate} runs) there
 * is one key-group range, so "keyBy model" is no exchange: the stream is reinterpreted as keyed
 * ({@link DataStreamUtils#reinterpretAsKeyedStream}) and the trainer runs chained to the decode
 * function (and the race fan-out) on its thread. With object reuse on, the trainer then gets the
 * decoder's own objects, and a race's candidates one object each sharing the example's arrays:
 * safe because the decoders make new records and arrays for every input
 * ({@code ExampleDecodeFunctionTest}) and the trainer neither changes nor keeps its input. With
 * delayed labels the trainer's input is a union of two streams, so it is not chained (a chained
 * operator has one input), but it reads the same channels in the same order as through the
 * exchange. The uids are the same either way: savepoints restore between parallelism 1 and more
 * in both directions ({@code RescaleITCase}).
 *
 * <p><b>Order with delayed labels.</b> An unlabeled example reaches the trainer only through the
 * label join, which emits it unlabeled (to be scored) when it arrives and labeled (to be learned)
 * when its label joins or its timeout gives it the default label. Both copies leave the same join
 * subtask on the same channel to the same trainer subtask, so the trainer always scores an
 * example before it learns it, whatever the order in which examples and labels arrive (a labels
 * topic read before its examples included). Records on different channels keep no order between
 * them: the trainer's order across examples is their arrival order at the trainer. At parallelism
 * 1 that is the examples' order, labeled ones (direct) and unlabeled ones (through the join) each
 * in order, interleaved as they reach the trainer; above 1 a model's unlabeled examples come from
 * the join subtasks of their example ids, so they are no longer in their partition's order. One
 * exception keeps event time: an example the join emits at or after its deadline (the timeout's
 * default label, or a label later than it) waits in the {@link TimeoutHold} until the trainer's
 * watermark passes its deadline, so the examples at the end of a bounded input that time out there
 * are learned after its last example, in one run as in a run restored from a savepoint.
 *
 * Every stateful operator has a stable uid, so savepoints restore across versions and rescaling.
 * The trainer keeps the job's {@link Provenance} in its state, for {@code gradflow export}.
 */
public final class TrainPipeline {
  /** The uids of this part's operators, which every job built on it gives them. */
  static final String UNLABELED_UID = "unlabeled.v1";
  static final String LABEL_JOIN_UID = "label-join.v1";
  static final String RACE_FAN_OUT_UID = "race-fan-out.v1";
  static final String TRAINER_UID = "trainer.v1";
  static final String TIMEOUT_HOLD_UID = "timeout-hold.v1";

  /**
   * Every uid of the training part ({@link #build}): the operators whose state a savepoint of the
   * training job holds besides its sources' ({@code evaluate --final-savepoint} keeps only
   * these).
   */
  public static final java.util.Set<String> OPERATOR_UIDS =
      java.util.Set.of(UNLABELED_UID, LABEL_JOIN_UID, RACE_FAN_OUT_UID, TIMEOUT_HOLD_UID,
          TRAINER_UID);

  private TrainPipeline() {}

  /** The trainer's outputs. */
  public record Outputs(SingleOutputStreamOperator<Scored> predictions,
      DataStream<MetricsEvent> metrics, DataStream<RowChange> changelog) {}

  /**
   * @param labels delayed labels, or null when every example carries its label (or none)
   */
  public static Outputs build(DataStream<CompactExample> examples, DataStream<CompactLabel> labels,
      TrainConfig config) {
    return build(examples, labels, config, null);
  }

  /**
   * @param source where the examples come from, for the audit record ({@link
   *     Provenance#evaluateSource}); null for the job's Kafka topics
   */
  public static Outputs build(DataStream<CompactExample> examples, DataStream<CompactLabel> labels,
      TrainConfig config, com.fasterxml.jackson.databind.node.ObjectNode source) {
    DataStream<CompactExample> toTrainer = examples;
    if (labels != null) {
      // Stateless; it keeps the uid of the filter it replaced (unlabeled examples only), so
      // savepoints of either version restore into the other.
      SingleOutputStreamOperator<CompactExample> unlabeled = examples
          .process(new SplitByLabel())
          .returns(CompactExampleTypeInfo.INSTANCE)
          .name("unlabeled").uid(UNLABELED_UID);
      DataStream<CompactExample> joined = unlabeled
          .keyBy(e -> e.exampleId)
          .connect(labels.keyBy(l -> l.exampleId))
          .process(new LabelJoinFunction(config.labels()))
          .returns(CompactExampleTypeInfo.INSTANCE)
          .name("label-join").uid(LABEL_JOIN_UID);
      toTrainer = unlabeled.getSideOutput(SplitByLabel.LABELED).union(joined);
    }
    if (config.candidates().size() > 1 || !config.candidates().containsKey("")) {
      toTrainer = toTrainer.flatMap(new RaceFanOut(new ArrayList<>(config.candidates().keySet())))
          .returns(CompactExampleTypeInfo.INSTANCE)
          .name("race-fan-out").uid(RACE_FAN_OUT_UID);
    }
    KeySelector<CompactExample, String> byModel = e -> e.modelKey;
    // On one subtask every key is in its one key-group range, so the stream is keyed as it is:
    // no exchange, and the trainer runs chained to what feeds it, on the same thread, receiving
    // the upstream's objects (object reuse is on) rather than deserialized copies.
    KeyedStream<CompactExample, String> keyed = onOneSubtask(toTrainer)
        ? DataStreamUtils.reinterpretAsKeyedStream(toTrainer, byModel, Types.STRING)
        : toTrainer.keyBy(byModel, Types.STRING);
    if (labels != null) {
      // Chained to the trainer (forward, same keys): the join's late output waits for the
      // watermark, so it is learned at the same point of event time in every run.
      keyed = DataStreamUtils.reinterpretAsKeyedStream(keyed
          .process(new TimeoutHold(config.labels()))
          .returns(CompactExampleTypeInfo.INSTANCE)
          .name("timeout-hold").uid(TIMEOUT_HOLD_UID), byModel, Types.STRING);
    }
    SingleOutputStreamOperator<Scored> predictions = keyed
        .transform("trainer", TypeInformation.of(Scored.class),
            new TrainerOperator(config.candidates(), config.trainer(), config.hashBits(),
                Provenance.of(config, TrainJob.checkpointDirectory(config), source),
                new Provenance.Carry(examples.getExecutionEnvironment().getConfiguration()
                    .getOptional(StateRecoveryOptions.SAVEPOINT_PATH).orElse(null))))
        .uid(TRAINER_UID);
    return new Outputs(predictions, predictions.getSideOutput(TrainerOperator.METRICS),
        predictions.getSideOutput(TrainerOperator.CHANGELOG));
  }

  /**
   * Whether {@code stream}, every input of it and the trainer (the environment's parallelism) run
   * at parallelism 1. A union takes its first input's parallelism, so each input is checked.
   */
  static boolean onOneSubtask(DataStream<?> stream) {
    return stream.getExecutionEnvironment().getParallelism() == 1
        && onOneSubtask(stream.getTransformation());
  }

  private static boolean onOneSubtask(Transformation<?> transformation) {
    if (transformation.getParallelism() != 1) {
      return false;
    }
    if (transformation instanceof UnionTransformation<?>) {
      for (Transformation<?> input : transformation.getInputs()) {
        if (!onOneSubtask(input)) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * Unlabeled examples to the main output (for the label join), labeled ones to
   * {@link #LABELED} (straight to the trainer). Stateless.
   */
  static final class SplitByLabel extends ProcessFunction<CompactExample, CompactExample> {
    private static final long serialVersionUID = 1L;
    static final OutputTag<CompactExample> LABELED =
        new OutputTag<>("labeled", CompactExampleTypeInfo.INSTANCE);

    @Override
    public void processElement(CompactExample example, Context ctx,
        Collector<CompactExample> out) {
      if (example.hasLabel()) {
        ctx.output(LABELED, example);
      } else {
        out.collect(example);
      }
    }
  }

  /** One copy of every example per candidate of the race, keyed {@code model#candidate}. */
  static final class RaceFanOut implements FlatMapFunction<CompactExample, CompactExample> {
    private static final long serialVersionUID = 1L;
    private final List<String> candidates;

    RaceFanOut(List<String> candidates) {
      this.candidates = candidates;
    }

    @Override
    public void flatMap(CompactExample example, Collector<CompactExample> out) {
      for (String candidate : candidates) {
        out.collect(example.withModelKey(TrainerOperator.candidateKey(example.modelKey,
            candidate)));
      }
    }
  }
}
