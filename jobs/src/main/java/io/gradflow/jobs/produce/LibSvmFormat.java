package io.gradflow.jobs.produce;

import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * LibSVM / SVMlight lines: {@code <label> [qid:<n>] <index>:<value> ... [# comment]}. Each
 * {@code index:value} becomes a feature of namespace {@code namespace} with that (pre-hashed)
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

  @Override
  public Example parse(String line, long lineNumber, String source)
      throws MalformedLineException {
    int hash = line.indexOf('#');
    String body = (hash >= 0 ? line.substring(0, hash) : line).trim();
    if (body.isEmpty()) {
      return null;
    }
    String[] tokens = Tokens.whitespace(body);
    float label = labels.apply(tokens[0], lineNumber, "");
    List<Feature> features = new ArrayList<>(tokens.length - 1);
    for (int i = 1; i < tokens.length; i++) {
      String tok = tokens[i];
      int colon = tok.indexOf(':');
      if (colon <= 0 || colon == tok.length() - 1) {
        throw new MalformedLineException(lineNumber, "expected index:value, but found '" + tok
            + "'");
      }
      String idx = tok.substring(0, colon);
      if (idx.equals("qid")) {
        continue;
      }
      long index;
      try {
        index = Long.parseLong(idx);
      } catch (NumberFormatException e) {
        throw new MalformedLineException(lineNumber, "feature index '" + idx
            + "' is not an integer");
      }
      features.add(new Feature(namespace, null, index,
          Numbers.parse(tok.substring(colon + 1), "value of feature ", idx, lineNumber)));
    }
    // The all-fields constructor (no entities, no dense values, weight 1): the builder
    // deep-copies the schema's defaults at each build.
    return new Example(source + ":" + lineNumber,
        Instant.ofEpochMilli(startMillis + (lineNumber - 1) * intervalMillis), modelKey,
        List.of(), features, List.of(), label, 1f);
  }
}
