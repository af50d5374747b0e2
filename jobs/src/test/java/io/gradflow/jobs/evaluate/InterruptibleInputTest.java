package io.gradflow.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link InterruptibleInput}: the underlying stream's bytes in order with its end and its
 * errors, a line given as soon as it is read, and a wait that an interrupt ends while the
 * underlying stream ignores interrupts (as {@code FileInputStream} on a pipe does).
 */
class InterruptibleInputTest {

  /**
   * Gives {@code first}, then waits until {@link #release}d, ignoring interrupts, and ends (or
   * fails with {@code failure}).
   */
  static final class StubbornPipe extends InputStream {
    private final byte[] first;
    private final IOException failure;
    private final CountDownLatch released = new CountDownLatch(1);
    final AtomicBoolean closed = new AtomicBoolean();
    private int at;

    StubbornPipe(String first, IOException failure) {
      this.first = first.getBytes(StandardCharsets.UTF_8);
      this.failure = failure;
    }

    void release() {
      released.countDown();
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (at < first.length) {
        int n = Math.min(len, first.length - at);
        System.arraycopy(first, at, b, off, n);
        at += n;
        return n;
      }
      boolean interrupted = false;
      while (true) {
        try {
          released.await();
          break;
        } catch (InterruptedException e) {
          interrupted = true; // as FileInputStream: an interrupt does not end the read
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      if (failure != null) {
        throw failure;
      }
      return -1;
    }

    @Override
    public void close() {
      closed.set(true);
    }
  }

  @Test
  void givesTheBytesInOrderInAnyPieces() throws Exception {
    byte[] bytes = new byte[3 * InterruptibleInput.CHUNK * InterruptibleInput.QUEUED + 17];
    new Random(3).nextBytes(bytes);
    Random pieces = new Random(4);
    InputStream pipe = new InputStream() {
      private int at;

      @Override
      public int read() {
        return at < bytes.length ? bytes[at++] & 0xff : -1;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (at == bytes.length) {
          return -1;
        }
        // pieces from 0 bytes (a read of nothing) to a whole chunk
        int n = Math.min(Math.min(len, pieces.nextInt(InterruptibleInput.CHUNK + 1)),
            bytes.length - at);
        System.arraycopy(bytes, at, b, off, n);
        at += n;
        return n;
      }
    };
    ByteArrayOutputStream read = new ByteArrayOutputStream();
    Random sizes = new Random(5);
    try (InterruptibleInput in = InterruptibleInput.start(pipe, "test-input")) {
      byte[] buf = new byte[100_000];
      int n;
      while ((n = in.read(buf, 7, 1 + sizes.nextInt(buf.length - 7))) >= 0) {
        assertTrue(n > 0);
        read.write(buf, 7, n);
        if (sizes.nextInt(50) == 0) {
          int b = in.read();
          if (b < 0) {
            break;
          }
          read.write(b);
        }
      }
      assertEquals(-1, in.read());
      assertEquals(-1, in.read(buf, 0, 10));
    }
    assertArrayEquals(bytes, read.toByteArray());
  }

  /** A line that arrived is given at once, while the writer has not written the next one. */
  @Test
  void aLineIsGivenWithoutWaitingForMore() throws Exception {
    StubbornPipe pipe = new StubbornPipe("1 |f a\n", null);
    try (InterruptibleInput in = InterruptibleInput.start(pipe, "test-input")) {
      byte[] buf = new byte[1024];
      assertEquals(7, in.read(buf, 0, buf.length));
      assertEquals("1 |f a\n", new String(buf, 0, 7, StandardCharsets.UTF_8));
      pipe.release();
      assertEquals(-1, in.read(buf, 0, buf.length));
    }
  }

  /**
   * The read waiting for bytes that do not come ends when its thread is interrupted, with the
   * interrupt flag set, though the underlying read goes on ignoring interrupts.
   */
  @Test
  void anInterruptEndsTheWait() throws Exception {
    StubbornPipe pipe = new StubbornPipe("x,y\n", null);
    InterruptibleInput in = InterruptibleInput.start(pipe, "test-input");
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    AtomicBoolean flag = new AtomicBoolean();
    CountDownLatch firstRead = new CountDownLatch(1);
    Thread reader = new Thread(() -> {
      byte[] buf = new byte[64];
      try {
        int n = in.read(buf, 0, buf.length);
        assertEquals(4, n);
        firstRead.countDown();
        in.read(buf, 0, buf.length);
      } catch (Throwable t) {
        thrown.set(t);
        flag.set(Thread.currentThread().isInterrupted());
      }
    }, "task");
    reader.start();
    assertTrue(firstRead.await(10, TimeUnit.SECONDS));
    Thread.sleep(100); // waiting for the next bytes
    reader.interrupt();
    reader.join(TimeUnit.SECONDS.toMillis(30));
    assertTrue(!reader.isAlive(), "the interrupted read still waits");
    assertTrue(thrown.get() instanceof InterruptedIOException, String.valueOf(thrown.get()));
    assertTrue(flag.get(), "the interrupt flag is set again");
    in.close();
    pipe.release(); // the reading thread ends and closes the underlying stream
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!pipe.closed.get() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertTrue(pipe.closed.get());
    assertThrows(IOException.class, () -> in.read());
  }

  /** An error of the underlying stream is thrown after the bytes before it, and again after. */
  @Test
  void anErrorIsThrownWhereItHappened() throws Exception {
    IOException broken = new IOException("broken pipe");
    StubbornPipe pipe = new StubbornPipe("ab", broken);
    pipe.release();
    try (InterruptibleInput in = InterruptibleInput.start(pipe, "test-input")) {
      assertEquals('a', in.read());
      assertEquals('b', in.read());
      assertEquals(broken, assertThrows(IOException.class, () -> in.read()));
      assertEquals(broken, assertThrows(IOException.class, () -> in.read(new byte[4], 0, 4)));
    }
    assertTrue(pipe.closed.get());
  }

  /** Closing stops a reading thread that waits for room: the reader is gone. */
  @Test
  void closingStopsTheReadingThread() throws Exception {
    AtomicBoolean closed = new AtomicBoolean();
    InputStream endless = new InputStream() {
      @Override
      public int read() {
        return 'x';
      }

      @Override
      public int read(byte[] b, int off, int len) {
        java.util.Arrays.fill(b, off, off + len, (byte) 'x');
        return len;
      }

      @Override
      public void close() {
        closed.set(true);
      }
    };
    InterruptibleInput in = InterruptibleInput.start(endless, "test-input");
    assertEquals('x', in.read());
    in.close();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!closed.get() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertTrue(closed.get(), "the reading thread did not stop");
  }
}
