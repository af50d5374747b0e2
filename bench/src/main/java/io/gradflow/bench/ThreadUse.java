package io.gradflow.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The CPU time of every live Java thread of this JVM at one instant ({@link
 * ThreadMXBean#getThreadCpuTime}, nanoseconds) and, on Linux, each thread's forced (involuntary)
 * context switches ({@code nonvoluntary_ctxt_switches} of {@code /proc/self/task/<tid>/status},
 * matched to a Java thread by the 15-character name Linux keeps). Two samples taken on one thread
 * while others run give each thread's CPU between them: {@link TrainerThroughput} takes them at
 * its Flink runs' half-way and last predictions, to split a run's CPU per example between the
 * source thread and the trainer's. RocksDB's native threads (its flushes and compactions, not
 * Java threads, so outside ThreadMXBean's view and the total) are read from {@code
 * /proc/self/task/<tid>/stat} and summed as one use, {@link #NATIVE_ROCKSDB}. On Linux each
 * thread's minor page faults and system CPU come from the same {@code stat} (matched by name, as
 * the switches): a thread that writes into freshly mapped memory (RocksDB's memtable at every
 * checkpoint) pays a fault per 4 kB page in the kernel, which its CPU includes. Not thread-safe; a
 * sample is immutable once taken.
 */
final class ThreadUse {
  /** The name of the use summing RocksDB's native threads (10 ms ticks), outside the total. */
  static final String NATIVE_ROCKSDB = "(RocksDB's native threads, 10 ms ticks)";

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  /** Java thread id to name and CPU nanoseconds; Linux thread name to forced switches. */
  private final Map<Long, String> names = new HashMap<>();
  private final Map<Long, Long> cpu = new HashMap<>();
  private final Map<String, Long> forced = new HashMap<>();
  /** Linux thread name to minor page faults, and to system CPU in clock ticks. */
  private final Map<String, Long> minorFaults = new HashMap<>();
  private final Map<String, Long> systemTicks = new HashMap<>();
  /** Linux thread id to CPU nanoseconds of the JVM's native threads named rocksdb*. */
  private final Map<String, Long> nativeCpu = new HashMap<>();

  private ThreadUse() {}

  static ThreadUse sample() {
    ThreadUse s = new ThreadUse();
    long[] ids = THREADS.getAllThreadIds();
    ThreadInfo[] infos = THREADS.getThreadInfo(ids);
    for (int i = 0; i < ids.length; i++) {
      long t = THREADS.getThreadCpuTime(ids[i]);
      if (infos[i] != null && t >= 0) {
        s.names.put(ids[i], infos[i].getThreadName());
        s.cpu.put(ids[i], t);
      }
    }
    Path tasks = Path.of("/proc/self/task");
    if (Files.isDirectory(tasks)) {
      try (var list = Files.list(tasks)) {
        for (Path task : (Iterable<Path>) list::iterator) {
          try {
            String name = Files.readString(task.resolve("comm")).strip();
            long[] stat = stat(task);
            if (name.startsWith("rocksdb")) {
              s.nativeCpu.put(task.getFileName().toString(), (stat[1] + stat[2]) * TICK_NANOS);
            }
            s.minorFaults.merge(name, stat[0], Long::sum);
            s.systemTicks.merge(name, stat[2], Long::sum);
            for (String line : Files.readAllLines(task.resolve("status"))) {
              if (line.startsWith("nonvoluntary_ctxt_switches:")) {
                s.forced.merge(name, Long.parseLong(line.substring(27).strip()), Long::sum);
              }
            }
          } catch (IOException | RuntimeException ended) {
            // the thread ended between the listing and the read
          }
        }
      } catch (IOException e) {
        // no switches then
      }
    }
    return s;
  }

  /** A clock tick of {@code /proc}'s CPU times, taken as 1/100 s (the Linux default). */
  static final long TICK_NANOS = 10_000_000L;

  /**
   * A thread's minor page faults, user CPU and system CPU (clock ticks) from
   * {@code /proc/self/task/<tid>/stat} (fields 10, 14 and 15 of proc(5)).
   */
  static long[] stat(Path task) throws IOException {
    String stat = Files.readString(task.resolve("stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return new long[] {Long.parseLong(f[7]), Long.parseLong(f[11]), Long.parseLong(f[12])};
  }

  /**
   * One thread's use between two samples.
   *
   * @param cpuNanosPerExample CPU nanoseconds per example
   * @param forcedPerMillion forced context switches per million examples (NaN off Linux)
   * @param faultsPerMillion minor page faults per million examples (NaN off Linux)
   * @param systemNanosPerExample system CPU nanoseconds per example, in 10 ms ticks (NaN off
   *     Linux), part of {@code cpuNanosPerExample}
   */
  record Use(String thread, double cpuNanosPerExample, double forcedPerMillion,
      double faultsPerMillion, double systemNanosPerExample) {}

  /**
   * The threads that used CPU from {@code before} to {@code after} over {@code examples}
   * examples, most first; threads under {@code minShare} of the total are left out.
   */
  static List<Use> between(ThreadUse before, ThreadUse after, long examples, double minShare) {
    List<Use> uses = new ArrayList<>();
    long total = 0;
    for (var e : after.cpu.entrySet()) {
      Long b = before.cpu.get(e.getKey());
      total += e.getValue() - (b == null ? 0 : b);
    }
    for (var e : after.cpu.entrySet()) {
      Long b = before.cpu.get(e.getKey());
      long d = e.getValue() - (b == null ? 0 : b);
      if (d <= 0 || d < minShare * total) {
        continue;
      }
      String name = after.names.get(e.getKey());
      String linux = name.length() > 15 ? name.substring(0, 15) : name;
      Long fa = after.forced.get(linux);
      Long fb = before.forced.get(linux);
      double forced = fa == null ? Double.NaN : (fa - (fb == null ? 0 : fb)) * 1e6 / examples;
      double faults = difference(before.minorFaults, after.minorFaults, linux) * 1e6 / examples;
      double system = difference(before.systemTicks, after.systemTicks, linux) * TICK_NANOS
          / examples;
      uses.add(new Use(name, (double) d / examples, forced, faults, system));
    }
    uses.add(new Use("(all threads)", (double) total / examples, Double.NaN, Double.NaN,
        Double.NaN));
    // RocksDB's native threads (flushes, compactions): not Java threads, so not in the total.
    long rocks = 0;
    for (var e : after.nativeCpu.entrySet()) {
      Long b = before.nativeCpu.get(e.getKey());
      rocks += e.getValue() - (b == null ? 0 : b);
    }
    if (!after.nativeCpu.isEmpty()) {
      uses.add(new Use(NATIVE_ROCKSDB, (double) rocks / examples, Double.NaN, Double.NaN,
          Double.NaN));
    }
    uses.sort((x, y) -> Double.compare(y.cpuNanosPerExample(), x.cpuNanosPerExample()));
    return uses;
  }

  /** {@code after - before} of a thread's count, NaN if {@code after} has none (off Linux). */
  private static double difference(Map<String, Long> before, Map<String, Long> after,
      String linux) {
    Long a = after.get(linux);
    Long b = before.get(linux);
    return a == null ? Double.NaN : a - (b == null ? 0 : b);
  }

  /** CPU nanoseconds per example of the first thread whose name starts with {@code prefix}. */
  static double nanosOf(List<Use> uses, String prefix) {
    return uses.stream().filter(u -> u.thread().startsWith(prefix)).findFirst()
        .map(Use::cpuNanosPerExample).orElse(Double.NaN);
  }

  /**
   * Forced context switches per million examples of the first thread whose name starts with
   * {@code prefix} (NaN if none, or off Linux).
   */
  static double forcedOf(List<Use> uses, String prefix) {
    return uses.stream().filter(u -> u.thread().startsWith(prefix)).findFirst()
        .map(Use::forcedPerMillion).orElse(Double.NaN);
  }

  static void print(String run, List<Use> uses) {
    for (Use u : uses) {
      System.out.printf(Locale.ROOT, "  %s: thread %s: %.3f us CPU per example, %.0f forced"
          + " switches per million examples, %.0f minor page faults per million examples, %.3f us"
          + " system CPU per example%n", run, u.thread(), u.cpuNanosPerExample() / 1e3,
          u.forcedPerMillion(), u.faultsPerMillion(), u.systemNanosPerExample() / 1e3);
    }
  }
}
