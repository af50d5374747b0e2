package io.gradflow.jobs.kafka;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
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
 * <p>Records reach the pool in batches of up to {@link #BATCH}: the task's thread collects them,
 * and a batch goes to a pool thread when it is full, when the oldest record in it has waited
 * {@link #LINGER_NANOS} (1 ms), or when an end-of-input marker comes. The pool thread decodes the
 * whole batch, then completes its records one after the other, so the task's thread is woken about
 * once per batch instead of once per record, and a pool thread once per batch instead of once per
 * record (those wake-ups, a futex call each way, cost about a fifth of the pool's CPU one record
 * at a time). What the async operator holds and checkpoints is unchanged: each record is its own
 * entry, completed on its own, so the state of {@code decode-examples-pool.v1} is the same as
 * before batching. A record may wait up to 1 ms longer when the stream is slower than a batch per
 * millisecond.
 *
 * <p>Memory: one {@link ExampleDecoder} per pool thread (its codec's buffers), plus the async
 * operator's queue of records in flight and at most that many references in batches. Each pool
 * thread uses its own copy of the decoder. {@link #asyncInvoke} is called by the task's thread
 * only (Flink's contract); the batches are handed over under one lock.
 */
public final class ParallelDecodeFunction extends RichAsyncFunction<RawRecord, RawRecord> {
  private static final long serialVersionUID = 1L;

  /** Records in flight per source subtask: enough to keep the threads busy, small in a checkpoint. */
  public static final int CAPACITY = 256;

  /**
   * Records handed to a pool thread at once, at most. Below {@link #CAPACITY}, so a full async
   * queue always holds records already handed over, whose completion frees it.
   */
  public static final int BATCH = 32;

  /** How long a record waits for its batch to fill before the batch goes anyway: 1 ms. */
  public static final long LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  /** What a pool decodes: examples ({@link ExampleDecoder#decodeExample}) or labels. */
  public enum Records {
    EXAMPLES, LABELS
  }

  private final ExampleDecoder decoder;
  private final int threads;
  private final Records records;
  private transient Batches batches;

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
    ClassLoader loader = getRuntimeContext().getUserCodeClassLoader();
    Batches handOff = new Batches();
    batches = handOff;
    for (int i = 1; i <= threads; i++) {
      ExampleDecoder own;
      try {
        own = InstantiationUtil.clone(decoder, loader);
      } catch (Exception e) {
        throw new IllegalStateException("could not copy the example decoder", e);
      }
      Thread t = new Thread(() -> handOff.work(own, records),
          "gradflow-decode-" + i + " (" + task + ")");
      t.setDaemon(true);
      handOff.workers[i - 1] = t;
    }
    for (Thread t : handOff.workers) {
      t.start();
    }
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalStateException when a pool thread could not complete a record's future
   *     (which fails the task, with that failure as the cause)
   */
  @Override
  public void asyncInvoke(RawRecord raw, ResultFuture<RawRecord> result) {
    Throwable failure = batches.failure;
    if (failure != null) {
      throw new IllegalStateException("the decode pool could not hand a record back to the task: "
          + failure, failure);
    }
    if (raw.isEndOfInput()) {
      batches.flush();
      result.complete(List.of(raw));
      return;
    }
    batches.add(raw, result);
  }

  @Override
  public void close() {
    if (batches != null) {
      batches.close();
    }
  }

  /** Records handed from the task's thread to the pool threads, a batch at a time. */
  private final class Batches {
    final Thread[] workers = new Thread[threads];
    final ReentrantLock lock = new ReentrantLock();
    final Condition work = lock.newCondition();
    /** Full (or flushed) batches, oldest first. Guarded by {@link #lock}. */
    final ArrayDeque<Batch> ready = new ArrayDeque<>();
    /** The batch being collected, or null. Guarded by {@link #lock}. */
    Batch filling;
    boolean closed;
    /** The first failure to complete a record's future, or null. */
    volatile Throwable failure;

    /** Called by the task's thread. */
    void add(RawRecord raw, ResultFuture<RawRecord> result) {
      lock.lock();
      try {
        Batch b = filling;
        if (b == null) {
          b = filling = new Batch(System.nanoTime());
        }
        b.add(raw, result);
        if (b.size == BATCH) {
          ready.addLast(b);
          filling = null;
          work.signal();
        } else if (b.size == 1) {
          // An idle pool thread starts the batch's clock (it waits at most LINGER_NANOS).
          work.signal();
        }
      } finally {
        lock.unlock();
      }
    }

    /** Called by the task's thread: hands over the batch being collected now. */
    void flush() {
      lock.lock();
      try {
        if (filling != null) {
          ready.addLast(filling);
          filling = null;
          work.signal();
        }
      } finally {
        lock.unlock();
      }
    }

    void close() {
      lock.lock();
      try {
        closed = true;
        work.signalAll();
      } finally {
        lock.unlock();
      }
      for (Thread t : workers) {
        if (t != null) {
          t.interrupt();
        }
      }
    }

    /**
     * A pool thread's loop: takes a batch, decodes it, completes its records; until closed. A
     * future whose completion throws does not end the loop (later batches would then wait
     * forever with one thread, a hang instead of a failure): every record of the batch is still
     * completed, that one exceptionally, and the next {@link #asyncInvoke} fails the task.
     */
    void work(ExampleDecoder own, Records what) {
      try {
        while (true) {
          Batch b = take();
          if (b == null) {
            return;
          }
          Throwable t = b.decodeAndComplete(own, what);
          if (t != null && failure == null) {
            failure = t;
          }
        }
      } catch (InterruptedException e) {
        // closed
      }
    }

    private Batch take() throws InterruptedException {
      lock.lockInterruptibly();
      try {
        while (!closed) {
          Batch b = ready.pollFirst();
          if (b != null) {
            return b;
          }
          if (filling == null) {
            work.await();
            continue;
          }
          long wait = filling.since + LINGER_NANOS - System.nanoTime();
          if (wait <= 0) {
            b = filling;
            filling = null;
            return b;
          }
          work.awaitNanos(wait);
        }
        return null;
      } finally {
        lock.unlock();
      }
    }
  }

  /** Up to {@link #BATCH} records with their result futures, in the order they came. */
  private static final class Batch {
    final long since;
    final RawRecord[] raws = new RawRecord[BATCH];
    @SuppressWarnings("unchecked")
    final ResultFuture<RawRecord>[] results = new ResultFuture[BATCH];
    int size;

    Batch(long since) {
      this.since = since;
    }

    void add(RawRecord raw, ResultFuture<RawRecord> result) {
      raws[size] = raw;
      results[size] = result;
      size++;
    }

    /**
     * Decodes every record first, then completes them all, so the task's thread finds the whole
     * batch's mails at once. A record whose decoding fails with anything but a rejection fails
     * its own future (and so the job), as one record at a time did. A future whose completion
     * throws is completed exceptionally instead (if it can be), and the others still complete.
     *
     * @return the first throw of a completion, or null
     */
    Throwable decodeAndComplete(ExampleDecoder d, Records what) {
      Throwable[] failed = null;
      for (int i = 0; i < size; i++) {
        RawRecord raw = raws[i];
        try {
          raw.decoded = what == Records.EXAMPLES ? d.decodeExample(raw.value)
              : d.decodeLabel(raw.value);
        } catch (RejectedRecordException e) {
          raw.decoded = e;
        } catch (Throwable t) {
          if (failed == null) {
            failed = new Throwable[size];
          }
          failed[i] = t;
        }
      }
      Throwable thrown = null;
      for (int i = 0; i < size; i++) {
        try {
          if (failed != null && failed[i] != null) {
            results[i].completeExceptionally(failed[i]);
          } else {
            results[i].complete(List.of(raws[i]));
          }
        } catch (Throwable t) {
          if (thrown == null) {
            thrown = t;
          }
          try {
            results[i].completeExceptionally(new IllegalStateException("the decode pool could"
                + " not complete the record at " + raws[i] + ": " + t, t));
          } catch (Throwable again) {
            thrown.addSuppressed(again); // the task is going away: the next call fails it
          }
        }
      }
      return thrown;
    }
  }
}
