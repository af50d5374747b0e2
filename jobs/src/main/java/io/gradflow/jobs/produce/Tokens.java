package io.gradflow.jobs.produce;

/**
 * Finds words in text lines as {@code line.split("\\s+")} splits them, by index, without
 * substrings or a regular expression (what {@link String#split(String)} compiles for any pattern
 * longer than one character): the words between {@link #skipSpace} and {@link #wordEnd} are the
 * non-empty words of {@code split("\\s+")}, in the same order, for every input.
 *
 * <p>Whitespace is Java's {@code \s}: space, tab, line feed, vertical tab (U+000B), form
 * feed and carriage return. Stateless.
 */
final class Tokens {
  private Tokens() {}

  /** Where the word starting at {@code from} ends: at whitespace ({@link #isSpace}) or end. */
  static int wordEnd(String s, int from, int end) {
    int i = from;
    while (i < end && !isSpace(s.charAt(i))) {
      i++;
    }
    return i;
  }

  /** Where the whitespace ({@link #isSpace}) from {@code from} on ends: a word or the end. */
  static int skipSpace(String s, int from, int end) {
    int i = from;
    while (i < end && isSpace(s.charAt(i))) {
      i++;
    }
    return i;
  }

  /**
   * Where {@code s.substring(from, end).trim()} starts: the first char after {@code from} above
   * U+0020 ({@link String#trim()}'s rule), or {@code end}.
   */
  static int trimStart(String s, int from, int end) {
    int i = from;
    while (i < end && s.charAt(i) <= ' ') {
      i++;
    }
    return i;
  }

  /** Where {@code s.substring(from, end).trim()} ends, as {@link #trimStart} for its start. */
  static int trimEnd(String s, int from, int end) {
    int i = end;
    while (i > from && s.charAt(i - 1) <= ' ') {
      i--;
    }
    return i;
  }

  /** The first {@code c} in {@code s} from {@code from} on, before {@code end}, or -1. */
  static int indexOf(String s, char c, int from, int end) {
    for (int i = from; i < end; i++) {
      if (s.charAt(i) == c) {
        return i;
      }
    }
    return -1;
  }

  /** Java regex's {@code \s} (without {@code UNICODE_CHARACTER_CLASS}). */
  static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r';
  }
}
