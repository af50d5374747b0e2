package io.gradflow.jobs.demo;

import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.kafka.EmbeddedKafka;
import io.gradflow.jobs.kafka.KafkaSpec;
import io.gradflow.jobs.produce.ClickThroughGenerator;
import io.gradflow.jobs.cli.Flag;
import io.gradflow.jobs.cli.Flag.Type;
import io.gradflow.jobs.produce.GradflowProducer;
import io.gradflow.jobs.train.TrainJob;
import io.gradflow.schema.MetricsReport;
import java.io.InputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * {@code gradflow demo}: the whole system on one machine. An in-process Kafka broker, the
 * synthetic click-through producer, and the training job on a local MiniCluster (exactly-once
 * sinks, checkpoints every two seconds); a live progress line from the metrics topic and a final
 * summary that compares the model's prequential log loss with the base rate's.
 *
 * <p>With {@code --examples N} it produces N examples, trains on them and stops by itself;
 * without, it produces and trains until Ctrl-C.
 */
public final class DemoCommand {
  public static final List<Flag> FLAGS = List.of(
      Flag.of("examples", Type.LONG, "0", "stop after this many examples; 0 runs until Ctrl-C"),
      Flag.of("rate", Type.DOUBLE, "20000", "examples per second the producer writes (live mode)"),
      Flag.of("seed", Type.LONG, "42", "seed of the synthetic stream"),
      Flag.choice("optimizer", "Adagrad", "the optimizer", "adagrad", "adam", "ftrl", "sgd"));

  private DemoCommand() {}

