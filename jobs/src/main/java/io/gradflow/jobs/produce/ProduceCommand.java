package io.gradflow.jobs.produce;

import io.gradflow.jobs.cli.Command;
import io.gradflow.jobs.cli.Counts;
import io.gradflow.jobs.cli.Flag;
import io.gradflow.jobs.cli.Flag.Type;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.kafka.ClientSettings;
import io.gradflow.jobs.kafka.InputLimits;
import io.gradflow.jobs.kafka.DeadLetterReason;
import io.gradflow.jobs.kafka.ExampleDecoder;
import io.gradflow.jobs.kafka.ExampleFields;
import io.gradflow.jobs.kafka.ExampleWriter;
import io.gradflow.jobs.kafka.RejectedRecordException;
import io.gradflow.model.Loss;
import io.gradflow.schema.Example;
import io.gradflow.schema.FeatureHashing;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.common.KafkaException;

/**
 * {@code gradflow produce}: writes synthetic streams (click-through, recommendation, tabular, with
 * drift) or replays files (CSV, LibSVM, Vowpal Wabbit) into Kafka as Avro {@code Example}s, keyed
 * so each model's examples keep their order. {@code gradflow produce help} lists the flags.
 *
 * <p>It never claims what it did not do: before writing it checks that a broker answers
 * ({@code --connect-timeout}), creates a missing topic with {@code retention.ms=-1}, refuses
 * records that the topic's retention would delete ({@link TopicGuard}), and records larger than
 * the topic's {@code max.message.bytes} before they can share a batch with good ones
 * ({@link GradflowProducer}); it counts the broker's acknowledgements, not its sends. Exit codes:
 * 0 when every example it read was written (malformed lines skipped and reported are allowed), 1
 * when a record was not written, nothing was produced or the input stopped being readable, 2 for
 * a command line that cannot run.
 *
 * <p>It uses the job's Kafka client settings: {@code --config job.yaml} takes the brokers, the
 * client properties ({@code kafka.properties}: security settings) and the examples topic from a
 * job's YAML, and {@code --kafka-property KEY=VALUE} (repeated) adds or overrides a property
 * ({@link ClientSettings}). No message shows a property's value.
 */
public final class ProduceCommand {
  /** Examples a generator writes when {@code --count} is not given. */
  static final long DEFAULT_GENERATED = 10_000;

  public static final List<Flag> FLAGS = List.of(
      Flag.of("bootstrap-servers", Type.STRING, null,
          "Kafka brokers, host:port[,host:port] (over kafka.bootstrap_servers of --config)"),
      ClientSettings.configFlag("; the topic is then kafka.topics.examples unless --topic, and"
          + " examples are validated with the job's model.loss and input bounds"),
      ClientSettings.PROPERTY_FLAG,
      Flag.of("topic", Type.STRING, "examples",
          "topic to write examples to; created when missing (--partitions, retention.ms=-1)"),
      Flag.of("partitions", Type.INT, "1", "partitions of the topic when produce creates it"),
      Flag.of("connect-timeout", Type.DOUBLE, "10",
          "seconds to wait for a broker to answer before giving up"),
      Flag.choice("generator", null, "synthetic stream to generate", "ctr", "recsys", "tabular"),
      Flag.of("file", Type.STRING, null, "file to replay instead (- for stdin), UTF-8"),
      Flag.choice("format", "csv", "format of --file", "csv", "libsvm", "vw"),
      Flag.of("count", Type.LONG, null, "examples to write: a generator writes this many"
          + " (default " + DEFAULT_GENERATED + "); a file stops after this many (default: all)"),
      Flag.of("seed", Type.LONG, "42",
          "seed of the generator: same seed and --start-time, same stream"),
      Flag.of("rate", Type.DOUBLE, "0", "examples per second at most; 0 for no limit"),
      Flag.choice("drift", "none", "concept drift", "none", "abrupt", "gradual", "recurring"),
      Flag.of("drift-at", Type.LONG, "5000", "example index where drift starts"),
      Flag.of("drift-width", Type.LONG, "2000", "examples over which gradual drift completes"),
      Flag.of("drift-period", Type.LONG, "2000", "examples per concept in recurring drift"),
      Flag.of("new-ids-every", Type.LONG, "0", "every N examples, new ids enter each vocabulary"),
      Flag.of("new-ids-count", Type.INT, "10", "how many new ids enter each time"),
      Flag.of("fields", Type.INT, "10", "ctr: categorical fields per example"),
      Flag.of("vocabulary", Type.INT, "1000", "ctr, tabular: ids per categorical field"),
      Flag.of("zipf", Type.DOUBLE, "1.05", "ctr, tabular: Zipf exponent of the vocabularies"),
      Flag.of("users", Type.INT, "1000", "recsys: users"),
      Flag.of("items", Type.INT, "2000", "recsys: items"),
      Flag.of("factors", Type.INT, "8", "recsys: latent factors of the truth"),
      Flag.of("ratings", Type.SWITCH, null, "recsys: ratings 1-5 instead of implicit feedback"),
      Flag.of("numeric", Type.INT, "8", "tabular: numeric columns"),
      Flag.of("categorical", Type.INT, "4", "tabular: categorical columns"),
      Flag.of("regression", Type.SWITCH, null, "tabular: real-valued labels"),
      Flag.of("model-key", Type.STRING, null, "model key of every example (default: none)"),
      Flag.of("default-model-key", Type.STRING, "default", "key of examples without model key"),
      Flag.of("key-by", Type.STRING, "model", "record key: model, or entity:TYPE (entity:user)"),
      Flag.of("start-time", Type.STRING, "now",
          "event time (= record timestamp) of the first example of a generator or of a file"
              + " without timestamps: ISO-8601, epoch millis or now"),
      Flag.of("interval-ms", Type.LONG, "10", "event-time step between examples"),
      Flag.choice("loss", null, "the loss the job will train with: a label outside its domain"
          + " is refused and reported like a malformed line (default: labels need only be finite)",
          "logistic", "squared"),
      Flag.of("label-threshold", Type.DOUBLE, null,
          "a label > X becomes 1, any other 0 (numeric labels for logistic loss)"),
      Flag.of("binary-labels", Type.SWITCH, null,
          "labels <= 0 become 0, > 0 become 1 (LibSVM's and VW's -1/+1; --label-threshold 0)"),
      Flag.of("csv-label", Type.STRING, null, "csv: label column (a missing cell: no label)"),
      Flag.of("csv-positive", Type.LIST, null,
          "csv: text labels: these values are 1, any other 0 (for example good)"),
      Flag.of("csv-numeric", Type.LIST, null, "csv: numeric columns (dense features; a missing"
          + " cell gets the column's running mean and the feature (COLUMN, missing))"),
      Flag.of("csv-categorical", Type.LIST, null,
          "csv: categorical columns (one feature per value; an empty cell: none)"),
      Flag.of("csv-entity", Type.LIST, null,
          "csv: raw ids without hash collisions, TYPE=COLUMN (user=userId,item=movieId)"),
      Flag.of("csv-timestamp", Type.STRING, null, "csv: event time column: epoch millis,"
          + " ISO-8601 (2001-01-01T01:14:00Z, 2001-01-01 01:14:00) or a date"),
      Flag.of("csv-timestamp-format", Type.STRING, null, "csv: the timestamp column's form: a"
          + " java.time pattern (dd/MM/yyyy HH:mm), epoch-seconds or epoch-millis"),
      Flag.of("csv-timezone", Type.STRING, "UTC",
          "csv: zone of timestamps without an offset (Europe/Paris)"),
      Flag.of("csv-id", Type.STRING, null, "csv: example id column"),
      Flag.of("csv-model-key", Type.STRING, null, "csv: model key column"),
      Flag.of("csv-weight", Type.STRING, null, "csv: importance weight column"),
      Flag.of("csv-delimiter", Type.STRING, ",", "csv: delimiter character (tab: \\t)"),
      Flag.of("namespace", Type.STRING, "f", "libsvm: namespace of the features"),
      Flag.of("parse-threads", Type.INT, null, "threads that validate the examples of --file"
          + " (and parse libsvm and vw lines) besides one reading it, in file order; 0: all on"
          + " one thread (default: the cores less one, at least 1; 0 for stdin and --rate)."
          + " On 2 cores beside a local broker, 2 made csv about 1.4x faster (when the sender"
          + " still encoded its records); libsvm and vw, encoded on these threads, no faster"),
      Flag.choice("on-error", "skip", "a malformed line is skipped (and reported) or fails the run",
          "skip", "fail"),
      Flag.of("dry-run", Type.SWITCH, null, "encode and validate only; write nothing"),
      Flag.of("print", Type.SWITCH, null, "print examples as JSON lines to stdout, not Kafka"),
      Flag.of("quiet", Type.SWITCH, null, "no progress line"));

