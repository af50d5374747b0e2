package io.gradflow.jobs.train;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.ReaderInfo;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.connector.source.SplitsAssignment;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.KafkaSourceEnumState;
import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplit;
import org.apache.flink.connector.kafka.source.enumerator.KafkaSourceEnumerator;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.metrics.groups.SplitEnumeratorMetricGroup;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.common.TopicPartition;

/**
 * A {@link KafkaSource} whose bounded reading ends after a restore from a checkpoint or a
 * savepoint. Works around FLINK-31006 (still present in flink-connector-kafka 5.0.0-2.2): after a
 * restore, the Kafka enumerator's one partition discovery finds no partition it does not know
 * already, returns early, and so never sets its "no more new splits" flag; the readers, whose
 * splits came back from their own state, reach the stopping offsets, go idle and wait for a
 * "no more splits" signal that never comes. All output is committed, then the job runs forever.
 *
 * <p>The wrapper delegates everything to the connector (same splits, same state, same
 * serializers, so checkpoints and savepoints are interchangeable with the plain source) and, for
 * a bounded source only, signals "no more splits" itself once it is sure there are none: the
 * connector's asynchronous discovery calls have all returned, the initial discovery is finished
 * and the enumerator holds no unassigned split. It signals again to a reader that registers
 * later (a restarted subtask), after the connector has handed that reader its splits. Signalling
 * twice is harmless (the connector may do it too on a fresh start). An unbounded source's
 * enumerator is the connector's own.
 *
 * <p>Its readers ({@code HeldSplits}) keep the positions of partitions read to their end in the
 * savepoint of a run that ends with one, and give restored splits the end of the job that
 * restores them: a live job reads on, a bounded one to its {@code kafka.bounded}.
 *
 * <p>Serializable as every {@link Source}; the enumerator runs in the coordinator thread only.
 */