  public static int run(List<String> args, InputStream in, PrintStream out, PrintStream err)
      throws Exception {
    Flag.Values flags = Flag.parse(FLAGS, args);
    long count = flags.longValue("examples", 0);
    boolean live = count == 0;
    out.println("gradflow demo: starting an in-process Kafka broker and a local Flink cluster...");
    CountDownLatch finished = new CountDownLatch(1);
    try (EmbeddedKafka kafka = quietly(EmbeddedKafka::start)) {
      KafkaSpec.Topics topics = KafkaSpec.Topics.DEFAULT;
      kafka.createTopics(1, topics.examples(), topics.predictions(), topics.metrics(),
          topics.changelog(), topics.deadLetters());
      TrainConfig config = TrainConfig.fromYaml(yaml(kafka.bootstrapServers(), live,
          flags.string("optimizer")));
      ClickThroughGenerator generator =
          new ClickThroughGenerator(ClickThroughGenerator.Spec.defaults(flags.longValue("seed", 0)));
      AtomicBoolean stop = new AtomicBoolean();
      Thread producer = null;
      if (live) {
        double rate = flags.doubleValue("rate", 1);
        producer = new Thread(() -> produce(kafka, generator, Long.MAX_VALUE, rate, stop),
            "demo-producer");
        producer.setDaemon(true);
        producer.start();
      } else {
        produce(kafka, generator, count, 0, stop);
        out.printf(Locale.ROOT, "produced %,d synthetic click-through examples%n", count);
      }

      org.apache.flink.configuration.Configuration conf = TrainJob.flinkConfiguration(config);
      // The demo's broker goes with it: a cancelled demo has nothing to restart from, so its
      // checkpoints are not retained (train retains them on cancellation).
      conf.set(org.apache.flink.configuration.CheckpointingOptions
              .EXTERNALIZED_CHECKPOINT_RETENTION,
          org.apache.flink.configuration.ExternalizedCheckpointRetention
              .NO_EXTERNALIZED_CHECKPOINTS);
      StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
      TrainJob.configure(env, config);
      TrainJob.build(env, config);
      JobClient job = env.executeAsync("gradflow-demo");
      Summary summary = new Summary();
      if (live) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
          stop.set(true);
          job.cancel();
          try {
            finished.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }));
      }
      watch(kafka, topics.metrics(), summary, out, job, stop);
      if (!live) {
        job.getJobExecutionResult().get();
      }
      out.println();
      out.print(summary.describe());
      return 0;
    } finally {
      finished.countDown(); // after the broker closed: a Ctrl-C leaves no temporary files
    }
  }

  /** Kafka's storage formatter prints to standard output; the demo keeps its own output clean. */
  private static <T> T quietly(java.util.concurrent.Callable<T> start) throws Exception {
    PrintStream stdout = System.out;
    System.setOut(new PrintStream(java.io.OutputStream.nullOutputStream()));
    try {
      return start.call();
    } finally {
      System.setOut(stdout);
    }
  }

  private static String yaml(String bootstrap, boolean live, String optimizer) {
    String hyper = switch (optimizer.toLowerCase(Locale.ROOT)) {
      case "adam" -> "{name: Adam, lr: 0.01}";
      case "ftrl" -> "{name: Ftrl, alpha: 0.1, beta: 1.0, l1: 0.001, l2: 0.01}";
      case "sgd" -> "{name: SGD, lr: 0.05}";
      default -> "{name: Adagrad, lr: 0.1}";
    };
    return String.join("\n",
        "job: {name: gradflow-demo, parallelism: 1}",
        "kafka:",
        "  bootstrap_servers: " + bootstrap,
        "  group_id: gradflow-demo",
        "  starting_offsets: earliest",
        live ? "" : "  bounded: latest",
        "model: {type: logistic_regression, hash_bits: 22}",
        "optimizer: " + hyper,
        "metrics: {every: 5000, window: 5000}",
        "checkpoints: {interval: 2s}",
        "");
  }

  private static void produce(EmbeddedKafka kafka, ClickThroughGenerator generator, long count,
      double rate, AtomicBoolean stop) {
    try (GradflowProducer producer = GradflowProducer.builder(kafka.bootstrapServers()).build()) {
      long start = System.nanoTime();
      for (long i = 0; i < count && !stop.get(); i++) {
        producer.send(generator.next().example());
        if (rate > 0 && i % 100 == 0) {
          long due = start + (long) (i / rate * 1e9);
          long wait = due - System.nanoTime();
          if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
          }
        }
      }
      producer.flush();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Reads metrics reports and prints a progress line until the job has ended and its last
   * committed reports were read, or the demo is stopped.
   */
  private static void watch(EmbeddedKafka kafka, String topic, Summary summary, PrintStream out,
      JobClient job, AtomicBoolean stop) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    p.put("group.id", "gradflow-demo-watch-" + System.nanoTime());
    p.put("auto.offset.reset", "earliest");
    p.put("isolation.level", "read_committed");
    try (KafkaConsumer<byte[], byte[]> consumer =
             new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      long started = System.nanoTime();
      int idle = 0;
      while (!stop.get()) {
        int seen = 0;
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          summary.add(MetricsReport.getDecoder().decode(r.value()));
          seen++;
        }
        if (seen > 0) {
          double seconds = (System.nanoTime() - started) / 1e9;
          out.print("\r" + summary.progress(seconds) + "   ");
          out.flush();
          idle = 0;
        } else {
          idle++;
        }
        if (job.getJobExecutionResult().isDone() && idle >= 2) {
          return;
        }
      }
    }
  }

  /** The demo's running totals over the metrics reports. */
  static final class Summary {
    private long examples;
    private double logLossSum;
    private double baseRateSum;
    private MetricsReport last;

    void add(MetricsReport r) {
      if (r.getLogLoss() == null) {
        return;
      }
      examples += r.getCount();
      logLossSum += r.getLogLoss() * r.getCount();
      double p = r.getMeanLabel() == null ? 0.5 : r.getMeanLabel();
      baseRateSum += entropy(p) * r.getCount();
      last = r;
    }

    long examples() {
      return examples;
    }

    String progress(double seconds) {
      return String.format(Locale.ROOT,
          "examples %,d | %,.0f/s | log loss %.4f (base rate %.4f) | AUC %.4f", examples,
          examples / Math.max(seconds, 1e-9), logLossSum / examples, baseRateSum / examples,
          last == null || last.getAuc() == null ? Double.NaN : last.getAuc());
    }

    String describe() {
      if (examples == 0) {
        return "no metrics were reported: the job learned nothing\n";
      }
      double logLoss = logLossSum / examples;
      double base = baseRateSum / examples;
      return String.format(Locale.ROOT, "learned %,d examples%n"
          + "prequential log loss %.4f, base rate log loss %.4f (%.1f%% lower)%n"
          + "last window: log loss %.4f, AUC %.4f, calibration %.3f%n",
          examples, logLoss, base, 100 * (1 - logLoss / base), last.getLogLoss(),
          last.getAuc() == null ? Double.NaN : last.getAuc(),
          last.getCalibration() == null ? Double.NaN : last.getCalibration());
    }

    private static double entropy(double p) {
      if (p <= 0 || p >= 1) {
        return 0;
      }
      return -(p * Math.log(p) + (1 - p) * Math.log(1 - p));
    }
  }
}
