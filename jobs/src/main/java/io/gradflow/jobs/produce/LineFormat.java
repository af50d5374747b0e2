package io.gradflow.jobs.produce;

import io.gradflow.schema.Example;

/**
 * A text format with one example per line (CSV, LibSVM, Vowpal Wabbit). Implementations are
 * stateful only where the format needs it (a CSV header); not thread-safe.
 */
public interface LineFormat {
  /**
   * The example of a line, or null when the line carries none (a header, a comment, a blank).
   *
   * @param source a name for ids ({@code file name}); example ids default to
   *     {@code source:lineNumber}
   */
  Example parse(String line, long lineNumber, String source) throws MalformedLineException;

  /** Maps labels {@code <= 0} to 0 and {@code > 0} to 1 (LibSVM's and VW's -1/+1 classes). */
  static float binary(float label) {
    return label > 0 ? 1f : 0f;
  }
}
