package io.gradflow.jobs.demo;

import io.gradflow.config.TrainSettings;
import io.gradflow.jobs.cli.Counts;
import io.gradflow.jobs.cli.Figures;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.kafka.EmbeddedKafka;
import io.gradflow.jobs.kafka.KafkaSpec;
import io.gradflow.jobs.produce.ClickThroughGenerator;
import io.gradflow.jobs.produce.DriftSpec;
import io.gradflow.jobs.cli.Flag;
import io.gradflow.jobs.cli.Flag.Type;
import io.gradflow.jobs.produce.GradflowProducer;
import io.gradflow.jobs.produce.SyntheticGenerator;
import io.gradflow.jobs.produce.TabularGenerator;
import io.gradflow.jobs.train.TrainJob;
import io.gradflow.schema.MetricsReport;
import java.io.InputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
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
 *
 * <p>With {@code --drift abrupt|gradual|recurring} the stream's concept changes ({@link DriftSpec},
 * {@link #driftOf}): with {@code --examples N} an abrupt change at N/2, a gradual one over
 * [N/2, N/2 + N/10), or a concept that alternates every N/4 examples; live, at 200,000, over
 * 50,000 and every 200,000 examples. The job then gets a {@code drift} section ({@link #yaml}:
 * ADWIN on the log loss; at a detection, AdaGrad's and FTRL's slots are reset, Adam's decayed,
 * SGD's rate boosted), the progress line counts the drift events of the metrics reports and the
 * summary lists them with the window log loss before the first change and at the end. Without {@code --drift} the demo is as it was.
 *
 * <p>{@code --model} takes every {@code model.type} ({@link #dataOf}): {@code
 * logistic_regression} (the default) and {@code factorization_machine} learn the click-through
 * stream (sparse fields only); {@code mlp} and {@code wide_and_deep} learn the tabular stream
 * ({@link TabularGenerator}: 8 dense and 4 categorical columns, a truth with an XOR, a U-shape and
 * a category-by-dense slope), whose 8 dense values are their {@code model.inputs};
 * {@code linear_regression} learns the tabular stream's real-valued labels, and its summary gives
 * the RMSE instead of the log loss.
 */
public final class DemoCommand {
  public static final List<Flag> FLAGS = List.of(
      Flag.of("examples", Type.LONG, "0", "stop after this many examples; 0 runs until Ctrl-C"),
      Flag.of("rate", Type.DOUBLE, "20000", "examples per second the producer writes (live mode)"),
      Flag.of("seed", Type.LONG, "42", "seed of the synthetic stream"),
      Flag.choice("optimizer", "adagrad", "the optimizer", "adagrad", "adam", "ftrl", "sgd"),
      Flag.choice("model", "logistic_regression", "the model (model.type); mlp and"
          + " wide_and_deep learn a tabular stream with dense columns, linear_regression its"
          + " real-valued labels, the others the click-through stream",
          TrainSettings.MODEL_TYPES.toArray(String[]::new)),
      Flag.choice("drift", "none", "change the stream's concept (half-way with --examples) and"
          + " detect it", "none", "abrupt", "gradual", "recurring"));

  /** Where the live demo's concept changes (at 20,000 examples/s, after 10 s). */
  static final long LIVE_DRIFT_AT = 200_000;

  private DemoCommand() {}

  public static int run(List<String> args, InputStream in, PrintStream out, PrintStream err)
      throws Exception {
    Flag.Values flags = Flag.parse(FLAGS, args);
    long count = flags.longValue("examples", 0);
    boolean live = count == 0;
    out.println("gradflow demo: starting an in-process Kafka broker and a local Flink cluster...");
    CountDownLatch finished = new CountDownLatch(1);
    try (EmbeddedKafka kafka = EmbeddedKafka.startQuietly(java.util.Map.of())) {
      KafkaSpec.Topics topics = KafkaSpec.Topics.DEFAULT;
      kafka.createTopics(1, topics.examples(), topics.predictions(), topics.metrics(),
          topics.changelog(), topics.deadLetters());
      DriftSpec drift = driftOf(flags.string("drift"), count);
      String model = flags.string("model");
      TrainConfig config = TrainConfig.fromYaml(yaml(kafka.bootstrapServers(), live,
          flags.string("optimizer"), model, drift));
      SyntheticGenerator generator = generator(model, flags.longValue("seed", 0), drift);
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
        out.printf(Locale.ROOT, "produced %,d synthetic %s examples%s%n", count,
            dataOf(model).text, drift.kind() == DriftSpec.Kind.NONE ? "" : ", "
                + driftText(drift));
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
      Summary summary = new Summary(drift);
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

  /**
   * The demo's drift: with {@code count} examples (0: live), an abrupt change at half of them, a
   * gradual one over the tenth after half, a concept alternating every quarter; live, at
   * {@link #LIVE_DRIFT_AT} (over a quarter of that, alternating every that many).
   */
  static DriftSpec driftOf(String kind, long count) {
    DriftSpec.Kind k = DriftSpec.Kind.parse(kind);
    if (k == DriftSpec.Kind.NONE) {
      return DriftSpec.NONE;
    }
    long at = count > 0 ? count / 2 : LIVE_DRIFT_AT;
    long width = count > 0 ? Math.max(1, count / 10) : LIVE_DRIFT_AT / 4;
    long period = count > 0 ? Math.max(1, count / 4) : LIVE_DRIFT_AT;
    return new DriftSpec(k, k == DriftSpec.Kind.RECURRING ? 0 : at, width, period, 0, 0);
  }

  /** The first example of the first change (of the second concept). */
  static long firstChange(DriftSpec drift) {
    return drift.kind() == DriftSpec.Kind.RECURRING ? drift.period() : drift.at();
  }

  static String driftText(DriftSpec drift) {
    return switch (drift.kind()) {
      case NONE -> "no drift";
      case ABRUPT -> String.format(Locale.ROOT, "abrupt drift at example %,d", drift.at());
      case GRADUAL -> String.format(Locale.ROOT, "gradual drift over examples %,d-%,d",
          drift.at(), drift.at() + drift.width());
      case RECURRING -> "recurring drift every " + Counts.of(drift.period(), "example");
    };
  }

  /** The demo's stream for a model type: what gives the model something to learn. */
  enum Data {
    CLICK_THROUGH("click-through"),
    TABULAR("tabular"),
    TABULAR_REGRESSION("tabular regression");

    final String text;

    Data(String text) {
      this.text = text;
    }
  }

  /**
   * The stream a model type learns in the demo: deep models read dense values, which only the
   * tabular stream has; linear regression needs real-valued labels; the click-through stream's
   * sparse fields suit the linear model and the FM.
   */
  static Data dataOf(String model) {
    return switch (model) {
      case "mlp", "wide_and_deep" -> Data.TABULAR;
      case "linear_regression" -> Data.TABULAR_REGRESSION;
      default -> Data.CLICK_THROUGH;
    };
  }

  static SyntheticGenerator generator(String model, long seed, DriftSpec drift) {
    TabularGenerator.Spec tabular = TabularGenerator.Spec.defaults(seed).withDrift(drift);
    return switch (dataOf(model)) {
      case CLICK_THROUGH -> new ClickThroughGenerator(ClickThroughGenerator.Spec.defaults(seed)
          .withDrift(drift));
      case TABULAR -> new TabularGenerator(tabular);
      case TABULAR_REGRESSION -> new TabularGenerator(tabular.withRegression(true));
    };
  }

  /** The job's {@code model} section for a model type, on the demo's stream for it. */
  static String modelSection(String model) {
    int inputs = TabularGenerator.Spec.defaults(0).numeric();
    return switch (model) {
      case "factorization_machine" -> "model: {type: factorization_machine, hash_bits: 22,"
          + " factors: 8}";
      case "mlp" -> "model: {type: mlp, inputs: " + inputs + ", hidden: [32, 16]}";
      case "wide_and_deep" -> "model: {type: wide_and_deep, hash_bits: 22, inputs: " + inputs
          + ", hidden: [32, 16], factors: 8}";
      default -> "model: {type: " + model + ", hash_bits: 22}";
    };
  }

  static String yaml(String bootstrap, boolean live, String optimizer, String model,
      DriftSpec drift) {
    String name = optimizer.toLowerCase(Locale.ROOT);
    String hyper = switch (name) {
      case "adam" -> "{name: Adam, lr: 0.01}";
      case "ftrl" -> "{name: Ftrl, alpha: 0.1, beta: 1.0, l1: 0.001, l2: 0.01}";
      case "sgd" -> "{name: SGD, lr: 0.05}";
      default -> "{name: Adagrad, lr: 0.1}";
    };
    // The action that recovered each optimizer fastest in bench/run-drift.sh: AdaGrad's and
    // FTRL's accumulators have shrunk their steps by the time the concept changes, and a reset
    // gives the early steps back; Adam keeps moving through its betas and gains from a partial
    // decay; SGD has no slots, so its rate gets a temporary boost. The demo's rate is constant:
    // a schedule restart would change nothing.
    String action = switch (name) {
      case "adam" -> "decay_slots";
      case "sgd" -> "boost_lr";
      default -> "reset_slots";
    };
    String driftSection = "drift: {detector: adwin, watch: loss, actions: [" + action + "]}";
    List<String> lines = new ArrayList<>(List.of(
        "job: {name: gradflow-demo, parallelism: 1}",
        "kafka:",
        "  bootstrap_servers: " + bootstrap,
        "  group_id: gradflow-demo",
        "  starting_offsets: earliest",
        live ? "" : "  bounded: latest",
        modelSection(model),
        "optimizer: " + hyper,
        "metrics: {every: 5000, window: 5000}",
        "checkpoints: {interval: 2s}"));
    if (drift.kind() != DriftSpec.Kind.NONE) {
      lines.add(driftSection);
    }
    lines.add("");
    return String.join("\n", lines);
  }

  private static void produce(EmbeddedKafka kafka, SyntheticGenerator generator, long count,
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

  /**
   * The demo's running totals over the metrics reports; with drift, each report's window log
   * loss at the example that ended it (the running count) and the drift events reported. A model
   * with the squared loss (no log loss in its reports) is summarized by its RMSE: prequential
   * (the root of the count-weighted mean of the windows' squared RMSEs), first and last window.
   */
  static final class Summary {
    private final DriftSpec drift;
    private long examples;
    private double logLossSum;
    private double baseRateSum;
    private MetricsReport last;
    private long squaredExamples;
    private double squaredErrorSum;
    private double firstRmse = Double.NaN;
    /** Window log loss before the first change: the last window that ended before it. */
    private double beforeChange = Double.NaN;
    /** Each event with the example count at the end of the window that reported it. */
    private final List<String> driftEvents = new ArrayList<>();

    Summary(DriftSpec drift) {
      this.drift = drift;
    }

    void add(MetricsReport r) {
      if (r.getLogLoss() == null) {
        if (r.getRmse() != null && r.getCount() > 0) {
          squaredExamples += r.getCount();
          squaredErrorSum += r.getRmse() * r.getRmse() * r.getCount();
          firstRmse = Double.isNaN(firstRmse) ? r.getRmse() : firstRmse;
          last = r;
        }
        return;
      }
      examples += r.getCount();
      logLossSum += r.getLogLoss() * r.getCount();
      double p = r.getMeanLabel() == null ? 0.5 : r.getMeanLabel();
      baseRateSum += entropy(p) * r.getCount();
      last = r;
      if (drift.kind() != DriftSpec.Kind.NONE) {
        if (examples <= firstChange(drift)) {
          beforeChange = r.getLogLoss();
        }
        for (CharSequence e : r.getDriftEvents()) {
          driftEvents.add(String.format(Locale.ROOT, "in the window ending at example %,d: %s",
              examples, e));
        }
      }
    }

    long examples() {
      return examples;
    }

    String progress(double seconds) {
      if (examples == 0 && squaredExamples > 0) {
        return String.format(Locale.ROOT, "examples %,d | %,.0f/s | RMSE %.4f (first window"
            + " %.4f)", squaredExamples, squaredExamples / Math.max(seconds, 1e-9),
            Math.sqrt(squaredErrorSum / squaredExamples), firstRmse);
      }
      String line = String.format(Locale.ROOT,
          "examples %,d | %,.0f/s | log loss %.4f (base rate %.4f) | AUC %s", examples,
          examples / Math.max(seconds, 1e-9), logLossSum / examples, baseRateSum / examples,
          Figures.auc(last == null || last.getAuc() == null ? Double.NaN : last.getAuc()));
      if (drift.kind() == DriftSpec.Kind.NONE) {
        return line;
      }
      return line + String.format(Locale.ROOT, " | window log loss %.4f | drift events %d",
          last.getLogLoss(), driftEvents.size());
    }

    String describe() {
      if (examples == 0 && squaredExamples > 0) {
        return String.format(Locale.ROOT, "learned %s%n"
            + "prequential RMSE %.4f; first window %.4f, last window %.4f%n",
            Counts.of(squaredExamples, "example"), Math.sqrt(squaredErrorSum / squaredExamples),
            firstRmse, last.getRmse());
      }
      if (examples == 0) {
        return "no metrics were reported: the job learned nothing\n";
      }
      double logLoss = logLossSum / examples;
      double base = baseRateSum / examples;
      return String.format(Locale.ROOT, "learned %s%n"
          + "prequential log loss %.4f, base rate log loss %.4f%s%n"
          + "last window: log loss %.4f, AUC %s, calibration %s%n",
          Counts.of(examples, "example"), logLoss, base, base > 0
              ? " (" + Figures.against(logLoss, base) + ")" : "",
          last.getLogLoss(),
          Figures.auc(last.getAuc() == null ? Double.NaN : last.getAuc()),
          last.getCalibration() == null ? "undefined (no positive label)"
              : String.format(Locale.ROOT, "%.3f", last.getCalibration()))
          + (drift.kind() == DriftSpec.Kind.NONE ? "" : describeDrift());
    }

    /** The stream's drift, the events detected and the window log loss around the change. */
    private String describeDrift() {
      StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "drift: %s; %s"
          + " reported%n", driftText(drift), Counts.of(driftEvents.size(), "drift event")));
      int shown = Math.min(driftEvents.size(), 10);
      for (String e : driftEvents.subList(0, shown)) {
        b.append("  ").append(e).append(String.format("%n"));
      }
      if (shown < driftEvents.size()) {
        b.append(String.format(Locale.ROOT, "  ... and %d more%n", driftEvents.size() - shown));
      }
      if (Double.isFinite(beforeChange)) {
        b.append(String.format(Locale.ROOT, "recovery: window log loss %.4f before the first"
            + " change, %.4f in the last window (%.1f%% of the level before)%n", beforeChange,
            last.getLogLoss(), 100 * last.getLogLoss() / beforeChange));
      }
      return b.toString();
    }

    private static double entropy(double p) {
      if (p <= 0 || p >= 1) {
        return 0;
      }
      return -(p * Math.log(p) + (1 - p) * Math.log(1 - p));
    }
  }
}
