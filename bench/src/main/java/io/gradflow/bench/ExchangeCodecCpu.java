package io.gradflow.bench;

import io.gradflow.flink.CompactExampleSerializer;
import io.gradflow.model.CompactExample;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * The keyed exchange's codec alone, by thread CPU time: {@link CompactExampleSerializer} writing
 * {@link TrainerThroughput}'s examples (40 one-hot features, ids below {@code 2^22}, one model key)
 * into a byte buffer as the source's side of the exchange does, and reading them back as the
 * trainer's side does, one thread, no Flink runtime. Prints the median nanoseconds per example of
 * each over {@code passes} passes over the 200,000 examples, after as many warm-up passes, and
 * one line {@code RESULT serialize_ns=<x> deserialize_ns=<x>}.
 *
 * <p>Run: {@code bench/java.sh io.gradflow.bench.ExchangeCodecCpu [passes]} (default 20).
 */
public final class ExchangeCodecCpu {
  private ExchangeCodecCpu() {}

  public static void main(String[] args) throws Exception {
    int passes = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    CompactExample[] pool = TrainerThroughput.generate(20261128L);
    CompactExampleSerializer s = CompactExampleSerializer.INSTANCE;
    DataOutputSerializer out = new DataOutputSerializer(1 << 20);
    DataOutputSerializer small = new DataOutputSerializer(1 << 16);
    double[] write = new double[passes];
    double[] read = new double[passes];
    long sink = 0;
    for (int pass = -passes; pass < passes; pass++) {
      // Writing: into a buffer cleared every 256 records, which stays in the cache as a
      // network buffer does (writing 40 MB would time the memory's bandwidth instead).
      long t0 = threads.getCurrentThreadCpuTime();
      for (int i = 0; i < pool.length; i++) {
        if ((i & 255) == 0) {
          small.clear();
        }
        s.serialize(pool[i], small);
      }
      long t1 = threads.getCurrentThreadCpuTime();
      out.clear();
      for (CompactExample e : pool) {
        s.serialize(e, out);
      }
      long t2 = threads.getCurrentThreadCpuTime();
      DataInputDeserializer in = new DataInputDeserializer(out.getSharedBuffer(), 0,
          out.length());
      for (int i = 0; i < pool.length; i++) {
        CompactExample e = s.deserialize(in);
        sink += e.rowIds[e.rowIds.length - 1] + e.exampleId.length();
      }
      long t3 = threads.getCurrentThreadCpuTime();
      if (pass >= 0) {
        write[pass] = (double) (t1 - t0) / pool.length;
        read[pass] = (double) (t3 - t2) / pool.length;
      }
    }
    Arrays.sort(write);
    Arrays.sort(read);
    System.out.printf(Locale.ROOT, "%d passes over %,d examples (%d bytes each on the wire);"
        + " (ignore: %d)%nRESULT serialize_ns=%.1f deserialize_ns=%.1f%n", passes, pool.length,
        out.length() / pool.length, sink & 1, write[passes / 2], read[passes / 2]);
  }
}
