package io.gradflow.jobs.produce;

import io.gradflow.jobs.kafka.ExampleFields;
import io.gradflow.schema.Example;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.commons.io.input.BOMInputStream;

/**
 * Reads examples from a text file in a {@link FileFormat}. A malformed record is either skipped
 * and recorded ({@link OnError#SKIP}; {@link #errors()} keeps the first 100 messages,
 * {@link #skipped()} counts all) or stops the replay ({@link OnError#FAIL}, a
 * {@link MalformedInputException} naming the line). A record after which nothing can be read (a
 * CSV quote never closed) stops the replay in both modes. The caller may also refuse an example
 * it was given ({@link #refuse}): it is counted and listed with the malformed lines.
 *
 * <p>A replay of bytes may read on a thread of its own and finish records on worker threads
 * ({@link #of(InputStream, FileFormat, String, OnError, int)}, {@link ParallelRecords}: a line
 * format parses there, CSV maps its columns there, and a {@link #checkWith check} of each
 * example runs there): the same examples, errors and lines in the same order as one thread.
 * Memory: the blocks read ahead, about 1 MB each. Not thread-safe (one consuming thread; the
 * workers are the replay's own).
 */
public final class FileReplay implements Iterator<Example>, AutoCloseable {

  public enum OnError { SKIP, FAIL }

