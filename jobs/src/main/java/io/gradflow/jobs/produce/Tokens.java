package io.gradflow.jobs.produce;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits text lines into words as {@code line.split("\\s+")} does, without compiling a regular
 * expression for every call (what {@link String#split(String)} does for any pattern longer than
 * one character): the same words, in the same order, for every input.
 *
 * <p>Whitespace is Java's {@code \s}: space, tab, line feed, vertical tab (U+000B), form
 * feed and carriage return. As {@code String.split} with limit 0: a leading run of whitespace
 * gives an empty first word, trailing empty words are removed, an input without whitespace is one
 * word (the empty string gives {@code [""]}), an input of whitespace only gives no word.
 * Stateless.
 */
final class Tokens {
  private Tokens() {}

  /** The words of {@code s}, exactly {@code s.split("\\s+")}. */
  static String[] whitespace(String s) {
    int n = s.length();
    List<String> words = null;
    int start = 0;
    int i = 0;
    while (i < n) {
      if (isSpace(s.charAt(i))) {
        int end = i + 1;
        while (end < n && isSpace(s.charAt(end))) {
          end++;
        }
        if (words == null) {
          words = new ArrayList<>();
        }
        words.add(s.substring(start, i));
        start = end;
        i = end;
      } else {
        i++;
      }
    }
    if (words == null) {
      return new String[] {s};
    }
    words.add(s.substring(start, n));
    int size = words.size();
    while (size > 0 && words.get(size - 1).isEmpty()) {
      size--;
    }
    return words.subList(0, size).toArray(new String[0]);
  }

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
