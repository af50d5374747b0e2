package io.gradflow.jobs.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.functions.DefaultOpenContext;
import org.apache.flink.streaming.api.functions.async.CollectionSupplier;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.util.MockStreamingRuntimeContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The decode pool's hand-off in batches ({@link ParallelDecodeFunction#BATCH}): every record's
 * future completes exactly once, with the record itself, decoded as one thread decodes it (or with
 * its rejection), whatever the pool's size and however many records there are (a last batch that
 * never fills goes after {@link ParallelDecodeFunction#LINGER_NANOS}); an end marker passes
 * undecoded; closing ends the pool's threads. The function is driven
 * directly, so each record's {@code decoded} can be read (Flink's harness copies records and drops
 * it); {@code RawRecordSerializerTest} runs the same function in Flink's async operator.
 */
class ParallelDecodeFunctionTest {
  /** A hang guard only: no test asserts on time. */
  private static final long GUARD_SECONDS = 20;

  /** What one record's future was given. */
  static class Outcome implements ResultFuture<RawRecord> {
    final CountDownLatch done = new CountDownLatch(1);
    final AtomicInteger completions = new AtomicInteger();
    volatile Collection<RawRecord> result;
    volatile Throwable error;

    @Override
    public void complete(Collection<RawRecord> c) {
      result = c;
      completions.incrementAndGet();
      done.countDown();
    }

    @Override
    public void completeExceptionally(Throwable t) {
      error = t;
      completions.incrementAndGet();
      done.countDown();
    }

    @Override
    public void complete(CollectionSupplier<RawRecord> supplier) {
      throw new AssertionError("the pool completes with a collection");
    }
  }

  static ParallelDecodeFunction opened(int threads) {
    ParallelDecodeFunction f = new ParallelDecodeFunction(ExampleDecoderTest.LOGISTIC, threads);
    f.setRuntimeContext(new MockStreamingRuntimeContext(1, 0));
    f.open(DefaultOpenContext.INSTANCE);
    return f;
  }

