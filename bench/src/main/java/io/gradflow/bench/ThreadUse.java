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
 * /proc/self/task/<tid>/stat} and summed as one use, {@link #NATIVE_ROCKSDB}. Not thread-safe; a
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
            if (name.startsWith("rocksdb")) {
              s.nativeCpu.put(task.getFileName().toString(), nativeNanos(task));
            }
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

  /**
   * A thread's user and system CPU from {@code /proc/self/task/<tid>/stat} (clock ticks, taken
   * as 100 per second, the Linux default), in nanoseconds.
   */
  private static long nativeNanos(Path task) throws IOException {
    String stat = Files.readString(task.resolve("stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
  }

  /**
   * One thread's use between two samples.
   *
   * @param cpuNanosPerExample CPU nanoseconds per example
   * @param forcedPerMillion forced context switches per million examples (NaN off Linux)
   */
  record Use(String thread, double cpuNanosPerExample, double forcedPerMillion) {}

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
      uses.add(new Use(name, (double) d / examples, forced));
    }
    uses.add(new Use("(all threads)", (double) total / examples, Double.NaN));
    // RocksDB's native threads (flushes, compactions): not Java threads, so not in the total.
    long rocks = 0;
    for (var e : after.nativeCpu.entrySet()) {
      Long b = before.nativeCpu.get(e.getKey());
      rocks += e.getValue() - (b == null ? 0 : b);
    }
    if (!after.nativeCpu.isEmpty()) {
      uses.add(new Use(NATIVE_ROCKSDB, (double) rocks / examples, Double.NaN));
    }
    uses.sort((x, y) -> Double.compare(y.cpuNanosPerExample(), x.cpuNanosPerExample()));
    return uses;
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
          + " switches per million examples%n", run, u.thread(), u.cpuNanosPerExample() / 1e3,
          u.forcedPerMillion());
    }
  }
}
