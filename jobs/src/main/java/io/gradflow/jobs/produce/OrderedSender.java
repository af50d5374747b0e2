package io.gradflow.jobs.produce;

import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Hands items from one thread to a sink that runs on a thread of its own, in the order they were
 * submitted: {@code gradflow produce} reads, generates and validates the next examples on its
 * thread while this one Avro-encodes and sends the previous ones ({@code KafkaProducer.send},
 * with its lz4 compression into the record batch), so the two overlap on two cores. One sink
 * thread, one queue: the sink sees exactly the submitted items in the submitted order, hence the
 * records of every partition keep their order.
 *
 * <p>Items travel in chunks of up to {@code chunk} (fewer thread wake-ups than one hand-over per
 * item): a chunk is handed over when it is full, when its first item has waited
 * {@link #MAX_WAIT_NANOS}, and on {@link #drain()}. A source that may pause between items (stdin,
 * a rate limit) takes {@code chunk} 1, so nothing waits for items that have not come.
 *
 * <p>Errors: an exception the sink throws stops the sink thread; the next {@link #submit},
 * {@link #drain()} or {@link #close()} rethrows it on the submitting thread (a
 * {@code RuntimeException} or {@code Error} as it is, anything else wrapped), and the items after
 * it are not passed to the sink.
 *
 * <p>Memory: at most {@code capacity} chunks waiting plus one being filled. Thread-safety: one
 * submitting thread (submit, drain, close); the sink runs on the sender's thread only.
 *
 * @param <T> the items
 */
final class OrderedSender<T> implements AutoCloseable {
  /** How long the first item of a partly filled chunk may wait for more: 2 ms. */
  static final long MAX_WAIT_NANOS = 2_000_000L;

  private static final Object[] END = new Object[0];

  private final Consumer<T> sink;
  private final int chunk;
  private final ArrayBlockingQueue<Object[]> queue;
  private final Thread thread;
  private Object[] filling;
  private int filled;
  private long firstAt;
  private long submitted;
  private volatile long done;
  private volatile Throwable failure;
  private boolean closed;

  /**
   * Starts the sender's thread.
   *
   * @param name the thread's name
   * @param sink what to do with each item, on the sender's thread
   * @param chunk items per hand-over, at least 1
   * @param capacity chunks that may wait, at least 1; {@link #submit} blocks beyond
   */
  OrderedSender(String name, Consumer<T> sink, int chunk, int capacity) {
    if (chunk < 1 || capacity < 1) {
      throw new IllegalArgumentException("chunk and capacity must be >= 1, but were " + chunk
          + " and " + capacity);
    }
    this.sink = sink;
    this.chunk = chunk;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.filling = new Object[chunk];
    this.thread = new Thread(this::run, name);
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /** Queues an item for the sink; blocks while {@code capacity} chunks wait. */
  void submit(T item) throws InterruptedException {
    rethrow();
    if (filled == 0) {
      firstAt = System.nanoTime();
    }
    filling[filled++] = item;
    submitted++;
    if (filled == chunk || System.nanoTime() - firstAt >= MAX_WAIT_NANOS) {
      handOver();
    }
  }

  /**
   * Waits until the sink has taken every item submitted so far.
   *
   * @throws RuntimeException what the sink threw, if it failed
   */
  void drain() throws InterruptedException {
    if (filled > 0) {
      handOver();
    }
    while (done < submitted) {
      rethrow();
      if (!thread.isAlive()) {
        throw new IllegalStateException("the sending thread ended with items left");
      }
      LockSupport.parkNanos(50_000L);
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
    }
    rethrow();
  }

  /** Items submitted and not yet taken by the sink. */
  long pending() {
    return submitted - done;
  }

  /**
   * Stops the sender's thread once the sink has taken every item submitted (unless the sink
   * failed: then at once). Rethrows the sink's failure, if any.
   */
  @Override
  public void close() throws InterruptedException {
    if (closed) {
      return;
    }
    closed = true;
    if (thread.isAlive() && failure == null) {
      if (filled > 0) {
        handOver();
      }
      while (!queue.offer(END, 10, TimeUnit.MILLISECONDS)) {
        if (failure != null || !thread.isAlive()) {
          break;
        }
      }
    }
    thread.join();
    rethrow();
  }

  private void handOver() throws InterruptedException {
    Object[] items;
    if (filled == chunk) {
      items = filling;
      filling = new Object[chunk];
    } else {
      items = Arrays.copyOf(filling, filled);
      Arrays.fill(filling, 0, filled, null);
    }
    filled = 0;
    while (!queue.offer(items, 10, TimeUnit.MILLISECONDS)) {
      rethrow();
    }
  }

  @SuppressWarnings("unchecked")
  private void run() {
    try {
      while (true) {
        Object[] items = queue.take();
        if (items == END) {
          return;
        }
        for (Object item : items) {
          sink.accept((T) item);
        }
        done += items.length; // only this thread writes it
      }
    } catch (InterruptedException e) {
      failure = e;
    } catch (Throwable t) {
      failure = t;
    }
  }

  private void rethrow() {
    Throwable t = failure;
    if (t instanceof RuntimeException r) {
      throw r;
    } else if (t instanceof Error e) {
      throw e;
    } else if (t != null) {
      throw new IllegalStateException("the sending thread failed: " + t, t);
    }
  }
}
