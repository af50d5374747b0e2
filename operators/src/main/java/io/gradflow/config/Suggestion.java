package io.gradflow.config;

import java.util.Collection;
import java.util.Locale;
import org.apache.commons.text.similarity.LevenshteinDistance;

/**
 * The accepted name a mistyped one most likely meant, for "did you mean" in a message: the
 * nearest by Levenshtein's distance (commons-text's {@link LevenshteinDistance}; insertions,
 * deletions and substitutions of one character, any case), when it is at most two edits away and
 * fewer edits than the name has characters (so {@code xx} suggests no {@code lr}). Ties go to
 * the name given first. Messages put it as {@code "; did you mean NAME? "} before the list of
 * accepted names.
 *
 * <p>Stateless and thread-safe.
 */
public final class Suggestion {
  private static final int MAX_EDITS = 2;
  private static final LevenshteinDistance DISTANCE = new LevenshteinDistance(MAX_EDITS);

  private Suggestion() {}

  /** The name of {@code names} nearest {@code written}, or null when none is near enough. */
  public static String closest(String written, Collection<String> names) {
    String text = written.trim().toLowerCase(Locale.ROOT);
    String best = null;
    int bestDistance = MAX_EDITS + 1;
    for (String n : names) {
      int d = DISTANCE.apply(text, n.toLowerCase(Locale.ROOT));
      if (d >= 0 && d < bestDistance && d < n.length()) {
        best = n;
        bestDistance = d;
      }
    }
    return best;
  }
}
