package io.gradflow.jobs.produce;

import io.gradflow.jobs.kafka.ExampleFields;
import io.gradflow.schema.Example;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The records of a file read on one thread and finished on {@code workers} others, in blocks,
 * and handed out in file order: the same examples, the same messages on the same lines and the
 * same end of input as the serial reader, so a {@link FileReplay} skips or stops exactly where
 * it would. A block keeps one result per record (an example, {@link FileFormat#NONE}, or what
 * reading or parsing it threw), and what ended the input comes after the block's records, as it
 * came after them serially.
 * <ul>
 *   <li>{@link #lines}: a {@link LineFormat}'s lines are read on the reading thread and parsed on
 *       the workers (line formats are stateless, so lines parse in any order);
 *   <li>{@link #records}: any format's serial reader runs on the reading thread; a
 *       {@link Staged} one (CSV) only lexes there, its records are mapped on the workers, and
 *       completed in file order (CSV's imputer keeps running means) before they are checked.
 * </ul>
 * In both, the workers run a {@link #checkWith check} on each example (for {@code produce}: what
 * the job would dead-letter it for), one checker per worker thread.
 * The threads start at the first {@link #next()}.
 *
 * <p>Memory: at most {@code 2 * workers + 3} blocks read ahead (about 1 MB each for records of 40
 * features), so a replay stopped early (a count, an error) read past its last record but never
 * handed it out. Not for input that may pause (stdin): a block waits until it is full.
 *
 * <p>Thread-safety: one consuming thread; {@link #close()} stops the reading and parsing threads.
 */
final class ParallelRecords implements FileFormat.RecordReader, AutoCloseable {
  /** Records per block: enough that a hand-over costs little next to finishing the block. */
  static final int BLOCK = 256;

  /** Records and, once finished, their results; {@code end} is what stopped reading after them. */
  private static final class Block {
    /** Lines: the text of each; records: the serial reader's result of each. */
    final Object[] items;
    final String[] checks;
    /** What the encoder made of each line's fields, when there is one; else null. */
    final Object[] encoded;
    /** Records: the line each starts on and the lines read after it; lines: null. */
    final long[] recordLines;
    final long[] linesRead;
    final long firstLine;
    int count;
    boolean last;
    Throwable end;
    long endLines;

    Block(int size, long firstLine, boolean records, boolean encodes) {
      this.items = new Object[size];
      this.checks = new String[size];
      this.encoded = encodes ? new Object[size] : null;
      this.recordLines = records ? new long[size] : null;
      this.linesRead = records ? new long[size] : null;
      this.firstLine = firstLine;
    }
  }

  /**
   * A serial reader whose records are finished in three steps, so that only the first and the
   * last run in file order: {@link #lex} on the reading thread, {@link #map} on any worker, and
   * {@link #complete} in file order, one block after the other (on the thread that finished
   * the later of the block's mapping and the block before, or on the reading thread if both
   * were done when it handed the block out). {@link #next()} is {@code complete(map(lex()))}, as one thread runs it.
   */
  interface Staged extends FileFormat.RecordReader {
    /**
     * Reads the next record: what {@link #map} takes, {@link FileFormat#NONE} for a record
     * without an example, or null at the end of the input.
     *
     * @throws MalformedLineException as {@link #next()}; {@link #recordLine()} and
     *     {@link #lines()} are the record's
     */
    Object lex() throws MalformedLineException;

    /**
     * What {@link #complete} takes, from what {@link #lex} read. Thread-safe: runs on several
     * workers at once, on records in any order.
     *
     * @throws MalformedLineException for a record that is no example
     */
    Object map(Object raw) throws MalformedLineException;

    /**
     * The example of what {@link #map} gave, once per well-formed record and in file order
     * (what depends on the records before it). Not thread-safe: the calls follow each other.
     */
    Example complete(Object mapped);

    /**
     * Whether this reader's records can be written from their fields: completed in place in
     * file order ({@link #order}), then their {@link #fields} taken on any worker, with
     * {@code complete(m)} the example of {@code order(m)} then {@code fields(m, f)}.
     */
    default boolean hasFields() {
      return false;
    }

    /**
     * In file order, once per well-formed record, instead of {@link #complete}: what depends on
     * the records before it, into what {@link #map} gave. Not thread-safe.
     */
    default void order(Object mapped) {
      throw new UnsupportedOperationException("no fields");
    }

    /**
     * Any thread, after {@link #order}: the record's example's fields into {@code into}
     * ({@link ExampleFields#start started} anew). Thread-safe for different {@code into}.
     */
    default void fields(Object ordered, ExampleFields into) {
      throw new UnsupportedOperationException("no fields");
    }
  }

  /** What the reading thread does: fills a block, or marks it the last. */
  private interface Filler {
    void fill(Block b);
  }

  private final LineFormat format;
  private final String source;
  private final int size;
  private final int threads;
  private final boolean parses;
  private Filler filler;
  /** The serial reader of {@link #records} when it is {@link Staged}, else null. */
  private Staged staged;
  /** Staged: the last block queued, once completed in file order. */
  private CompletableFuture<Block> completed = CompletableFuture.completedFuture(null);
  private long readerLines;
  private ThreadLocal<Function<Example, String>> checkers;
  /** Per worker thread: a line's fields and what makes the encoded result of them; or null. */
  private ThreadLocal<Encoding> encoders;
  private Object lastEncoded;
  private ExecutorService workers;
  private ArrayBlockingQueue<CompletableFuture<Block>> blocks;
  private Thread reader;
  private boolean closed;
  private Block current;
  private int at;
  private long line;
  private long lines;
  private String lastCheck;

  private ParallelRecords(LineFormat format, String source, int workers, int size) {
    if (workers < 1 || size < 1) {
      throw new IllegalArgumentException("workers and block size must be >= 1, but were "
          + workers + " and " + size);
    }
    this.format = format;
    this.parses = format != null;
    this.source = source;
    this.threads = workers;
    this.size = size;
  }

  /**
   * The lines of {@code in} parsed by {@code format} on {@code workers} threads.
   *
   * @param size lines per block ({@link #BLOCK}; tests use small blocks)
   */
  static ParallelRecords lines(LineFormat format, Utf8Lines in, String source, int workers,
      int size) {
    ParallelRecords r = new ParallelRecords(format, source, workers, size);
    r.filler = b -> r.readLines(in, b);
    return r;
  }

  /**
   * The records of {@code serial}, read on a thread of their own, checked on {@code workers}.
   *
   * @param size records per block ({@link #BLOCK}; tests use small blocks)
   */
  static ParallelRecords records(FileFormat.RecordReader serial, String source, int workers,
      int size) {
    ParallelRecords r = new ParallelRecords(null, source, workers, size);
    r.staged = serial instanceof Staged s ? s : null;
    r.filler = b -> readRecords(serial, r.staged, b);
    return r;
  }

  /**
   * Runs a checker on every example on the workers, before the first {@link #next()}: what is
   * wrong with it, or null; the result for the example last returned is {@link #check()}.
   *
   * @param checkers makes one checker per worker thread
   */
  void checkWith(Supplier<Function<Example, String>> checkers) {
    if (reader != null) {
      throw new IllegalStateException("checkWith after reading started");
    }
    this.checkers = ThreadLocal.withInitial(checkers);
  }

  /** A worker's fields buffer and encoder. */
  private record Encoding(ExampleFields fields, Function<ExampleFields, Object> encoder) {}

  /**
   * Hands each line's fields to an encoder on the workers instead of building its example,
   * before the first {@link #next()}: {@link #next()} then returns {@link FileFormat#ENCODED} for
   * a line with an example, and what the encoder made of it is {@link #encoded()} (the
   * {@link #checkWith check} does not run on such lines). Lines read ({@link #lines}), or
   * records of a {@link Staged} reader with {@link Staged#hasFields fields} (CSV: mapped on the
   * workers, {@link Staged#order ordered} in file order, their fields encoded on the workers).
   *
   * @param encoders makes one encoder per worker thread; an encoder may keep the fields only
   *     until it returns
   */
  void encodeWith(Supplier<Function<ExampleFields, Object>> encoders) {
    if (reader != null) {
      throw new IllegalStateException("encodeWith after reading started");
    }
    if (!encodes()) {
      throw new IllegalStateException("only a line format's or CSV's records are encoded from"
          + " fields");
    }
    this.encoders = ThreadLocal.withInitial(() -> new Encoding(new ExampleFields(),
        encoders.get()));
  }

  /**
   * Whether {@link #encodeWith} applies: this reader parses lines, or its reader is
   * {@link Staged} with {@link Staged#hasFields fields} (CSV).
   */
  boolean encodes() {
    return parses || (staged != null && staged.hasFields());
  }

  private void start() {
    AtomicInteger n = new AtomicInteger();
    workers = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "gradflow-parse-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    blocks = new ArrayBlockingQueue<>(2 * threads + 2);
    reader = new Thread(this::read, "gradflow-read");
    reader.setDaemon(true);
    reader.start();
  }

  /** The reading thread: blocks of records, each finished by a worker, queued in file order. */
  private void read() {
    try {
      while (true) {
        Block b = new Block(size, readerLines + 1, !parses, encoders != null);
        try {
          filler.fill(b);
        } catch (RuntimeException | Error e) {
          b.end = e;
        }
        b.last |= b.end != null;
        if (staged == null) {
          blocks.put(CompletableFuture.supplyAsync(() -> finish(b), workers));
        } else {
          // Mapped on a worker; completed after the block before it; checked on a worker.
          completed = CompletableFuture.supplyAsync(() -> map(b), workers)
              .thenCombine(completed, (mapped, before) -> complete(mapped));
          blocks.put(completed.thenApplyAsync(this::finish, workers));
        }
        if (b.last) {
          return;
        }
      }
    } catch (InterruptedException | RejectedExecutionException e) {
      // closed: nobody takes the blocks any more
    }
  }

  /** Lines of a {@link LineFormat}, as its serial reader reads them (and fails). */
  private void readLines(Utf8Lines in, Block b) {
    try {
      while (b.count < size) {
        String text = in.readLine();
        if (text == null) {
          b.last = true;
          return;
        }
        b.items[b.count++] = text;
        readerLines++;
      }
    } catch (CharacterCodingException e) {
      b.end = MalformedLineException.notUtf8(readerLines + 1, source);
    } catch (IOException e) {
      b.end = new UncheckedIOException(source + ": cannot read after line " + readerLines, e);
    }
  }

  /**
   * Records of a serial reader: each result ({@link Staged#lex} for a staged one), its line and
   * the lines read after it.
   */
  private static void readRecords(FileFormat.RecordReader serial, Staged staged, Block b) {
    while (b.count < b.items.length) {
      Object result;
      try {
        result = staged != null ? staged.lex() : serial.next();
      } catch (MalformedLineException e) {
        result = e;
      }
      if (result == null) {
        b.last = true;
        b.endLines = serial.lines();
        return;
      }
      b.items[b.count] = result;
      b.recordLines[b.count] = serial.recordLine();
      b.linesRead[b.count] = serial.lines();
      b.count++;
      if (result instanceof MalformedLineException m && m.endsInput()) {
        b.last = true;
        b.endLines = serial.lines();
        return;
      }
    }
  }

  /** Whether {@code item} of a staged block is a record still to map or complete. */
  private static boolean unfinished(Object item) {
    return !(item instanceof Example) && !(item instanceof Throwable);
  }

  /** A worker: each lexed record of a staged reader mapped, or what mapping it threw. */
  private Block map(Block b) {
    for (int i = 0; i < b.count; i++) {
      if (unfinished(b.items[i])) {
        try {
          b.items[i] = staged.map(b.items[i]);
        } catch (MalformedLineException | RuntimeException | Error t) {
          b.items[i] = t;
        }
      }
    }
    return b;
  }

  /**
   * In file order, block after block: each mapped record of a staged reader completed (when its
   * records are encoded from their fields, {@link Staged#order ordered} in place, for
   * {@link #finish}).
   */
  private Block complete(Block b) {
    boolean inPlace = encoders != null;
    for (int i = 0; i < b.count; i++) {
      if (unfinished(b.items[i])) {
        try {
          if (inPlace) {
            staged.order(b.items[i]);
          } else {
            b.items[i] = staged.complete(b.items[i]);
          }
        } catch (RuntimeException | Error t) {
          b.items[i] = t;
        }
      }
    }
    return b;
  }

  /** A worker: each line's example or what parsing it threw, and each example's check. */
  private Block finish(Block b) {
    Function<Example, String> checker = checkers == null ? null : checkers.get();
    Encoding encoding = encoders == null ? null : encoders.get();
    for (int i = 0; i < b.count; i++) {
      try {
        if (encoding != null && !parses) {
          // A staged record ordered in place: its fields on this worker.
          if (unfinished(b.items[i])) {
            staged.fields(b.items[i], encoding.fields());
            b.encoded[i] = encoding.encoder().apply(encoding.fields());
            b.items[i] = FileFormat.ENCODED;
          }
          continue;
        }
        if (encoding != null) {
          if (format.parse((String) b.items[i], b.firstLine + i, source, encoding.fields())) {
            b.encoded[i] = encoding.encoder().apply(encoding.fields());
            b.items[i] = FileFormat.ENCODED;
          } else {
            b.items[i] = FileFormat.NONE;
          }
          continue;
        }
        if (parses) {
          Example e = format.parse((String) b.items[i], b.firstLine + i, source);
          b.items[i] = e == null ? FileFormat.NONE : e;
        }
        if (checker != null && b.items[i] instanceof Example e && e != FileFormat.NONE) {
          b.checks[i] = checker.apply(e);
        }
      } catch (MalformedLineException | RuntimeException | Error t) {
        b.items[i] = t;
      }
    }
    return b;
  }

  @Override
  public Example next() throws MalformedLineException {
    while (true) {
      Block b = current;
      if (b != null && at < b.count) {
        Object result = b.items[at];
        b.items[at] = null;
        lastCheck = b.checks[at];
        if (b.encoded != null) {
          lastEncoded = b.encoded[at];
          b.encoded[at] = null;
        }
        if (parses) {
          line = b.firstLine + at;
          lines = line;
        } else {
          line = b.recordLines[at];
          lines = b.linesRead[at];
        }
        at++;
        if (result instanceof Example e) {
          return e;
        }
        throw rethrow((Throwable) result);
      }
      if (b != null && b.last) {
        if (!parses) {
          lines = Math.max(lines, b.endLines);
        }
        Throwable end = b.end;
        if (end != null) {
          b.end = null;
          throw rethrow(end);
        }
        return null;
      }
      current = take();
      at = 0;
    }
  }

  /** Throws {@code t} as it was thrown on the worker or the reader (a checked one is ours). */
  private static MalformedLineException rethrow(Throwable t) throws MalformedLineException {
    if (t instanceof MalformedLineException m) {
      throw m;
    } else if (t instanceof RuntimeException r) {
      throw r;
    } else if (t instanceof Error e) {
      throw e;
    }
    throw new IllegalStateException(t);
  }

  private Block take() {
    if (closed) {
      throw new IllegalStateException(source + " is closed");
    }
    if (reader == null) {
      start();
    }
    try {
      return blocks.take().join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading " + source, e);
    }
  }

  /** What the encoder made of the line last returned by {@link #next()}, or null. */
  Object encoded() {
    return lastEncoded;
  }

  /** What the checker said of the example last returned by {@link #next()}, or null. */
  String check() {
    return lastCheck;
  }

  @Override
  public long recordLine() {
    return line;
  }

  @Override
  public long lines() {
    return lines;
  }

  /** Stops the reading and parsing threads (the caller closes the input). */
  @Override
  public void close() {
    closed = true;
    if (reader != null) {
      reader.interrupt();
      workers.shutdownNow();
    }
  }
}
