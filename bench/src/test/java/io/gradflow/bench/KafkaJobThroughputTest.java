package io.gradflow.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The Kafka job bench's RESULT names: one field per run, none printed twice. */
class KafkaJobThroughputTest {
  @Test
  void aParallelismGivenAgainIsNamedAsARepeatedRun() {
    assertEquals(List.of("decode1", "decode2"), KafkaJobThroughput.labels(List.of(1, 2)));
    assertEquals(List.of("decode2", "decode2_run2"), KafkaJobThroughput.labels(List.of(2, 2)));
    assertEquals(List.of("decode1", "decode2", "decode1_run2", "decode2_run2", "decode2_run3"),
        KafkaJobThroughput.labels(List.of(1, 2, 1, 2, 2)));
  }

  @Test
  void theCpuLessJitCountsOnlyTheRest() {
    KafkaJobThroughput.JobRun run =
        new KafkaJobThroughput.JobRun(2, "decode2", 2_000_000, 20.0, 30.0, 10.0,
            KafkaJobThroughput.Steady.Figures.NONE);
    assertEquals(100_000, run.rate(), 1e-9);
    assertEquals(15.0, run.cpuPerMillion(), 1e-9);
    assertEquals(10.0, run.cpuPerMillionWithoutJit(), 1e-9);
  }

  @Test
  void theSteadyHalfCountsOnlyItsOwnExamples() {
    var steady = new KafkaJobThroughput.Steady.Figures(1_000_000, 8.0, 12.0, 2.0);
    assertEquals(125_000, steady.rate(), 1e-9);
    assertEquals(12.0, steady.cpuPerMillion(), 1e-9);
    assertEquals(10.0, steady.cpuPerMillionWithoutJit(), 1e-9);
    // A job that ended before its last prediction was seen has no steady figures, not zeros.
    assertTrue(Double.isNaN(KafkaJobThroughput.Steady.Figures.NONE.rate()));
    assertTrue(Double.isNaN(KafkaJobThroughput.Steady.Figures.NONE.cpuPerMillion()));
  }

  @Test
  void theCompilersCpuIsReadOnLinux() {
    double seconds = KafkaJobThroughput.compilerCpuSeconds();
    if (java.nio.file.Files.isDirectory(java.nio.file.Path.of("/proc/self/task"))) {
      // This JVM has compiled the test framework: its compiler threads have used some CPU.
      assertTrue(seconds > 0, "compiler CPU " + seconds);
    } else {
      assertTrue(Double.isNaN(seconds));
    }
  }

  @Test
  void theClientsPeersFieldsAreItsSecondHalfAgainstTheBareLoopAndTheJobOverIt() {
    var peer = new KafkaClientsPeer.Run(1_000_000, 10.0, 8.0, 2.0, 42, 0, 5);
    var peerSteady = new KafkaJobThroughput.Steady.Figures(500_000, 4.0, 2.0, 0.5);
    var jobSteady = new KafkaJobThroughput.Steady.Figures(500_000, 5.0, 6.0, 0.5);
    // The bare loop: 1 s per million examples. The peer's half: 4 CPU s per million.
    assertEquals(" kafka_clients_peer_examples_per_second=125000"
        + " kafka_clients_peer_cpu_per_example_vs_bare=4.00"
        + " kafka_clients_peer_cpu_per_example_vs_bare_without_jit=3.00"
        + " kafka_clients_peer_examples_per_second_whole=100000"
        + " kafka_clients_peer_cpu_per_example_vs_bare_whole=8.00"
        + " job_steady_cpu_per_example_vs_clients_peer=3.00"
        + " kafka_clients_peer_predictions_equal_job=true",
        KafkaJobThroughput.peerFields(peer, peerSteady, jobSteady, 1.0, true));
  }

