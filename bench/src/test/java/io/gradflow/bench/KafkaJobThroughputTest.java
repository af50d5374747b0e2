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
}
