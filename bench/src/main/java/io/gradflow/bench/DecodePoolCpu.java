package io.gradflow.bench;

import io.gradflow.flink.CompactExampleTypeInfo;
import io.gradflow.jobs.kafka.ExampleDecodeFunction;
import io.gradflow.jobs.kafka.ExampleDecoder;
import io.gradflow.jobs.kafka.ParallelDecodeFunction;
import io.gradflow.jobs.kafka.RawRecord;
import io.gradflow.jobs.produce.ClickThroughGenerator;
import io.gradflow.jobs.produce.DriftSpec;
import io.gradflow.model.CompactExample;
import io.gradflow.model.Loss;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Example;
import io.gradflow.schema.FeatureHashing;
import io.gradflow.schema.RecordCodec;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

/**
 * The train job's decode stage alone, without Kafka or the trainer: a local Flink job reads
 * pre-encoded 40-field click-through records from memory (a sequence source mapped to
 * {@link RawRecord}s sharing {@code distinct} encoded values), decodes them as the train job does
 * ({@link ParallelDecodeFunction} on Flink's ordered async operator at decode parallelism above
 * 1, then {@link ExampleDecodeFunction}; at 1, on the source's thread; object reuse on, as in
 * the job) and discards the examples.
 * Reports the JVM's CPU per record and records per second per round; the difference between a
 * parallelism above 1 and 1 is what handing records to the pool and back costs.
 *
 * <pre>
 *   bench/java.sh io.gradflow.bench.DecodePoolCpu [records [parallelisms [rounds]]]
 *   (default 2,000,000 1,2 3), ending
 *   RESULT decode_cpu_us_per_example_p1=&lt;us&gt; decode_cpu_us_per_example_p2=&lt;us&gt; ...
 * </pre>
 * Each value is the round with the least CPU (the first rounds compile the code).
 */
public final class DecodePoolCpu {
  private DecodePoolCpu() {}

  public static void main(String[] args) throws Exception {
    long records = args.length > 0 ? Long.parseLong(args[0]) : 2_000_000L;
    String[] parallelisms = (args.length > 1 ? args[1] : "1,2").split(",");
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    int distinct = 5_000;
    ClickThroughGenerator generator = new ClickThroughGenerator(new ClickThroughGenerator.Spec(
        7, 40, 100_000, 1.05, 0.3, -1.4, DriftSpec.NONE, "ctr", 1_700_000_000_000L, 1));
    RecordCodec<Example> codec = Codecs.codec(Example.class);
    byte[][] values = new byte[distinct][];
    for (int i = 0; i < distinct; i++) {
      values[i] = codec.encode(generator.next().example());
    }
    ExampleDecoder decoder = new ExampleDecoder(new FeatureHashing(22), Loss.LOGISTIC, "ctr");
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    StringBuilder result = new StringBuilder("RESULT");
    for (String p : parallelisms) {
      int parallelism = Integer.parseInt(p.trim());
      double bestCpu = Double.MAX_VALUE;
      double bestRate = 0;
      for (int round = 0; round < rounds; round++) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        // As TrainJob: without it each chained operator gets a copy, which leaves the pool's
        // result behind (RawRecord.decoded is transient) and decodes every record again.
        env.getConfig().enableObjectReuse();
        DataStream<RawRecord> raw = env.fromSequence(0, records - 1)
            .map(i -> new RawRecord("examples", 0, i, 1_700_000_000_000L + i, null,
                values[(int) (i % distinct)]), TypeInformation.of(RawRecord.class))
            .name("records");
        if (parallelism > 1) {
          raw = AsyncDataStream.orderedWait(raw, new ParallelDecodeFunction(decoder, parallelism),
              0, TimeUnit.MILLISECONDS, ParallelDecodeFunction.CAPACITY);
        }
        raw.process(new ExampleDecodeFunction(decoder), CompactExampleTypeInfo.INSTANCE)
            .sinkTo(new DiscardingSink<CompactExample>());
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        env.execute("decode-pool-cpu");
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cpuUs = (os.getProcessCpuTime() - cpu0) / 1e3 / records;
        System.out.printf(Locale.ROOT,
            "decode parallelism %d, round %d: %,.0f records/s, %.3f us CPU per record%n",
            parallelism, round + 1, records / seconds, cpuUs);
        bestCpu = Math.min(bestCpu, cpuUs);
        bestRate = Math.max(bestRate, records / seconds);
      }
      result.append(String.format(Locale.ROOT,
          " decode_cpu_us_per_example_p%d=%.3f decode_examples_per_second_p%d=%.0f",
          parallelism, bestCpu, parallelism, bestRate));
    }
    System.out.println(result);
  }
}