  @Test
  void thePeersFiguresCrossFromItsOwnJvmUnchanged() {
    var quarters = List.of(
        new KafkaJobThroughput.Steady.Quarter(
            new KafkaJobThroughput.Steady.Figures(250_000, 3.25, 4.125, 1.5), 3012, 1.5, 4.75),
        new KafkaJobThroughput.Steady.Quarter(
            new KafkaJobThroughput.Steady.Figures(250_001, 1.0 / 3, 2.0, 0.1), -1, 4.75, 5.1),
        new KafkaJobThroughput.Steady.Quarter(
            new KafkaJobThroughput.Steady.Figures(249_999, 2.0, Math.PI, 0.0), 7, 5.1, 7.1),
        new KafkaJobThroughput.Steady.Quarter(
            new KafkaJobThroughput.Steady.Figures(250_000, 2.5, 3.0, 0.01), 0, 7.1, 9.6));
    var result = new KafkaJobThroughput.PeerResult(
        new KafkaClientsPeer.Run(1_000_000, 10.0, 8.0, 2.0, -4_242_424_242L, 3, 5),
        new KafkaJobThroughput.Steady.Figures(500_000, 4.0, 2.0, 0.5), quarters,
        new KafkaJobThroughput.Heap(6000, 6144, true));
    assertEquals(result, KafkaJobThroughput.PeerResult.parse(result.line()));
    // A peer that did not see its last prediction: NaN figures and no quarters cross too.
    var none = new KafkaJobThroughput.PeerResult(result.run(),
        KafkaJobThroughput.Steady.Figures.NONE, List.of(),
        new KafkaJobThroughput.Heap(376, 6144, false));
    assertEquals(none.line(), KafkaJobThroughput.PeerResult.parse(none.line()).line());
    assertTrue(Double.isNaN(
        KafkaJobThroughput.PeerResult.parse(none.line()).steady().cpuSeconds()));
  }

  @Test
  void theResultLineStatesBothJvmsHeapsAndWhereThePeerRan() {
    var peer = peerOnAFixedPreTouchedHeap();
    assertEquals(" job_heap_initial_mb=384 job_heap_max_mb=6144 job_heap_pre_touched=false"
        + " clients_peer_jvm=fresh kafka_clients_peer_heap_initial_mb=6144"
        + " kafka_clients_peer_heap_max_mb=6144 kafka_clients_peer_heap_pre_touched=true",
        KafkaJobThroughput.conditionFields(new KafkaJobThroughput.Heap(384, 6144, false), true,
            peer));
    assertTrue(KafkaJobThroughput.conditionFields(new KafkaJobThroughput.Heap(384, 6144, false),
        false, peer).contains(" clients_peer_jvm=same "));
  }

  @Test
  void theJitFieldsAreTheLastJobsHalfAndQuartersAndThePeersHalf() {
    List<KafkaJobThroughput.Steady.Quarter> quarters = new java.util.ArrayList<>();
    for (int k = 1; k <= 4; k++) {
      quarters.add(new KafkaJobThroughput.Steady.Quarter(
          new KafkaJobThroughput.Steady.Figures(250_000, 2.0, 4.0, 4.0 / (k * 2)), 1000 / k,
          k, k + 1));
    }
    var job = new KafkaJobThroughput.JobRun(2, "decode2", 1_000_000, 10.0, 16.0, 4.0,
        new KafkaJobThroughput.Steady.Figures(500_000, 4.0, 8.0, 1.0), quarters);
    var peer = peerOnAFixedPreTouchedHeap();
    assertEquals(" jit_share_of_cpu_steady=0.13"
        + " jit_share_of_cpu_q1=0.50 jit_compilations_q1=1000"
        + " jit_share_of_cpu_q2=0.25 jit_compilations_q2=500"
        + " jit_share_of_cpu_q3=0.17 jit_compilations_q3=333"
        + " jit_share_of_cpu_q4=0.13 jit_compilations_q4=250"
        + " kafka_clients_peer_jit_share_of_cpu_steady=0.25",
        KafkaJobThroughput.jitFields(job, peer));
    assertEquals(2.0, quarters.get(3).jitMicrosPerExample(), 1e-9);
  }

