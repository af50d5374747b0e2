package io.gradflow.jobs.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * {@code gradflow broker} in a thread: on the port asked, prints its line, creates the topics
 * asked with the partitions asked, carries a record from a producer to a consumer, and frees its
 * port when stopped.
 */
class BrokerCommandITCase {
  @Test
  void servesOnThePortAskedCreatesTheTopicsAndStops() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket()) {
      free.bind(new InetSocketAddress(InetAddress.getByName("localhost"), 0));
      port = free.getLocalPort();
    }
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);
    CountDownLatch stop = new CountDownLatch(1);
    CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> {
      try {
        return BrokerCommand.serve(List.of("--port", String.valueOf(port), "--topics",
            "own-examples,own-predictions", "--partitions", "2"), out, stop);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    String address = "localhost:" + port;
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!printed.toString(StandardCharsets.UTF_8).contains("topics ")
          && System.nanoTime() < deadline && !exit.isDone()) {
        Thread.sleep(50);
      }
      String lines = printed.toString(StandardCharsets.UTF_8);
      assertTrue(lines.startsWith("broker " + address + " (Kafka 4."), lines);
      assertTrue(lines.contains(", in-process; its data is deleted when it stops; Ctrl-C to"
          + " stop)\ntopics own-examples, own-predictions (2 partitions each)\n"), lines);

      Properties admin = new Properties();
      admin.put("bootstrap.servers", address);
      try (Admin a = Admin.create(admin)) {
        var topics = a.describeTopics(List.of("own-examples", "own-predictions"))
            .allTopicNames().get(30, TimeUnit.SECONDS);
        assertEquals(2, topics.get("own-examples").partitions().size());
        assertEquals(2, topics.get("own-predictions").partitions().size());
      }

      Properties p = new Properties();
      p.put("bootstrap.servers", address);
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(p,
          new StringSerializer(), new StringSerializer())) {
        producer.send(new ProducerRecord<>("own-examples", 1, "id-1", "hello")).get(30,
            TimeUnit.SECONDS);
      }
      ConsumerRecord<String, String> got =
          firstRecord(address, new TopicPartition("own-examples", 1));
      assertTrue(got != null, "no record came back");
      assertEquals(Map.entry("id-1", "hello"), Map.entry(got.key(), got.value()));
    } finally {
      stop.countDown();
    }
    assertEquals(0, exit.get(60, TimeUnit.SECONDS));
    assertTrue(printed.toString(StandardCharsets.UTF_8).endsWith("\nbroker " + address
        + " stopped; its data was deleted\n"), printed.toString(StandardCharsets.UTF_8));
    try (ServerSocket again = new ServerSocket()) { // the broker let its port go
      again.bind(new InetSocketAddress(InetAddress.getByName("localhost"), port));
    }
  }

  /**
   * {@code --log-dir}: stopped and started again on the same directory and port, the broker has
   * its KRaft cluster id, its topic and its record back; a second broker on that directory while
   * the first runs is one line and exit 2.
   */
  @Test
  void aKeptLogDirectoryComesBackWithItsClusterIdTopicsAndRecords() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket()) {
      free.bind(new InetSocketAddress(InetAddress.getByName("localhost"), 0));
      port = free.getLocalPort();
    }
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("gradflow-broker-kept-");
    List<String> args = List.of("--port", String.valueOf(port), "--log-dir", dir.toString());
    String address = "localhost:" + port;
    Properties p = new Properties();
    p.put("bootstrap.servers", address);

    ByteArrayOutputStream first = new ByteArrayOutputStream();
    CountDownLatch stop = new CountDownLatch(1);
    CompletableFuture<Integer> exit = serve(args, first, stop);
    String clusterId;
    try {
      assertTrue(first.toString(StandardCharsets.UTF_8).startsWith("broker " + address
          + " (Kafka 4."), first.toString(StandardCharsets.UTF_8));
      assertTrue(first.toString(StandardCharsets.UTF_8).contains(", in-process; its data is kept in "
          + dir + ", cluster id "), first.toString(StandardCharsets.UTF_8));
      try (Admin a = Admin.create(p)) {
        clusterId = a.describeCluster().clusterId().get(30, TimeUnit.SECONDS);
        a.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic("kept", 1,
            (short) 1))).all().get(30, TimeUnit.SECONDS);
      }
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(p,
          new StringSerializer(), new StringSerializer())) {
        producer.send(new ProducerRecord<>("kept", 0, "id-1", "kept")).get(30, TimeUnit.SECONDS);
      }
      assertTrue(first.toString(StandardCharsets.UTF_8).contains(clusterId),
          first.toString(StandardCharsets.UTF_8));

      ByteArrayOutputStream secondErr = new ByteArrayOutputStream();
      assertEquals(2, io.gradflow.jobs.cli.Main.run(new String[] {"broker", "--port", "0",
          "--log-dir", dir.toString()}, new java.io.ByteArrayInputStream(new byte[0]),
          new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
          new PrintStream(secondErr, true, StandardCharsets.UTF_8)));
      assertEquals("gradflow broker: --log-dir: " + dir + " is in use by another broker (it"
          + " holds its lock): stop that broker, or choose another directory\n",
          secondErr.toString(StandardCharsets.UTF_8));
      // Refused before Kafka started anything on the directory: the first broker still serves.
      try (Admin a = Admin.create(p)) {
        assertEquals(clusterId, a.describeCluster().clusterId().get(30, TimeUnit.SECONDS));
      }
    } finally {
      stop.countDown();
    }
    assertEquals(0, exit.get(60, TimeUnit.SECONDS));

    ByteArrayOutputStream second = new ByteArrayOutputStream();
    CountDownLatch stopAgain = new CountDownLatch(1);
    CompletableFuture<Integer> again = serve(args, second, stopAgain);
    try {
      assertTrue(second.toString(StandardCharsets.UTF_8).contains("cluster id " + clusterId),
          second.toString(StandardCharsets.UTF_8));
      try (Admin a = Admin.create(p)) {
        assertEquals(clusterId, a.describeCluster().clusterId().get(30, TimeUnit.SECONDS));
      }
      ConsumerRecord<String, String> got = firstRecord(address, new TopicPartition("kept", 0));
      assertTrue(got != null, "the record did not survive the restart");
      assertEquals(Map.entry("id-1", "kept"), Map.entry(got.key(), got.value()));
    } finally {
      stopAgain.countDown();
    }
    assertEquals(0, again.get(60, TimeUnit.SECONDS));
    assertTrue(java.nio.file.Files.isRegularFile(dir.resolve("combined_0_0")
        .resolve("meta.properties")), "the data stays after the broker stops");
    try (var walk = java.nio.file.Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  /**
   * Trial L7: a broker in the background ({@code ./gradflow broker &}, where the shell makes it
   * ignore SIGINT) stopped with SIGTERM says it stopped, as after Ctrl-C, and the JVM reports
   * the signal (143).
   */
  @Test
  void sigtermSaysTheBrokerStopped(@org.junit.jupiter.api.io.TempDir java.nio.file.Path temp)
      throws Exception {
    java.nio.file.Path log = temp.resolve("broker.log");
    Process p = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin",
        "java").toString(), "-cp", System.getProperty("java.class.path"),
        io.gradflow.jobs.cli.Main.class.getName(), "broker", "--port", "0")
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (!java.nio.file.Files.readString(log).contains("Ctrl-C to stop)")
          && System.nanoTime() < deadline && p.isAlive()) {
        Thread.sleep(100);
      }
      String started = java.nio.file.Files.readString(log);
      assertTrue(started.startsWith("broker localhost:"), started);
      p.destroy(); // SIGTERM
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), java.nio.file.Files.readString(log));
    } finally {
      p.destroyForcibly();
    }
    String o = java.nio.file.Files.readString(log);
    assertEquals(143, p.exitValue(), o);
    String address = o.substring("broker ".length(), o.indexOf(' ', "broker ".length()));
    assertTrue(o.endsWith("\nbroker " + address + " stopped; its data was deleted\n"), o);
  }

  /** The first record of {@code partition}, or null after 30 s without one. */
  private static ConsumerRecord<String, String> firstRecord(String address,
      TopicPartition partition) {
    Properties c = new Properties();
    c.put("bootstrap.servers", address);
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c,
        new StringDeserializer(), new StringDeserializer())) {
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < until) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          return r;
        }
      }
      return null;
    }
  }

  /** Serves in a thread; returns once the broker printed its line (or ended). */
  private static CompletableFuture<Integer> serve(List<String> args, ByteArrayOutputStream printed,
      CountDownLatch stop) throws InterruptedException {
    PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);
    CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> {
      try {
        return BrokerCommand.serve(args, out, stop);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!printed.toString(StandardCharsets.UTF_8).contains("broker ")
        && System.nanoTime() < deadline && !exit.isDone()) {
      Thread.sleep(20);
    }
    return exit;
  }
}