  public static final String SUMMARY = "write synthetic or file examples to Kafka";

  /**
   * The flags that turn a file into examples (the file, its format, the column and label
   * mapping, event times, bad lines): {@code evaluate} reads files with them, exactly as produce
   * does, through {@link #openFile}.
   */
  public static final List<Flag> FILE_FLAGS = FLAGS.stream().filter(f -> f.name().startsWith("csv-")
      || List.of("file", "format", "count", "start-time", "interval-ms", "model-key",
          "label-threshold", "binary-labels", "namespace", "on-error").contains(f.name()))
      .toList();

  /**
   * Opens {@code --file} as produce reads it: the format and mapping flags of {@link #FILE_FLAGS}
   * (checked as produce checks them), the file or stdin ({@code -}).
   *
   * @throws Command.UsageException for flags that do not fit the format, or a missing file
   */
  public static FileReplay openFile(Flag.Values v, InputStream in) throws IOException {
    return replay(v, in, startTime(v.string("start-time")), v.longValue("interval-ms", 0),
        v.string("model-key"), 0);
  }

  private ProduceCommand() {}

  /** A run that went wrong after it started: exit code 1, the message without a stack trace. */
  private static final class Failure extends Exception {
    private static final long serialVersionUID = 1L;

    Failure(String message) {
      super(message, null, false, false);
    }
  }

  /** The command's help: every flag from {@link #FLAGS}. */
  public static String help() {
    return "usage: gradflow produce (--generator ctr|recsys|tabular | --file PATH --format F)"
        + " --bootstrap-servers HOST:PORT [FLAGS]\n\nflags:\n" + Flag.help(FLAGS);
  }

  public static int run(List<String> args, InputStream in, PrintStream out, PrintStream err)
      throws Exception {
    return run(args, in, out, err, ExampleWriter::create);
  }

  /**
   * {@link #run(List, InputStream, PrintStream, PrintStream)} with the writers of a file's records
   * from their parsed fields taken from {@code writers} (one call per parsing worker, and one to
   * choose the path): {@link ExampleWriter#create}, which is null for an {@code Example} schema it
   * does not know, and then each example is built and encoded with Avro. Tests give
   * {@code () -> null} to take that general path with the current schema.
   */
  static int run(List<String> args, InputStream in, PrintStream out, PrintStream err,
      Supplier<ExampleWriter> writers) throws Exception {
    if (args.size() == 1 && args.get(0).equals("help")) {
      out.print(help());
      return 0;
    }
    try {
      return produce(Flag.parse(FLAGS, args), in, out, err, writers);
    } catch (Failure | TopicGuard.TopicException e) {
      err.println("gradflow produce: " + e.getMessage());
      return 1;
    } catch (FileReplay.MalformedInputException e) {
      err.println("gradflow produce: " + e.getMessage());
      return 1;
    } catch (UncheckedIOException e) {
      err.println("gradflow produce: " + e.getMessage() + ": " + e.getCause().getMessage());
      return 1;
    }
  }

