package io.gradflow.jobs.produce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** {@link OrderedSender}: every item once, in order, on its own thread; the sink's errors. */
class OrderedSenderTest {

  @Test
  void everyItemOnceInOrderOnTheSendersThread() throws Exception {
    for (int chunk : new int[] {1, 7, 64}) {
      List<Long> seen = new ArrayList<>();
      List<String> threads = new ArrayList<>();
      try (OrderedSender<Long> s = new OrderedSender<>("sender-test", i -> {
        seen.add(i);
        if (i == 0) {
          threads.add(Thread.currentThread().getName());
        }
      }, chunk, 2)) {
        for (long i = 0; i < 10_001; i++) {
          s.submit(i);
        }
        s.drain();
        assertEquals(0, s.pending());
        assertEquals(LongStream.range(0, 10_001).boxed().toList(), seen, "chunk " + chunk);
        s.submit(10_001L);
        s.drain();
        assertEquals(10_002, seen.size());
      }
      assertEquals(List.of("sender-test"), threads);
    }
  }

  @Test
  void theSinksFailureReachesTheSubmitterAndNothingAfterItIsSent() throws Exception {
    IllegalStateException boom = new IllegalStateException("boom");
    List<Integer> seen = new ArrayList<>();
    OrderedSender<Integer> s = new OrderedSender<>("sender-test", i -> {
      if (i == 100) {
        throw boom;
      }
      seen.add(i);
    }, 8, 1);
    RuntimeException thrown = assertThrows(RuntimeException.class, () -> {
      for (int i = 0; i < 100_000; i++) {
        s.submit(i);
      }
      s.drain();
    });
    assertSame(boom, thrown);
    assertEquals(100, seen.size());
    assertTrue(seen.stream().allMatch(i -> i < 100));
    assertSame(boom, assertThrows(IllegalStateException.class, s::close));
  }

  @Test
  void closeSendsWhatWasSubmittedAndEndsTheThread() throws Exception {
    List<Integer> seen = new ArrayList<>();
    OrderedSender<Integer> s = new OrderedSender<>("sender-test", seen::add, 4, 4);
    s.submit(1);
    s.close();
    s.close();
    assertEquals(List.of(1), seen);
  }
}
