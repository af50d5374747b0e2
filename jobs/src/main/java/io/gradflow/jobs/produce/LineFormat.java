package io.gradflow.jobs.produce;

import io.gradflow.jobs.kafka.ExampleFields;
import io.gradflow.schema.Example;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;

/**
 * A text format with one example per line (LibSVM, Vowpal Wabbit). Line ends are {@code \n},
 * {@code \r\n} or {@code \r}. {@link #parse} may run on several threads at once
 * ({@link ParallelRecords}): implementations are stateless apart from their settings, or keep
 * what they reuse per thread ({@link VwFormat}'s namespace strings), and a line's example never
 * depends on the lines parsed before it.
 */
public interface LineFormat extends FileFormat {
  /**
   * The example of a line, or null when the line carries none (a comment, a blank).
   *
   * @param source a name for ids ({@code file name}); example ids default to
   *     {@code source:lineNumber}
   */
  default Example parse(String line, long lineNumber, String source)
      throws MalformedLineException {
    ExampleFields fields = new ExampleFields();
    return parse(line, lineNumber, source, fields) ? fields.toExample() : null;
  }

  /**
   * The fields of a line's example into {@code into} ({@link ExampleFields#start started} anew),
   * or false when the line carries none: {@link #parse(String, long, String)} is
   * {@code into.toExample()} when this returns true. For writing the example's bytes
   * ({@code ExampleWriter}) without building it; same messages.
   */
  boolean parse(String line, long lineNumber, String source, ExampleFields into)
      throws MalformedLineException;

  @Override
  default RecordReader open(Reader in, String source) {
    BufferedReader reader = in instanceof BufferedReader b ? b : new BufferedReader(in);
    return lines(reader::readLine, source);
  }

  /** Reads the bytes in large blocks and decodes them a line at a time ({@link Utf8Lines}). */
  @Override
  default RecordReader open(InputStream in, String source) {
    return lines(new Utf8Lines(in)::readLine, source);
  }

  /**
   * Reads lines on a thread of its own and parses blocks of them on {@code workers} threads, in
   * file order ({@link ParallelRecords#lines}); with 0 workers,
   * {@link #open(InputStream, String)}.
   */
  @Override
  default RecordReader open(InputStream in, String source, int workers) {
    return workers < 1 ? open(in, source)
        : ParallelRecords.lines(this, new Utf8Lines(in), source, workers, ParallelRecords.BLOCK);
  }

  /** Where {@link #open} reads lines from: a {@link BufferedReader} or {@link Utf8Lines}. */
  @FunctionalInterface
  interface Lines {
    String readLine() throws IOException;
  }

  private RecordReader lines(Lines reader, String source) {
    return new RecordReader() {
      private long line;

      @Override
      public Example next() throws MalformedLineException {
        String text;
        try {
          text = reader.readLine();
        } catch (CharacterCodingException e) {
          throw MalformedLineException.notUtf8(line + 1, source);
        } catch (IOException e) {
          throw new UncheckedIOException(source + ": cannot read after line " + line, e);
        }
        if (text == null) {
          return null;
        }
        line++;
        Example e = parse(text, line, source);
        return e == null ? NONE : e;
      }

      @Override
      public long recordLine() {
        return line;
      }

      @Override
      public long lines() {
        return line;
      }
    };
  }
}