  private static int produce(Flag.Values v, InputStream in, PrintStream out, PrintStream err,
      Supplier<ExampleWriter> writers) throws Exception {
    boolean generate = v.isSet("generator");
    if (generate == v.isSet("file")) {
      throw new Command.UsageException("give either --generator or --file");
    }
    boolean toKafka = !v.on("dry-run") && !v.on("print");
    ClientSettings kafka = toKafka ? ClientSettings.from(v) : null;
    if (toKafka && kafka == null) {
      throw new Command.UsageException("--bootstrap-servers (or --config) is needed to write to"
          + " Kafka (or use --dry-run or --print)");
    }
    if (kafka != null) {
      refuseManaged(kafka);
    }
    long limit = v.isSet("count") ? v.longValue("count", 1)
        : generate ? DEFAULT_GENERATED : Long.MAX_VALUE;
    long start = startTime(v.string("start-time"));
    long interval = v.longValue("interval-ms", 0);
    String modelKey = v.string("model-key");
    String keyByEntity = keyByEntity(v.string("key-by"));
    Loss loss = v.isSet("loss") ? Loss.parse("--loss", v.string("loss")) : null;
    Duration timeout = Duration.ofMillis((long) (1000 * v.doubleValue("connect-timeout", 0.001)));
    int partitions = v.intValue("partitions", 1);

    Iterator<Example> examples;
    FileReplay replay = null;
    String labelHint;
    if (generate) {
      SyntheticGenerator g = generator(v, start, interval, modelKey);
      loss = loss != null ? loss : g.labelLoss();
      examples = g.examples(limit).iterator();
      labelHint = "";
    } else {
      replay = replay(v, in, start, interval, modelKey, parseThreads(v));
      examples = replay;
      labelHint = v.string("format").equals("csv")
          ? "; map labels to 0 and 1 with --label-threshold X or --csv-positive VALUE"
          : "; map labels to 0 and 1 with --binary-labels or --label-threshold X";
    }
    // With --config, examples are validated as that job will: its loss (unless --loss) and its
    // input bounds. Without either, a file's labels are only checked to be finite (any loss's
    // domain holds them) and the bounds are the declared defaults.
    TrainConfig job = v.isSet("config") ? TrainConfig.load(Path.of(v.string("config")),
        new io.gradflow.config.ConfigReport(), TrainConfig.Use.EVALUATE) : null;
    if (loss == null && job != null && !generate) {
      loss = job.loss();
    }
    Loss checkedLoss = loss != null ? loss : Loss.SQUARED;
    InputLimits limits = job != null ? job.input() : InputLimits.DEFAULT;
    // One per thread that validates (a decoder is not shared; nor is its hashing's seed table).
    Supplier<ExampleDecoder> validators = () -> new ExampleDecoder(
        new FeatureHashing(FeatureHashing.DEFAULT_BITS), checkedLoss,
        v.string("default-model-key"), limits);

    String topic = kafka != null && kafka.job() != null && !v.isSet("topic")
        ? kafka.job().topics().examples() : v.string("topic");
    TopicGuard.Topic target = null;
    if (toKafka) {
      try {
        target = prepareTopic(v, kafka, topic, partitions, timeout, err);
      } catch (TopicGuard.TopicException e) {
        if (replay != null) {
          replay.close();
        }
        throw e;
      }
    }

    Acks acks = new Acks(kafka);
    Tally tally = new Tally();
    GradflowProducer producer;
    try {
      producer = toKafka ? producer(v, kafka, target, keyByEntity, timeout) : null;
    } catch (KafkaException e) {
      if (replay != null) {
        replay.close();
      }
      throw new Failure("cannot create the Kafka producer for " + kafka.serversSetting() + " "
          + kafka.bootstrapServers() + ": " + kafka.describe(e) + "; nothing was written");
    }
    double rate = v.doubleValue("rate", 0);
    Progress progress = new Progress(err, generate ? limit : -1, rate, !v.on("quiet"));
    String keyBy = v.string("key-by");
    boolean failOnError = v.string("on-error").equals("fail");
    boolean print = v.on("print");
    ExampleDecoder validator = validators.get();
    if (replay != null) {
      // A file's examples are validated where they are parsed (on the parsing threads, if any).
      replay.checkWith(() -> {
        ExampleDecoder d = validators.get();
        return e -> invalidity(d, producer, e, labelHint, keyBy);
      });
      // Lines and CSV records sent to Kafka keyed by model: validated and encoded there from
      // their parsed fields, without building the example (the same record bytes:
      // ExampleWriter), unless the Example schema is one ExampleWriter does not know.
      if (producer != null && keyByEntity == null && writers.get() != null) {
        replay.encodeWith(() -> {
          ExampleDecoder d = validators.get();
          ExampleWriter w = writers.get();
          return new Encoder(d, w, producer, labelHint, System::currentTimeMillis);
        });
      }
    }
    // Encoding and sending run on a thread of their own, in order, while this one takes the next
    // examples (a file's read, parsed and validated on the replay's threads, if any; lines encoded
    // there too are only sent). Stdin and a rate limit may pause: each example goes at once.
    OrderedSender<Outgoing> sender = producer == null ? null
        : new OrderedSender<>("gradflow-produce-sender", o -> send(producer, acks, o),
            rate > 0 || "-".equals(v.string("file")) ? 1 : SEND_CHUNK, SEND_QUEUE_CHUNKS);
    try {
      while (true) {
        if (tally.sent >= limit) {
          tally.stoppedAtCount = true; // not a look ahead: a file is read no further than this
          break;
        }
        if (acks.stopped() != null || !examples.hasNext()) {
          break;
        }
        Example e = examples.next();
        long line = replay != null ? replay.line() : -1;
        Encoded encoded = replay != null ? (Encoded) replay.encoded() : null;
        String id = encoded != null ? encoded.exampleId() : e.getExampleId();
        String invalid = encoded != null ? encoded.invalid() : replay != null ? replay.check()
            : invalidity(validator, producer, e, labelHint, keyBy);
        if (invalid != null) {
          if (failOnError) {
            flush(sender, producer);
            throw new Failure(source(v) + ", " + where(id, line) + " is invalid (" + invalid
                + ") (--on-error fail); " + written(acks) + " before it");
          }
          tally.invalid++;
          if (replay != null) {
            replay.refuse(invalid);
          } else {
            err.println("skipped " + where(id, line) + " (" + invalid + ")");
          }
          continue;
        }
        long time = encoded != null ? encoded.eventTime() : e.getEventTime().toEpochMilli();
        if (target != null) {
          long now = System.currentTimeMillis();
          String lost = target.refusal(time, now);
          if (lost != null) {
            if (tally.sent == 0) {
              throw new Failure(target.outlivesRetention(time, now)
                  ? refuseHistory(v, kafka, topic, where(id, line), lost)
                  : "refusing to write to topic " + topic + ", nothing was written: the broker"
                      + " would refuse the first example (" + where(id, line) + "): " + lost
                      + ". Check the examples' event times (--start-time, --csv-timestamp).");
            }
            acks.notWritten(where(id, line) + ": " + lost);
            continue;
          }
        }
        if (sender != null) {
          sender.submit(new Outgoing(e, line, encoded));
        } else {
          if (print) {
            out.println(e);
          }
          acks.written(e.getLabel());
        }
        tally.sent(time);
        progress.tick(tally.sent);
      }
      flush(sender, producer);
    } catch (Failure f) {
      progress.finish();
      throw f;
    } catch (FileReplay.MalformedInputException e) {
      flush(sender, producer);
      progress.finish();
      String failMode = failOnError ? " (--on-error fail)" : "";
      throw new Failure(e.getMessage() + failMode + "; " + written(acks) + " before it");
    } finally {
      try {
        if (sender != null) {
          sender.close();
        }
      } finally {
        if (producer != null) {
          producer.close();
        }
        if (replay != null) {
          replay.close();
        }
      }
    }
    progress.finish();
    String targetText = producer != null ? "to topic " + topic + ", each acknowledged by the broker"
        : v.on("print") ? "to stdout" : "(dry run: validated only)";
    summary(v, err, targetText, progress.elapsed(), acks, tally, replay, limit);
    if (acks.failed() > 0) {
      throw new Failure(acks.failed() + " of " + (tally.sent + acks.notSent()) + " examples were"
          + " not written to topic " + topic + "; the first: " + acks.firstFailure()
          + (acks.stopped() != null ? "; produce stopped reading there: " + acks.stopped() : ""));
    }
    if (acks.acknowledged() == 0) {
      throw new Failure(replay == null ? "nothing was produced"
          : "nothing was produced: " + (replay.skipped() + replay.refused() == 0
              ? source(v) + " holds no examples"
              : source(v) + " holds no valid example: " + replay.allFailed()));
    }
    return 0;
  }

