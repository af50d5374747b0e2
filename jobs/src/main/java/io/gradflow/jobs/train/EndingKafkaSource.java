package io.gradflow.jobs.train;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.BiConsumer;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
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
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.metrics.groups.SplitEnumeratorMetricGroup;

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
 * later (a restarted subtask), after the connector has handed that reader its splits. An
 * unbounded source is returned unwrapped. Signalling twice is harmless (the connector may do it
 * too on a fresh start).
 *
 * <p>Serializable as every {@link Source}; the enumerator runs in the coordinator thread only.
 */
final class EndingKafkaSource<T> implements Source<T, KafkaPartitionSplit, KafkaSourceEnumState>,
    ResultTypeQueryable<T> {
  private static final long serialVersionUID = 1L;
  private final KafkaSource<T> delegate;

  private EndingKafkaSource(KafkaSource<T> delegate) {
    this.delegate = delegate;
  }

  /** The source to use: wrapped when bounded, else {@code source} itself. */
  static <T> Source<T, KafkaPartitionSplit, KafkaSourceEnumState> of(KafkaSource<T> source) {
    return source.getBoundedness() == Boundedness.BOUNDED ? new EndingKafkaSource<>(source)
        : source;
  }

  @Override
  public Boundedness getBoundedness() {
    return delegate.getBoundedness();
  }

  @Override
  public SourceReader<T, KafkaPartitionSplit> createReader(SourceReaderContext context)
      throws Exception {
    return delegate.createReader(context);
  }

  @Override
  public SplitEnumerator<KafkaPartitionSplit, KafkaSourceEnumState> createEnumerator(
      SplitEnumeratorContext<KafkaPartitionSplit> context) {
    Tracking tracking = new Tracking(context);
    return new Enumerator(delegate.createEnumerator(tracking), tracking);
  }

  @Override
  public SplitEnumerator<KafkaPartitionSplit, KafkaSourceEnumState> restoreEnumerator(
      SplitEnumeratorContext<KafkaPartitionSplit> context, KafkaSourceEnumState state)
      throws Exception {
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
