package io.gradflow.jobs.produce;

import io.gradflow.schema.Example;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Reads examples from a text file, one per line, in a {@link LineFormat}. A malformed line is
 * either skipped and recorded ({@link OnError#SKIP}; {@link #errors()} keeps the first 100
 * messages, {@link #skipped()} counts all) or stops the replay ({@link OnError#FAIL}, a
 * {@link MalformedInputException} naming the line). Not thread-safe.
 */
public final class FileReplay implements Iterator<Example> {

  public enum OnError { SKIP, FAIL }

  /** A malformed line in a {@link OnError#FAIL} replay. */
  public static final class MalformedInputException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    MalformedInputException(String source, MalformedLineException e) {
      super(source + ", " + e.getMessage(), e);
    }
  }

  private static final int KEPT_ERRORS = 100;
  private final BufferedReader reader;
  private final LineFormat format;
  private final String source;
  private final OnError onError;
  private final List<String> errors = new ArrayList<>();
  private long lineNumber;
  private long skipped;
  private Example next;
  private boolean done;

  public FileReplay(BufferedReader reader, LineFormat format, String source, OnError onError) {
    this.reader = reader;
    this.format = format;
    this.source = source;
    this.onError = onError;
  }

  @Override
  public boolean hasNext() {
    while (next == null && !done) {
      String line;
      try {
        line = reader.readLine();
      } catch (IOException e) {
        throw new UncheckedIOException(source + ": cannot read after line " + lineNumber, e);
      }
      if (line == null) {
        done = true;
        break;
      }
      lineNumber++;
      try {
        next = format.parse(line, lineNumber, source);
      } catch (MalformedLineException e) {
        if (onError == OnError.FAIL) {
          throw new MalformedInputException(source, e);
        }
        skipped++;
        if (errors.size() < KEPT_ERRORS) {
          errors.add(source + ", " + e.getMessage());
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
    return e;
  }

  /** Lines read so far. */
  public long lines() {
    return lineNumber;
  }

  /** Malformed lines skipped. */
  public long skipped() {
    return skipped;
  }

  /** The first messages of skipped lines, each naming its line. */
  public List<String> errors() {
    return List.copyOf(errors);
  }
}
