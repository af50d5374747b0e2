package io.gradflow.jobs.produce;

import io.gradflow.jobs.kafka.ExampleFields;

/**
 * LibSVM / SVMlight lines: {@code <label> [qid:<n>] <index>:<value> ... [# comment]}. Each
 * {@code index:value} (an index of 0 or more; a negative one makes the line malformed) becomes a feature of namespace {@code namespace} with that (pre-hashed)
 * index. The label is kept as written, or mapped by a {@link LabelMapping} (LibSVM's -1/+1
 * classes: the threshold 0). Event times are {@code startMillis + (lineNumber - 1) *
 * intervalMillis}. Stateless apart from its settings.
 */
public final class LibSvmFormat implements LineFormat {
  private final String namespace;
  private final LabelMapping labels;
  private final String modelKey;
  private final long startMillis;
  private final long intervalMillis;

  public LibSvmFormat(String namespace, LabelMapping labels, String modelKey, long startMillis,
      long intervalMillis) {
    this.namespace = namespace;
    this.labels = labels;
    this.modelKey = modelKey;
    this.startMillis = startMillis;
    this.intervalMillis = intervalMillis;
  }

  /** Labels as written, or mapped to {0, 1} ({@code > 0} is 1) when {@code binaryLabels}. */
  public LibSvmFormat(String namespace, boolean binaryLabels, String modelKey, long startMillis,
      long intervalMillis) {
    this(namespace, binaryLabels ? LabelMapping.threshold(0) : LabelMapping.asWritten(), modelKey,
        startMillis, intervalMillis);
  }

  /**
   * Reads the line in place (indices into it, no word or number substrings), as this format read
   * {@code line.substring(0, line.indexOf('#')).trim().split("\\s+")} before: the same examples
   * and the same messages.
   */
  @Override
  public boolean parse(String line, long lineNumber, String source, ExampleFields into)
      throws MalformedLineException {
    int hash = line.indexOf('#');
    int end = hash >= 0 ? hash : line.length();
    int from = Tokens.trimStart(line, 0, end);
    end = Tokens.trimEnd(line, from, end);
    if (from == end) {
      return false;
    }
    int wordEnd = Tokens.wordEnd(line, from, end);
    float label = labels.apply(line.substring(from, wordEnd), lineNumber, "");
    into.start(source + ":" + lineNumber, startMillis + (lineNumber - 1) * intervalMillis,
        modelKey);
    into.label(label);
    for (int at = Tokens.skipSpace(line, wordEnd, end); at < end;
        at = Tokens.skipSpace(line, wordEnd, end)) {
      // The common word, digits (too few to overflow a long) then a colon and a value, in one
      // pass; anything else takes the general path below, which writes the messages.
      int colon = at;
      long fastIndex = 0;
      while (colon < end && colon - at < MAX_FAST_DIGITS) {
        char c = line.charAt(colon);
        if (c < '0' || c > '9') {
          break;
        }
        fastIndex = fastIndex * 10 + (c - '0');
        colon++;
      }
      if (colon > at && colon < end && line.charAt(colon) == ':') {
        wordEnd = Tokens.wordEnd(line, colon + 1, end);
        if (wordEnd > colon + 1) {
          float value = Numbers.parse(line, colon + 1, wordEnd, "value of feature ", at, colon,
              lineNumber);
          into.addIndexed(namespace, fastIndex, value);
          continue;
        }
      }
      wordEnd = Tokens.wordEnd(line, at, end);
      colon = Tokens.indexOf(line, ':', at, wordEnd);
      if (colon <= at || colon == wordEnd - 1) {
        throw new MalformedLineException(lineNumber, "expected index:value, but found '"
            + line.substring(at, wordEnd) + "'");
      }
      if (colon - at == 3 && line.startsWith("qid", at)) {
        continue;
      }
      long index;
      try {
        index = Long.parseLong(line, at, colon, 10);
      } catch (NumberFormatException e) {
        throw new MalformedLineException(lineNumber, "feature index '"
            + line.substring(at, colon) + "' is not an integer");
      }
      if (index < 0) {
        throw new MalformedLineException(lineNumber, "feature index '"
            + line.substring(at, colon) + "' is negative; LibSVM indices are 0 or more");
      }
      float value = Numbers.parse(line, colon + 1, wordEnd, "value of feature ", at, colon,
          lineNumber);
      into.addIndexed(namespace, index, value);
    }
    return true;
  }

  /** Digits of an index read in the one-pass path: 10^18 - 1 fits a long. */
  private static final int MAX_FAST_DIGITS = 18;
}