  /** Examples the sending thread takes at a time (fewer hand-overs than one per example). */
  private static final int SEND_CHUNK = 64;
  /**
   * Chunks that may wait for the sending thread: 2,048 examples, about 6 MB of 40-feature ones
   * (the sending thread is the faster one; the queue only evens out its pauses).
   */
  private static final int SEND_QUEUE_CHUNKS = 32;

  /**
   * An example on its way to the sending thread, with its line in the file (or -1); a line
   * encoded from its fields is {@link FileFormat#ENCODED} with its {@code encoded} record.
   */
  record Outgoing(Example example, long line, Encoded encoded) {
    Outgoing(Example example, long line) {
      this(example, line, null);
    }

    String exampleId() {
      return encoded != null ? encoded.exampleId() : example.getExampleId();
    }

    Float label() {
      return encoded != null ? encoded.label() : example.getLabel();
    }
  }

  /**
   * A line's example as a parsing worker left it ({@link Encoder}): why the job would refuse it
   * ({@code invalid}, and then nothing else but the id), or its record's key, value and
   * timestamp, and its label (null: none) for the summary.
   */
  record Encoded(String exampleId, String invalid, byte[] key, byte[] value, long eventTime,
      Float label) {}

  /**
   * On a parsing worker: validates a line's fields as {@link #invalidity} validates its example
   * and writes its record with {@link ExampleWriter}. Not thread-safe: one per worker.
   */
  static final class Encoder implements java.util.function.Function<ExampleFields, Object> {
    private final ExampleDecoder validator;
    private final ExampleWriter writer;
    private final GradflowProducer producer;
    private final String labelHint;
    private final LongSupplier clock;
    private String lastModel;
    private byte[] lastKey;

    /** @param clock the wall clock (milliseconds) event times are judged by */
    Encoder(ExampleDecoder validator, ExampleWriter writer, GradflowProducer producer,
        String labelHint, LongSupplier clock) {
      this.clock = clock;
      this.validator = validator;
      this.writer = writer;
      this.producer = producer;
      this.labelHint = labelHint;
    }

