package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.broker.BrokerCommand;
import io.gradflow.jobs.kafka.TestBroker;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The broker goes away under a running {@code gradflow train} and comes back: {@code gradflow
 * broker --log-dir} in a thread, stopped (closed, its port refusing connections) for longer than
 * a checkpoint interval, then started again on the same port and directory. The job, failed by
 * its sinks' producers giving up meanwhile, goes on by Flink's restart strategy, and its {@code
 * read_committed} outputs hold exactly one prediction per example, bit-identical (scores and
 * final model rows) to a run the broker never left. While the broker is away, {@code train} says
 * so in one line, one per restart, and once when Kafka answers again. An outage longer than the
 * restarts last ends the job with one line and exit code 1.
 */
class BrokerOutageITCase extends TrainJobITCase {
  private static final int EXAMPLES = 20_000;
  private static int port;
  private static Path logDir;
  private static CountDownLatch stop;
  private static CompletableFuture<Integer> broker;
  private static final ByteArrayOutputStream BROKER_OUT = new ByteArrayOutputStream();

  /**
   * This class's broker is one it can stop: the in-process broker of {@link
   * TrainJobITCase#startKafka} (which JUnit runs first) is closed and replaced.
   */
  @BeforeAll
  static void startStoppableBroker() throws Exception {
    kafka.close();
    try (ServerSocket free = new ServerSocket()) {
      free.bind(new InetSocketAddress(InetAddress.getByName("localhost"), 0));
      port = free.getLocalPort();
    }
    logDir = Files.createTempDirectory("gradflow-outage-broker-");
    startBroker();
    kafka = TestBroker.external("localhost:" + port);
  }

