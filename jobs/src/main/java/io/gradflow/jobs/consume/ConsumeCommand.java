package io.gradflow.jobs.consume;

import io.gradflow.config.Durations;
import io.gradflow.jobs.cli.Command;
import io.gradflow.jobs.cli.Counts;
import io.gradflow.jobs.cli.Flag;
import io.gradflow.jobs.cli.Flag.Type;
import io.gradflow.jobs.cli.UserException;
import io.gradflow.jobs.kafka.ClientSettings;
import io.gradflow.jobs.kafka.KafkaPreflight;
import io.gradflow.jobs.kafka.KafkaSpec;
import io.gradflow.schema.CodecException;
import io.gradflow.schema.MetricsReport;
import java.io.InputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * {@code gradflow consume --bootstrap-servers H --topic T}: prints the records of any Gradflow
 * topic (examples, labels, predictions, metrics, changelog, dead letters) as JSON lines
 * ({@link RecordJson}), decoding each by the schema fingerprint in its header; a record of no
 * known schema prints as an error line and the rest go on. Reads every partition without a
 * consumer group (it commits nothing and disturbs no job), from the end (only new records) or
 * with {@code --from-beginning} from the start, {@code read_committed} by default (what the
 * job's exactly-once outputs mean). Ends after {@code --max} records, or when none arrived for
 * {@code --timeout}.
 *
 * <p>{@code --leaderboard} reads a metrics topic from the beginning and prints, per model key,
 * its latest report and its mean over every report, as a table sorted by the latest log loss
 * (or RMSE, for squared loss), best first: a race's standings.
 */
public final class ConsumeCommand {
  public static final List<Flag> FLAGS = List.of(
      Flag.of("bootstrap-servers", Type.STRING, null,
          "Kafka brokers, host:port[,...] (required unless --config gives them)"),
      ClientSettings.configFlag(""),
      ClientSettings.PROPERTY_FLAG,
      Flag.of("topic", Type.STRING, null, "the topic to print (required)"),
      Flag.of("from-beginning", Type.SWITCH, null,
          "start at the earliest record (default: only records that arrive from now)"),
      Flag.of("max", Type.LONG, "0", "stop after this many records; 0 for no limit"),
      Flag.choice("isolation", "read_committed", "read only committed transactions, or all",
          "read_committed", "read_uncommitted"),
      Flag.of("timeout", Type.STRING, "5s", "stop when no record arrived for this long"),
      Flag.of("leaderboard", Type.SWITCH, null,
          "read a metrics topic from the beginning and print each model's latest metrics,"
              + " best first"));

  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  private ConsumeCommand() {}

  public static int run(List<String> args, InputStream in, PrintStream out, PrintStream err)
      throws Exception {
    Flag.Values flags = Flag.parse(FLAGS, args);
    if (!flags.isSet("topic")) {
      throw new Command.UsageException("--topic is required\n" + Flag.help(FLAGS));
    }
    ClientSettings kafka = ClientSettings.from(flags);
    if (kafka == null) {
      throw new Command.UsageException("--bootstrap-servers (or --config) is required\n"
          + Flag.help(FLAGS));
    }
    KafkaSpec spec = kafka.spec();
    String servers = kafka.bootstrapServers();
    String serversSetting = kafka.serversSetting();
    String topic = flags.string("topic");
    long max = flags.longValue("max", 0);
    Duration timeout = Durations.parse("--timeout", flags.string("timeout"));
    boolean leaderboard = flags.on("leaderboard");
    try (KafkaPreflight preflight = KafkaPreflight.connect(spec, CONNECT_TIMEOUT,
        serversSetting)) {
      preflight.checkTopic("--topic", topic);
    }
    Properties p = spec.clientProperties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, flags.string("isolation"));
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    Leaderboard board = new Leaderboard();
    long printed = 0;
    KafkaConsumer<byte[], byte[]> created;
    try {
      created = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    } catch (org.apache.kafka.common.KafkaException e) {
      throw new UserException("cannot create the Kafka consumer for " + serversSetting + " "
          + servers + ": " + kafka.describe(e));
    }
    try (KafkaConsumer<byte[], byte[]> consumer = created) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(i -> new TopicPartition(topic, i.partition())).toList();
      consumer.assign(partitions);
      if (flags.on("from-beginning") || leaderboard) {
        consumer.seekToBeginning(partitions);
      } else {
        consumer.seekToEnd(partitions);
      }
      long idleSince = System.nanoTime();
      outer:
      while (System.nanoTime() - idleSince < timeout.toNanos()) {
        boolean any = false;
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          any = true;
          if (leaderboard) {
            board.add(r.value());
          } else {
            out.println(RecordJson.line(r.topic(), r.partition(), r.offset(), r.timestamp(),
                r.key(), r.value()));
          }
          if (max > 0 && ++printed >= max) {
            break outer;
          }
          if (!leaderboard && out.checkError()) {
            return 0; // the reader went away (| head)
          }
        }
        if (any) {
          idleSince = System.nanoTime();
        }
      }
    }
    if (leaderboard) {
      out.print(board.table());
      if (board.skipped > 0) {
        err.println("gradflow consume: " + Counts.of(board.skipped, "record") + " of " + topic
            + (board.skipped == 1 ? " is not a metrics report and was" : " are not metrics"
                + " reports and were") + " left out");
      }
    }
    out.flush();
    return 0;
  }

  /** The latest metrics report per model key, and the count-weighted sums of all its reports. */
  static final class Leaderboard {
    private final Map<String, MetricsReport> latest = new LinkedHashMap<>();
    private final Map<String, double[]> sums = new LinkedHashMap<>();
    long skipped;

    void add(byte[] value) {
      Object record;
      try {
        record = RecordJson.decode(value);
      } catch (CodecException e) {
        skipped++;
        return;
      }
      if (!(record instanceof MetricsReport r)) {
        skipped++;
        return;
      }
      add(r);
    }

    void add(MetricsReport r) {
      String key = r.getModelKey().toString();
      latest.put(key, r);
      double[] s = sums.computeIfAbsent(key, k -> new double[3]);
      s[0] += r.getCount();
      if (r.getLogLoss() != null) {
        s[1] += r.getLogLoss() * r.getCount();
      }
      if (r.getRmse() != null) {
        s[2] += r.getRmse() * r.getRmse() * r.getCount();
      }
    }

    String table() {
      if (latest.isEmpty()) {
        return "no metrics reports\n";
      }
      boolean logLoss = latest.values().stream().anyMatch(r -> r.getLogLoss() != null);
      List<String> keys = new ArrayList<>(latest.keySet());
      keys.sort(Comparator.comparingDouble(k -> {
        MetricsReport r = latest.get(k);
        Double v = logLoss ? r.getLogLoss() : r.getRmse();
        return v == null || v.isNaN() ? Double.POSITIVE_INFINITY : v;
      }));
      int width = Math.max(5, keys.stream().mapToInt(String::length).max().orElse(5));
      StringBuilder b = new StringBuilder();
      String metric = logLoss ? "log loss" : "RMSE";
      b.append(String.format(Locale.ROOT, "%-4s  %-" + width + "s  %12s  %12s  %10s  %10s  %8s"
          + "  %8s  %11s%n", "rank", "model", "step", "examples", metric, "(all)", "AUC",
          logLoss ? "RMSE" : "", "calibration"));
      int rank = 0;
      for (String k : keys) {
        MetricsReport r = latest.get(k);
        double[] s = sums.get(k);
        double last = value(logLoss ? r.getLogLoss() : r.getRmse());
        double all = s[0] == 0 ? Double.NaN : logLoss ? s[1] / s[0] : Math.sqrt(s[2] / s[0]);
        b.append(String.format(Locale.ROOT, "%-4d  %-" + width + "s  %,12d  %,12d  %10.4f  %10.4f"
            + "  %8.4f  %8s  %11.3f%n", ++rank, k, r.getModelStep(), (long) s[0], last, all,
            value(r.getAuc()), logLoss ? String.format(Locale.ROOT, "%.4f", value(r.getRmse()))
                : "", value(r.getCalibration())));
      }
      b.append(String.format(Locale.ROOT, "%s: the latest report's window; (all): the mean over"
          + " every report read, weighted by its examples%n", metric));
      return b.toString();
    }

    private static double value(Double v) {
      return v == null ? Double.NaN : v;
    }
  }
}