    @Override
    public Encoded apply(ExampleFields f) {
      try {
        validator.validate(f, clock.getAsLong());
      } catch (RejectedRecordException r) {
        return new Encoded(f.exampleId(), refusal(r, labelHint), null, null, 0, null);
      }
      String model = f.modelKey();
      if (lastKey == null || model != lastModel) {
        lastKey = producer.keyOfModel(model); // a format's model key is one string: one lookup
        lastModel = model;
      }
      return new Encoded(f.exampleId(), null, lastKey, writer.write(f), f.eventTime(),
          f.hasLabel() ? f.label() : null);
    }
  }

  /** Where an example came from, for messages: its line in the file, or its id. */
  private static String where(String exampleId, long line) {
    return line >= 0 ? "line " + line : "example " + exampleId;
  }

  /**
   * Encodes and sends one example (on the sending thread). After a timeout (the broker stopped
   * answering, or a batch expired) the examples still queued are not sent, and are reported as
   * not written, with the timeout's own reason.
   */
  static void send(GradflowProducer producer, Acks acks, Outgoing o) {
    String id = o.exampleId();
    String stopped = acks.stopped();
    if (stopped != null) {
      acks.sendFailed(where(id, o.line()) + ": not sent, " + stopped);
      return;
    }
    try {
      Encoded encoded = o.encoded();
      if (encoded != null) {
        producer.sendEncoded(encoded.key(), encoded.value(), encoded.eventTime(),
            acks.callback(o));
      } else {
        producer.send(o.example(), acks.callback(o));
      }
    } catch (KafkaException k) {
      acks.sendFailed(where(id, o.line()) + ": " + acks.describe(k));
    }
  }

  /** Sends every example queued so far and waits until the broker answered for each. */
  private static void flush(OrderedSender<Outgoing> sender, GradflowProducer producer)
      throws InterruptedException {
    if (sender != null) {
      sender.drain();
    }
    if (producer != null) {
      producer.flush();
    }
  }

  /** What a run has sent so far, and the record timestamps (event times) it wrote. */
  private static final class Tally {
    long sent;
    long invalid;
    boolean stoppedAtCount;
    long first;
    long last;
    long earliest = Long.MAX_VALUE;
    long latest = Long.MIN_VALUE;

    void sent(long time) {
      if (sent == 0) {
        first = time;
      }
      last = time;
      earliest = Math.min(earliest, time);
      latest = Math.max(latest, time);
      sent++;
    }
  }

  /** Checks the broker and the topic (creating it), and says what the topic keeps. */
  private static TopicGuard.Topic prepareTopic(Flag.Values v, ClientSettings kafka, String topic,
      int partitions, Duration timeout, PrintStream err) throws TopicGuard.TopicException {
    TopicGuard.Topic target;
    try (TopicGuard guard = TopicGuard.connect(kafka, timeout)) {
      target = guard.prepare(topic, partitions);
    }
    err.println((target.created() ? "created topic " : "topic ") + topic + " ("
        + target.partitions() + (target.partitions() == 1 ? " partition" : " partitions")
        + (target.created() ? ")" : ", exists)") + ": " + target.describe());
    if (v.isSet("partitions") && !target.created() && target.partitions() != partitions) {
      err.println("  --partitions " + partitions + " applies to a topic produce creates;"
          + " topic " + topic + " keeps its " + target.partitions());
    }
    return target;
  }

  /**
   * Why the job would dead-letter {@code e} (or the producer cannot key it), or null when it is
   * valid.
   */
  private static String invalidity(ExampleDecoder validator, GradflowProducer producer,
      Example e, String labelHint, String keyBy) {
    return invalidity(validator, producer, e, labelHint, keyBy, System.currentTimeMillis());
  }

  /** {@link #invalidity(ExampleDecoder, GradflowProducer, Example, String, String)} at a clock. */
  static String invalidity(ExampleDecoder validator, GradflowProducer producer, Example e,
      String labelHint, String keyBy, long nowMillis) {
    try {
      // The job's verdict; its hashing refuses nothing, so it is left out.
      validator.validate(e, nowMillis);
      if (producer != null) {
        producer.key(e);
      }
      return null;
    } catch (RejectedRecordException r) {
      return refusal(r, labelHint);
    } catch (IllegalArgumentException r) {
      return r.getMessage() + " (--key-by " + keyBy + ")";
    }
  }

  /** A refusal as {@code produce} reports it: the reason, the detail, a hint for labels. */
  private static String refusal(RejectedRecordException r, String labelHint) {
    return r.reason().name().toLowerCase(Locale.ROOT) + ": " + r.getMessage()
        + (r.reason() == DeadLetterReason.LABEL_OUT_OF_DOMAIN ? labelHint : "");
  }

