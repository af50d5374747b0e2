package io.gradflow.jobs.evaluate;

import io.gradflow.jobs.cli.Flag;
import io.gradflow.jobs.kafka.RawRecord;
import io.gradflow.jobs.produce.FileReplay;
import io.gradflow.jobs.produce.ProduceCommand;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Example;
import io.gradflow.schema.RecordCodec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One evaluation's reading of its file: the {@link FileReplay} {@code produce} would read
 * ({@link ProduceCommand#openFile}: the same format, flags and messages), opened by the command
 * before the job, read one example at a time by the job's {@link FileReplaySource} (each encoded
 * as the job reads it from Kafka: its topic the file's name, its offset the line), then looked at
 * again by the command for what the reading found: the replay's lines, malformed lines and
 * notes, the examples labeled, learnable and imputed.
 *
 * <p>Memory: the replay's read-ahead and a few counts, never the file's examples.
 *
 * <p>Used by one thread at a time: the command until the job starts ({@link #hasExample}), the
 * source's reader in its task thread while the job runs, the command once it has ended. The
 * hand-over is ordered by the job's start (a registry, {@link #find}) and by the volatile
 * {@link #ended()}.
 */
final class FileReading implements AutoCloseable {
  /** The readings shared with a source in this JVM, by id. */
  private static final Map<String, FileReading> READINGS = new ConcurrentHashMap<>();

  /** Opens the file again from its start (a restore); null when it cannot be (stdin). */
  interface Opener {
    FileReplay open() throws IOException;
  }

  final String id = UUID.randomUUID().toString();
  final String source;
  private final Opener opener;
  private final long limit;
  private final Set<String> numeric;
  private final RecordCodec<Example> codec = Codecs.codec(Example.class);
  private FileReplay replay;
  private long labeled;
  private long learnable;
  private long imputed;
  private long emitted;
  private volatile boolean ended;
  private volatile RuntimeException failure;

  /**
   * @param replay the file, opened and not read yet
   * @param opener opens it again from its start, or null (stdin)
   * @param limit the examples to read at most ({@code --count})
   * @param numeric the CSV's numeric columns, whose missing cells are counted as imputed
   */
  FileReading(String source, FileReplay replay, Opener opener, long limit, Set<String> numeric) {
    this.source = source;
    this.replay = replay;
    this.opener = opener;
    this.limit = limit;
    this.numeric = numeric;
  }

  /**
   * Opens {@code --file} as {@code produce} does ({@link ProduceCommand#openFile}).
   *
   * @throws io.gradflow.jobs.cli.Command.UsageException for flags that do not fit the format or
   *     a file that cannot be opened
   * @throws FileReplay.MalformedInputException when the first record already ends the input
   */
  static FileReading open(Flag.Values v, InputStream in) throws IOException {
    long limit = v.isSet("count") ? v.longValue("count", 1) : Long.MAX_VALUE;
    Set<String> numeric = v.string("format").equals("csv") && v.isSet("csv-numeric")
        ? Set.copyOf(v.list("csv-numeric")) : Set.of();
    String file = v.string("file");
    boolean stdin = file.equals("-");
    String source = stdin ? "stdin" : Path.of(file).getFileName().toString();
    // Standard input may pause for as long as its writer likes: the source's task thread waits
    // for it interruptibly, so a job that fails meanwhile is cancelled at once.
    InputStream bytes = stdin ? InterruptibleInput.start(in, "evaluate-stdin") : in;
    FileReplay replay;
    try {
      replay = ProduceCommand.openFile(v, bytes);
    } catch (IOException | RuntimeException e) {
      if (stdin) {
        bytes.close(); // its reading thread stops
      }
      throw e;
    }
    return new FileReading(source, replay, stdin ? null : () -> ProduceCommand.openFile(v, in),
        limit, numeric);
  }

  /** The reading shared in this JVM under {@code id} ({@link #share}). */
  static FileReading find(String id) {
    FileReading r = READINGS.get(id);
    if (r == null) {
      throw new IllegalStateException("evaluate's file source reads the file its command opened,"
          + " in the command's JVM (a local MiniCluster); no reading " + id + " is open here");
    }
    return r;
  }

  /** Makes this reading {@link #find findable} by its source's readers; returns its id. */
  String share() {
    READINGS.put(id, this);
    return id;
  }

  /**
   * Whether the file holds an example to evaluate (reading up to it: blank and malformed lines
   * before it are counted as without a job). Before the job only.
   *
   * @throws FileReplay.MalformedInputException a malformed line under {@code --on-error fail}, or
   *     one that ends the input
   */
  boolean hasExample() {
    return emitted < limit && replay.hasNext();
  }

  /**
   * The next example, encoded as the job reads it from Kafka, or null at the end of the file (or
   * of {@code --count}); the replay is then closed. A failure to read (a malformed line under
   * {@code --on-error fail}, one that ends the input, an I/O error) is kept for the command
   * ({@link #failure}) and thrown: it fails the job.
   */
  RawRecord next() {
    try {
      if (emitted >= limit || !replay.hasNext()) {
        end();
        return null;
      }
      Example e = replay.next();
      float weight = e.getWeight();
      labeled += e.getLabel() != null ? 1 : 0;
      learnable += e.getLabel() != null && weight > 0 ? 1 : 0;
      imputed += EvaluateCommand.imputed(e, numeric);
      emitted++;
      return new RawRecord(source, 0, replay.line(), e.getEventTime().toEpochMilli(), null,
          codec.encode(e));
    } catch (RuntimeException e) {
      // An interrupted read is Flink cancelling the task (the job failed elsewhere, or was
      // cancelled): not the file's failure, which the command would report instead of the job's.
      if (!Thread.currentThread().isInterrupted()) {
        failure = e;
      }
      throw e;
    }
  }

  /**
   * This reading, positioned so that {@link #next} returns the example after the first
   * {@code position} ones: as it is when that many were read and it has not ended; else the file
   * opened again from its start, those examples read again (and counted again) but not returned.
   *
   * @throws IllegalStateException when the file cannot be opened again (stdin), or holds fewer
   *     examples
   */
  FileReading at(long position) {
    if (position == emitted && !ended) {
      return this;
    }
    if (opener == null) {
      throw new IllegalStateException("evaluate cannot restore its file source at example "
          + position + ": " + source + " cannot be read again");
    }
    replay.close();
    try {
      replay = opener.open();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(source + ": cannot read it again", e);
    }
    labeled = learnable = imputed = emitted = 0;
    ended = false;
    while (emitted < position) {
      if (next() == null) {
        throw new IllegalStateException("evaluate cannot restore its file source at example "
            + position + ": " + source + " now holds " + emitted);
      }
    }
    return this;
  }

  private void end() {
    replay.close();
    ended = true;
  }

  /** Whether {@link #next} has reached the end; the counts below are final then. */
  boolean ended() {
    return ended;
  }

  /** What failed the reading, or null. */
  RuntimeException failure() {
    return failure;
  }

  /** Examples read so far (emitted by the source). */
  long emitted() {
    return emitted;
  }

  FileReplay replay() {
    return replay;
  }

  long labeled() {
    return labeled;
  }

  long learnable() {
    return learnable;
  }

  long imputed() {
    return imputed;
  }

  /** Closes the replay and forgets the reading. */
  @Override
  public void close() {
    replay.close();
    READINGS.remove(id);
  }
}
