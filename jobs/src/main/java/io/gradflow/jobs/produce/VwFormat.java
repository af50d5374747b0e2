package io.gradflow.jobs.produce;

import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Vowpal Wabbit's text format: {@code [label [importance]] ['tag]|namespace[:scale] feature[:value]
 * ... |namespace ...}. A namespace's scale multiplies its features' values; features of the
 * default namespace ({@code "| f"}, with a space after the bar) get namespace {@code default}. The
 * tag (without its quote) becomes the example id, else {@code source:lineNumber}. The importance
 * becomes the example's weight. An unlabeled line gives an example without label. Labels are kept
 * as written, or mapped to {0, 1} when {@code binaryLabels} (VW's logistic labels are -1/+1).
 */
public final class VwFormat implements LineFormat {
  private final boolean binaryLabels;
  private final String modelKey;
  private final long startMillis;
  private final long intervalMillis;

  public VwFormat(boolean binaryLabels, String modelKey, long startMillis, long intervalMillis) {
    this.binaryLabels = binaryLabels;
    this.modelKey = modelKey;
    this.startMillis = startMillis;
    this.intervalMillis = intervalMillis;
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
    String[] header = line.substring(0, bar).trim().split("\\s+");
    Float label = null;
    float weight = 1f;
    String id = source + ":" + lineNumber;
    int h = 0;
    if (h < header.length && !header[h].isEmpty() && !header[h].startsWith("'")) {
      float l = LibSvmFormat.number(header[h++], "label", lineNumber);
      label = binaryLabels ? LineFormat.binary(l) : l;
      if (h < header.length && !header[h].startsWith("'")) {
        weight = LibSvmFormat.number(header[h++], "importance", lineNumber);
        if (weight < 0) {
          throw new MalformedLineException(lineNumber, "importance " + weight + " is negative");
        }
      }
    }
    if (h < header.length && header[h].startsWith("'")) {
      if (header[h].length() > 1) {
        id = header[h].substring(1);
      }
      h++;
    }
    if (h < header.length && !header[h].isEmpty()) {
      throw new MalformedLineException(lineNumber, "unexpected '" + header[h]
          + "' before the first '|'");
    }
    List<Feature> features = new ArrayList<>();
    for (String section : line.substring(bar + 1).split("\\|", -1)) {
      String namespace = "default";
      float scale = 1f;
      String[] tokens = section.split("\\s+");
      int start = 0;
      if (!section.isEmpty() && !Character.isWhitespace(section.charAt(0))) {
        String ns = tokens[0];
        int colon = ns.indexOf(':');
        if (colon >= 0) {
          scale = LibSvmFormat.number(ns.substring(colon + 1), "scale of namespace "
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
        String name = tok;
        float value = 1f;
        if (colon == 0 || colon == tok.length() - 1) {
          throw new MalformedLineException(lineNumber, "expected feature[:value], but found '"
              + tok + "'");
        }
        if (colon > 0) {
          name = tok.substring(0, colon);
          value = LibSvmFormat.number(tok.substring(colon + 1), "value of feature " + name,
              lineNumber);
        }
        features.add(new Feature(namespace, name, null, value * scale));
      }
    }
    return Example.newBuilder().setExampleId(id)
        .setEventTime(Instant.ofEpochMilli(startMillis + (lineNumber - 1) * intervalMillis))
        .setModelKey(modelKey).setFeatures(features).setLabel(label).setWeight(weight).build();
  }
}
