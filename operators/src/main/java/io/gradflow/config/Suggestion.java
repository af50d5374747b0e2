package io.gradflow.config;

import java.util.Collection;
import java.util.Locale;
import org.apache.commons.text.similarity.LevenshteinDistance;

/**
 * The accepted name a mistyped one most likely meant, for "did you mean" in a message: the
 * nearest by Levenshtein's distance (commons-text's {@link LevenshteinDistance}; insertions,
 * deletions and substitutions of one character, any case), when it is at most two edits away (one
 * when either name is shorter than five characters, so {@code log} suggests no {@code job}) and
 * fewer edits than either name has characters (so {@code xx} suggests no {@code lr}). Ties go to
 * the name given first. Messages put it as {@code "; did you mean NAME? "} before the list of
 * accepted names.
 *
 * <p>Stateless and thread-safe.
 */
public final class Suggestion {
  private static final int MAX_EDITS = 2;
  /** Names shorter than this (the typed one or the accepted one) get one edit, not two. */
  private static final int SHORT = 5;
  /** Values shorter than this get one edit ({@link #closestValue}). */
  private static final int SHORT_VALUE = 8;
  private static final LevenshteinDistance DISTANCE = new LevenshteinDistance(MAX_EDITS);

  private Suggestion() {}

  /** The name of {@code names} nearest {@code written}, or null when none is near enough. */
  public static String closest(String written, Collection<String> names) {
    return closest(written, names, SHORT);
  }

  /**
   * The value of {@code values} (a choice setting's: {@code factorization_machine}, {@code
   * Adam}) nearest {@code written}, as {@link #closest} but with one edit only below eight
   * letters: values are a few words that differ by little ({@code Adamax} is PyTorch's, not a
   * misspelt {@code AdamW}), so a suggestion of two edits would mislead more often than a key's.
   */
  public static String closestValue(String written, Collection<String> values) {
    return closest(written, values, SHORT_VALUE);
  }

  private static String closest(String written, Collection<String> names, int shortBelow) {
    String text = written.trim().toLowerCase(Locale.ROOT);
    String best = null;
    int bestDistance = MAX_EDITS + 1;
    for (String n : names) {
      int d = DISTANCE.apply(text, n.toLowerCase(Locale.ROOT));
      // Short names are one edit from many others (log, job, lr): one edit only below 5 letters.
      int allowed = Math.min(text.length(), n.length()) < shortBelow ? 1 : MAX_EDITS;
      if (d >= 0 && d <= allowed && d < bestDistance && d < n.length() && d < text.length()) {
        best = n;
        bestDistance = d;
      }
    }
    return best;
  }
}
