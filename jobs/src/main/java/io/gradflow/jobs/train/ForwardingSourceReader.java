package io.gradflow.jobs.train;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.core.io.InputStatus;

/**
 * A {@link SourceReader} that forwards every call to another, for readers that change a few of
 * them (Guava's {@code Forwarding*} pattern): {@code EndingKafkaSource}'s held splits,
 * {@code evaluate}'s holding file source. Runs in the task thread, as every reader.
 */
public abstract class ForwardingSourceReader<T, S extends SourceSplit>
    implements SourceReader<T, S> {
  protected final SourceReader<T, S> delegate;

  protected ForwardingSourceReader(SourceReader<T, S> delegate) {
    this.delegate = delegate;
  }

  @Override
  public void start() {
    delegate.start();
  }

  @Override
  public InputStatus pollNext(ReaderOutput<T> output) throws Exception {
    return delegate.pollNext(output);
  }

  @Override
  public CompletableFuture<Void> isAvailable() {
    return delegate.isAvailable();
  }

  @Override
  public List<S> snapshotState(long checkpointId) {
    return delegate.snapshotState(checkpointId);
  }

  @Override
  public void addSplits(List<S> splits) {
    delegate.addSplits(splits);
  }

  @Override
  public void notifyNoMoreSplits() {
    delegate.notifyNoMoreSplits();
  }

  @Override
  public void handleSourceEvents(SourceEvent sourceEvent) {
    delegate.handleSourceEvents(sourceEvent);
  }

  @Override
  public void pauseOrResumeSplits(Collection<String> splitsToPause,
      Collection<String> splitsToResume) {
    delegate.pauseOrResumeSplits(splitsToPause, splitsToResume);
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
  public void close() throws Exception {
    delegate.close();
  }
}
