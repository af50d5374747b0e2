package io.gradflow.jobs.produce;

import io.gradflow.jobs.kafka.ExampleFields;
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
 * {@code startMillis + (lineNumber - 1) * intervalMillis}.
 *
 * <p>Memory and thread-safety: apart from its settings, a cache per parsing thread of the
 * namespaces last read at each of a line's first {@value #CACHED_SECTIONS} sections (an array of
 * that many strings per thread). A line whose namespace at a position is the one read there
 * before gets that same string object, so the hash code it caches ({@code String.hashCode}, the
 * key of {@code FeatureHashing}'s namespace seed table) is computed once, not for every line;
 * the examples are the same (equal namespaces) with or without it. {@link #parse} may run on
 * several threads at once.
 */
public final class VwFormat implements LineFormat {
  private final LabelMapping labels;
  private final String modelKey;
  private final long startMillis;
  private final long intervalMillis;
  /**
   * Per parsing thread: at index {@code k}, the namespace last read at the {@code k}-th section
   * of a line (null before one was): a file's lines mostly repeat their namespaces in the same
   * order, section for section.
   */
  private final ThreadLocal<String[]> namespaces =
      ThreadLocal.withInitial(() -> new String[CACHED_SECTIONS]);

  /** Sections of a line whose namespace strings are reused from line to line. */
  static final int CACHED_SECTIONS = 64;

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

  /**
   * Reads the line in place (indices into it, substrings only for the names and ids an example
   * keeps), as this format read the words of {@code line.split("\\|")} before: the same
   * examples and the same messages.
   */
  @Override
  public boolean parse(String line, long lineNumber, String source, ExampleFields into)
      throws MalformedLineException {
    if (line.isBlank()) {
      return false;
    }
    int bar = line.indexOf('|');
    if (bar < 0) {
      throw new MalformedLineException(lineNumber, "no '|' namespace: a VW example is"
          + " [label [importance]] ['tag]|namespace features");
    }
    List<String> words = head(line, bar);
    String id = null;
    boolean touching = bar > 0 && !Character.isWhitespace(line.charAt(bar - 1));
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
    into.start(id != null ? id : source + ":" + lineNumber,
        startMillis + (lineNumber - 1) * intervalMillis, modelKey);
    if (label != null) {
      into.label(label);
    }
    into.weight(weight);
    String[] lastNamespaces = namespaces.get();
    int from = bar + 1;
    for (int k = 0; ; k++) {
      int next = line.indexOf('|', from);
      int end = next < 0 ? line.length() : next;
      section(line, from, end, lineNumber, into, lastNamespaces, k);
      if (next < 0) {
        break;
      }
      from = next + 1;
    }
    return true;
  }

  /** The words before the first bar: {@code line.substring(0, bar).trim()} split at spaces. */
  private static List<String> head(String line, int bar) {
    int from = Tokens.trimStart(line, 0, bar);
    int end = Tokens.trimEnd(line, from, bar);
    List<String> words = new ArrayList<>(3);
    for (int at = from; at < end; at = Tokens.skipSpace(line, at, end)) {
      int wordEnd = Tokens.wordEnd(line, at, end);
      words.add(line.substring(at, wordEnd));
      at = wordEnd;
    }
    return words;
  }

  /**
   * Adds the features of the section {@code line.substring(from, end)} between two bars: a
   * namespace (unless the section starts with whitespace) and its features. The section is the
   * {@code k}-th of its line ({@link #cachedNamespace}).
   */
  private static void section(String line, int from, int end, long lineNumber,
      ExampleFields features, String[] lastNamespaces, int k) throws MalformedLineException {
    String namespace = "default";
    float scale = 1f;
    int at = from;
    if (from < end && !Character.isWhitespace(line.charAt(from))) {
      int nsEnd = Tokens.wordEnd(line, from, end);
      int colon = Tokens.indexOf(line, ':', from, nsEnd);
      if (colon >= 0) {
        namespace = cachedNamespace(line, from, colon, lastNamespaces, k);
        scale = Numbers.parse(line, colon + 1, nsEnd, "scale of namespace ", from, colon,
            lineNumber);
      } else {
        namespace = cachedNamespace(line, from, nsEnd, lastNamespaces, k);
      }
      at = nsEnd;
    }
    for (at = Tokens.skipSpace(line, at, end); at < end; at = Tokens.skipSpace(line, at, end)) {
      int wordEnd = Tokens.wordEnd(line, at, end);
      int colon = wordEnd - 1; // the last colon of the word, or at - 1
      while (colon >= at && line.charAt(colon) != ':') {
        colon--;
      }
      if (colon == at || colon == wordEnd - 1) {
        throw new MalformedLineException(lineNumber, "expected feature[:value], but found '"
            + line.substring(at, wordEnd) + "'");
      }
      if (colon < at) {
        features.addNamed(namespace, line.substring(at, wordEnd), scale);
      } else {
        float value = Numbers.exactFloat(line, colon + 1, wordEnd);
        String name = line.substring(at, colon);
        if (!Float.isNaN(value)) {
          features.addNamed(namespace, name, value * scale);
        } else {
          String text = line.substring(colon + 1, wordEnd);
          if (Numbers.isDecimal(text) || Numbers.isNotFinite(text)) {
            features.addNamed(namespace, name,
                Numbers.parseSlowly(text, "value of feature ", name, lineNumber) * scale);
          } else {
            features.addNamed(namespace, name + "=" + text, scale);
          }
        }
      }
      at = wordEnd;
    }
  }

  /**
   * {@code line.substring(from, end)}, the namespace of the {@code k}-th section: the string
   * last read there ({@code lastNamespaces[k]}) when its chars are the same, else a new one,
   * which is kept there for the next line.
   */
  private static String cachedNamespace(String line, int from, int end, String[] lastNamespaces,
      int k) {
    if (k >= lastNamespaces.length) {
      return line.substring(from, end);
    }
    String last = lastNamespaces[k];
    int length = end - from;
    if (last != null && last.length() == length && line.regionMatches(from, last, 0, length)) {
      return last;
    }
    String namespace = line.substring(from, end);
    lastNamespaces[k] = namespace;
    return namespace;
  }
}