final class EndingKafkaSource<T> implements Source<T, KafkaPartitionSplit, KafkaSourceEnumState>,
    ResultTypeQueryable<T> {
  private static final long serialVersionUID = 1L;
  private final KafkaSource<T> delegate;
  /** How a bounded source ends a split restored without an end of its own; null if unbounded. */
  private final Ends endOf;
  /** The record a holding reader emits once at its end; null for a source that ends. */
  private final SerializableFunction<Integer, T> endMarker;

  private EndingKafkaSource(KafkaSource<T> delegate,
      Ends endOf, SerializableFunction<Integer, T> endMarker) {
    this.delegate = delegate;
    this.endOf = endOf;
    this.endMarker = endMarker;
  }

  /**
   * The source of a job that goes on from savepoints: a restored split that was read to its end
   * ({@link HeldSplits}) reads on, to {@code endOf} of its partition when {@code source} is
   * bounded, without an end when it is not. With {@code endMarker} (bounded sources only) the
   * source does not end: each reader, once all its splits reached their stopping offsets, emits
   * {@code endMarker.apply(subtask)} once and then holds, emitting nothing, until the job is
   * stopped (with a savepoint: {@code train --final-savepoint}); its splits stay in its state.
   *
   * @param endOf the stopping offsets of partitions, as the bounded source's configured end says
   *     ({@link #ends}); ignored for an unbounded source
   */
  static <T> Source<T, KafkaPartitionSplit, KafkaSourceEnumState> readingOn(
      KafkaSource<T> source, Ends endOf,
      SerializableFunction<Integer, T> endMarker) {
    boolean bounded = source.getBoundedness() == Boundedness.BOUNDED;
    if (endMarker != null && !bounded) {
      throw new IllegalArgumentException("only a bounded source can hold at its end");
    }
    return new EndingKafkaSource<>(source, bounded ? endOf : null, endMarker);
  }

  @Override
  public Boundedness getBoundedness() {
    return delegate.getBoundedness();
  }

  @Override
  public SourceReader<T, KafkaPartitionSplit> createReader(SourceReaderContext context)
      throws Exception {
    SourceReader<T, KafkaPartitionSplit> reader = delegate.createReader(context);
    return endOf == null && endMarker == null && getBoundedness() == Boundedness.BOUNDED ? reader
        : new HeldSplits<>(reader, context, endOf, endMarker);
  }

  @Override
  public SplitEnumerator<KafkaPartitionSplit, KafkaSourceEnumState> createEnumerator(
      SplitEnumeratorContext<KafkaPartitionSplit> context) throws Exception {
    if (getBoundedness() != Boundedness.BOUNDED) {
      return delegate.createEnumerator(context);
    }
    Tracking tracking = new Tracking(context);
    return new Enumerator(delegate.createEnumerator(tracking), tracking);
  }

  @Override
  public SplitEnumerator<KafkaPartitionSplit, KafkaSourceEnumState> restoreEnumerator(
      SplitEnumeratorContext<KafkaPartitionSplit> context, KafkaSourceEnumState state)
      throws Exception {
    if (getBoundedness() != Boundedness.BOUNDED) {
      return delegate.restoreEnumerator(context, state);
    }
    Tracking tracking = new Tracking(context);
    return new Enumerator(delegate.restoreEnumerator(tracking, state), tracking);
  }

  @Override
  public SimpleVersionedSerializer<KafkaPartitionSplit> getSplitSerializer() {
    return delegate.getSplitSerializer();
  }

  @Override
  public SimpleVersionedSerializer<KafkaSourceEnumState> getEnumeratorCheckpointSerializer() {
    return delegate.getEnumeratorCheckpointSerializer();
  }

  @Override
  public TypeInformation<T> getProducedType() {
    return delegate.getProducedType();
  }

  /** The stopping offsets a bounded source gives restored splits that have none. */
  @FunctionalInterface
  interface Ends extends java.io.Serializable {
    Map<TopicPartition, Long> of(java.util.Collection<TopicPartition> partitions);
  }

  /**
   * The ends {@code end} (the {@code kafka.bounded} initializer) gives partitions now, asked of
   * the brokers with an admin client made from {@code properties} (bootstrap servers included),
   * as the connector's enumerator asks them.
   */
  static Ends ends(java.util.Properties properties, String groupId, OffsetsInitializer end) {
    return partitions -> {
      try (AdminClient admin = AdminClient.create(properties)) {
        return end.getPartitionOffsets(partitions,
            new KafkaSourceEnumerator.PartitionOffsetsRetrieverImpl(admin, groupId));
      }
    };
  }

  /** A {@link java.util.function.Function} that Flink can ship with the job. */
  @FunctionalInterface
  interface SerializableFunction<A, B> extends java.util.function.Function<A, B>,
      java.io.Serializable {}

  /**
   * The connector's reader, keeping splits read to their end in its state.
   *
   * <p>The connector drops a split from the reader's state once it reaches its stopping offset,
   * and the enumerator's state keeps it as assigned: a job restored from that state never reads
   * the partition again. This reader (when holding) reports such a split in its state as
   * {@code (partition, start = stop = end)}, a split read to its end, and when it is restored
   * (splits added before {@link #start()} come from state) gives it a new end: none for an
   * unbounded source, so a live job reads on; the bounded source's {@code endOf} otherwise, so a
   * backfill continues in stages. An unbounded source also drops the end of any restored split,
   * so a live job started from a bounded run's savepoint or checkpoint never stops reading.
   *
   * <p>Holding: when the connector's reader ends (every split at its stopping offset, no more
   * splits coming), this reader emits one end marker and then reports nothing available, never
   * ending: a finished job cannot be savepointed. Flink's stop-with-savepoint stops it. Runs in the
   * task thread, as every reader.
   */
  private static final class HeldSplits<T> extends ForwardingSourceReader<T, KafkaPartitionSplit> {
    private final SourceReaderContext context;
    private final Ends endOf;
    private final SerializableFunction<Integer, T> endMarker;
    /** The splits this reader was given, by split id: their stopping offsets. */
    private final Map<String, KafkaPartitionSplit> given = new java.util.LinkedHashMap<>();
    private final CompletableFuture<Void> never = new CompletableFuture<>();
    private boolean started;
    private boolean holding;

    HeldSplits(SourceReader<T, KafkaPartitionSplit> delegate, SourceReaderContext context,
        Ends endOf,
        SerializableFunction<Integer, T> endMarker) {
      super(delegate);
      this.context = context;
      this.endOf = endOf;
      this.endMarker = endMarker;
    }

    @Override
    public void start() {
      started = true;
      delegate.start();
    }

    @Override
    public InputStatus pollNext(ReaderOutput<T> output) throws Exception {
      if (holding) {
        return InputStatus.NOTHING_AVAILABLE;
      }
      InputStatus status = delegate.pollNext(output);
      if (status == InputStatus.END_OF_INPUT && endMarker != null) {
        holding = true;
        output.collect(endMarker.apply(context.getIndexOfSubtask()));
        return InputStatus.NOTHING_AVAILABLE;
      }
      return status;
    }

    @Override
    public CompletableFuture<Void> isAvailable() {
      return holding ? never : delegate.isAvailable();
    }

    @Override
    public List<KafkaPartitionSplit> snapshotState(long checkpointId) {
      List<KafkaPartitionSplit> splits = delegate.snapshotState(checkpointId);
      if (!holding) {
        return splits;
      }
      List<KafkaPartitionSplit> all = new java.util.ArrayList<>(splits);
      Set<String> open = new HashSet<>();
      splits.forEach(s -> open.add(s.splitId()));
      for (KafkaPartitionSplit split : given.values()) {
        long end = split.getStoppingOffset().orElse(-1L);
        if (!open.contains(split.splitId()) && end >= 0) {
          all.add(new KafkaPartitionSplit(split.getTopicPartition(), end, end));
        }
      }
      return all;
    }

    @Override
    public void addSplits(List<KafkaPartitionSplit> splits) {
      List<KafkaPartitionSplit> added = started ? splits : restored(splits);
      added.forEach(s -> given.put(s.splitId(), s));
      delegate.addSplits(added);
    }

    /** Splits from the reader's state, with the ends this job gives them. */
    private List<KafkaPartitionSplit> restored(List<KafkaPartitionSplit> splits) {
      if (endOf == null) { // unbounded: every split reads on
        return splits.stream().map(s -> s.getStoppingOffset().isEmpty() ? s
            : new KafkaPartitionSplit(s.getTopicPartition(), s.getStartingOffset())).toList();
      }
      List<TopicPartition> readOn = splits.stream().filter(HeldSplits::readsOn)
          .map(KafkaPartitionSplit::getTopicPartition).toList();
      Map<TopicPartition, Long> ends = readOn.isEmpty() ? Map.of() : endOf.of(readOn);
      return splits.stream().map(s -> !readsOn(s) ? s : new KafkaPartitionSplit(
          s.getTopicPartition(), s.getStartingOffset(), ends.getOrDefault(s.getTopicPartition(),
              KafkaPartitionSplit.LATEST_OFFSET))).toList();
    }

    /** A split read to its end by a holding reader, or one without an end (a live job's). */
    private static boolean readsOn(KafkaPartitionSplit split) {
      long stop = split.getStoppingOffset().orElse(KafkaPartitionSplit.NO_STOPPING_OFFSET);
      return stop == KafkaPartitionSplit.NO_STOPPING_OFFSET
          || stop >= 0 && split.getStartingOffset() >= stop;
    }

  }

  /** The connector's enumerator, plus the "no more splits" signal it forgets after a restore. */
  private static final class Enumerator
      implements SplitEnumerator<KafkaPartitionSplit, KafkaSourceEnumState> {
    private final SplitEnumerator<KafkaPartitionSplit, KafkaSourceEnumState> delegate;
    private final Tracking context;
    private final Set<Integer> signalled = new HashSet<>();

    Enumerator(SplitEnumerator<KafkaPartitionSplit, KafkaSourceEnumState> delegate,
        Tracking context) {
      this.delegate = delegate;
      this.context = context;
      context.afterCall = this::signalWhenDone;
    }

    @Override
    public void start() {
      delegate.start();
      signalWhenDone();
    }

    @Override
    public void handleSplitRequest(int subtaskId, String requesterHostname) {
      delegate.handleSplitRequest(subtaskId, requesterHostname);
    }

    @Override
    public void addSplitsBack(List<KafkaPartitionSplit> splits, int subtaskId) {
      signalled.remove(subtaskId);
      delegate.addSplitsBack(splits, subtaskId);
    }

    @Override
    public void addReader(int subtaskId) {
      signalled.remove(subtaskId); // a new attempt of the subtask needs the signal again
      delegate.addReader(subtaskId);
      signalWhenDone();
    }

    @Override
    public KafkaSourceEnumState snapshotState(long checkpointId) throws Exception {
      return delegate.snapshotState(checkpointId);
    }

    @Override
    public void close() throws java.io.IOException {
      delegate.close();
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
      delegate.notifyCheckpointComplete(checkpointId);
    }

    @Override
    public void notifyCheckpointAborted(long checkpointId) throws Exception {
      delegate.notifyCheckpointAborted(checkpointId);
    }

    @Override
    public void handleSourceEvent(int subtaskId, SourceEvent sourceEvent) {
      delegate.handleSourceEvent(subtaskId, sourceEvent);
    }

    /** Signals "no more splits" to every registered reader once no split can come any more. */
    private void signalWhenDone() {
      if (context.pending > 0) {
        return; // the connector's discovery is still under way
      }
      KafkaSourceEnumState state;
      try {
        state = delegate.snapshotState(-1); // a copy of its split bookkeeping; no side effect
      } catch (Exception e) {
        return;
      }
      if (!state.initialDiscoveryFinished() || !state.unassignedSplits().isEmpty()) {
        return;
      }
      for (int reader : context.registeredReaders().keySet()) {
        if (signalled.add(reader)) {
          context.signalNoMoreSplits(reader);
        }
      }
    }
  }

  /**
   * The enumerator context, counting the connector's asynchronous calls still to return, and
   * running a check after each returns (in the coordinator thread, as the call's handler).
   */
  private static final class Tracking implements SplitEnumeratorContext<KafkaPartitionSplit> {
    private final SplitEnumeratorContext<KafkaPartitionSplit> context;
    int pending;
    Runnable afterCall = () -> {};

    Tracking(SplitEnumeratorContext<KafkaPartitionSplit> context) {
      this.context = context;
    }

    @Override
    public <V> void callAsync(Callable<V> callable, BiConsumer<V, Throwable> handler) {
      pending++;
      context.callAsync(callable, (value, error) -> {
        pending--;
        handler.accept(value, error);
        afterCall.run();
      });
    }

    @Override
    public <V> void callAsync(Callable<V> callable, BiConsumer<V, Throwable> handler,
        long initialDelay, long period) {
      // periodic discovery (unbounded sources only): never "done"
      pending++;
      context.callAsync(callable, handler, initialDelay, period);
    }

    @Override
    public SplitEnumeratorMetricGroup metricGroup() {
      return context.metricGroup();
    }

    @Override
    public void sendEventToSourceReader(int subtaskId, SourceEvent event) {
      context.sendEventToSourceReader(subtaskId, event);
    }

    @Override
    public void sendEventToSourceReader(int subtaskId, int attemptNumber, SourceEvent event) {
      context.sendEventToSourceReader(subtaskId, attemptNumber, event);
    }

    @Override
    public int currentParallelism() {
      return context.currentParallelism();
    }

    @Override
    public Map<Integer, ReaderInfo> registeredReaders() {
      return context.registeredReaders();
    }

    @Override
    public Map<Integer, Map<Integer, ReaderInfo>> registeredReadersOfAttempts() {
      return context.registeredReadersOfAttempts();
    }

    @Override
    public void assignSplits(SplitsAssignment<KafkaPartitionSplit> newSplitAssignments) {
      context.assignSplits(newSplitAssignments);
    }

    @Override
    public void signalNoMoreSplits(int subtask) {
      context.signalNoMoreSplits(subtask);
    }

    @Override
    public void runInCoordinatorThread(Runnable runnable) {
      context.runInCoordinatorThread(runnable);
    }

    @Override
    public void setIsProcessingBacklog(boolean isProcessingBacklog) {
      context.setIsProcessingBacklog(isProcessingBacklog);
    }
  }
}
