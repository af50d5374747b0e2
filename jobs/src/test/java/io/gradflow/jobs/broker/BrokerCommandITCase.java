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
      Properties c = new Properties();
      c.put("bootstrap.servers", address);
      try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c,
          new StringDeserializer(), new StringDeserializer())) {
        TopicPartition one = new TopicPartition("own-examples", 1);
        consumer.assign(List.of(one));
        consumer.seekToBeginning(List.of(one));
        ConsumerRecord<String, String> got = null;
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (got == null && System.nanoTime() < until) {
          for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
            got = r;
          }
        }
        assertTrue(got != null, "no record came back");
        assertEquals(Map.entry("id-1", "hello"), Map.entry(got.key(), got.value()));
      }
    } finally {
      stop.countDown();
    }
    assertEquals(0, exit.get(60, TimeUnit.SECONDS));
    try (ServerSocket again = new ServerSocket()) { // the broker let its port go
      again.bind(new InetSocketAddress(InetAddress.getByName("localhost"), port));
    }
  }
}