  @Test
  void theLastQuarterFieldsAreTheLastQuartersOfTheJobAndThePeer() {
    var job = new KafkaJobThroughput.JobRun(2, "decode2", 1_000_000, 10.0, 16.0, 4.0,
        new KafkaJobThroughput.Steady.Figures(500_000, 4.0, 8.0, 1.5), quartersEndingWith(
            new KafkaJobThroughput.Steady.Figures(250_000, 2.0, 3.0, 0.5)));
    var peer = new KafkaJobThroughput.PeerResult(
        new KafkaClientsPeer.Run(1_000_000, 10.0, 8.0, 2.0, 42, 0, 5),
        new KafkaJobThroughput.Steady.Figures(500_000, 4.0, 2.0, 0.5), quartersEndingWith(
            new KafkaJobThroughput.Steady.Figures(250_000, 1.0, 1.0, 0.125)),
        new KafkaJobThroughput.Heap(6144, 6144, true));
    // The bare loop: 2 s per million examples. The job's last quarter: 12 CPU s per million,
    // 2 of them the JIT's; its second half 3 us of JIT per example; the peer's last quarter 4.
    assertEquals(" examples_per_second_q4=125000 cpu_per_example_vs_bare_q4=6.00"
        + " cpu_per_example_vs_bare_q4_without_jit=5.00 jit_us_per_example_steady=3.00"
        + " jit_us_per_example_q4=2.00 kafka_clients_peer_examples_per_second_q4=250000"
        + " kafka_clients_peer_cpu_per_example_vs_bare_q4=2.00"
        + " kafka_clients_peer_cpu_per_example_vs_bare_q4_without_jit=1.75"
        + " kafka_clients_peer_jit_us_per_example_q4=0.50"
        + " job_q4_cpu_per_example_vs_clients_peer_q4=3.00",
        KafkaJobThroughput.lastQuarterFields(job, peer, 2.0));
    // A run whose last prediction was not seen has no quarters: no fields rather than NaNs.
    assertEquals("", KafkaJobThroughput.lastQuarterFields(job, peerOnAFixedPreTouchedHeap(), 2.0));
  }

  private static List<KafkaJobThroughput.Steady.Quarter> quartersEndingWith(
      KafkaJobThroughput.Steady.Figures last) {
    var early = new KafkaJobThroughput.Steady.Figures(250_000, 5.0, 50.0, 25.0);
    List<KafkaJobThroughput.Steady.Quarter> quarters = new java.util.ArrayList<>();
    for (int k = 0; k < 3; k++) {
      quarters.add(new KafkaJobThroughput.Steady.Quarter(early, 100, k, k + 1));
    }
    quarters.add(new KafkaJobThroughput.Steady.Quarter(last, 1, 3, 4));
    return quarters;
  }

  @Test
  void theCompilationsAreCountedInThisJvm() {
    long before = KafkaJobThroughput.compilations();
    // HotSpot with its performance counters (the default): this JVM has compiled the framework.
    assertTrue(before > 0, "compilations " + before);
    assertTrue(KafkaJobThroughput.compilations() >= before);
  }

  @Test
  void theHeapIsThisJvmsOwn() {
    var heap = KafkaJobThroughput.Heap.current();
    assertEquals(Runtime.getRuntime().maxMemory() >> 20, heap.maxMb(), heap.maxMb() / 10.0);
    assertTrue(heap.initialMb() > 0 && heap.initialMb() <= heap.maxMb(), heap.toString());
  }

  /** A peer whose second half took 4 CPU s per million examples, 1 of them the JIT's. */
  private static KafkaJobThroughput.PeerResult peerOnAFixedPreTouchedHeap() {
    return new KafkaJobThroughput.PeerResult(
        new KafkaClientsPeer.Run(1_000_000, 10.0, 8.0, 2.0, 42, 0, 5),
        new KafkaJobThroughput.Steady.Figures(500_000, 4.0, 2.0, 0.5), List.of(),
        new KafkaJobThroughput.Heap(6144, 6144, true));
  }
}