  private static void summary(Flag.Values v, PrintStream err, String targetText, double seconds,
      Acks acks, Tally tally, FileReplay replay, long limit) {
    long produced = acks.acknowledged();
    err.printf(Locale.ROOT, "produced %s %s, in %.1f s (%,.0f/s); %,d labeled, mean"
        + " label %.4f%n", Counts.of(produced, "example"), targetText, seconds,
        produced / Math.max(seconds, 1e-9), acks.labeled(), acks.meanLabel());
    if (tally.sent > 0) {
      String range = tally.earliest < tally.first || tally.latest > tally.last ? " (earliest "
          + Instant.ofEpochMilli(tally.earliest) + ", latest " + Instant.ofEpochMilli(tally.latest)
          + ")" : "";
      err.println("record timestamps, the examples' event times: first "
          + Instant.ofEpochMilli(tally.first) + ", last " + Instant.ofEpochMilli(tally.last)
          + range);
    }
    if (replay == null) {
      if (tally.invalid > 0) {
        err.println("skipped " + Counts.of(tally.invalid, "invalid example"));
      }
      return;
    }
    List<String> skipped = new ArrayList<>(List.of(Counts.of(replay.skipped(), "malformed line")));
    if (replay.blank() > 0) {
      skipped.add(Counts.of(replay.blank(), "blank or comment line"));
    }
    if (replay.refused() > 0) {
      skipped.add(Counts.of(replay.refused(), "invalid example"));
    }
    err.println("read " + Counts.of(replay.lines(), "line") + "; skipped "
        + Counts.list(skipped));
    replay.errors().forEach(m -> err.println("  " + m));
    long unshown = replay.skipped() + replay.refused() - replay.errors().size();
    if (unshown > 0) {
      err.printf(Locale.ROOT, "  ... and %,d more (the first %d are shown; --on-error fail stops"
          + " at the first)%n", unshown, replay.errors().size());
    }
    if (v.isSet("csv-timestamp") && !v.isSet("csv-timestamp-format") && tally.sent > 0
        && tally.earliest >= 0 && tally.latest < 100_000_000_000L) {
      err.println("note: the timestamps read as epoch milliseconds fall in 1970-1973; if they"
          + " are epoch seconds, give --csv-timestamp-format epoch-seconds");
    }
    replay.notes().forEach(err::println);
    if (tally.stoppedAtCount) {
      err.printf(Locale.ROOT, "stopped after --count %s, at line %,d of %s; the rest"
          + " of it, if any, was not read%n", Counts.of(limit, "example"), replay.line(),
          source(v));
    } else if (v.isSet("count") && replay.skipped() + replay.refused() > 0) {
      // --count bounds what is written, in every mode: a dry run reads what the run would.
      err.printf(Locale.ROOT, "--count %,d was not reached: skipped lines do not count (--count"
          + " counts the examples written; with --dry-run or --print, those that would be), so"
          + " %s was read to its end, as a run that writes would read it%n", limit, source(v));
    }
  }

  private static String written(Acks acks) {
    long n = acks.acknowledged();
    return n + (n == 1 ? " example was" : " examples were") + " written";
  }

  private static String refuseHistory(Flag.Values v, ClientSettings kafka, String topic,
      String where, String why) {
    String ways = "kafka-configs.sh --bootstrap-server " + kafka.bootstrapServers()
        + " --alter --entity-type topics --entity-name " + topic
        + " --add-config retention.ms=-1";
    boolean stamped = v.isSet("generator") || !v.isSet("csv-timestamp");
    return "refusing to write to topic " + topic + ", nothing was written: the first example ("
        + where + ") would be lost, " + why + ". Keep the topic's history (" + ways
        + ")" + (stamped ? ", " : " or ") + "write to a new topic (produce creates it with"
        + " retention.ms=-1)" + (stamped ? " or stamp the examples from now (--start-time now)"
        : "") + ".";
  }

  /**
   * Producer properties produce sets itself, with the value it needs: acknowledgements count
   * only records the broker has stored, and retries neither duplicate nor reorder them.
   */
  private static final Map<String, List<String>> MANAGED = Map.of(
      "acks", List.of("all", "-1"), "enable.idempotence", List.of("true"));

  private static void refuseManaged(ClientSettings kafka) {
    for (Map.Entry<String, List<String>> m : MANAGED.entrySet()) {
      String value = kafka.properties().get(m.getKey());
      if (value != null && !m.getValue().contains(value.trim().toLowerCase(Locale.ROOT))) {
        throw new Command.UsageException(kafka.origin(m.getKey()) + " must be "
            + m.getValue().get(0) + " for produce, or absent: produce counts only the records the"
            + " broker has stored (acks=all, enable.idempotence=true); remove it");
      }
    }
  }

  /**
   * What a producer's {@code TimeoutException} means, for the examples not sent after it (Kafka
   * 4.2.0's messages): a batch that expired in the producer ({@code Sender}: "Expiring N
   * record(s) for T-P:M ms has passed since batch creation", after {@code delivery.timeout.ms}:
   * the broker did not acknowledge it in time, though it may still answer), buffer memory that
   * stayed full ({@code BufferExhaustedException}, after {@code max.block.ms}), or metadata that
   * did not come ("not present in metadata", after {@code max.block.ms}: no broker answered).
   */
  static String timeoutReason(org.apache.kafka.common.errors.TimeoutException t) {
    String m = t.getMessage() == null ? "" : t.getMessage();
    if (m.contains("has passed since batch creation")) {
      return "a batch expired before the broker acknowledged it (delivery.timeout.ms; the broker"
          + " was slow or unreachable for that long)";
    }
    if (t instanceof org.apache.kafka.clients.producer.BufferExhaustedException) {
      return "the producer's buffer stayed full (buffer.memory, for max.block.ms): the broker"
          + " took records slower than they came";
    }
    if (m.contains("not present in metadata")) {
      return "no broker answered for the topic's metadata (max.block.ms; --connect-timeout)";
    }
    return "the broker stopped answering";
  }

  /** Counts what the broker acknowledged and what it did not, from the producer's callbacks. */
  static class Acks {
    private final ClientSettings kafka;
    private final AtomicLong acknowledged = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong notSent = new AtomicLong();
    private final AtomicReference<String> firstFailure = new AtomicReference<>();
    /** Why produce stopped sending after a timeout, or null. */
    private volatile String stopped;
    private long labeled;
    private double labelSum;

    /** @param kafka the client settings whose values no failure message may show, or null */
    Acks(ClientSettings kafka) {
      this.kafka = kafka;
    }

