package io.gradflow.jobs.produce;

import io.gradflow.schema.Example;
import java.io.Reader;

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
}
