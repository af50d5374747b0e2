package io.gradflow.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.cli.Main;
import io.gradflow.jobs.kafka.TestBroker;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gradflow as a new user meets it, through the command line only ({@link Main#run}): a CSV file of
 * historical flights (2001 timestamps in a common format, a delay in minutes as the label, a
 * quoted field holding the delimiter, missing distances) goes through {@code produce} into a
 * broker with Kafka's default settings (7-day time retention, topics created on first use, a
 * retention pass every second here instead of every five minutes), then {@code train} learns it,
 * then {@code consume} reads the predictions back. Every record must be learned, and every output
 * survive the broker's retention passes: the history is written to a topic that {@code produce}
 * creates with {@code retention.ms=-1}, and the job stamps its outputs with the time they are
 * written, not with the 2001 event times.
 */
class NewUserITCase {
  private static final int ROWS = 3_000;
  private static TestBroker kafka;

  @TempDir
  Path dir;

  @BeforeAll
  static void startBrokerWithDefaultRetention() throws Exception {
    kafka = TestBroker.start(Map.of(
        "log.retention.ms", "604800000",
        "auto.create.topics.enable", "true",
        "log.retention.check.interval.ms", "1000",
        "log.initial.task.delay.ms", "0",
        "transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000"));
  }

  @AfterAll
  static void stopBroker() throws Exception {
    kafka.close();
  }

  record Result(int code, String out, String err) {
    String both() {
      return "stdout:\n" + out + "\nstderr:\n" + err;
    }
  }

  private static Result gradflow(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(args, new ByteArrayInputStream(new byte[0]),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(code, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  /**
   * Flights of 2001, seven minutes apart: carrier WN is late far more often than the others, so a
   * model can beat the base rate. Every 50th distance is {@code NA}; one origin is quoted because
   * it holds the delimiter.
   */
  private Path flightsCsv() throws Exception {
    Random random = new Random(2001);
    String[] carriers = {"UA", "AA", "DL", "WN"};
    String[] airports = {"SFO", "LAX", "JFK", "ORD", "\"Dallas, TX\"", "SEA"};
    DateTimeFormatter format = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
    LocalDateTime time = LocalDateTime.of(2001, 1, 1, 0, 0);
    StringBuilder csv = new StringBuilder("dep_time,origin,dest,distance,carrier,delay\r\n");
    for (int i = 0; i < ROWS; i++) {
      String carrier = carriers[random.nextInt(carriers.length)];
      double lateness = carrier.equals("WN") ? 0.7 : 0.15;
      int delay = random.nextDouble() < lateness ? 16 + random.nextInt(90) : random.nextInt(15);
      String distance = i % 50 == 7 ? "NA" : Integer.toString(300 + random.nextInt(2300));
      csv.append(format.format(time)).append(',')
          .append(airports[random.nextInt(airports.length)]).append(',')
          .append(airports[random.nextInt(airports.length)]).append(',')
          .append(distance).append(',').append(carrier).append(',').append(delay).append("\r\n");
      time = time.plusMinutes(7);
    }
    Path file = dir.resolve("flights.csv");
    Files.writeString(file, csv);
    return file;
  }

  @Test
  void historyFromAFileIsLearnedWholeAndItsPredictionsReadBack() throws Exception {
    Result produced = gradflow("produce", "--bootstrap-servers", kafka.bootstrapServers(),
        "--topic", "flights", "--file", flightsCsv().toString(), "--format", "csv",
        "--csv-timestamp", "dep_time", "--csv-categorical", "origin,dest,carrier",
        "--csv-numeric", "distance", "--csv-label", "delay", "--label-threshold", "15",
        "--loss", "logistic");
    assertEquals(0, produced.code(), produced.both());
    assertTrue(produced.err().contains("created topic flights (1 partition): retention.ms=-1"),
        produced.err());
    assertTrue(produced.err().contains("produced 3,000 examples to topic flights, each"
        + " acknowledged by the broker"), produced.err());
    assertTrue(produced.err().contains("first 2001-01-01T00:00:00Z"), produced.err());

    // Several retention passes of a broker that keeps 7 days by default: none may touch them.
    Thread.sleep(3_000);
    TopicPartition flights = new TopicPartition("flights", 0);
    try (Admin admin = kafka.admin()) {
      assertEquals(0, admin.listOffsets(Map.of(flights, OffsetSpec.earliest())).all().get()
          .get(flights).offset(), "the broker deleted history");
    }

    Path yaml = dir.resolve("flights.yaml");
    Files.writeString(yaml, String.join("\n",
        "job: {name: flights}",
        "kafka:",
        "  bootstrap_servers: " + kafka.bootstrapServers(),
        "  topics: {examples: flights}",
        "  starting_offsets: earliest",
        "  bounded: latest",
        "  transaction_timeout: 15s",
        "model: {type: logistic_regression}",
        "optimizer: {name: Adagrad, lr: 0.1}",
        "metrics: {every: 500, window: 500}",
        "checkpoints: {interval: 1s}",
        ""));
    Result trained = gradflow("train", "--config", yaml.toString());
    assertEquals(0, trained.code(), trained.both());
    String out = trained.out();
    assertTrue(out.contains("examples read   3,000 from flights"), trained.both());
    assertTrue(out.contains("predictions     3,000 scored, 3,000 learned (1 model key)"),
        trained.both());
    assertTrue(out.contains("dead letters    0"), trained.both());
    Matcher loss = Pattern.compile("log loss ([0-9.]+), base rate ([0-9.]+)").matcher(out);
    assertTrue(loss.find(), out);
    assertTrue(Double.parseDouble(loss.group(1)) < Double.parseDouble(loss.group(2)),
        "the model must beat the base rate: " + loss.group());
    assertFalse(trained.err().contains("DATA LOSS"), trained.err());

    // The outputs went to topics the broker created with its 7-day default: still all there
    // after more retention passes, because they carry the time they were written.
    Thread.sleep(3_000);
    Result consumed = gradflow("consume", "--bootstrap-servers", kafka.bootstrapServers(),
        "--topic", "predictions", "--from-beginning", "--max", Integer.toString(ROWS),
        "--timeout", "30s");
    assertEquals(0, consumed.code(), consumed.both());
    String[] lines = consumed.out().split("\n");
    assertEquals(ROWS, lines.length, consumed.both());
    assertTrue(lines[0].contains("\"type\":\"Prediction\""), lines[0]);
    assertTrue(lines[0].contains("\"event_time\":\"2001-01-01T00:00:00Z\""), lines[0]);
  }
}