    /** A client's failure without any property value. */
    String describe(Exception e) {
      return kafka != null ? kafka.describe(e)
          : e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    /** An example written (acknowledged, printed or validated), with its label or null. */
    synchronized void written(Float label) {
      acknowledged.incrementAndGet();
      if (label != null) {
        labeled++;
        labelSum += label;
      }
    }

    synchronized long labeled() {
      return labeled;
    }

    synchronized double meanLabel() {
      return labeled == 0 ? Double.NaN : labelSum / labeled;
    }

    /**
     * Counts the broker's answer for an example. It keeps the example's id, line and label, not
     * the example: records wait in the producer's buffer until the broker answers.
     */
    Callback callback(Outgoing o) {
      String id = o.exampleId();
      long line = o.line();
      Float label = o.label();
      return (metadata, exception) -> {
        if (exception == null) {
          written(label);
          return;
        }
        if (exception instanceof org.apache.kafka.common.errors.TimeoutException t) {
          stopped = timeoutReason(t);
        }
        sendFailed(where(id, line) + ": "
            + exception.getClass().getSimpleName() + ": " + describe(exception));
      };
    }

    /** An example handed to the sending thread that was not written. */
    void sendFailed(String why) {
      failed.incrementAndGet();
      firstFailure.compareAndSet(null, why);
    }

    /** An example not handed to the sending thread, because it would not be written. */
    void notWritten(String why) {
      notSent.incrementAndGet();
      sendFailed(why);
    }

    long acknowledged() {
      return acknowledged.get();
    }

    long failed() {
      return failed.get();
    }

    long notSent() {
      return notSent.get();
    }

    /** Why produce stopped sending after a timeout, or null while it goes on. */
    String stopped() {
      return stopped;
    }

    String firstFailure() {
      return firstFailure.get();
    }
  }

  private static String source(Flag.Values v) {
    String file = v.string("file");
    return file == null ? "the generator" : file.equals("-") ? "stdin"
        : Path.of(file).getFileName().toString();
  }

  private static SyntheticGenerator generator(Flag.Values v, long start, long interval,
      String modelKey) {
    for (Flag f : FLAGS) {
      if (v.isSet(f.name()) && (f.name().startsWith("csv-") || f.name().equals("label-threshold")
          || f.name().equals("binary-labels") || f.name().equals("namespace")
          || f.name().equals("on-error") || f.name().equals("format"))) {
        throw new Command.UsageException("--" + f.name() + " applies to --file, not to a"
            + " generator");
      }
    }
    long seed = v.longValue("seed", Long.MIN_VALUE);
    DriftSpec drift;
    try {
      drift = new DriftSpec(DriftSpec.Kind.parse(v.string("drift")), v.longValue("drift-at", 0),
          v.longValue("drift-width", 0), v.longValue("drift-period", 0),
          v.longValue("new-ids-every", 0), v.intValue("new-ids-count", 0));
    } catch (IllegalArgumentException e) {
      throw new Command.UsageException(e.getMessage());
    }
    try {
      return switch (v.string("generator")) {
        case "ctr" -> new ClickThroughGenerator(new ClickThroughGenerator.Spec(seed,
            v.intValue("fields", 1), v.intValue("vocabulary", 1), v.doubleValue("zipf", 0), 0.6,
            -1.4, drift, modelKey, start, interval));
        case "recsys" -> new RecommendationGenerator(new RecommendationGenerator.Spec(seed,
            v.intValue("users", 1), v.intValue("items", 1), v.intValue("factors", 1), 0.8,
            v.doubleValue("zipf", 0), 1.0, -1.0, v.on("ratings"), 0.5, drift, modelKey, start,
            interval));
        default -> new TabularGenerator(new TabularGenerator.Spec(seed, v.intValue("numeric", 0),
            v.intValue("categorical", 0), v.intValue("vocabulary", 1), v.doubleValue("zipf", 0),
            0.7, -0.5, v.on("regression"), 0.5, drift, modelKey, start, interval));
      };
    } catch (IllegalArgumentException e) {
      throw new Command.UsageException(e.getMessage());
    }
  }

  private static LabelMapping labels(Flag.Values v) {
    String given = null;
    LabelMapping mapping = LabelMapping.asWritten();
    if (v.on("binary-labels")) {
      given = "--binary-labels";
      mapping = LabelMapping.threshold(0);
    }
    if (v.isSet("label-threshold")) {
      if (given != null) {
        throw new Command.UsageException("--label-threshold and " + given + " both map labels;"
            + " give one");
      }
      given = "--label-threshold";
      mapping = LabelMapping.threshold(v.doubleValue("label-threshold", -Double.MAX_VALUE));
    }
    if (v.isSet("csv-positive")) {
      if (given != null) {
        throw new Command.UsageException("--csv-positive and " + given + " both map labels;"
            + " give one");
      }
      if (v.list("csv-positive").isEmpty()) {
        throw new Command.UsageException("--csv-positive needs at least one value");
      }
      mapping = LabelMapping.positive(v.list("csv-positive"));
    }
    return mapping;
  }

  /**
   * Threads that parse a file besides the one reading it: {@code --parse-threads}, else the cores
   * less one (one is left to the thread that encodes and sends), at least 1; none for input that
   * may pause (stdin, a rate limit), where a block of lines would wait until it is full.
   */
  static int parseThreads(Flag.Values v) {
    if (v.isSet("parse-threads")) {
      return v.intValue("parse-threads", 0);
    }
    if ("-".equals(v.string("file")) || v.doubleValue("rate", 0) > 0) {
      return 0;
    }
    return Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
  }