  /** Good examples, every seventh one garbage (a rejection). */
  static List<RawRecord> records(int n) {
    List<RawRecord> records = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] value = i % 7 == 3 ? new byte[] {1, 2, 3, (byte) i}
          : ExampleDecoderTest.bytes(ExampleDecoderTest.good().setExampleId("e" + i)
              .setLabel(i % 2 == 0 ? 1f : 0f));
      records.add(new RawRecord("examples", i % 3, i, 1_700_000_000_000L + i,
          ("k" + i).getBytes(StandardCharsets.UTF_8), value));
    }
    return records;
  }

  static List<Outcome> invokeAll(ParallelDecodeFunction f, List<RawRecord> records)
      throws InterruptedException {
    List<Outcome> outcomes = new ArrayList<>();
    for (RawRecord r : records) {
      Outcome o = new Outcome();
      outcomes.add(o);
      f.asyncInvoke(r, o);
    }
    for (Outcome o : outcomes) {
      assertTrue(o.done.await(GUARD_SECONDS, TimeUnit.SECONDS), "a record never completed");
    }
    return outcomes;
  }

  /** What one thread makes of a record's value: the example or the rejection's reason and text. */
  static Object reference(RawRecord r) {
    try {
      return ExampleDecoderTest.LOGISTIC.decodeExample(r.value);
    } catch (RejectedRecordException e) {
      return e.reason() + ": " + e.getMessage();
    }
  }

  static Object seen(Object decoded) {
    return decoded instanceof RejectedRecordException e ? e.reason() + ": " + e.getMessage()
        : decoded;
  }

  @ParameterizedTest(name = "{1} records on {0} threads")
  @CsvSource({"1,1", "1,31", "2,32", "2,33", "2,1000", "3,65", "3,2017"})
  void everyRecordCompletesOnceDecodedAsOneThreadDecodesIt(int threads, int n) throws Exception {
    ParallelDecodeFunction f = opened(threads);
    try {
      List<RawRecord> records = records(n);
      List<Outcome> outcomes = invokeAll(f, records);
      Thread.sleep(20); // a second completion, were there one, would have come by now
      for (int i = 0; i < n; i++) {
        Outcome o = outcomes.get(i);
        RawRecord r = records.get(i);
        assertEquals(1, o.completions.get(), "record " + i);
        assertNull(o.error, "record " + i);
        assertEquals(1, o.result.size());
        assertSame(r, o.result.iterator().next(), "record " + i + " leaves as itself");
        assertEquals(reference(r), seen(r.decoded), "record " + i);
      }
      if (n > 3) {
        assertInstanceOf(RejectedRecordException.class, records.get(3).decoded);
      }
    } finally {
      f.close();
    }
  }

  @Test
  void anEndMarkerPassesUndecodedAfterTheRecordsBeforeIt() throws Exception {
    ParallelDecodeFunction f = opened(2);
    try {
      List<RawRecord> records = new ArrayList<>(records(5));
      RawRecord end = RawRecord.endOfInput("examples", 0);
      records.add(end);
      List<Outcome> outcomes = invokeAll(f, records);
      assertSame(end, outcomes.get(5).result.iterator().next());
      assertNull(end.decoded);
      for (int i = 0; i < 5; i++) {
        assertEquals(reference(records.get(i)), seen(records.get(i).decoded));
      }
    } finally {
      f.close();
    }
  }

  /** A future whose completion waits for {@code gate} (a pool thread held at a known point). */
  static final class Gated extends Outcome {
    private final CountDownLatch gate;

    Gated(CountDownLatch gate) {
      this.gate = gate;
    }

    @Override
    public void complete(Collection<RawRecord> c) {
      try {
        gate.await(GUARD_SECONDS, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      super.complete(c);
    }
  }

  /** A future that throws when completed normally, as a closed mailbox does. */
  static final class Throwing extends Outcome {
    @Override
    public void complete(Collection<RawRecord> c) {
      throw new java.util.concurrent.RejectedExecutionException("mailbox closed");
    }
  }

  /**
   * A completion that throws on a pool thread: the thread goes on, so every later record (of the
   * batch and of later batches, on a pool of one) still completes; the record whose completion
   * threw completes exceptionally; the next call fails the task naming the cause.
   */
  @Test
  void aCompletionThatThrowsLeavesNoRecordWaitingAndFailsTheNextCall() throws Exception {
    ParallelDecodeFunction f = opened(1);
    try {
      List<RawRecord> records = records(3 * ParallelDecodeFunction.BATCH);
      List<Outcome> outcomes = new ArrayList<>();
      // The pool thread completes record 0 only once every record is handed over, so the throw
      // (record 5, after record 0) cannot fail one of these calls (it did, now and then, before
      // 2026-12-02: the pool thread won the race).
      CountDownLatch handedOver = new CountDownLatch(1);
      for (int i = 0; i < records.size(); i++) {
        Outcome o = i == 5 ? new Throwing() : i == 0 ? new Gated(handedOver) : new Outcome();
        outcomes.add(o);
        f.asyncInvoke(records.get(i), o);
      }
      handedOver.countDown();
      for (int i = 0; i < outcomes.size(); i++) {
        assertTrue(outcomes.get(i).done.await(GUARD_SECONDS, TimeUnit.SECONDS),
            "record " + i + " never completed");
      }
      Throwable e = outcomes.get(5).error;
      assertInstanceOf(IllegalStateException.class, e);
      assertTrue(e.getMessage().startsWith("the decode pool could not complete the record at"
          + " examples-2@5: java.util.concurrent.RejectedExecutionException: mailbox closed"),
          e.getMessage());
      for (int i = 0; i < outcomes.size(); i++) {
        if (i != 5) {
          assertNull(outcomes.get(i).error, "record " + i);
          assertEquals(reference(records.get(i)), seen(records.get(i).decoded), "record " + i);
        }
      }
      IllegalStateException next = org.junit.jupiter.api.Assertions.assertThrows(
          IllegalStateException.class, () -> f.asyncInvoke(records(1).get(0), new Outcome()));
      assertTrue(next.getMessage().contains("mailbox closed"), next.getMessage());
    } finally {
      f.close();
    }
  }

  @Test
  void closingEndsThePoolThreads() throws Exception {
    ParallelDecodeFunction f = opened(3);
    invokeAll(f, records(10));
    f.close();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(GUARD_SECONDS);
    while (poolThreads() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(0, poolThreads());
  }

  private static long poolThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("gradflow-decode-") && t.isAlive()).count();
  }
}
