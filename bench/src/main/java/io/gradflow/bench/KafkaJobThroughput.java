package io.gradflow.bench;

import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.kafka.EmbeddedKafka;
import io.gradflow.jobs.produce.ClickThroughGenerator;
import io.gradflow.jobs.produce.DriftSpec;
import io.gradflow.jobs.cli.Flag;
import io.gradflow.jobs.cli.Main;
import io.gradflow.jobs.produce.FileReplay;
import io.gradflow.jobs.produce.GradflowProducer;
import io.gradflow.jobs.produce.ProduceCommand;
import io.gradflow.jobs.train.TrainJob;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import io.gradflow.schema.RecordCodec;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * The whole training job through Kafka, as a user runs it, with the broker in a JVM of its own:
 * the broker holds N click-through examples (40 fields, Zipf over 100,000 ids per field), and
 * {@link TrainJob} reads them from the earliest offset to the latest ({@code bounded: latest}) at
 * parallelism 1, decodes, validates and hashes them (at each {@code job.decode_parallelism}
 * asked), trains sparse logistic regression with AdaGrad on 2^22 rows, and writes predictions,
 * metrics and the changelog back with exactly-once transactions, checkpointing every 2 s.
 *
 * <p>In the same run, for ratios that hold on a shared machine:
 * <ul>
 *   <li>the producer ({@link GradflowProducer}, one thread: generate, encode, send) next to the
 *       same generator with bare Avro encoding and no Kafka;
 *   <li>each job's CPU seconds per million examples (this JVM's own process CPU time over the
 *       job's run; the broker's CPU is not in it) next to the flat-array bare loop's seconds per
 *       million examples ({@link TrainerThroughput#flat}: the same model, optimizer and hash
 *       space on a pool of 40-feature examples, one thread, wall time);
 *   <li>after the jobs, the clients' floor on the same topic and broker ({@link KafkaClientsPeer}:
 *       a plain consumer, the job's decode, the flat bare loop and a transactional producer
 *       committing at the job's checkpoint interval, one thread, no Flink), its CPU per example
 *       taken as a job's (this JVM's process CPU; the second half from its predictions topic's
 *       watermark, {@link Steady}), and its predictions held equal, by checksum, to the first
 *       job's on the same examples ({@link #peerFields}).
 * </ul>
 * The last line is machine-readable: {@code RESULT examples_per_second=<n>
 * cpu_per_example_vs_bare=<x> decode_parallelism=<p> cpu_per_example_vs_bare_without_jit=<x>
 * examples_per_second_steady=<n> cpu_per_example_vs_bare_steady=<x>
 * cpu_per_example_vs_bare_steady_without_jit=<x>} for the last run (steady: the job's second half
 * of the examples only, from the half-way prediction to the last one, see {@link Steady}), then
 * each run's {@code examples_per_second_<run>}, {@code cpu_per_example_vs_bare_<run>},
 * {@code jit_share_of_cpu_<run>} (the JIT compilers' share of the job's CPU),
 * {@code examples_per_second_steady_<run>} and {@code cpu_per_example_vs_bare_steady_<run>}, where {@code <run>} is {@code decode<p>}, or {@code decode<p>_run<k>}
 * for the k-th run of a parallelism given more than once (then in the warm JVM), then the
 * producer's and the clients' peer's fields ({@link #peerFields}), the JIT's ({@link
 * #jitFields}) and the last quarter's ({@link #lastQuarterFields}: the settled job, once the JIT
 * compilers' backlog is behind it; take them from a run of 8,000,000 examples).
 *
 * <p>Run: {@code bench/run-kafka-job.sh [examples [decode parallelisms]]} (default 2,000,000
 * and {@code 1,2}). The rate counts the whole job, start-up included. With
 * {@code -Dgradflow.bench.threads=true} (through {@code BENCH_JAVA_OPTS}) each job also prints
 * where its CPU went ({@link ThreadSplit}).
 * {@code bench/run-kafka-job.sh produce [examples]} measures only the producer, as a user runs it
 * ({@code gradflow produce --generator ctr}, next to the generator's bare Avro encoding), and
 * {@code bench/run-kafka-job.sh files [examples [formats]]} the file replay.
 */
public final class KafkaJobThroughput {
  private KafkaJobThroughput() {}

  /**
   * One job run's figures: {@code cpuSeconds} is this JVM's process CPU time over the run,
   * {@code compileSeconds} the JIT compiler threads' CPU time over it ({@link #compilerCpuSeconds};
   * NaN off Linux), {@code label} the run's name in the RESULT line ({@code decode2}, and
   * {@code decode2_run2} for a parallelism run again in the warm JVM).
   */
  record JobRun(int decodeParallelism, String label, long examples, double seconds,
      double cpuSeconds, double compileSeconds, Steady.Figures steady,
      List<Steady.Quarter> quarters) {
    JobRun(int decodeParallelism, String label, long examples, double seconds, double cpuSeconds,
        double compileSeconds, Steady.Figures steady) {
      this(decodeParallelism, label, examples, seconds, cpuSeconds, compileSeconds, steady,
          List.of());
    }

    /** The whole run's figures, start-up included, as the steady half's are given. */
    Steady.Figures whole() {
      return new Steady.Figures(examples, seconds, cpuSeconds, compileSeconds);
    }

    double rate() {
      return whole().rate();
    }

    double cpuPerMillion() {
      return whole().cpuPerMillion();
    }

    /** CPU seconds per million examples less the JIT compilers' time: the job once warm. */
    double cpuPerMillionWithoutJit() {
      return whole().cpuPerMillionWithoutJit();
    }
  }

  /**
   * The RESULT label of each run: {@code decode<p>}, and {@code decode<p>_run<k>} for the k-th run
   * (k >= 2) of a parallelism given more than once, so that no field is printed twice.
   */
  static List<String> labels(List<Integer> parallelisms) {
    Map<Integer, Integer> seen = new java.util.HashMap<>();
    List<String> labels = new ArrayList<>();
    for (int p : parallelisms) {
      int k = seen.merge(p, 1, Integer::sum);
      labels.add("decode" + p + (k == 1 ? "" : "_run" + k));
    }
    return labels;
  }

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("broker")) {
      broker();
      return;
    }
    if (args.length > 0 && args[0].equals("peer")) { // the clients' peer's own JVM
      PeerResult result = clientsPeer(args[1], Long.parseLong(args[2]), Path.of(args[3]),
          Long.parseLong(args[4]));
      System.out.println(PEER_LINE + result.line());
      return;
    }
    if (args.length > 0 && args[0].equals("produce")) {
      produceOnly(args.length > 1 ? Long.parseLong(args[1]) : 1_000_000L);
      return;
    }
    if (args.length > 0 && args[0].equals("files")) {
      fileReplay(args.length > 1 ? Long.parseLong(args[1]) : 300_000L,
          List.of((args.length > 2 ? args[2] : "csv,libsvm,vw").split(",")),
          args.length > 3 ? List.of(args[3].split(",")) : List.of());
      return;
    }
    long examples = args.length > 0 ? Long.parseLong(args[0]) : 2_000_000L;
    List<Integer> parallelisms = new ArrayList<>();
    for (String p : (args.length > 1 ? args[1] : "1,2").split(",")) {
      parallelisms.add(Integer.parseInt(p.trim()));
    }
    Path dir = Files.createTempDirectory("gradflow-kafka-bench-");
    Process broker = startBroker();
    try {
      String bootstrap = bootstrapOf(broker);
      List<String> topics = new ArrayList<>(List.of("examples", "labels", "dead-letters",
          PEER_TOPIC));
      for (int p : new java.util.TreeSet<>(parallelisms)) { // "2,2": the second run is warm
        for (String out : new String[] {"predictions", "metrics", "changelog"}) {
          topics.add(out + "-" + p);
        }
      }
      createTopics(bootstrap, topics);
      System.out.printf(Locale.ROOT, "broker in its own JVM (pid %d) at %s; %d cores%n",
          broker.pid(), bootstrap, Runtime.getRuntime().availableProcessors());

      double bareEncodeSeconds = bareEncode(generator(), examples);
      double produceSeconds = produce(bootstrap, examples);

      List<JobRun> runs = new ArrayList<>();
      List<String> labels = labels(parallelisms);
      for (int i = 0; i < parallelisms.size(); i++) {
        int p = parallelisms.get(i);
        JobRun run = job(bootstrap, p, labels.get(i), examples, dir.resolve("checkpoints-" + i),
            broker);
        runs.add(run);
        System.out.printf(Locale.ROOT, "decode_parallelism %d (%s): %,.0f examples/s, %.2f CPU s"
            + " per million examples, of which JIT compilation %.2f (%.0f%%)%n", p, run.label(),
            run.rate(),
            run.cpuPerMillion(), run.compileSeconds() / examples * 1e6,
            100 * run.compileSeconds() / run.cpuSeconds());
        Steady.Figures st = run.steady();
        System.out.printf(Locale.ROOT, "  second half (steady): %,d examples in %.1f s, %,.0f"
            + " examples/s, %.2f CPU s per million examples, of which JIT compilation %.2f%n",
            st.examples(), st.seconds(), st.rate(), st.cpuPerMillion(),
            st.compileSeconds() / st.examples() * 1e6);
        printQuarters(run.quarters());
      }

      // The clients' floor on the same topic and broker: no job, no Flink (KafkaClientsPeer),
      // in a fresh JVM of its own with this JVM's options (unless -Dgradflow.bench.peer.jvm=same).
      PeerResult peerResult = PEER_IN_THIS_JVM
          ? clientsPeer(bootstrap, examples, dir, broker.pid())
          : clientsPeerInFreshJvm(bootstrap, examples, dir, broker.pid());
      KafkaClientsPeer.Run peer = peerResult.run();
      Steady.Figures peerSteady = peerResult.steady();
      // The same work: the peer's committed predictions are what it computed, and the first
      // job's predictions on the same examples are bit for bit the same.
      long peerWritten = KafkaClientsPeer.checksum(bootstrap, PEER_TOPIC, peer.examples(),
          Duration.ofMinutes(2));
      long jobWritten = KafkaClientsPeer.checksum(bootstrap, "predictions-" + parallelisms.get(0),
          examples, Duration.ofMinutes(2));
      boolean peerSame = peer.checksum() == peerWritten && peer.checksum() == jobWritten
          && peer.examples() == examples;
      System.out.printf(Locale.ROOT, "predictions' checksums: peer computed %016x, peer's topic"
          + " %016x, job (decode parallelism %d) %016x: %s%n", peer.checksum(), peerWritten,
          parallelisms.get(0), jobWritten, peerSame ? "equal" : "DIFFERENT");

      TrainerThroughput.pool = TrainerThroughput.generate(20261128L);
      TrainerThroughput.Result bare = TrainerThroughput.flat(examples);
      double barePerMillion = bare.seconds() / bare.examples() * 1e6;

      System.out.printf(Locale.ROOT, "%n| stage | examples | seconds | examples/s | CPU s per"
          + " million examples (job JVM) | vs the bare loop's time | the same less JIT"
          + " compilation |%n|---|---:|---:|---:|---:|---:|---:|%n", examples);
      System.out.printf(Locale.ROOT, "| generate and Avro-encode, no Kafka (one thread) | %,d |"
          + " %.1f | %,.0f | | |%n", examples, bareEncodeSeconds, examples / bareEncodeSeconds);
      System.out.printf(Locale.ROOT, "| produce to Kafka (`GradflowProducer`, one thread) | %,d |"
          + " %.1f | %,.0f (%.2f× the bare encoding) | | |%n", examples, produceSeconds,
          examples / produceSeconds, bareEncodeSeconds / produceSeconds);
      for (JobRun r : runs) {
        System.out.printf(Locale.ROOT, "| train job, Kafka to Kafka, parallelism 1, decode"
            + " parallelism %d%s, start-up included | %,d | %.1f | %,.0f | %.2f | %.2f× | %.2f"
            + " (%.2f×) |%n", r.decodeParallelism(), r.label().contains("_run") ? " (again, warm"
            + " JVM)" : "", r.examples(), r.seconds(), r.rate(), r.cpuPerMillion(),
            r.cpuPerMillion() / barePerMillion, r.cpuPerMillionWithoutJit(),
            r.cpuPerMillionWithoutJit() / barePerMillion);
        Steady.Figures st = r.steady();
        System.out.printf(Locale.ROOT, "| the same, second half only (steady) | %,d | %.1f |"
            + " %,.0f | %.2f | %.2f× | %.2f (%.2f×) |%n", st.examples(), st.seconds(), st.rate(),
            st.cpuPerMillion(), st.cpuPerMillion() / barePerMillion, st.cpuPerMillionWithoutJit(),
            st.cpuPerMillionWithoutJit() / barePerMillion);
      }
      System.out.printf(Locale.ROOT, "| Kafka clients' peer: consumer, the job's decode, bare"
          + " loop, transactional producer; one thread | %,d | %.1f | %,.0f | %.2f | %.2f× | %.2f"
          + " (%.2f×) |%n", peer.examples(), peer.seconds(), peer.examples() / peer.seconds(),
          peer.cpuSeconds() / peer.examples() * 1e6,
          peer.cpuSeconds() / peer.examples() * 1e6 / barePerMillion,
          (peer.cpuSeconds() - peer.compileSeconds()) / peer.examples() * 1e6,
          (peer.cpuSeconds() - peer.compileSeconds()) / peer.examples() * 1e6 / barePerMillion);
      System.out.printf(Locale.ROOT, "| the same, second half only (steady) | %,d | %.1f |"
          + " %,.0f | %.2f | %.2f× | %.2f (%.2f×) |%n", peerSteady.examples(),
          peerSteady.seconds(), peerSteady.rate(), peerSteady.cpuPerMillion(),
          peerSteady.cpuPerMillion() / barePerMillion, peerSteady.cpuPerMillionWithoutJit(),
          peerSteady.cpuPerMillionWithoutJit() / barePerMillion);
      System.out.printf(Locale.ROOT, "| bare loop, flat array, one thread, from memory | %,d |"
          + " %.1f | %,.0f | %.2f (wall) | 1.00× |%n", bare.examples(), bare.seconds(),
          bare.examples() / bare.seconds(), barePerMillion);

      JobRun last = runs.get(runs.size() - 1);
      StringBuilder result = new StringBuilder(String.format(Locale.ROOT,
          "RESULT examples_per_second=%.0f cpu_per_example_vs_bare=%.2f decode_parallelism=%d"
          + " cpu_per_example_vs_bare_without_jit=%.2f", last.rate(),
          last.cpuPerMillion() / barePerMillion, last.decodeParallelism(),
          last.cpuPerMillionWithoutJit() / barePerMillion));
      result.append(String.format(Locale.ROOT, " examples_per_second_steady=%.0f"
          + " cpu_per_example_vs_bare_steady=%.2f cpu_per_example_vs_bare_steady_without_jit=%.2f",
          last.steady().rate(), last.steady().cpuPerMillion() / barePerMillion,
          last.steady().cpuPerMillionWithoutJit() / barePerMillion));
      for (JobRun r : runs) {
        result.append(String.format(Locale.ROOT, " examples_per_second_%s=%.0f"
            + " cpu_per_example_vs_bare_%s=%.2f jit_share_of_cpu_%s=%.2f", r.label(), r.rate(),
            r.label(), r.cpuPerMillion() / barePerMillion, r.label(),
            r.compileSeconds() / r.cpuSeconds()));
        result.append(String.format(Locale.ROOT, " examples_per_second_steady_%s=%.0f"
            + " cpu_per_example_vs_bare_steady_%s=%.2f", r.label(), r.steady().rate(), r.label(),
            r.steady().cpuPerMillion() / barePerMillion));
      }
      result.append(String.format(Locale.ROOT, " producer_examples_per_second=%.0f"
          + " producer_vs_avro_encoding=%.2f", examples / produceSeconds,
          bareEncodeSeconds / produceSeconds));
      result.append(peerFields(peer, peerSteady, last.steady(), barePerMillion, peerSame));
      result.append(conditionFields(Heap.current(), !PEER_IN_THIS_JVM, peerResult));
      result.append(jitFields(last, peerResult));
      result.append(lastQuarterFields(last, peerResult, barePerMillion));
      System.out.println();
      System.out.println(result);
    } finally {
      broker.getOutputStream().close(); // the broker stops when its input ends
      broker.waitFor();
    }
  }

  /** The topic of the Kafka clients' peer's predictions ({@link KafkaClientsPeer}). */
  static final String PEER_TOPIC = "predictions-clients-peer";

  /**
   * Whether the clients' peer runs in this JVM after the jobs ({@code
   * -Dgradflow.bench.peer.jvm=same}: warm, as the bench ran it until session 17) instead of in a
   * fresh JVM of its own with this JVM's options (the default, {@code fresh}), which compares the
   * job's first run with the peer's first run, each in a JVM with the same flags.
   */
  static final boolean PEER_IN_THIS_JVM =
      System.getProperty("gradflow.bench.peer.jvm", "fresh").equals("same");

  /** The line the clients' peer's own JVM prints its figures on ({@link PeerResult#line}). */
  private static final String PEER_LINE = "PEER ";

  /**
   * The heap a JVM was given, in MiB ({@code -Xms}: initial, {@code -Xmx}: max), and whether
   * HotSpot touched it all at start ({@code -XX:+AlwaysPreTouch}), as the RESULT line states the
   * conditions of the job's and the peer's JVMs. A TaskManager's heap is fixed (Flink starts it
   * with {@code -Xms} = {@code -Xmx}), and one that has run a while has touched its pages.
   */
  record Heap(long initialMb, long maxMb, boolean preTouched) {
    static Heap current() {
      var heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
      boolean touched;
      try {
        touched = Boolean.parseBoolean(ManagementFactory.getPlatformMXBean(
            com.sun.management.HotSpotDiagnosticMXBean.class).getVMOption("AlwaysPreTouch")
            .getValue());
      } catch (IllegalArgumentException e) { // not HotSpot
        touched = false;
      }
      return new Heap(heap.getInit() >> 20, heap.getMax() >> 20, touched);
    }

    /** RESULT fields {@code <prefix>heap_initial_mb=<n> <prefix>heap_max_mb=<n> <prefix>heap_pre_touched=<b>}. */
    String fields(String prefix) {
      return String.format(Locale.ROOT, " %sheap_initial_mb=%d %sheap_max_mb=%d"
          + " %sheap_pre_touched=%b", prefix, initialMb, prefix, maxMb, prefix, preTouched);
    }
  }

  /**
   * What the clients' peer measured, wherever it ran: its run, its second half, its quarters
   * ({@link Steady#quarters}) and its JVM's heap; {@link #line} and {@link #parse} carry it from
   * the peer's own JVM to this one.
   */
  record PeerResult(KafkaClientsPeer.Run run, Steady.Figures steady,
      List<Steady.Quarter> quarters, Heap heap) {
    /** Every figure, space-separated, as {@link #parse} reads them (doubles exactly). */
    String line() {
      List<Object> v = new ArrayList<>(List.of(run.examples(), run.seconds(), run.cpuSeconds(),
          run.compileSeconds(), run.checksum(), run.refused(), run.transactions(),
          steady.examples(), steady.seconds(), steady.cpuSeconds(), steady.compileSeconds(),
          heap.initialMb(), heap.maxMb(), heap.preTouched(), quarters.size()));
      for (Steady.Quarter q : quarters) {
        v.addAll(List.of(q.figures().examples(), q.figures().seconds(), q.figures().cpuSeconds(),
            q.figures().compileSeconds(), q.compilations(), q.fromUptime(), q.toUptime()));
      }
      StringBuilder out = new StringBuilder();
      for (Object o : v) {
        out.append(out.length() == 0 ? "" : " ").append(o);
      }
      return out.toString();
    }

    static PeerResult parse(String line) {
      String[] f = line.trim().split(" ");
      int i = 0;
      var run = new KafkaClientsPeer.Run(Long.parseLong(f[i++]), Double.parseDouble(f[i++]),
          Double.parseDouble(f[i++]), Double.parseDouble(f[i++]), Long.parseLong(f[i++]),
          Long.parseLong(f[i++]), Long.parseLong(f[i++]));
      var steady = new Steady.Figures(Long.parseLong(f[i++]), Double.parseDouble(f[i++]),
          Double.parseDouble(f[i++]), Double.parseDouble(f[i++]));
      var heap = new Heap(Long.parseLong(f[i++]), Long.parseLong(f[i++]),
          Boolean.parseBoolean(f[i++]));
      int n = Integer.parseInt(f[i++]);
      List<Steady.Quarter> quarters = new ArrayList<>();
      for (int k = 0; k < n; k++) {
        quarters.add(new Steady.Quarter(new Steady.Figures(Long.parseLong(f[i++]),
            Double.parseDouble(f[i++]), Double.parseDouble(f[i++]), Double.parseDouble(f[i++])),
            Long.parseLong(f[i++]), Double.parseDouble(f[i++]), Double.parseDouble(f[i++])));
      }
      if (i != f.length) {
        throw new IllegalArgumentException("the peer's figures: " + f.length + " fields, not "
            + i);
      }
      return new PeerResult(run, steady, quarters, heap);
    }
  }

  /**
   * Runs the clients' peer ({@link KafkaClientsPeer}) on {@code examples} examples of the bench's
   * topic in this JVM, with its second half watched as a job's ({@link Steady}), and prints its
   * figures; {@code brokerPid} is the broker's process, for {@link ThreadSplit}.
   */
  static PeerResult clientsPeer(String bootstrap, long examples, Path dir, long brokerPid)
      throws Exception {
    ThreadSplit peerSplit = THREADS ? ThreadSplit.start(brokerPid) : null;
    Steady peerWatch = Steady.watch(bootstrap, PEER_TOPIC, examples, peerSplit,
        "clients-peer");
    KafkaClientsPeer.Run peer;
    Steady.Figures peerSteady;
    try {
      peer = new KafkaClientsPeer(jobConfig(bootstrap, 1, dir.resolve("peer")), "examples",
          PEER_TOPIC).run();
    } finally {
      peerSteady = peerWatch.stopWhenSeen(10_000);
    }
    if (peerSplit != null) {
      peerSplit.stopAndPrint("the Kafka clients' peer", peer.seconds(), peer.examples());
    }
    Heap heap = Heap.current();
    System.out.printf(Locale.ROOT, "Kafka clients' peer (consumer, the job's decode, the bare"
        + " loop, transactional producer; one thread; %s, heap %d-%d MiB%s): %,d examples in"
        + " %.1f s, %,.0f examples/s, %.2f CPU s per million examples, %d transactions, %d"
        + " refused%n", PEER_IN_THIS_JVM ? "after the jobs in their JVM" : "in a JVM of its own",
        heap.initialMb(), heap.maxMb(), heap.preTouched() ? ", pre-touched" : "",
        peer.examples(), peer.seconds(), peer.examples() / peer.seconds(),
        peer.cpuSeconds() / peer.examples() * 1e6, peer.transactions(), peer.refused());
    System.out.printf(Locale.ROOT, "  second half (steady): %,d examples in %.1f s, %,.0f"
        + " examples/s, %.2f CPU s per million examples, of which JIT compilation %.2f%n",
        peerSteady.examples(), peerSteady.seconds(), peerSteady.rate(),
        peerSteady.cpuPerMillion(), peerSteady.compileSeconds() / peerSteady.examples() * 1e6);
    List<Steady.Quarter> quarters = peerWatch.quarters();
    printQuarters(quarters);
    return new PeerResult(peer, peerSteady, quarters, heap);
  }

  /**
   * {@link #clientsPeer} in a fresh JVM of its own, started with this JVM's options (heap, GC,
   * {@code -D} properties, logging) and class path; its output is passed on, its figures read
   * back. Its CPU is its own process's, as the job's is this one's.
   */
  private static PeerResult clientsPeerInFreshJvm(String bootstrap, long examples, Path dir,
      long brokerPid) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
    command.addAll(List.of("-cp", System.getProperty("java.class.path"),
        KafkaJobThroughput.class.getName(), "peer", bootstrap, Long.toString(examples),
        dir.toString(), Long.toString(brokerPid)));
    Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    child.getOutputStream().close();
    PeerResult result = null;
    try (BufferedReader lines = new BufferedReader(
        new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = lines.readLine()) != null; ) {
        if (line.startsWith(PEER_LINE)) {
          result = PeerResult.parse(line.substring(PEER_LINE.length()));
        } else {
          System.out.println(line);
        }
      }
    }
    int code = child.waitFor();
    if (code != 0 || result == null) {
      throw new IllegalStateException("the clients' peer's JVM exited " + code
          + (result == null ? " without its figures" : ""));
    }
    return result;
  }

  /**
   * Prints a run's quarters ({@link Steady#quarters}): examples per second, CPU per example, the
   * JIT compilers' CPU per example and share, and the compilations finished in each.
   */
  static void printQuarters(List<Steady.Quarter> quarters) {
    for (int k = 0; k < quarters.size(); k++) {
      Steady.Quarter q = quarters.get(k);
      Steady.Figures f = q.figures();
      System.out.printf(Locale.ROOT, "  quarter %d%s: %,d examples in %.1f s, %,.0f examples/s,"
          + " %.2f CPU s per million examples, JIT %.2f us per example (%.0f%% of the CPU),"
          + " %d compilations; JVM uptime %.1f-%.1f s%n", k + 1,
          k == 0 ? " (start-up included)" : "", f.examples(), f.seconds(), f.rate(),
          f.cpuPerMillion(), q.jitMicrosPerExample(), 100 * q.jitShare(), q.compilations(),
          q.fromUptime(), q.toUptime());
    }
  }

  /**
   * The clients' peer's RESULT fields ({@link KafkaClientsPeer}), each figure measured as the
   * job's: {@code kafka_clients_peer_examples_per_second} and
   * {@code kafka_clients_peer_cpu_per_example_vs_bare} (this JVM's CPU per example against the
   * bare loop's time) over the peer's second half, as {@code _steady} of a job; the same less the
   * JIT compilers' CPU ({@code _without_jit}); the whole run's ({@code _whole}, start included);
   * {@code job_steady_cpu_per_example_vs_clients_peer}, the last job's second-half CPU per example
   * over the peer's (what the job adds to the clients' floor); and
   * {@code kafka_clients_peer_predictions_equal_job}, whether the peer's predictions (computed,
   * and as committed to its topic) equal the first job's bit for bit.
   */
  static String peerFields(KafkaClientsPeer.Run peer, Steady.Figures steady,
      Steady.Figures jobSteady, double barePerMillion, boolean sameAsJob) {
    double wholePerMillion = peer.cpuSeconds() / peer.examples() * 1e6;
    return String.format(Locale.ROOT, " kafka_clients_peer_examples_per_second=%.0f"
        + " kafka_clients_peer_cpu_per_example_vs_bare=%.2f"
        + " kafka_clients_peer_cpu_per_example_vs_bare_without_jit=%.2f"
        + " kafka_clients_peer_examples_per_second_whole=%.0f"
        + " kafka_clients_peer_cpu_per_example_vs_bare_whole=%.2f"
        + " job_steady_cpu_per_example_vs_clients_peer=%.2f"
        + " kafka_clients_peer_predictions_equal_job=%b", steady.rate(),
        steady.cpuPerMillion() / barePerMillion, steady.cpuPerMillionWithoutJit() / barePerMillion,
        peer.examples() / peer.seconds(), wholePerMillion / barePerMillion,
        jobSteady.cpuPerMillion() / steady.cpuPerMillion(), sameAsJob);
  }

  /**
   * The conditions of the comparison, for the RESULT line: the job JVM's heap
   * ({@code job_heap_initial_mb}, {@code job_heap_max_mb}, {@code job_heap_pre_touched}),
   * {@code clients_peer_jvm=fresh} (a JVM of its own, started as the job's) or {@code same} (after
   * the jobs in theirs), and the peer JVM's heap ({@code kafka_clients_peer_heap_...}).
   */
  static String conditionFields(Heap jobHeap, boolean peerFresh, PeerResult peer) {
    return jobHeap.fields("job_") + " clients_peer_jvm=" + (peerFresh ? "fresh" : "same")
        + peer.heap().fields("kafka_clients_peer_");
  }

  /**
   * The JIT compilers' part, for the RESULT line: {@code jit_share_of_cpu_steady} (the last
   * job's second half), {@code jit_share_of_cpu_q<k>} and {@code jit_compilations_q<k>} for each
   * quarter k of its examples ({@link Steady#quarters}; the first includes start-up), and
   * {@code kafka_clients_peer_jit_share_of_cpu_steady}, the peer's second half's.
   */
  static String jitFields(JobRun last, PeerResult peer) {
    StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
        " jit_share_of_cpu_steady=%.2f", last.steady().compileSeconds()
            / last.steady().cpuSeconds()));
    for (int k = 0; k < last.quarters().size(); k++) {
      Steady.Quarter q = last.quarters().get(k);
      out.append(String.format(Locale.ROOT, " jit_share_of_cpu_q%d=%.2f jit_compilations_q%d=%d",
          k + 1, q.jitShare(), k + 1, q.compilations()));
    }
    out.append(String.format(Locale.ROOT, " kafka_clients_peer_jit_share_of_cpu_steady=%.2f",
        peer.steady().compileSeconds() / peer.steady().cpuSeconds()));
    return out.toString();
  }

  /**
   * The last quarter of the last job's examples and of the peer's, for the RESULT line: the
   * settled job, once the JIT compilers' backlog of late-hot code is behind it (the second half
   * of a 1M run still holds part of it; README, "The job through Kafka", session 21).
   * {@code examples_per_second_q4}, {@code cpu_per_example_vs_bare_q4} and {@code _without_jit}
   * as the {@code _steady} fields are, {@code jit_us_per_example_steady} and {@code _q4} (the JIT
   * compilers' CPU per example in microseconds), the peer's {@code
   * kafka_clients_peer_cpu_per_example_vs_bare_q4} and {@code _without_jit}, {@code
   * kafka_clients_peer_jit_us_per_example_q4}, and {@code
   * job_q4_cpu_per_example_vs_clients_peer_q4}. Empty when either has no quarters (the last
   * prediction was not seen).
   */
  static String lastQuarterFields(JobRun last, PeerResult peer, double barePerMillion) {
    if (last.quarters().size() < 4 || peer.quarters().size() < 4) {
      return "";
    }
    Steady.Quarter q = last.quarters().get(3);
    Steady.Quarter pq = peer.quarters().get(3);
    Steady.Figures f = q.figures();
    Steady.Figures pf = pq.figures();
    return String.format(Locale.ROOT, " examples_per_second_q4=%.0f cpu_per_example_vs_bare_q4=%.2f"
        + " cpu_per_example_vs_bare_q4_without_jit=%.2f jit_us_per_example_steady=%.2f"
        + " jit_us_per_example_q4=%.2f kafka_clients_peer_examples_per_second_q4=%.0f"
        + " kafka_clients_peer_cpu_per_example_vs_bare_q4=%.2f"
        + " kafka_clients_peer_cpu_per_example_vs_bare_q4_without_jit=%.2f"
        + " kafka_clients_peer_jit_us_per_example_q4=%.2f"
        + " job_q4_cpu_per_example_vs_clients_peer_q4=%.2f", f.rate(),
        f.cpuPerMillion() / barePerMillion, f.cpuPerMillionWithoutJit() / barePerMillion,
        last.steady().compileSeconds() / last.steady().examples() * 1e6,
        q.jitMicrosPerExample(), pf.rate(), pf.cpuPerMillion() / barePerMillion,
        pf.cpuPerMillionWithoutJit() / barePerMillion, pq.jitMicrosPerExample(),
        f.cpuPerMillion() / pf.cpuPerMillion());
  }

  /** A broker in a JVM of its own; it stops when its standard input is closed. */
  private static Process startBroker() throws IOException {
    return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java")
        .toString(), "-Xmx1g", "-cp", System.getProperty("java.class.path"),
        KafkaJobThroughput.class.getName(), "broker")
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
  }

  /**
   * {@code gradflow produce --file} against bare Avro encoding of the same records, per format:
   * {@code examples} generated click-through examples (40 categorical fields) written as a CSV,
   * LibSVM or VW file (not timed), read back with {@link FileReplay} into memory (not timed), then
   * timed: encoding those examples with Avro, no Kafka (the fastest of three passes), and the whole
   * {@code produce --file} command (read, parse, validate, encode, send, flush; one thread) into
   * the broker in its own JVM. Before any timed run, each format and {@code --parse-threads} value
   * runs once untimed on a file of {@link #WARM_UP_EXAMPLES} (fewer if {@code examples} is), so
   * that the formats' figures do not depend on their order. Prints one line per format and
   * {@code RESULT file_replay_vs_bare_encoding_<format>=<x> ...}; with {@code parseThreads}, one
   * run per value of {@code --parse-threads} instead, as {@code ..._<format>_parse<n>=<x>}.
   */
  private static void fileReplay(long examples, List<String> formats, List<String> parseThreads)
      throws Exception {
    Path dir = Files.createTempDirectory("gradflow-file-bench-");
    Process broker = startBroker();
    StringBuilder result = new StringBuilder("RESULT");
    List<String> runs = parseThreads.isEmpty() ? List.of("") : parseThreads;
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    try {
      String bootstrap = bootstrapOf(broker);
      List<String> topics = new ArrayList<>();
      for (String format : formats) {
        runs.forEach(t -> topics.add("file-" + format + (t.isEmpty() ? "" : "-parse" + t)));
        runs.forEach(t -> topics.add("warm-up-" + format + (t.isEmpty() ? "" : "-parse" + t)));
      }
      createTopics(bootstrap, topics);
      System.out.printf(Locale.ROOT, "broker in its own JVM (pid %d) at %s; %d cores%n",
          broker.pid(), bootstrap, Runtime.getRuntime().availableProcessors());
      // Warm-up, not timed: every format and --parse-threads value once on a smaller file, before
      // any timed run, so the first format timed does not run cold (LibSVM first measured 48k
      // examples/s against 150-178k after another format).
      long warmUp = Math.max(1, Math.min(examples, WARM_UP_EXAMPLES));
      for (String format : formats) {
        Path file = dir.resolve("warm-up." + format);
        writeFile(file, format, warmUp);
        for (String threads : runs) {
          List<String> runFlags = new ArrayList<>(fileFlags(format));
          if (!threads.isEmpty()) {
            runFlags.addAll(List.of("--parse-threads", threads));
          }
          produceCommand(bootstrap, "warm-up-" + format + (threads.isEmpty() ? "" : "-parse"
              + threads), warmUp, concat(List.of("--file", file.toString()), runFlags));
        }
        Files.delete(file);
      }
      System.out.printf(Locale.ROOT, "%n| format | examples | file MB | bare Avro encoding,"
          + " examples/s | produce --file, examples/s | ratio |%n|---|---:|---:|---:|---:|---:|%n");
      for (String format : formats) {
        Path file = dir.resolve("examples." + format);
        writeFile(file, format, examples);
        List<String> flags = fileFlags(format);
        List<Example> records = new ArrayList<>();
        Flag.Values values = Flag.parse(ProduceCommand.FLAGS, concat(List.of("--file",
            file.toString()), flags));
        try (FileReplay replay = ProduceCommand.openFile(values, InputStream.nullInputStream())) {
          replay.forEachRemaining(records::add);
        }
        if (records.size() != examples) {
          throw new IllegalStateException(format + ": read " + records.size() + " of "
              + examples);
        }
        RecordCodec<Example> codec = Codecs.codec(Example.class);
        double bare = Double.MAX_VALUE;
        for (int pass = 0; pass < 3; pass++) {
          System.gc(); // the records just read are not collected while timing
          long start = System.nanoTime();
          long bytes = 0;
          for (Example e : records) {
            bytes += codec.encode(e).length;
          }
          bare = Math.min(bare, (System.nanoTime() - start) / 1e9);
          if (bytes == 0) {
            throw new IllegalStateException("nothing encoded");
          }
        }
        records = null;
        System.gc();
        for (String threads : runs) {
          String run = format + (threads.isEmpty() ? "" : "_parse" + threads);
          List<String> runFlags = new ArrayList<>(flags);
          if (!threads.isEmpty()) {
            runFlags.addAll(List.of("--parse-threads", threads));
          }
          long cpu = os.getProcessCpuTime();
          Duration brokerCpu = broker.info().totalCpuDuration().orElse(Duration.ZERO);
          double seconds = produceCommand(bootstrap, "file-" + run.replace('_', '-'), examples,
              concat(List.of("--file", file.toString()), runFlags));
          // Cores busy while it ran: whether the machine, not one thread, was the limit.
          System.out.printf(Locale.ROOT, "cores busy: produce's JVM %.2f, broker %.2f%n",
              (os.getProcessCpuTime() - cpu) / 1e9 / seconds, broker.info().totalCpuDuration()
                  .orElse(Duration.ZERO).minus(brokerCpu).toNanos() / 1e9 / seconds);
          System.out.printf(Locale.ROOT, "| %s | %,d | %.0f | %,.0f | %,.0f | %.2f× |%n", run,
              examples, Files.size(file) / 1e6, examples / bare, examples / seconds,
              bare / seconds);
          result.append(String.format(Locale.ROOT, " file_replay_vs_bare_encoding_%s=%.2f",
              run, bare / seconds));
        }
        Files.delete(file);
      }
    } finally {
      broker.getOutputStream().close();
      broker.waitFor();
    }
    System.out.println(result);
  }

  /** Examples of each format's untimed warm-up run in the file replay bench. */
  static final long WARM_UP_EXAMPLES = 60_000;

  /** The {@code gradflow produce} flags reading the bench's file in {@code format}. */
  private static List<String> fileFlags(String format) {
    List<String> flags = new ArrayList<>(List.of("--format", format));
    if (format.equals("csv")) {
      StringBuilder columns = new StringBuilder();
      for (int f = 0; f < FIELDS; f++) {
        columns.append(f == 0 ? "" : ",").append("f").append(f);
      }
      flags.addAll(List.of("--csv-label", "label", "--csv-categorical", columns.toString()));
    }
    return flags;
  }

  /**
   * {@code gradflow produce --generator ctr} (the command a user runs: generate, validate, encode,
   * send, flush) against the same generator's bare Avro encoding without Kafka, in one run, with
   * the broker in its own JVM. Both are timed twice, alternately, after a short warm-up of each,
   * and the faster pass of each counts. The click-through stream is the job bench's: 40 fields,
   * Zipf 1.05 over 100,000 ids each, seed 7. Prints
   * {@code RESULT producer_examples_per_second=<n> bare_encoding_examples_per_second=<n>
   * producer_vs_bare_encoding=<x>}.
   */
  private static void produceOnly(long examples) throws Exception {
    Process broker = startBroker();
    try {
      String bootstrap = bootstrapOf(broker);
      System.out.printf(Locale.ROOT, "broker in its own JVM (pid %d) at %s; %d cores%n",
          broker.pid(), bootstrap, Runtime.getRuntime().availableProcessors());
      long warmUp = Math.min(examples, 200_000);
      createTopics(bootstrap, List.of("produce-warm-up", "produce-0", "produce-1"));
      bareEncode(commandGenerator(), warmUp);
      produceCommand(bootstrap, "produce-warm-up", warmUp, generated(warmUp));
      double bare = Double.MAX_VALUE;
      double produce = Double.MAX_VALUE;
      for (int pass = 0; pass < 2; pass++) {
        bare = Math.min(bare, bareEncode(commandGenerator(), examples));
        produce = Math.min(produce, produceCommand(bootstrap, "produce-" + pass, examples,
            generated(examples)));
      }
      System.out.printf(Locale.ROOT, "%n| stage | examples | seconds | examples/s |%n"
          + "|---|---:|---:|---:|%n");
      System.out.printf(Locale.ROOT, "| generate and Avro-encode, no Kafka (one thread) | %,d |"
          + " %.2f | %,.0f |%n", examples, bare, examples / bare);
      System.out.printf(Locale.ROOT, "| `gradflow produce --generator ctr` | %,d | %.2f | %,.0f"
          + " (%.2f× the bare encoding) |%n", examples, produce, examples / produce,
          bare / produce);
      System.out.println();
      System.out.printf(Locale.ROOT, "RESULT producer_examples_per_second=%.0f"
          + " bare_encoding_examples_per_second=%.0f producer_vs_bare_encoding=%.2f%n",
          examples / produce, examples / bare, bare / produce);
    } finally {
      broker.getOutputStream().close();
      broker.waitFor();
    }
  }

  /** The generator {@code gradflow produce} builds from {@link #PRODUCE_FLAGS}. */
  private static ClickThroughGenerator commandGenerator() {
    return new ClickThroughGenerator(new ClickThroughGenerator.Spec(7, FIELDS, 100_000, 1.05,
        0.6, -1.4, DriftSpec.NONE, null, System.currentTimeMillis(), 1));
  }

  /**
   * Seconds of a whole {@code gradflow produce} command with {@code flags} into {@code topic},
   * which must report {@code examples} examples produced.
   */
  private static double produceCommand(String bootstrap, String topic, long examples,
      List<String> flags) {
    System.gc();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    long start = System.nanoTime();
    int code = Main.run(concat(List.of("produce", "--bootstrap-servers", bootstrap, "--topic",
            topic, "--quiet"), flags).toArray(String[]::new), InputStream.nullInputStream(),
        System.out, new PrintStream(err, true, StandardCharsets.UTF_8));
    double seconds = (System.nanoTime() - start) / 1e9;
    String printed = err.toString(StandardCharsets.UTF_8);
    if (code != 0 || !printed.contains(String.format(Locale.ROOT, "produced %,d examples",
        examples))) {
      throw new IllegalStateException(topic + ": produce exited " + code + ":\n" + printed);
    }
    System.out.printf(Locale.ROOT, "gradflow produce %s: %,.0f examples/s%n", topic,
        examples / seconds);
    return seconds;
  }

  private static List<String> generated(long examples) {
    return concat(List.of("--count", Long.toString(examples)), PRODUCE_FLAGS);
  }

  private static final int FIELDS = 40;

  private static final List<String> PRODUCE_FLAGS = List.of("--generator", "ctr", "--seed", "7",
      "--fields", Integer.toString(FIELDS), "--vocabulary", "100000", "--zipf", "1.05",
      "--interval-ms", "1");

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  /** The generator's examples as a file: the label, then one value per field (namespace). */
  static void writeFile(Path file, String format, long examples) throws IOException {
    ClickThroughGenerator generator = generator();
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      if (format.equals("csv")) {
        out.write("label");
        for (int f = 0; f < FIELDS; f++) {
          out.write(",f" + f);
        }
        out.write('\n');
      }
      StringBuilder line = new StringBuilder();
      for (long i = 0; i < examples; i++) {
        Example e = generator.next().example();
        line.setLength(0);
        line.append(e.getLabel() > 0.5f ? "1" : "0");
        List<Feature> features = e.getFeatures();
        for (int f = 0; f < features.size(); f++) {
          String value = features.get(f).getName();
          switch (format) {
            case "csv" -> line.append(',').append(value);
            case "libsvm" -> line.append(' ').append(f * 1_000_000L + Long.parseLong(value))
                .append(":1");
            case "vw" -> line.append(" |f").append(f).append(' ').append(value);
            default -> throw new IllegalArgumentException("format " + format);
          }
        }
        out.append(line).append('\n');
      }
    }
  }

  /** The broker's side: starts, prints its address, stops when its standard input ends. */
  private static void broker() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(
        Map.of("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000"))) {
      System.out.println("BOOTSTRAP " + kafka.bootstrapServers());
      System.out.flush();
      while (System.in.read() >= 0) {
        // wait for the end of input
      }
    }
  }

  private static String bootstrapOf(Process broker) throws IOException {
    BufferedReader lines = new BufferedReader(
        new InputStreamReader(broker.getInputStream(), StandardCharsets.UTF_8));
    for (String line; (line = lines.readLine()) != null; ) {
      if (line.startsWith("BOOTSTRAP ")) {
        return line.substring("BOOTSTRAP ".length());
      }
    }
    throw new IllegalStateException("the broker JVM ended without starting");
  }

  private static void createTopics(String bootstrap, List<String> names) throws Exception {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(p)) {
      admin.createTopics(names.stream().map(n -> new NewTopic(n, 1, (short) 1)).toList())
          .all().get();
    }
  }

  static ClickThroughGenerator generator() {
    return new ClickThroughGenerator(new ClickThroughGenerator.Spec(
        7, 40, 100_000, 1.05, 0.3, -1.4, DriftSpec.NONE, "ctr", 1_700_000_000_000L, 1));
  }

  /** Seconds to generate and encode {@code examples} examples, no Kafka: the producer's floor. */
  private static double bareEncode(ClickThroughGenerator generator, long examples) {
    System.gc();
    RecordCodec<Example> codec = Codecs.codec(Example.class);
    long bytes = 0;
    long start = System.nanoTime();
    for (long i = 0; i < examples; i++) {
      bytes += codec.encode(generator.next().example()).length;
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(Locale.ROOT, "generate and encode: %,.0f examples/s, %.0f bytes each%n",
        examples / seconds, (double) bytes / examples);
    return seconds;
  }

  private static double produce(String bootstrap, long examples) {
    ClickThroughGenerator generator = generator();
    long start = System.nanoTime();
    try (GradflowProducer producer = GradflowProducer.builder(bootstrap)
        .examplesTopic("examples").build()) {
      for (long i = 0; i < examples; i++) {
        producer.send(generator.next().example());
      }
      producer.flush();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(Locale.ROOT, "produce: %,.0f examples/s%n", examples / seconds);
    return seconds;
  }

  /**
   * The job's configuration at decode parallelism {@code decodeParallelism}, for the job and for
   * the clients' peer ({@link ClientsPeer}), which reads its decoder, client properties,
   * transaction timeout, learner and checkpoint interval from it.
   */
  static TrainConfig jobConfig(String bootstrap, int decodeParallelism, Path checkpoints)
      throws IOException {
    String p = Integer.toString(decodeParallelism);
    return TrainConfig.fromYaml(String.join("\n",
        // decode_parallelism only when not 1, so this bench also runs on versions without it.
        "job: {name: kafka-bench-" + p + ", parallelism: 1"
            + (decodeParallelism == 1 ? "" : ", decode_parallelism: " + p) + "}",
        "kafka:",
        "  bootstrap_servers: " + bootstrap,
        "  group_id: kafka-bench-" + p,
        "  transaction_timeout: 15s",
        "  starting_offsets: earliest",
        "  bounded: latest",
        KAFKA_PROPERTIES.isEmpty() ? "" : "  properties: {" + KAFKA_PROPERTIES + "}",
        "  topics: {examples: examples, labels: labels, predictions: predictions-" + p
            + ", metrics: metrics-" + p + ", changelog: changelog-" + p
            + ", dead_letters: dead-letters}",
        "model: {type: logistic_regression, hash_bits: 22}",
        "optimizer: {name: Adagrad, lr: 0.1}",
        "state: {cache_pages: 16384}",
        "metrics: {every: 100000, window: 10000}",
        "checkpoints: {interval: 2s, directory: " + checkpoints.toUri() + "}",
        ""));
  }

  private static JobRun job(String bootstrap, int decodeParallelism, String label, long examples,
      Path checkpoints, Process broker) throws Exception {
    String p = Integer.toString(decodeParallelism);
    TrainConfig config = jobConfig(bootstrap, decodeParallelism, checkpoints);
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.getExecutionEnvironment(TrainJob.flinkConfiguration(config));
    TrainJob.configure(env, config);
    TrainJob.build(env, config);
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    ThreadSplit split = THREADS ? ThreadSplit.start(broker.pid()) : null;
    Steady steady = Steady.watch(bootstrap, "predictions-" + p, examples, split, label);
    double compileStart = compilerCpuSeconds();
    long cpuStart = os.getProcessCpuTime();
    long start = System.nanoTime();
    Steady.Figures figures;
    try {
      env.execute(config.jobName());
    } finally {
      figures = steady.stop();
    }
    List<Steady.Quarter> quarters = steady.quarters();
    double seconds = (System.nanoTime() - start) / 1e9;
    double cpu = (os.getProcessCpuTime() - cpuStart) / 1e9;
    double compile = compilerCpuSeconds() - compileStart;
    if (split != null) {
      split.stopAndPrint("decode parallelism " + decodeParallelism, seconds, examples);
    }
    return new JobRun(decodeParallelism, label, examples, seconds, cpu, compile, figures,
        quarters);
  }

  /**
   * The job's second half, as a job that has been running for a while sees it: a thread of this
   * JVM reads the predictions topic's high watermark (Kafka's list-offsets request, read
   * uncommitted, every {@link #POLL_MILLIS} ms; the trainer writes one prediction per example, so
   * the watermark is the job's own progress) and samples the time, this JVM's process CPU and the
   * JIT compilers' CPU when the topic has grown by half the examples and again by all of them
   * (the last prediction; its transactions' commit markers take a few offsets too, so the points
   * come at most one marker per checkpoint early). The examples between the points are the
   * watermarks' difference. With {@link ThreadSplit} the per-thread table of that half is printed
   * too; with {@code -Dgradflow.bench.profile=<libasyncProfiler.so>} async-profiler (CPU time
   * sampled by itimer, per thread) runs over that half only and writes collapsed stacks to
   * {@code /tmp/gradflow-kafka-job-<run>.collapsed}. The watcher's own CPU (one request per poll,
   * on the admin client's thread) is in the JVM's figure; it is small against the job's. One
   * instance per job run; not reusable.
   */
  static final class Steady {
    /** Milliseconds between two reads of the predictions topic's high watermark. */
    static final long POLL_MILLIS = 20;
    private static final String PROFILER = System.getProperty("gradflow.bench.profile", "");

    /**
     * One sample: wall and CPU nanoseconds, the compilers' CPU seconds, the watermark, and the
     * compilations HotSpot has finished so far ({@link #compilations}; -1 when unknown), and the
     * JVM's uptime in seconds (the time stamps of HotSpot's compilation and deoptimization logs).
     */
    record Point(long nanos, long cpuNanos, double compileSeconds, long offset,
        long compilations, double uptime) {
      static Point take(long offset) {
        var os = (com.sun.management.OperatingSystemMXBean)
            ManagementFactory.getOperatingSystemMXBean();
        long nanos = System.nanoTime();
        long cpu = os.getProcessCpuTime();
        double compile = compilerCpuSeconds();
        return new Point(nanos, cpu, compile, offset, KafkaJobThroughput.compilations(),
            ManagementFactory.getRuntimeMXBean().getUptime() / 1e3);
      }
    }

    /**
     * A quarter of a run's examples ({@link #quarters}): its figures and the compilations
     * HotSpot finished in it (C1 and C2, standard and on-stack replacement; -1 when unknown),
     * from and to the JVM's uptime in seconds.
     */
    record Quarter(Figures figures, long compilations, double fromUptime, double toUptime) {
      /** The JIT compilers' share of the JVM's CPU in this quarter. */
      double jitShare() {
        return figures.compileSeconds() / figures.cpuSeconds();
      }

      /** The JIT compilers' CPU per example in this quarter, in microseconds. */
      double jitMicrosPerExample() {
        return figures.compileSeconds() / figures.examples() * 1e6;
      }
    }

    /**
     * The second half's figures: {@code examples} predictions written between the two points over
     * {@code seconds}, with this JVM's {@code cpuSeconds}, of which the JIT compilers' {@code
     * compileSeconds}; all NaN (examples 0) when the job ended before the last prediction was seen.
     */
    record Figures(long examples, double seconds, double cpuSeconds, double compileSeconds) {
      static final Figures NONE = new Figures(0, Double.NaN, Double.NaN, Double.NaN);

      double rate() {
        return examples / seconds;
      }

      double cpuPerMillion() {
        return cpuSeconds / examples * 1e6;
      }

      double cpuPerMillionWithoutJit() {
        return (cpuSeconds - compileSeconds) / examples * 1e6;
      }
    }

    private final Admin admin;
    private final org.apache.kafka.common.TopicPartition partition;
    private final long base;
    private final long examples;
    private final ThreadSplit split;
    private final String label;
    private final Thread thread;
    private volatile boolean stopped;
    private final Point start;
    /** The points at a quarter, half, three quarters and all of the examples. */
    private final java.util.concurrent.atomic.AtomicReferenceArray<Point> marks =
        new java.util.concurrent.atomic.AtomicReferenceArray<>(4);

    private Steady(String bootstrap, String topic, long examples, ThreadSplit split, String label)
        throws Exception {
      Properties p = new Properties();
      p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      this.admin = Admin.create(p);
      this.partition = new org.apache.kafka.common.TopicPartition(topic, 0);
      this.examples = examples;
      this.split = split;
      this.label = label;
      this.base = watermark(); // the topic of a parallelism run again already holds its first run
      this.start = Point.take(0);
      this.thread = new Thread(this::run, "bench-steady-watch");
      thread.setDaemon(true);
      thread.start();
    }

    static Steady watch(String bootstrap, String topic, long examples, ThreadSplit split,
        String label) throws Exception {
      return new Steady(bootstrap, topic, examples, split, label);
    }

    private long watermark() throws Exception {
      return admin.listOffsets(Map.of(partition,
              org.apache.kafka.clients.admin.OffsetSpec.latest()),
          new org.apache.kafka.clients.admin.ListOffsetsOptions(
              org.apache.kafka.common.IsolationLevel.READ_UNCOMMITTED))
          .partitionResult(partition).get().offset();
    }

    private void run() {
      try {
        int next = 0; // the next quarter's point to take
        while (!stopped) {
          long written = watermark() - base;
          while (next < 4 && written >= examples * (next + 1) / 4) {
            marks.set(next, Point.take(written));
            if (next == 1) { // the half: the steady part starts
              if (split != null) {
                split.mark();
              }
              profiler("start,event=itimer,interval=1ms,threads");
            } else if (next == 3) { // the last prediction
              if (split != null) {
                split.mark();
              }
              profiler("stop,file=/tmp/gradflow-kafka-job-" + label + ".collapsed,collapsed,"
                  + "threads");
              return;
            }
            next++;
          }
          Thread.sleep(POLL_MILLIS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        System.out.println("steady-state watch failed: " + e);
      }
    }

    /** Sends a command to async-profiler, loaded as an agent, when asked for; else nothing. */
    private static void profiler(String command) {
      if (PROFILER.isEmpty()) {
        return;
      }
      try {
        // One argument string, the options quoted: the command's parser would take the first
        // '=' of the options for a key=value pair of its own.
        Object answer = ManagementFactory.getPlatformMBeanServer().invoke(
            new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"),
            "jvmtiAgentLoad", new Object[] {new String[] {PROFILER + " \"" + command + "\""}},
            new String[] {String[].class.getName()});
        if (!String.valueOf(answer).contains("return code: 0")) {
          System.out.println("async-profiler " + command + ": " + answer);
        }
      } catch (Exception e) {
        System.out.println("async-profiler " + command + " failed: " + e);
      }
    }

    /**
     * Waits up to {@code millis} for the last prediction to be seen (a run that returns as its
     * last transaction commits, before the next poll of the watermark), then {@link #stop}s.
     */
    Figures stopWhenSeen(long millis) throws InterruptedException {
      thread.join(millis);
      return stop();
    }

    /** Stops watching (the job has ended) and returns the second half's figures. */
    Figures stop() throws InterruptedException {
      stopped = true;
      thread.join();
      admin.close();
      Point h = marks.get(1);
      Point l = marks.get(3);
      if (h == null || l == null) {
        System.out.println("steady state: the last prediction was not seen before the job ended");
        return Figures.NONE;
      }
      return between(h, l);
    }

    private static Figures between(Point from, Point to) {
      return new Figures(to.offset() - from.offset(), (to.nanos() - from.nanos()) / 1e9,
          (to.cpuNanos() - from.cpuNanos()) / 1e9, to.compileSeconds() - from.compileSeconds());
    }

    /**
     * The run's four quarters of examples, after {@link #stop}: the first from the watch's start
     * (before the job starts: start-up is in it), each other from the previous quarter's point;
     * empty when the last prediction was not seen. Whether the JIT compilers' CPU settles as the
     * job runs on (their share per quarter) and how many methods they compiled in each.
     */
    List<Quarter> quarters() {
      List<Quarter> quarters = new ArrayList<>();
      Point from = start;
      for (int k = 0; k < 4; k++) {
        Point to = marks.get(k);
        if (to == null) {
          return List.of();
        }
        quarters.add(new Quarter(between(from, to), from.compilations() < 0
            || to.compilations() < 0 ? -1 : to.compilations() - from.compilations(),
            from.uptime(), to.uptime()));
        from = to;
      }
      return quarters;
    }
  }

  /**
   * The compilations HotSpot has finished in this JVM so far: its {@code sun.ci.totalCompiles}
   * performance counter (C1 and C2, standard and on-stack replacement; what {@code jcmd <pid>
   * PerfCounter.print} shows), read from the JVM's own performance data file
   * ({@code <java.io.tmpdir>/hsperfdata_<user>/<pid>}, HotSpot's PerfData layout: a prologue, then
   * entries of name and value). -1 where it cannot be read (not HotSpot, or
   * {@code -XX:-UsePerfData}).
   */
  static long compilations() {
    Path file = Path.of(System.getProperty("java.io.tmpdir"),
        "hsperfdata_" + System.getProperty("user.name"),
        Long.toString(ProcessHandle.current().pid()));
    try (var channel = java.nio.channels.FileChannel.open(file)) {
      java.nio.ByteBuffer b = channel.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, 0,
          channel.size());
      if (b.getInt(0) != 0xcafec0c0) {
        return -1;
      }
      b.order(b.get(4) == 0 ? java.nio.ByteOrder.BIG_ENDIAN : java.nio.ByteOrder.LITTLE_ENDIAN);
      int entry = b.getInt(24);
      int entries = b.getInt(28);
      byte[] wanted = "sun.ci.totalCompiles".getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; i < entries; i++) {
        int length = b.getInt(entry);
        int name = entry + b.getInt(entry + 4);
        boolean same = b.get(name + wanted.length) == 0;
        for (int k = 0; same && k < wanted.length; k++) {
          same = b.get(name + k) == wanted[k];
        }
        if (same && b.get(entry + 12) == 'J') { // a long
          return b.getLong(entry + b.getInt(entry + 16));
        }
        entry += length;
      }
      return -1;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /**
   * CPU seconds (user and system) of this JVM's JIT compiler threads so far, from
   * {@code /proc/self/task/<tid>/stat} (HotSpot names them {@code C1 CompilerThread<n>} and
   * {@code C2 CompilerThread<n>}); NaN where {@code /proc} is not there. A compiler thread that
   * HotSpot stops between two readings takes its CPU with it (HotSpot keeps one thread per
   * compiler, and a 2-core machine has only those two). Not the compile tasks' summed duration
   * ({@link java.lang.management.CompilationMXBean#getTotalCompilationTime}), which counts time the
   * compiler threads spend waiting for a core: 28 s against 15 s of CPU on the loaded 2-core
   * machine.
   */
  static double compilerCpuSeconds() {
    Path tasks = Path.of("/proc/self/task");
    if (!Files.isDirectory(tasks)) {
      return Double.NaN;
    }
    long ticks = 0;
    try (var list = Files.list(tasks)) {
      for (Path task : (Iterable<Path>) list::iterator) {
        TaskCpu cpu = TaskCpu.read(task);
        if (cpu != null && (cpu.name().startsWith("C1 CompilerThre")
            || cpu.name().startsWith("C2 CompilerThre"))) {
          ticks += cpu.ticks();
        }
      }
    } catch (IOException e) {
      return Double.NaN;
    }
    return ticks / ThreadSplit.TICKS;
  }

  /** A thread's name (15 characters at most) and CPU ticks, user and system, from /proc. */
  record TaskCpu(String name, long ticks) {
    /** Reads {@code task/stat}, or null when the thread has ended. */
    static TaskCpu read(Path task) {
      String stat;
      try {
        stat = Files.readString(task.resolve("stat"));
      } catch (IOException e) {
        return null; // the thread ended
      }
      int close = stat.lastIndexOf(')');
      String[] f = stat.substring(close + 2).split(" ");
      return new TaskCpu(stat.substring(stat.indexOf('(') + 1, close),
          Long.parseLong(f[11]) + Long.parseLong(f[12])); // utime + stime
    }
  }

  /**
   * Extra Kafka client properties for every client of the job (its {@code kafka.properties}), as
   * YAML flow-map entries: {@code -Dgradflow.bench.kafka.properties="linger.ms: 20, batch.size:
   * 262144"} (through {@code bench/java.sh}: {@code BENCH_KAFKA_PROPERTIES}, passed as one
   * argument); none by default.
   */
  private static final String KAFKA_PROPERTIES =
      System.getProperty("gradflow.bench.kafka.properties", "").trim();

  /** Whether to print where a job's CPU went ({@code -Dgradflow.bench.threads=true}). */
  private static final boolean THREADS = Boolean.getBoolean("gradflow.bench.threads");

  /**
   * Where a job run's CPU went, for attributing its cost: every thread of this JVM (JVM threads
   * such as GC and JIT included) from {@code /proc/self/task/<tid>/stat}, sampled every 100 ms so
   * that threads ending with the job keep their last figure (up to 100 ms of a dying thread's
   * CPU is lost); the bytes each Java thread allocated ({@link
   * com.sun.management.ThreadMXBean#getThreadAllocatedBytes}); GC pauses and collections
   * ({@link java.lang.management.GarbageCollectorMXBean}); and the broker JVM's CPU from
   * {@code /proc/<pid>/stat}. Linux only. Prints a table per job, threads grouped by name with
   * digits and the subtask suffix dropped. Costs one sampling thread; used by one bench at a time.
   */
  static final class ThreadSplit {
    private static final double TICKS = 100.0; // USER_HZ on Linux
    private final long brokerPid;
    private final Map<Long, long[]> ticks = new java.util.HashMap<>(); // tid -> {first, last}
    private final Map<Long, String> names = new java.util.HashMap<>();
    private final Map<Long, long[]> allocated = new java.util.HashMap<>(); // java id -> first, last
    private final Map<Long, String> javaNames = new java.util.HashMap<>();
    private final long brokerTicks;
    private final long gcMillis;
    private final long gcCount;
    private final java.util.concurrent.ScheduledExecutorService sampler;

    private ThreadSplit(long brokerPid) {
      this.brokerPid = brokerPid;
      this.brokerTicks = processTicks(brokerPid);
      long ms = 0;
      long count = 0;
      for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
        ms += gc.getCollectionTime();
        count += gc.getCollectionCount();
      }
      this.gcMillis = ms;
      this.gcCount = count;
      sample(true);
      sampler = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bench-thread-split");
        t.setDaemon(true);
        return t;
      });
      sampler.scheduleAtFixedRate(() -> sample(false), 100, 100,
          java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** Starts sampling this JVM's threads, and the CPU of the broker's process {@code brokerPid}. */
    static ThreadSplit start(long brokerPid) {
      return new ThreadSplit(brokerPid);
    }

    /** Each thread's ticks at each {@link #mark} (the steady half's two points), tid -> ticks. */
    private final List<Map<Long, Long>> marks = new ArrayList<>();
    private final List<Long> markNanos = new ArrayList<>();

    /** Samples now and keeps every thread's ticks, for a table between the first two marks. */
    void mark() {
      sample(false);
      synchronized (this) {
        Map<Long, Long> now = new java.util.HashMap<>();
        ticks.forEach((tid, v) -> now.put(tid, v[1]));
        marks.add(now);
        markNanos.add(System.nanoTime());
      }
    }

    private synchronized void sample(boolean first) {
      try (var tasks = Files.list(Path.of("/proc/self/task"))) {
        for (Path task : (Iterable<Path>) tasks::iterator) {
          long tid = Long.parseLong(task.getFileName().toString());
          TaskCpu cpu = TaskCpu.read(task);
          if (cpu == null) {
            continue;
          }
          long t = cpu.ticks();
          long[] v = ticks.computeIfAbsent(tid, k -> new long[] {first ? t : 0, 0});
          v[1] = t;
          names.put(tid, cpu.name());
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
      long[] ids = mx.getAllThreadIds();
      long[] bytes = mx.getThreadAllocatedBytes(ids);
      var infos = mx.getThreadInfo(ids);
      for (int i = 0; i < ids.length; i++) {
        if (bytes[i] < 0 || infos[i] == null) {
          continue;
        }
        long b = bytes[i];
        long[] v = allocated.computeIfAbsent(ids[i], k -> new long[] {first ? b : 0, 0});
        v[1] = b;
        javaNames.put(ids[i], infos[i].getThreadName());
      }
    }

    private static String group(String name) {
      String g = name.replaceAll(" \\(\\d+/\\d+\\)#\\d+$", "").replaceAll("\\d+", "#");
      return g.length() > 60 ? g.substring(0, 60) : g;
    }

    private static long processTicks(long pid) {
      try {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
      } catch (IOException e) {
        return -1;
      }
    }

    /** Prints the tables of the run named {@code run} ("decode parallelism 2"). */
    void stopAndPrint(String run, double seconds, long examples) {
      sampler.shutdownNow();
      sample(false);
      long ms = 0;
      long count = 0;
      for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
        ms += gc.getCollectionTime();
        count += gc.getCollectionCount();
      }
      Map<String, Double> cpu = new java.util.TreeMap<>();
      double total = 0;
      synchronized (this) {
        for (var e : ticks.entrySet()) {
          double s = (e.getValue()[1] - e.getValue()[0]) / TICKS;
          cpu.merge(group(names.get(e.getKey())), s, Double::sum);
          total += s;
        }
      }
      Map<String, Double> alloc = new java.util.TreeMap<>();
      double allocTotal = 0;
      for (var e : allocated.entrySet()) {
        double b = (e.getValue()[1] - e.getValue()[0]) / 1e6;
        alloc.merge(group(javaNames.get(e.getKey())), b, Double::sum);
        allocTotal += b;
      }
      double brokerCpu = (processTicks(brokerPid) - brokerTicks) / TICKS;
      System.out.printf(Locale.ROOT, "%nwhere the CPU went, %s: wall %.1f s,"
          + " this JVM %.1f CPU s (sampled), broker JVM %.1f CPU s, GC %d collections %.2f s,"
          + " allocated %.0f MB (%.0f bytes per example)%n| thread (/proc name, 15 chars) | CPU s"
          + " | of wall | of JVM CPU |%n|---|---:|---:|---:|%n", run, seconds,
          total, brokerCpu, count - gcCount, (ms - gcMillis) / 1e3, allocTotal,
          allocTotal * 1e6 / examples);
      final double all = total;
      cpu.entrySet().stream().filter(e -> e.getValue() >= 0.05)
          .sorted((a, b) -> Double.compare(b.getValue(), a.getValue()))
          .forEach(e -> System.out.printf(Locale.ROOT, "| %s | %.2f | %.0f%% | %.0f%% |%n",
              e.getKey(), e.getValue(), 100 * e.getValue() / seconds,
              100 * e.getValue() / all));
      synchronized (this) {
        if (marks.size() >= 2) {
          Map<String, Double> steady = new java.util.TreeMap<>();
          double steadyTotal = 0;
          for (var e : marks.get(1).entrySet()) {
            long before = marks.get(0).getOrDefault(e.getKey(), 0L);
            double s = (e.getValue() - before) / TICKS;
            steady.merge(group(names.get(e.getKey())), s, Double::sum);
            steadyTotal += s;
          }
          double wall = (markNanos.get(1) - markNanos.get(0)) / 1e9;
          final double steadyAll = steadyTotal;
          System.out.printf(Locale.ROOT, "%nsecond half (steady), %s: wall"
              + " %.1f s, this JVM %.1f CPU s (sampled)%n| thread (/proc name, 15 chars) | CPU s"
              + " | of wall | of JVM CPU |%n|---|---:|---:|---:|%n", run, wall,
              steadyTotal);
          steady.entrySet().stream().filter(e -> e.getValue() >= 0.05)
              .sorted((a, b) -> Double.compare(b.getValue(), a.getValue()))
              .forEach(e -> System.out.printf(Locale.ROOT, "| %s | %.2f | %.0f%% | %.0f%% |%n",
                  e.getKey(), e.getValue(), 100 * e.getValue() / wall,
                  100 * e.getValue() / steadyAll));
        }
      }
      System.out.printf(Locale.ROOT, "%n| thread (Java name) | MB allocated |%n|---|---:|%n");
      alloc.entrySet().stream().filter(e -> e.getValue() >= 10)
          .sorted((a, b) -> Double.compare(b.getValue(), a.getValue()))
          .forEach(e -> System.out.printf(Locale.ROOT, "| %s | %.0f |%n", e.getKey(),
              e.getValue()));
    }
  }
}
