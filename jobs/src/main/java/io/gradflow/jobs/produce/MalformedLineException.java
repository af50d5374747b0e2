package io.gradflow.jobs.produce;

/**
 * An input record that cannot be turned into an example; the message names the line (where the
 * record starts) and why. {@link #endsInput()} when nothing after it can be read (a CSV quote
 * that is never closed).
 */
public final class MalformedLineException extends Exception {
  private static final long serialVersionUID = 1L;
  private final long lineNumber;
  private final boolean endsInput;

  public MalformedLineException(long lineNumber, String why) {
    this(lineNumber, why, false);
  }

  public MalformedLineException(long lineNumber, String why, boolean endsInput) {
    super("line " + lineNumber + ": " + why, null, false, false);
    this.lineNumber = lineNumber;
    this.endsInput = endsInput;
  }

  public long lineNumber() {
    return lineNumber;
  }

  /** Whether the input cannot be read past this record. */
  public boolean endsInput() {
    return endsInput;
  }

  /** Bytes that are not UTF-8, found while reading the record starting on {@code lineNumber}. */
  static MalformedLineException notUtf8(long lineNumber, String source) {
    String convert = source.equals("stdin") ? "iconv -f ISO-8859-1 -t UTF-8"
        : "iconv -f ISO-8859-1 -t UTF-8 " + source + " > "
            + source.replaceFirst("(\\.[^.]*)?$", ".utf8$1");
    return new MalformedLineException(lineNumber, "bytes that are not UTF-8 at or after this line;"
        + " convert the file, for example with " + convert, true);
  }
}
