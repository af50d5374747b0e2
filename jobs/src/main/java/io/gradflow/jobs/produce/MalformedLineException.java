package io.gradflow.jobs.produce;

/** An input line that cannot be turned into an example; the message names the line and why. */
public final class MalformedLineException extends Exception {
  private static final long serialVersionUID = 1L;
  private final long lineNumber;

  public MalformedLineException(long lineNumber, String why) {
    super("line " + lineNumber + ": " + why, null, false, false);
    this.lineNumber = lineNumber;
  }

  public long lineNumber() {
    return lineNumber;
  }
}
