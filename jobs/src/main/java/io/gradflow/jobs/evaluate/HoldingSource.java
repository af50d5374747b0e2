package io.gradflow.jobs.evaluate;

import io.gradflow.jobs.kafka.RawRecord;
import io.gradflow.jobs.train.ForwardingSourceReader;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.api.common.ExecutionConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.streaming.api.operators.OutputTypeConfigurable;

/**
 * The file's source for {@code evaluate --final-savepoint}: Flink's in-memory source of the
 * file's records ({@code fromData}'s) that, at the end of the file, emits one end marker
 * ({@link RawRecord#endOfInput}, counted by the decode function as {@code train}'s holding
 * sources are) and then holds, emitting nothing, until the command {@linkplain Hold#release()
 * releases} it; then it ends, and the job ends as an evaluation without a savepoint does (the
 * trainer's end of input: the last metrics report, the changelog, the delayed labels' timeouts).
 * While it holds, the command takes a savepoint that does not stop the job: the state after the
 * file's last example, before the end of input.
 *
 * <p>Why a release and not Flink's checkpoint notification: a savepoint that does not stop the
 * job is not notified to the tasks (Flink notifies checkpoints and stop-with-savepoint only).
 * The release is an in-process handshake through {@link #HOLDS}, keyed by a {@link Hold}'s id:
 * {@code evaluate} always runs its job on a local MiniCluster in the command's own JVM, whose
 * user code classes are the command's (no jars are shipped). A reader whose hold is not found
 * (another JVM) does not hold. Everything else is the delegate's: splits, state, serializers.
 *
 * <p>Serializable as every {@link Source}; a reader runs in its task thread, {@link #HOLDS} is
 * thread-safe.
 */
final class HoldingSource<S extends SourceSplit, E>
    implements Source<RawRecord, S, E>, ResultTypeQueryable<RawRecord>,
    OutputTypeConfigurable<RawRecord> {
  private static final long serialVersionUID = 1L;
  /** The open holds of this JVM, by id: completed when released. */
  private static final Map<String, CompletableFuture<Void>> HOLDS = new ConcurrentHashMap<>();

  private final Source<RawRecord, S, E> delegate;
  private final String hold;
  private final String topic;

  /**
   * @param topic the end marker's topic (the file's name, as the records')
   */
  HoldingSource(Source<RawRecord, S, E> delegate, Hold hold, String topic) {
    this.delegate = delegate;
    this.hold = hold.id;
    this.topic = topic;
  }

  /**
   * One evaluation's hold: opened before its job starts, released once its savepoint is taken
   * (or was given up), and always closed (which releases). Thread-safe.
   */
  static final class Hold implements AutoCloseable {
    final String id = UUID.randomUUID().toString();
    private final CompletableFuture<Void> released = new CompletableFuture<>();

    Hold() {
      HOLDS.put(id, released);
    }

    /** Lets the source end. Idempotent. */
    void release() {
      released.complete(null);
    }

    @Override
    public void close() {
      release();
      HOLDS.remove(id);
    }
  }

  @Override
  public Boundedness getBoundedness() {
    return delegate.getBoundedness();
  }

  @Override
  public SourceReader<RawRecord, S> createReader(SourceReaderContext context) throws Exception {
    return new Reader<>(delegate.createReader(context), context, HOLDS.get(hold), topic);
  }

  @Override
  public SplitEnumerator<S, E> createEnumerator(SplitEnumeratorContext<S> context)
      throws Exception {
    return delegate.createEnumerator(context);
  }

  @Override
  public SplitEnumerator<S, E> restoreEnumerator(SplitEnumeratorContext<S> context, E state)
      throws Exception {
    return delegate.restoreEnumerator(context, state);
  }

  @Override
  public SimpleVersionedSerializer<S> getSplitSerializer() {
    return delegate.getSplitSerializer();
  }

  @Override
  public SimpleVersionedSerializer<E> getEnumeratorCheckpointSerializer() {
    return delegate.getEnumeratorCheckpointSerializer();
  }

  @Override
  public TypeInformation<RawRecord> getProducedType() {
    return TypeInformation.of(RawRecord.class);
  }

  @Override
  @SuppressWarnings("unchecked")
  public void setOutputType(TypeInformation<RawRecord> type, ExecutionConfig config) {
    if (delegate instanceof OutputTypeConfigurable<?> c) {
      ((OutputTypeConfigurable<RawRecord>) c).setOutputType(type, config);
    }
  }

  /** The delegate's reader, holding at its end until released. Runs in the task thread. */
  private static final class Reader<S extends SourceSplit>
      extends ForwardingSourceReader<RawRecord, S> {
    private final SourceReaderContext context;
    /** Completed on release; null: do not hold. */
    private final CompletableFuture<Void> released;
    private final String topic;
    private boolean holding;

    Reader(SourceReader<RawRecord, S> delegate, SourceReaderContext context,
        CompletableFuture<Void> released, String topic) {
      super(delegate);
      this.context = context;
      this.released = released;
      this.topic = topic;
    }

    @Override
    public InputStatus pollNext(ReaderOutput<RawRecord> output) throws Exception {
      if (holding) {
        return released.isDone() ? InputStatus.END_OF_INPUT : InputStatus.NOTHING_AVAILABLE;
      }
      InputStatus status = delegate.pollNext(output);
      if (status == InputStatus.END_OF_INPUT && released != null) {
        holding = true;
        output.collect(RawRecord.endOfInput(topic, context.getIndexOfSubtask()));
        return released.isDone() ? InputStatus.END_OF_INPUT : InputStatus.NOTHING_AVAILABLE;
      }
      return status;
    }

    @Override
    public CompletableFuture<Void> isAvailable() {
      return holding ? released : delegate.isAvailable();
    }
  }
}
