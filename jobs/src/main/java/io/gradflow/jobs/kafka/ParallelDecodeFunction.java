package io.gradflow.jobs.kafka;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.apache.flink.util.InstantiationUtil;

/**
 * Decodes, validates and hashes examples (or, {@link #labels}, delayed labels) on a pool of
 * {@code threads} threads beside the source's thread ({@code job.decode_parallelism}), for Flink's
 * ordered async operator
 * ({@code AsyncDataStream.orderedWait}): records leave in the order they came, so the trainer sees
 * each partition's examples in order and learns exactly what one thread would have learned, and
 * the operator keeps records in flight in its checkpoints (restored and decoded again after a
 * failure: exactly-once holds).
 *
 * <p>Each record leaves as itself, with {@link RawRecord#decoded} set to its
 * {@link io.gradflow.model.CompactExample} (or {@link CompactLabel}) or its
 * {@link RejectedRecordException}; the {@link ExampleDecodeFunction} (or
 * {@link LabelDecodeFunction}) chained after it emits the record or the dead letter and counts, on
 * the task's thread, so dead letters carry the same reasons and messages as without the pool.
 * End-of-input markers pass through undecoded. Why records carry their result instead of a new
 * type: {@code decoded} is transient, so if the two operators were ever not
 * chained the decode function would simply decode again, never emit something else.
 *
 * <p>Memory: one {@link ExampleDecoder} per pool thread (its codec's buffers), plus the async
 * operator's queue of records in flight. Each pool thread uses its own copy of the decoder.
 */
public final class ParallelDecodeFunction extends RichAsyncFunction<RawRecord, RawRecord> {
  private static final long serialVersionUID = 1L;

  /** Records in flight per source subtask: enough to keep the threads busy, small in a checkpoint. */
  public static final int CAPACITY = 256;

  /** What a pool decodes: examples ({@link ExampleDecoder#decodeExample}) or labels. */
  public enum Records {
    EXAMPLES, LABELS
  }

  private final ExampleDecoder decoder;
  private final int threads;
  private final Records records;
  private transient ExecutorService pool;
  private transient ThreadLocal<ExampleDecoder> decoders;

  /**
   * A pool decoding examples.
   *
   * @param threads the pool's size, at least 1
   */
  public ParallelDecodeFunction(ExampleDecoder decoder, int threads) {
    this(decoder, threads, Records.EXAMPLES);
  }

  private ParallelDecodeFunction(ExampleDecoder decoder, int threads, Records records) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, but was " + threads);
    }
    this.decoder = decoder;
    this.threads = threads;
    this.records = records;
  }

  /**
   * A pool decoding delayed labels ({@link ExampleDecoder#decodeLabel}), for a
   * {@link LabelDecodeFunction} chained after it.
   *
   * @param threads the pool's size, at least 1
   */
  public static ParallelDecodeFunction labels(ExampleDecoder decoder, int threads) {
    return new ParallelDecodeFunction(decoder, threads, Records.LABELS);
  }

  @Override
  public void open(OpenContext context) {
    String task = getRuntimeContext().getTaskInfo().getTaskNameWithSubtasks();
    AtomicInteger count = new AtomicInteger();
    ThreadFactory factory = r -> {
      Thread t = new Thread(r, "gradflow-decode-" + count.incrementAndGet() + " (" + task + ")");
      t.setDaemon(true);
      return t;
    };
    pool = Executors.newFixedThreadPool(threads, factory);
    ClassLoader loader = getRuntimeContext().getUserCodeClassLoader();
    decoders = ThreadLocal.withInitial(() -> {
      try {
        return InstantiationUtil.clone(decoder, loader);
      } catch (Exception e) {
        throw new IllegalStateException("could not copy the example decoder", e);
      }
    });
  }

  @Override
  public void asyncInvoke(RawRecord raw, ResultFuture<RawRecord> result) {
    if (raw.isEndOfInput()) {
      result.complete(List.of(raw));
      return;
    }
    pool.execute(() -> {
      try {
        ExampleDecoder d = decoders.get();
        raw.decoded = records == Records.EXAMPLES ? d.decodeExample(raw.value)
            : d.decodeLabel(raw.value);
      } catch (RejectedRecordException e) {
        raw.decoded = e;
      } catch (Throwable t) {
        result.completeExceptionally(t);
        return;
      }
      result.complete(List.of(raw));
    });
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }
}
