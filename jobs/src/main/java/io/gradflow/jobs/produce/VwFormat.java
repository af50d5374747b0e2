package io.gradflow.jobs.produce;

import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Vowpal Wabbit's text format, read as VW reads it:
 * {@code [label [importance]] [tag]|namespace[:scale] feature[:value] ... |namespace ...}.
 * <ul>
 *   <li>The tag is the last word before the first bar when it starts with a quote
 *       ({@code 'row7 |ns a}) or touches the bar ({@code row7|ns a}); without its quote it becomes
 *       the example id (else {@code source:lineNumber}).
 *   <li>The importance becomes the example's weight; 0 is kept (VW's "score, do not learn").
 *   <li>A namespace's scale ({@code |ns:0.5}) multiplies its features' values. Features of the
 *       default namespace ({@code "| f"}, a space after the bar) get namespace {@code default}.
 *   <li>A feature value that is not a number ({@code city:paris}) is a string value: VW hashes
 *       name and value together into one feature of value 1; here that feature is named
 *       {@code city=paris} (then scaled by the namespace's scale, as every value).
 * </ul>
 * An unlabeled line gives an example without label. Labels are kept as written, or mapped by a
 * {@link LabelMapping} (VW's logistic labels are -1/+1: the threshold 0). Event times are
 * {@code startMillis + (lineNumber - 1) * intervalMillis}. Stateless apart from its settings.
 */
public final class VwFormat implements LineFormat {
  private final LabelMapping labels;
  private final String modelKey;
  private final long startMillis;
  private final long intervalMillis;

  public VwFormat(LabelMapping labels, String modelKey, long startMillis, long intervalMillis) {
    this.labels = labels;
    this.modelKey = modelKey;
    this.startMillis = startMillis;
    this.intervalMillis = intervalMillis;
  }

  /** Labels as written, or mapped to {0, 1} ({@code > 0} is 1) when {@code binaryLabels}. */
  public VwFormat(boolean binaryLabels, String modelKey, long startMillis, long intervalMillis) {
    this(binaryLabels ? LabelMapping.threshold(0) : LabelMapping.asWritten(), modelKey,
        startMillis, intervalMillis);
  }

  @Override
  public Example parse(String line, long lineNumber, String source)
      throws MalformedLineException {
    if (line.isBlank()) {
      return null;
    }
    int bar = line.indexOf('|');
    if (bar < 0) {
      throw new MalformedLineException(lineNumber, "no '|' namespace: a VW example is"
          + " [label [importance]] ['tag]|namespace features");
    }
    String head = line.substring(0, bar);
    List<String> words = new ArrayList<>(List.of(Tokens.whitespace(head.trim())));
    words.removeIf(String::isEmpty);
    String id = source + ":" + lineNumber;
    boolean touching = bar > 0 && !Character.isWhitespace(head.charAt(bar - 1));
    if (!words.isEmpty() && (touching || words.get(words.size() - 1).startsWith("'"))) {
      String tag = words.remove(words.size() - 1);
      tag = tag.startsWith("'") ? tag.substring(1) : tag;
      if (!tag.isEmpty()) {
        id = tag;
      }
    }
    Float label = null;
    float weight = 1f;
    if (!words.isEmpty()) {
      label = labels.apply(words.get(0), lineNumber, "");
    }
    if (words.size() > 1) {
      weight = Numbers.parse(words.get(1), "importance", lineNumber);
      if (weight < 0) {
        throw new MalformedLineException(lineNumber, "importance " + words.get(1)
            + " is negative");
      }
    }
    if (words.size() > 2) {
      throw new MalformedLineException(lineNumber, "unexpected '" + words.get(2)
          + "' before the first '|' (after label and importance only a tag may follow; VW's"
          + " initial prediction is not supported)");
    }
    List<Feature> features = new ArrayList<>();
    for (String section : line.substring(bar + 1).split("\\|", -1)) {
      String namespace = "default";
      float scale = 1f;
      String[] tokens = Tokens.whitespace(section);
      int start = 0;
      if (!section.isEmpty() && !Character.isWhitespace(section.charAt(0))) {
        String ns = tokens[0];
        int colon = ns.indexOf(':');
        if (colon >= 0) {
          scale = Numbers.parse(ns.substring(colon + 1), "scale of namespace "
              + ns.substring(0, colon), lineNumber);
          ns = ns.substring(0, colon);
        }
        namespace = ns;
        start = 1;
      }
      for (int i = start; i < tokens.length; i++) {
        String tok = tokens[i];
        if (tok.isEmpty()) {
          continue;
        }
        int colon = tok.lastIndexOf(':');
        if (colon == 0 || colon == tok.length() - 1) {
          throw new MalformedLineException(lineNumber, "expected feature[:value], but found '"
              + tok + "'");
        }
        if (colon < 0) {
          features.add(new Feature(namespace, tok, null, scale));
          continue;
        }
        String name = tok.substring(0, colon);
        String value = tok.substring(colon + 1);
        if (Numbers.isDecimal(value) || Numbers.isNotFinite(value)) {
          features.add(new Feature(namespace, name, null,
              Numbers.parse(value, "value of feature ", name, lineNumber) * scale));
        } else {
          features.add(new Feature(namespace, name + "=" + value, null, scale));
        }
      }
    }
    // The all-fields constructor (no entities, no dense values): the builder deep-copies the
    // schema's defaults at each build.
    return new Example(id, Instant.ofEpochMilli(startMillis + (lineNumber - 1) * intervalMillis),
        modelKey, List.of(), features, List.of(), label, weight);
  }
}