  /**
   * Opens {@code --file} in its format, with {@code workers} threads finishing its records
   * ({@link FileReplay#of(InputStream, FileFormat, String, FileReplay.OnError, int)}).
   */
  private static FileReplay replay(Flag.Values v, InputStream in, long start, long interval,
      String modelKey, int workers) throws IOException {
    String file = v.string("file");
    String format = v.string("format");
    if (!format.equals("csv")) {
      for (Flag f : FLAGS) {
        if (f.name().startsWith("csv-") && v.isSet(f.name())) {
          throw new Command.UsageException("--" + f.name() + " applies to --format csv, not "
              + format);
        }
      }
    }
    if (!format.equals("libsvm") && v.isSet("namespace")) {
      throw new Command.UsageException("--namespace applies to --format libsvm, not " + format);
    }
    LabelMapping labels = labels(v);
    FileFormat fileFormat = switch (format) {
      case "libsvm" -> new LibSvmFormat(v.string("namespace"), labels, modelKey, start, interval);
      case "vw" -> new VwFormat(labels, modelKey, start, interval);
      default -> csvFormat(v, labels, modelKey, start, interval);
    };
    InputStream bytes;
    try {
      bytes = file.equals("-") ? in : Files.newInputStream(Path.of(file));
    } catch (NoSuchFileException e) {
      throw new Command.UsageException("--file " + file + ": no such file");
    } catch (IOException e) {
      throw new Command.UsageException("cannot read --file " + file + ": " + e.getMessage());
    }
    if (!file.equals("-") && Files.isDirectory(Path.of(file))) {
      throw new Command.UsageException("--file " + file + " is a directory, not a file");
    }
    String source = file.equals("-") ? "stdin" : Path.of(file).getFileName().toString();
    try {
      return FileReplay.of(bytes, fileFormat, source,
          FileReplay.OnError.valueOf(v.string("on-error").toUpperCase(Locale.ROOT)), workers);
    } catch (IllegalArgumentException e) {
      throw new Command.UsageException(e.getMessage());
    }
  }

  private static CsvFormat csvFormat(Flag.Values v, LabelMapping labels, String modelKey,
      long start, long interval) {
    String d = v.string("csv-delimiter").replace("\\t", "\t");
    if (d.length() != 1) {
      throw new Command.UsageException("--csv-delimiter must be one character, but was " + d);
    }
    Map<String, String> entities = new LinkedHashMap<>();
    for (String pair : v.list("csv-entity")) {
      int eq = pair.indexOf('=');
      if (eq <= 0 || eq == pair.length() - 1) {
        throw new Command.UsageException("--csv-entity takes TYPE=COLUMN pairs"
            + " (user=userId,item=movieId), but was " + pair);
      }
      if (entities.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim()) != null) {
        throw new Command.UsageException("--csv-entity names type " + pair.substring(0, eq)
            + " twice");
      }
    }
    ZoneId zone;
    try {
      zone = ZoneId.of(v.string("csv-timezone"));
    } catch (DateTimeException e) {
      throw new Command.UsageException("--csv-timezone must be a zone such as UTC, +02:00 or"
          + " Europe/Paris, but was " + v.string("csv-timezone"));
    }
    Timestamps timestamps;
    try {
      timestamps = new Timestamps(v.string("csv-timestamp-format"), zone);
    } catch (IllegalArgumentException e) {
      throw new Command.UsageException("--csv-timestamp-format must be a java.time pattern"
          + " (yyyy-MM-dd HH:mm:ss), epoch-seconds or epoch-millis, but was '"
          + v.string("csv-timestamp-format") + "': " + e.getMessage());
    }
    if ((v.isSet("csv-timestamp-format") || v.isSet("csv-timezone"))
        && !v.isSet("csv-timestamp")) {
      throw new Command.UsageException("--csv-timestamp-format and --csv-timezone read the"
          + " --csv-timestamp column: give it");
    }
    try {
      return new CsvFormat(new CsvFormat.Columns(v.string("csv-label"), v.list("csv-numeric"),
          v.list("csv-categorical"), entities, v.string("csv-timestamp"), v.string("csv-id"),
          v.string("csv-model-key"), v.string("csv-weight"), d.charAt(0)), labels, timestamps,
          modelKey, start, interval);
    } catch (IllegalArgumentException e) {
      throw new Command.UsageException(e.getMessage());
    }
  }

  private static String keyByEntity(String keyBy) {
    if (keyBy.startsWith("entity:") && keyBy.length() > 7) {
      return keyBy.substring(7);
    } else if (!keyBy.equals("model")) {
      throw new Command.UsageException("--key-by must be model or entity:TYPE, but was " + keyBy);
    }
    return null;
  }

  private static GradflowProducer producer(Flag.Values v, ClientSettings kafka,
      TopicGuard.Topic topic, String keyByEntity, Duration timeout) {
    Map<String, String> properties = new LinkedHashMap<>();
    // A send waits this long for metadata or buffer space: a broker gone mid-run is a failed
    // record then, not a hang (unless the properties say otherwise).
    properties.put("max.block.ms", String.valueOf(timeout.toMillis()));
    properties.putAll(kafka.resolvedProperties());
    GradflowProducer.Builder b = GradflowProducer.builder(kafka.bootstrapServers())
        .examplesTopic(topic.name()).maxMessageBytes(topic.maxMessageBytes())
        .defaultModelKey(v.string("default-model-key")).properties(properties);
    if (keyByEntity != null) {
      b.keyByEntity(keyByEntity);
    }
    return b.build();
  }

  private static long startTime(String s) {
    if (s.equals("now")) {
      return System.currentTimeMillis();
    }
    try {
      return s.chars().allMatch(Character::isDigit) ? Long.parseLong(s)
          : Instant.parse(s).toEpochMilli();
    } catch (NumberFormatException | DateTimeParseException e) {
      throw new Command.UsageException("--start-time must be ISO-8601, epoch milliseconds or now,"
          + " but was " + s);
    }
  }
}
