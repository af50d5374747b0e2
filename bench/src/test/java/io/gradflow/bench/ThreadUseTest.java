package io.gradflow.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class ThreadUseTest {
  /**
   * A thread that writes 64 MB of freshly mapped memory takes a minor page fault per 4 kB page
   * (16,384), and ThreadUse reports them for that thread between two samples.
   */
  @Test
  void aThreadWritingFreshMemoryShowsItsPageFaults() throws Exception {
    assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "Linux only");
    CountDownLatch go = new CountDownLatch(1);
    CountDownLatch touched = new CountDownLatch(1);
    CountDownLatch end = new CountDownLatch(1);
    ByteBuffer[] keep = new ByteBuffer[1];
    Thread writer = new Thread(() -> {
      try {
        go.await();
        keep[0] = ByteBuffer.allocateDirect(64 << 20); // zeroed: every page written
        touched.countDown();
        end.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "fresh-writer");
    writer.start();
    ThreadUse before = ThreadUse.sample();
    go.countDown();
    touched.await();
    ThreadUse after = ThreadUse.sample();
    end.countDown();
    writer.join();
    List<ThreadUse.Use> uses = ThreadUse.between(before, after, 1_000_000, 0);
    ThreadUse.Use use = uses.stream().filter(u -> u.thread().equals("fresh-writer")).findFirst()
        .orElseThrow();
    // With transparent huge pages on "always" the kernel may map 2 MB at a fault (32 of them).
    boolean hugePages = Files.readString(
        Path.of("/sys/kernel/mm/transparent_hugepage/enabled")).contains("[always]");
    assertTrue(use.faultsPerMillion() >= (hugePages ? 32 : 16_000),
        "minor faults: " + use.faultsPerMillion());
    assertTrue(use.systemNanosPerExample() >= 0, "system CPU: " + use.systemNanosPerExample());
    // one 10 ms tick over the million examples: /proc counts system time in ticks
    assertTrue(use.cpuNanosPerExample()
        >= use.systemNanosPerExample() - ThreadUse.TICK_NANOS / 1e6,
        "system CPU is part of the CPU: " + use);
  }
}
