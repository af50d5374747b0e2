package io.gradflow.jobs.produce;

import io.gradflow.schema.Example;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A text file format of examples: CSV ({@link CsvFormat}, whose records may span lines) or a
 * format with one example per line ({@link LineFormat}: LibSVM, Vowpal Wabbit).
 */
public interface FileFormat {
  /**
   * Starts reading {@code in} (the caller has removed any byte-order mark).
   *
   * @param source a name for messages and example ids ({@code in.csv}, {@code stdin})
   * @throws IllegalArgumentException when the file cannot fit the format's settings at all (a CSV
   *     header without a mapped column); the message says what to change
   */
  RecordReader open(Reader in, String source) throws MalformedLineException;

  /**
   * Starts reading the UTF-8 bytes {@code in} (the caller has removed any byte-order mark); bytes
   * that are not UTF-8 are a {@link MalformedLineException} that ends the input, never replaced.
   * By default a strict decoder's {@link #open(Reader, String)}.
   *
   * @see #open(Reader, String)
   */
  default RecordReader open(InputStream in, String source) throws MalformedLineException {
    CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    return open(new InputStreamReader(in, utf8), source);
  }

  /**
   * {@link #open(InputStream, String)} read on a thread of its own, its examples checked on
   * {@code workers} threads, in file order ({@link ParallelRecords#records}); with 0 workers,
   * on the calling thread. A {@link LineFormat} also parses on the workers, and CSV maps its
   * columns there ({@link ParallelRecords.Staged}).
   */
  default RecordReader open(InputStream in, String source, int workers)
      throws MalformedLineException {
    RecordReader serial = open(in, source);
    return workers < 1 ? serial
        : ParallelRecords.records(serial, source, workers, ParallelRecords.BLOCK);
  }

  /**
   * Notes on what was read so far that the command prints once, after reading (ids written as
   * floats, {@link CsvFormat#notes}); empty by default.
   */
  default List<String> notes() {
    return List.of();
  }

  /** Reads records one at a time. Not thread-safe. */
  interface RecordReader {
    /**
     * Reads the next record.
     *
     * @return the record's example, {@link #NONE} for a record without one (a blank line, a
     *     comment), or null at the end of the input
     * @throws MalformedLineException for a record that is no example; reading can go on after it
     *     unless {@link MalformedLineException#endsInput()}
     */
    Example next() throws MalformedLineException;

    /** The line the last record read starts on (1-based). */
    long recordLine();

    /** Lines read so far. */
    long lines();
  }

  /** Returned by {@link RecordReader#next()} for a record that carries no example. */
  Example NONE = new Example();

  /**
   * Returned by a replay that writes its examples' bytes itself ({@link FileReplay#encodeWith})
   * for a record whose example was handed to the encoder instead of being built: what the
   * encoder made of it is {@link FileReplay#encoded()}.
   */
  Example ENCODED = new Example();
}
