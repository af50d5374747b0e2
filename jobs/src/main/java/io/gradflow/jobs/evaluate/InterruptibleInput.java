package io.gradflow.jobs.evaluate;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A stream read on a thread of its own, so that a thread waiting for its next bytes can be
 * interrupted: {@code evaluate --file -} reads standard input through it. Standard input is a
 * {@code FileInputStream}, whose {@code read} ignores interrupts; the file's source reads it in
 * its task thread, so when the job failed while nothing arrived on a pipe, Flink's cancellation
 * (which interrupts the task thread) could not end that task, and the job stayed failing until
 * the next line came or Flink's cancellation timeout (180 s) passed. Here the wait is a
 * {@link BlockingQueue#take}: an interrupt ends it with an {@link InterruptedIOException} (the
 * thread's interrupt flag set again), and the thread reading the underlying stream, a daemon,
 * stays blocked without harm until the process ends.
 *
 * <p>The bytes, their order and the end of the stream are the underlying stream's; a read
 * returns as soon as the underlying stream has returned some bytes (a pipe's line is not held
 * back for more), and an {@link IOException} of the underlying stream is thrown by the read
 * that reaches it. The underlying stream is closed by the reading thread when it ends (at the
 * end of the stream, on an error, or after {@link #close}).
 *
 * <p>Not a library's: the JDK's interruptible channel over {@code FileDescriptor.in} closes
 * standard input on an interrupt and serves only the process's own descriptor (not a stream
 * handed to the command); Commons IO's {@code ReadAheadInputStream} holds bytes it has read
 * until its next read returns, which on a pipe waits for the next line; the JDK's piped streams
 * cannot carry a read error.
 *
 * <p>Memory: up to {@value #QUEUED} chunks of at most {@value #CHUNK} bytes read ahead, and the
 * one being read. One consuming thread at a time (hand-overs ordered by the caller, as
 * {@link FileReading}'s are); {@link #close} may be called from any thread.
 */
final class InterruptibleInput extends InputStream {
  static final int CHUNK = 64 * 1024;
  static final int QUEUED = 4;
  private static final byte[] END = new byte[0];

  private final InputStream in;
  /** Chunks of bytes, then {@link #END} or the {@link IOException} that ended the reading. */
  private final BlockingQueue<Object> chunks = new ArrayBlockingQueue<>(QUEUED);
  private volatile boolean closed;
  private byte[] chunk;
  private int at;
  private IOException failure;

  private InterruptibleInput(InputStream in) {
    this.in = in;
  }

  /** Starts reading {@code in} on a daemon thread named {@code name}. */
  static InterruptibleInput start(InputStream in, String name) {
    InterruptibleInput input = new InterruptibleInput(Objects.requireNonNull(in));
    Thread t = new Thread(input::pump, name);
    t.setDaemon(true);
    t.start();
    return input;
  }

  /** The reading thread: hands over what {@link #in} returns, then its end or its error. */
  private void pump() {
    Object end = END;
    try {
      int n;
      byte[] buf = new byte[CHUNK];
      while (!closed && (n = in.read(buf, 0, CHUNK)) >= 0) {
        if (n > 0) {
          hand(n == CHUNK ? buf : Arrays.copyOf(buf, n));
          buf = n == CHUNK ? new byte[CHUNK] : buf;
        }
      }
    } catch (IOException e) {
      end = e;
    } catch (RuntimeException e) {
      end = new IOException(e);
    } catch (InterruptedException e) {
      return; // not interrupted by this class: whoever did ends the reading
    } finally {
      try {
        in.close();
      } catch (IOException ignored) {
        // everything it gave was read; what it says on closing changes nothing
      }
    }
    try {
      hand(end);
    } catch (InterruptedException e) {
      // as above
    }
  }

  /** Queues {@code item}, waiting for room, until {@link #close}. */
  private void hand(Object item) throws InterruptedException {
    while (!closed && !chunks.offer(item, 100, TimeUnit.MILLISECONDS)) {
      // full: the reader is slower than the input; look again whether it closed
    }
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (closed) {
      throw new IOException("Stream closed");
    }
    if (len == 0) {
      return 0;
    }
    if (chunk == null || at == chunk.length) {
      if (chunk == END) {
        return -1;
      }
      if (failure != null) {
        throw failure;
      }
      Object next;
      try {
        next = chunks.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting for input");
      }
      if (next instanceof IOException e) {
        failure = e;
        throw e;
      }
      chunk = (byte[]) next;
      at = 0;
      if (chunk == END) {
        return -1;
      }
    }
    int n = Math.min(len, chunk.length - at);
    System.arraycopy(chunk, at, b, off, n);
    at += n;
    return n;
  }

  /** The bytes of the chunk being read (those read ahead behind it are not counted). */
  @Override
  public int available() {
    return chunk == null ? 0 : chunk.length - at;
  }

  /**
   * Ends the reading: the reading thread stops when its current read of the underlying stream
   * returns (at once if it waits for room), and closes that stream.
   */
  @Override
  public void close() {
    closed = true;
    chunks.clear();
  }
}