  @AfterAll
  static void stopStoppableBroker() throws Exception {
    stopBroker();
    try (var walk = Files.walk(logDir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private static void startBroker() throws Exception {
    stop = new CountDownLatch(1);
    CountDownLatch myStop = stop;
    int before = BROKER_OUT.size();
    PrintStream out = new PrintStream(BROKER_OUT, true, StandardCharsets.UTF_8);
    broker = CompletableFuture.supplyAsync(() -> {
      try {
        return BrokerCommand.serve(List.of("--port", String.valueOf(port), "--log-dir",
            logDir.toString()), out, myStop);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!BROKER_OUT.toString(StandardCharsets.UTF_8).substring(before).contains("broker ")) {
      if (broker.isDone() || System.nanoTime() > deadline) {
        throw new IllegalStateException("the broker did not start: " + BROKER_OUT + " "
            + (broker.isDone() ? broker.handle((v, e) -> e).get() : "timed out"));
      }
      Thread.sleep(20);
    }
  }

  private static void stopBroker() throws Exception {
    if (broker.isDone()) {
      return;
    }
    stop.countDown();
    assertEquals(0, broker.get(60, TimeUnit.SECONDS));
  }

  private static String clusterId() throws Exception {
    try (Admin admin = kafka.admin()) {
      return admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aBrokerOutageLongerThanACheckpointIntervalEndsWithTheSameModelAndOnePredictionEach()
      throws Exception {
    String optimizer = "optimizer: {name: Adam, lr: 0.01}";
    String checkpoints = "checkpoints: {interval: 500ms}";
    String full = "outage-clean-examples";
    kafka.createTopics(1, full);
    produce(full, 23, 0, EXAMPLES, "a", "b", "c");
    Run clean = Run.create(full, "labels");
    assertEquals(0, train(clean.yaml(optimizer + "\n" + checkpoints, true)), this::both);
    Map<String, Double> expected = predictions(clean.predictions(), EXAMPLES);
    assertEquals(EXAMPLES, expected.size());
    Map<String, List<Float>> model = finalRows(clean.changelog());

    // The same examples, the second half produced only after the outage: the job, bounded at
    // the last offset, waits for them, so the outage falls mid-run whatever the machine's speed.
    String split = "outage-examples";
    kafka.createTopics(1, split);
    produce(split, 23, 0, EXAMPLES / 2, "a", "b", "c");
    Run outage = Run.create(split, "labels");
    // A sink's producer gives up after max.block.ms (2 s here, 60 s by default): the outage
    // fails the job a few times, and checkpoints.restart_attempts lets it restart each time.
    String yaml = outage.yaml(optimizer + "\ncheckpoints: {interval: 500ms, restart_attempts:"
        + " 100}", true).replace("bounded: latest", "bounded: {offsets: {\"" + split + ":0\": "
        + EXAMPLES + "}}").replace("  starting_offsets:",
        "  properties: {max.block.ms: '2000'}\n  starting_offsets:");
    int errBefore = err.size();
    CompletableFuture<Integer> job = CompletableFuture.supplyAsync(() -> {
      try {
        return train(yaml);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    assertEquals(EXAMPLES / 2, predictions(outage.predictions(), EXAMPLES / 2).size(),
        this::both);
    String id = clusterId();

    stopBroker();
    long down = System.nanoTime();
    Thread.sleep(8_000); // 16 checkpoint intervals
    String unreachable = "gradflow train: Kafka unreachable at localhost:" + port + " since ";
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!err().substring(errBefore).contains(unreachable) && System.nanoTime() < deadline) {
      Thread.sleep(100); // train's look at the broker waits --startup-timeout (5 s) for it
    }
    String duringOutage = err().substring(errBefore);
    startBroker();
    System.err.println("outage: " + (System.nanoTime() - down) / 1_000_000 + " ms");

    assertEquals(id, clusterId(), "the KRaft cluster id survives the restart");
    produce(split, 23, EXAMPLES / 2, EXAMPLES / 2, "a", "b", "c");
    int exit = job.get(3, TimeUnit.MINUTES);

    System.err.println("train during the outage:\n" + duringOutage);
    assertEquals(0, exit, this::both);
    assertTrue(duringOutage.contains(unreachable), duringOutage);
    assertTrue(duringOutage.contains(" | Kafka unreachable since "), duringOutage);
    assertTrue(duringOutage.contains("; the job restarts from checkpoint "), duringOutage);
    String after = err().substring(errBefore);
    assertTrue(after.contains("gradflow train: Kafka at localhost:" + port + " answers again,"
        + " after "), after);
    assertTrue(!after.contains("\tat ") && !after.contains("could not read the log start"),
        after);
    assertSameEntries(expected, predictions(outage.predictions(), EXAMPLES), "predictions");
    assertSameEntries(model, finalRows(outage.changelog()), "model");
  }

  /**
   * An outage longer than the restarts last: each Kafka client that gives up (here a sink's
   * producer after {@code max.block.ms} 2 s, 60 s by default) fails the job once; after
   * {@code checkpoints.restart_attempts} (3) restarts the job fails for good, with exit code 1
   * and one line naming the outage, the settings and Kafka's own error, and the command to
   * restart from the newest checkpoint.
   */
  @Test
  void anOutageLongerThanTheRestartStrategyAllowsEndsTheJobWithOneLine() throws Exception {
    String split = "long-outage-examples";
    kafka.createTopics(1, split);
    produce(split, 29, 0, 2_000, "a");
    Run run = Run.create(split, "labels");
    String yaml = run.yaml("checkpoints: {interval: 500ms}", true).replace("bounded: latest",
        "bounded: {offsets: {\"" + split + ":0\": 4000}}").replace("  starting_offsets:",
        "  properties: {max.block.ms: '2000'}\n  starting_offsets:");
    CompletableFuture<Integer> job = CompletableFuture.supplyAsync(() -> {
      try {
        return train(yaml);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    assertEquals(2_000, predictions(run.predictions(), 2_000).size(), this::both);
    stopBroker();
    int exit;
    try {
      exit = job.get(90, TimeUnit.SECONDS);
    } finally {
      startBroker();
    }
    System.err.println("train, long outage:\n" + both());
    assertEquals(1, exit, this::both);
    String e = err();
    assertTrue(e.contains("gradflow train: Kafka unreachable at localhost:" + port + " since "),
        e);
    assertTrue(e.contains("(restart 3 of 3, the last checkpoints.restart_attempts allows)"), e);
    assertTrue(e.contains("gradflow train: the job failed: Kafka unreachable at localhost:"
        + port + " since "), e);
    // Kafka's own words after the exception's name are Kafka's to change.
    assertTrue(e.contains(", longer than Flink's restarts last (checkpoints.restart_attempts 3,"
        + " restart_delay 1s): TimeoutException"), e);
    assertTrue(e.contains("to restart from its newest checkpoint"), e);
    assertTrue(e.contains("): start the broker again, then gradflow train --config "), e);
    assertTrue(!e.contains("\tat "), e);
  }
}
