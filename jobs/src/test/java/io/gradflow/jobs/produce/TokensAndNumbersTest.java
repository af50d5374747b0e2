package io.gradflow.jobs.produce;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The file formats' hand-written scanners against the regular expressions they replace, on fixed
 * edge cases and on many random strings over an alphabet of the characters that matter (every
 * {@code \s} character, Unicode spaces that {@code \s} does not match, digits, signs, dots,
 * exponents, letters).
 */
class TokensAndNumbersTest {
  private static final String ALPHABET = " \t\n\u000B\f\r\u00A0\u2003\u0085"
      + "0123456789+-.eEabfinNIF:|'";

  @Test
  void tokensSplitExactlyAsStringSplitOnWhitespace() {
    for (String s : List.of("", " ", "   ", "a", " a", "a ", " a b  c ", "\ta\u000Bb\fc\r\nd",
        "a\u00A0b", "1 2:0.5 qid:3", "|ns a b", "a\u2003 b")) {
      assertEquals(nonEmptyWords(s), words(s), "'" + s + "'");
    }
    Random random = new Random(12);
    for (int i = 0; i < 200_000; i++) {
      String s = randomString(random, 12);
      assertEquals(nonEmptyWords(s), words(s), "'" + s + "'");
    }
  }

  @Test
  void decimalsAreRecognizedExactlyAsThePatternDoes() {
    for (String s : List.of("", "+", "-", ".", "1", "-1", "+1.", ".5", "-.5", "1e5", "1E-5",
        "1.5e+10", "e5", ".e5", "1e", "1e+", "1.2.3", "1f", "0x10", "Infinity", "NaN", "١")) {
      assertEquals(Numbers.matchesDecimalPattern(s), Numbers.isDecimal(s), "'" + s + "'");
    }
    Random random = new Random(13);
    int decimals = 0;
    for (int i = 0; i < 500_000; i++) {
      String s = randomString(random, 6);
      boolean expected = Numbers.matchesDecimalPattern(s);
      assertEquals(expected, Numbers.isDecimal(s), "'" + s + "'");
      decimals += expected ? 1 : 0;
    }
    assertEquals(true, decimals > 1_000, decimals + " decimals among the random strings");
  }

  /** The words of {@code s} between {@link Tokens#skipSpace} and {@link Tokens#wordEnd}. */
  private static List<String> words(String s) {
    List<String> words = new ArrayList<>();
    for (int at = Tokens.skipSpace(s, 0, s.length()); at < s.length();
        at = Tokens.skipSpace(s, at, s.length())) {
      int end = Tokens.wordEnd(s, at, s.length());
      words.add(s.substring(at, end));
      at = end;
    }
    return words;
  }

  private static List<String> nonEmptyWords(String s) {
    return Arrays.stream(s.split("\\s+")).filter(w -> !w.isEmpty()).toList();
  }

  private static String randomString(Random random, int maxLength) {
    return randomString(random, maxLength, ALPHABET);
  }

  /** A random string over {@code alphabet} and digits (more often, so many are numbers). */
  static String randomString(Random random, int maxLength, String alphabet) {
    int length = random.nextInt(maxLength + 1);
    StringBuilder s = new StringBuilder(length);
    for (int j = 0; j < length; j++) {
      // Digits more often, so that many strings are numbers.
      s.append(random.nextInt(3) == 0 ? (char) ('0' + random.nextInt(10))
          : alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return s.toString();
  }
}