  /** A malformed record in a {@link OnError#FAIL} replay, or one that ends the input. */
  public static final class MalformedInputException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    MalformedInputException(String message) {
      super(message, null, false, false);
    }
  }

  private static final int KEPT_ERRORS = 100;
  private final Closeable in;
  private final FileFormat.RecordReader reader;
  private final String source;
  private final OnError onError;
  private final List<String> errors = new ArrayList<>();
  private long skipped;
  private long blank;
  private long refused;
  private long line;
  private Example next;
  private long nextLine;
  private String nextCheck;
  private String check;
  private Object nextEncoded;
  private Object encoded;
  private Function<Example, String> serialCheck;
  private boolean done;
  /** The format read, for its {@link #notes}; null for a test's own reader. */
  private FileFormat format;

  /**
   * @throws IllegalArgumentException when the file cannot fit the format's settings (a CSV
   *     header without a mapped column)
   * @throws MalformedInputException when the first record already ends the input
   */
  public FileReplay(Reader in, FileFormat format, String source, OnError onError) {
    this(in, open(format, f -> f.open(in, source), source), source, onError);
    this.format = format;
  }

  /** A replay of what {@code reader} reads from {@code in} (tests give their own readers). */
  FileReplay(Closeable in, FileFormat.RecordReader reader, String source, OnError onError) {
    this.in = in;
    this.reader = reader;
    this.source = source;
    this.onError = onError;
  }

  /** How a format starts reading its input. */
  private interface Opening {
    FileFormat.RecordReader open(FileFormat format) throws MalformedLineException;
  }

  private static FileFormat.RecordReader open(FileFormat format, Opening opening, String source) {
    try {
      return opening.open(format);
    } catch (MalformedLineException e) {
      throw new MalformedInputException(source + ", " + e.getMessage());
    }
  }

  /**
   * A replay of UTF-8 bytes: a UTF-8 byte-order mark at the start (as spreadsheet programs write
   * it) is removed, for every format; bytes that are not UTF-8 end the replay with a
   * {@link MalformedInputException} that says how to convert the file.
   */
  public static FileReplay of(InputStream in, FileFormat format, String source, OnError onError) {
    return of(in, format, source, onError, 0);
  }

  /**
   * {@link #of(InputStream, FileFormat, String, OnError)} reading on a thread of its own and
   * finishing records on {@code workers} threads ({@link FileFormat#open(InputStream, String,
   * int)}), or all on the calling thread when {@code workers} is 0. For a file, not for input
   * that may pause (stdin): a block of records waits until it is full.
   */
  public static FileReplay of(InputStream in, FileFormat format, String source, OnError onError,
      int workers) {
    try {
      InputStream bytes = BOMInputStream.builder().setInputStream(in).get();
      // Bytes that are not UTF-8 stop the replay with a message; they are never replaced.
      FileReplay replay = new FileReplay(bytes,
          open(format, f -> f.open(bytes, source, workers), source), source, onError);
      replay.format = format;
      return replay;
    } catch (IOException e) {
      throw new UncheckedIOException(source + ": cannot read", e);
    }
  }

  @Override
  public boolean hasNext() {
    while (next == null && !done) {
      Example e;
      try {
        e = reader.next();
      } catch (MalformedLineException m) {
        if (m.endsInput()) {
          done = true;
          throw new MalformedInputException(source + ", " + m.getMessage());
        }
        if (onError == OnError.FAIL) {
          throw new MalformedInputException(source + ", " + m.getMessage());
        }
        skipped++;
        keep(source + ", " + m.getMessage());
        continue;
      }
      if (e == null) {
        done = true;
      } else if (e == FileFormat.NONE) {
        blank++;
      } else {
        next = e;
        nextLine = reader.recordLine();
        if (serialCheck != null) {
          nextCheck = serialCheck.apply(e);
        } else if (reader instanceof ParallelRecords p) {
          nextCheck = p.check();
          nextEncoded = p.encoded();
        }
      }
    }
    return next != null;
  }

  @Override
  public Example next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    Example e = next;
    next = null;
    line = nextLine;
    check = nextCheck;
    nextCheck = null;
    encoded = e == FileFormat.ENCODED ? nextEncoded : null;
    nextEncoded = null;
    return e;
  }

  /**
   * Checks every example before it is returned, on the parsing workers when there are any (one
   * checker per worker thread, from {@code checkers}), else on the calling thread; the result for
   * the example last returned is {@link #check()}. Before the first {@link #hasNext()} only.
   *
   * @param checkers makes a checker: what is wrong with an example, or null when nothing is;
   *     called once per thread, so a checker need not be thread-safe
   */
  public void checkWith(Supplier<Function<Example, String>> checkers) {
    if (reader instanceof ParallelRecords p) {
      p.checkWith(checkers);
    } else {
      serialCheck = checkers.get();
    }
  }

  /**
   * Hands each line's {@link ExampleFields} to an encoder on the parsing workers instead of
   * building its example, when this replay parses a {@link LineFormat} or maps CSV on workers
   * (a CSV record's fields once completed in file order); before the
   * first {@link #hasNext()} only. Then {@link #next()} returns {@link FileFormat#ENCODED} for
   * each line with an example, and {@link #encoded()} is what the encoder made of it.
   *
   * @param encoders makes an encoder (called once per worker thread, so an encoder need not be
   *     thread-safe); it may keep the fields it is given only until it returns
   * @return false, and nothing changes, when this replay has no workers: its examples are
   *     built as before
   */
  public boolean encodeWith(Supplier<Function<ExampleFields, Object>> encoders) {
    if (reader instanceof ParallelRecords p && p.encodes()) {
      p.encodeWith(encoders);
      return true;
    }
    return false;
  }

  /** What the encoder made of the line last returned by {@link #next()}, or null. */
  public Object encoded() {
    return encoded;
  }

  /** What the {@link #checkWith check} said of the example last returned, or null. */
  public String check() {
    return check;
  }

  /** The line the example last returned by {@link #next()} starts on. */
  public long line() {
    return line;
  }

  /**
   * Records that the example last returned was refused (it would be dead-lettered, or cannot be
   * keyed): counted in {@link #refused()} and listed in {@link #errors()} with its line.
   */
  public void refuse(String why) {
    refused++;
    keep(source + ", line " + line + ": " + why);
  }

  private void keep(String message) {
    if (errors.size() < KEPT_ERRORS) {
      errors.add(message);
    }
  }

  /** The format's notes on what was read ({@link FileFormat#notes}), to print once at the end. */
  public List<String> notes() {
    return format == null ? List.of() : format.notes();
  }

  /** Lines read so far. */
  public long lines() {
    return reader.lines();
  }

  /** Malformed records skipped. */
  public long skipped() {
    return skipped;
  }

  /**
   * Records read that carry no example and are no mistake: blank lines, LibSVM's {@code #}
   * comment lines, blank CSV records. For a line format, {@link #lines()} is the examples read
   * (returned, or the one {@link #hasNext()} holds) plus {@link #skipped()} plus this; a CSV
   * file's lines also count its header and the line breaks inside quoted cells.
   */
  public long blank() {
    return blank;
  }

  /** Examples refused by the caller. */
  public long refused() {
    return refused;
  }

  /**
   * Why a replay that gave no example gave none, for the last line of a command that needs one:
   * how many lines failed and the first one's message ({@code all 3,000 lines were malformed;
   * the first: line 2: label 'UA' is not a number; ...}); null when no line failed (the input
   * holds no record).
   */
  public String allFailed() {
    long failed = skipped + refused;
    if (failed == 0 || errors.isEmpty()) {
      return null;
    }
    String what = refused == 0 ? "malformed" : skipped == 0 ? "invalid" : "malformed or invalid";
    String first = errors.get(0);
    if (first.startsWith(source + ", ")) {
      first = first.substring(source.length() + 2);
    }
    return failed == 1 ? "its one line with a record was " + what + ": " + first
        : String.format(Locale.ROOT, "all %,d lines were %s; the first: %s", failed, what, first);
  }

  /** The first messages of skipped records and refused examples, each naming its line. */
  public List<String> errors() {
    return List.copyOf(errors);
  }

  /** Stops the parsing threads, if any, and closes the input. */
  @Override
  public void close() {
    if (reader instanceof ParallelRecords p) {
      p.close();
    }
    try {
      in.close();
    } catch (IOException e) {
      // only read from: nothing is lost
    }
  }
}
