package io.gradflow.jobs.produce;

import java.util.List;
import java.util.Set;

/**
 * How a file's label text becomes an example's label: the number as written, or a mapping to the
 * binary labels {0, 1} that a logistic loss needs: a threshold ({@code label > x} is 1, else 0;
 * LibSVM's and VW's -1/+1 classes are the threshold 0) or a set of text values that are the
 * positive class ({@code good}: 1, anything else: 0). Immutable and thread-safe.
 */
public final class LabelMapping {
  private enum Kind { AS_WRITTEN, THRESHOLD, POSITIVE }

  private static final LabelMapping AS_WRITTEN = new LabelMapping(Kind.AS_WRITTEN, 0, Set.of());
  private final Kind kind;
  private final double threshold;
  private final Set<String> positives;

  private LabelMapping(Kind kind, double threshold, Set<String> positives) {
    this.kind = kind;
    this.threshold = threshold;
    this.positives = positives;
  }

  /** Labels are numbers, kept as written. */
  public static LabelMapping asWritten() {
    return AS_WRITTEN;
  }

  /** A numeric label {@code > x} becomes 1, any other 0. */
  public static LabelMapping threshold(double x) {
    if (!Double.isFinite(x)) {
      throw new IllegalArgumentException("a label threshold must be finite, but was " + x);
    }
    return new LabelMapping(Kind.THRESHOLD, x, Set.of());
  }

  /** A label whose text (trimmed) is one of {@code values} becomes 1, any other 0. */
  public static LabelMapping positive(List<String> values) {
    if (values.isEmpty()) {
      throw new IllegalArgumentException("the positive label values are empty");
    }
    return new LabelMapping(Kind.POSITIVE, 0, Set.copyOf(values));
  }

  /**
   * The label written as {@code text} (trimmed, not missing).
   *
   * @param textHint appended to the message when a label is text but must be a number (the way
   *     to map text labels), or empty
   */
  public float apply(String text, long lineNumber, String textHint) throws MalformedLineException {
    if (kind == Kind.POSITIVE) {
      return positives.contains(text) ? 1f : 0f;
    }
    float y;
    try {
      y = Numbers.parse(text, "label", lineNumber);
    } catch (MalformedLineException e) {
      if (textHint.isEmpty() || Numbers.isNotFinite(text) || Numbers.isDecimal(text)) {
        throw e; // a decimal too large for a float is a number: its own message, not the hint
      }
      throw new MalformedLineException(lineNumber, "label '" + text + "' is not a number; "
          + textHint);
    }
    return kind == Kind.THRESHOLD ? (y > threshold ? 1f : 0f) : y;
  }

  /** Whether labels are mapped to {0, 1}. */
  public boolean binary() {
    return kind != Kind.AS_WRITTEN;
  }

  /** The rule in words, for the summary: {@code "label > 0 is 1, else 0"}. */
  @Override
  public String toString() {
    return switch (kind) {
      case AS_WRITTEN -> "labels as written";
      case THRESHOLD -> "label > " + threshold + " is 1, else 0";
      case POSITIVE -> "label in " + positives.stream().sorted().toList() + " is 1, else 0";
    };
  }
}
