package io.gradflow.jobs.produce;

import io.gradflow.jobs.cli.Command;
import io.gradflow.jobs.cli.Flag.Type;
import io.gradflow.jobs.cli.Flag;
import io.gradflow.jobs.kafka.ExampleDecoder;
import io.gradflow.jobs.kafka.RejectedRecordException;
import io.gradflow.model.Loss;
import io.gradflow.schema.Example;
import io.gradflow.schema.FeatureHashing;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.List;

/**
 * {@code gradflow produce}: writes synthetic streams (click-through, recommendation, tabular, with
 * drift) or replays files (CSV, LibSVM, Vowpal Wabbit) into Kafka as Avro {@code Example}s, keyed
 * so each model's examples keep their order. {@code gradflow produce help} lists the flags.
 */
public final class ProduceCommand {
  public static final List<Flag> FLAGS = List.of(
      Flag.of("bootstrap-servers", Type.STRING, null, "Kafka brokers, host:port[,host:port]"),
      Flag.of("topic", Type.STRING, "examples", "topic to write examples to"),
      Flag.choice("generator", null, "synthetic stream to generate", "ctr", "recsys", "tabular"),
      Flag.of("file", Type.STRING, null, "file to replay instead (- for stdin)"),
      Flag.choice("format", "csv", "format of --file", "csv", "libsvm", "vw"),
      Flag.of("count", Type.LONG, "10000", "examples to generate (a file: at most this many)"),
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
          "event time of the first example: ISO-8601, epoch millis or now (records older than"
              + " a topic's retention.ms are deleted by the broker)"),
      Flag.of("interval-ms", Type.LONG, "10", "event-time step between examples"),
      Flag.of("csv-label", Type.STRING, null, "csv: label column"),
      Flag.of("csv-numeric", Type.LIST, null, "csv: numeric columns (dense features)"),
      Flag.of("csv-categorical", Type.LIST, null, "csv: categorical columns"),
      Flag.of("csv-timestamp", Type.STRING, null, "csv: event time column"),
      Flag.of("csv-id", Type.STRING, null, "csv: example id column"),
      Flag.of("csv-model-key", Type.STRING, null, "csv: model key column"),
      Flag.of("csv-weight", Type.STRING, null, "csv: importance weight column"),
      Flag.of("csv-delimiter", Type.STRING, ",", "csv: delimiter character (tab: \\t)"),
      Flag.of("namespace", Type.STRING, "f", "libsvm: namespace of the features"),
      Flag.of("binary-labels", Type.SWITCH, null, "libsvm, vw: labels <= 0 become 0, > 0 become 1"),
      Flag.choice("on-error", "skip", "a malformed line is skipped (and reported) or fails the run",
          "skip", "fail"),
      Flag.of("dry-run", Type.SWITCH, null, "encode and validate only; write nothing"),
      Flag.of("print", Type.SWITCH, null, "print examples as JSON lines to stdout, not Kafka"),
      Flag.of("quiet", Type.SWITCH, null, "no progress line"));

  public static final String SUMMARY = "write synthetic or file examples to Kafka"
     ;

  private ProduceCommand() {}

  /** The command's help: every flag from {@link #FLAGS}. */
  public static String help() {
    return "usage: gradflow produce (--generator ctr|recsys|tabular | --file PATH --format F)"
        + " --bootstrap-servers HOST:PORT [FLAGS]\n\nflags:\n" + Flag.help(FLAGS);
  }

  public static int run(List<String> args, InputStream in, PrintStream out, PrintStream err)
      throws Exception {
    if (args.size() == 1 && args.get(0).equals("help")) {
      out.print(help());
      return 0;
    }
    Flag.Values v = Flag.parse(FLAGS, args);
    boolean generate = v.isSet("generator");
    if (generate == v.isSet("file")) {
      throw new Command.UsageException("give either --generator or --file");
    }
    boolean toKafka = !v.on("dry-run") && !v.on("print");
    if (toKafka && !v.isSet("bootstrap-servers")) {
      throw new Command.UsageException("--bootstrap-servers is needed to write to Kafka"
          + " (or use --dry-run or --print)");
    }
    long count = generate || v.isSet("count") ? v.longValue("count", 0) : Long.MAX_VALUE;
    long start = startTime(v.string("start-time"));
    long interval = v.longValue("interval-ms", 0);
    String modelKey = v.string("model-key");

    Iterator<Example> examples;
    FileReplay replay = null;
    Loss labels;
    if (generate) {
      SyntheticGenerator g = generator(v, start, interval, modelKey);
      labels = g.labelLoss();
      examples = g.examples(count).iterator();
    } else {
      replay = replay(v, in, start, interval, modelKey);
      examples = replay;
      labels = Loss.SQUARED; // a file's labels are validated by the job that knows its loss
    }

    ExampleDecoder validator = new ExampleDecoder(new FeatureHashing(FeatureHashing.DEFAULT_BITS),
        labels, v.string("default-model-key"));
    GradflowProducer producer = toKafka ? producer(v) : null;
    Progress progress = new Progress(err, generate ? count : -1, v.doubleValue("rate", 0),
        !v.on("quiet"));
    long sent = 0;
    long labeled = 0;
    long invalid = 0;
    double labelSum = 0;
    try {
      while (sent + invalid < count && examples.hasNext()) {
        Example e = examples.next();
        try {
          validator.toCompact(e);
        } catch (RejectedRecordException r) {
          // The job would dead-letter it: say so now, and follow --on-error like a bad line.
          String where = replay != null ? "line " + replay.lines() : "example " + e.getExampleId();
          if (v.string("on-error").equals("fail")) {
            throw new Command.UsageException(where + " is invalid (" + r.reason() + "): "
                + r.getMessage());
          }
          invalid++;
          err.println("skipped " + where + " (" + r.reason() + "): " + r.getMessage());
          continue;
        }
        if (producer != null) {
          producer.send(e);
        } else if (v.on("print")) {
          out.println(e);
        }
        sent++;
        if (e.getLabel() != null) {
          labeled++;
          labelSum += e.getLabel();
        }
        progress.tick(sent);
      }
      if (producer != null) {
        producer.flush();
      }
    } catch (FileReplay.MalformedInputException e) {
      progress.finish();
      err.println("gradflow produce: " + e.getMessage() + " (--on-error fail); " + sent
          + " examples were written before it");
      return 1;
    } finally {
      if (producer != null) {
        producer.close();
      }
    }
    progress.finish();
    double seconds = progress.elapsed();
    String target = producer != null ? "to topic " + v.string("topic")
        : v.on("print") ? "to stdout" : "(dry run: validated only)";
    err.printf("produced %,d examples %s in %.1f s (%,.0f/s); %,d labeled, mean label %.4f%n",
        sent, target, seconds, sent / Math.max(seconds, 1e-9), labeled,
        labeled == 0 ? Double.NaN : labelSum / labeled);
    if (replay != null) {
      err.printf("read %,d lines; skipped %,d malformed lines%n", replay.lines(), replay.skipped());
      replay.errors().forEach(m -> err.println("  " + m));
    }
    if (invalid > 0) {
      err.printf("skipped %,d invalid examples%n", invalid);
    }
    return 0;
  }

  private static SyntheticGenerator generator(Flag.Values v, long start, long interval,
      String modelKey) {
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

  private static FileReplay replay(Flag.Values v, InputStream in, long start, long interval,
      String modelKey) throws IOException {
    String file = v.string("file");
    boolean binary = v.on("binary-labels");
    LineFormat format = switch (v.string("format")) {
      case "libsvm" -> new LibSvmFormat(v.string("namespace"), binary, modelKey, start, interval);
      case "vw" -> new VwFormat(binary, modelKey, start, interval);
      default -> {
        String d = v.string("csv-delimiter").replace("\\t", "\t");
        if (d.length() != 1) {
          throw new Command.UsageException("--csv-delimiter must be one character, but was " + d);
        }
        try {
          yield new CsvFormat(new CsvFormat.Columns(v.string("csv-label"), v.list("csv-numeric"),
              v.list("csv-categorical"), v.string("csv-timestamp"), v.string("csv-id"),
              v.string("csv-model-key"), v.string("csv-weight"), d.charAt(0)), modelKey, start,
              interval);
        } catch (IllegalArgumentException e) {
          throw new Command.UsageException(e.getMessage());
        }
      }
    };
    BufferedReader reader;
    try {
      reader = file.equals("-") ? new BufferedReader(new InputStreamReader(in,
          StandardCharsets.UTF_8)) : Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new Command.UsageException("no such file: " + file);
    }
    String source = file.equals("-") ? "stdin" : Path.of(file).getFileName().toString();
    return new FileReplay(reader, format, source,
        FileReplay.OnError.valueOf(v.string("on-error").toUpperCase(java.util.Locale.ROOT)));
  }

  private static GradflowProducer producer(Flag.Values v) {
    GradflowProducer.Builder b = GradflowProducer.builder(v.string("bootstrap-servers"))
        .examplesTopic(v.string("topic")).defaultModelKey(v.string("default-model-key"));
    String keyBy = v.string("key-by");
    if (keyBy.startsWith("entity:") && keyBy.length() > 7) {
      b.keyByEntity(keyBy.substring(7));
    } else if (!keyBy.equals("model")) {
      throw new Command.UsageException("--key-by must be model or entity:TYPE, but was " + keyBy);
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
