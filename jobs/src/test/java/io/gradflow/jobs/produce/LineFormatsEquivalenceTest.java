package io.gradflow.jobs.produce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The in-place scanners of the line formats, {@link Numbers#exactFloat} and {@link Utf8Lines}
 * against what they replaced: the LibSVM and VW parsers as they were before (kept here verbatim
 * as references, on {@code split("\\s+")} and {@link Float#parseFloat}), {@code parseFloat} and
 * {@link BufferedReader#readLine()} over a strict UTF-8 reader. Random lines over an alphabet of
 * the characters that matter must give equal examples, or the same message for a malformed line.
 */
class LineFormatsEquivalenceTest {
  private static final String ALPHABET = " \t\u000B\f\u00A0\u2003\u2028\u0001\u00e9"
      + "0123456789+-.eE:|#'qidaNnfI";

  @Test
  void libSvmLinesParseAsBefore() {
    LibSvmFormat format = new LibSvmFormat("ns", LabelMapping.asWritten(), "m", 1000, 10);
    assertParsesAsBefore(21, format, LineFormatsEquivalenceTest::libSvmLike,
        LineFormatsEquivalenceTest::referenceLibSvm);
  }

  @Test
  void vwLinesParseAsBefore() {
    VwFormat format = new VwFormat(LabelMapping.asWritten(), "m", 1000, 10);
    assertParsesAsBefore(22, format, LineFormatsEquivalenceTest::vwLike,
        LineFormatsEquivalenceTest::referenceVw);
  }

  private interface Reference {
    Example parse(String line, long lineNumber, String source) throws MalformedLineException;
  }

  /** Random lines, a quarter of them noise, three quarters shaped like the format's. */
  private static void assertParsesAsBefore(long seed, LineFormat format,
      Function<Random, String> shaped, Reference reference) {
    Random random = new Random(seed);
    int examples = 0;
    for (int i = 0; i < 300_000; i++) {
      String line = random.nextInt(4) == 0 ? randomString(random, 24) : shaped.apply(random);
      long n = i + 1;
      Object expected = outcome(() -> reference.parse(line, n, "f"));
      assertEquals(expected, outcome(() -> format.parse(line, n, "f")), "'" + line + "'");
      examples += expected instanceof Example ? 1 : 0;
    }
    assertTrue(examples > 30_000, examples + " examples among the random lines");
  }

  @Test
  void exactFloatsAreParseFloatsBitForBit() {
    Random random = new Random(23);
    int fast = 0;
    for (int i = 0; i < 2_000_000; i++) {
      String s = randomDecimal(random);
      float v = Numbers.exactFloat(s, 0, s.length());
      if (!Float.isNaN(v)) {
        fast++;
        assertEquals(Float.floatToRawIntBits(Float.parseFloat(s)), Float.floatToRawIntBits(v),
            s);
      }
    }
    for (String s : List.of("-0", "-0.0", "+0", "0e5", "9999999", "0.9999999", "1e10", "1e-10",
        "9999999e10", "9999999e-10", "1.5E+3", "16777217", "0.1", ".3", "7.", "-.0000001")) {
      float v = Numbers.exactFloat(s, 0, s.length());
      if (!Float.isNaN(v)) {
        assertEquals(Float.floatToRawIntBits(Float.parseFloat(s)), Float.floatToRawIntBits(v), s);
      }
    }
    assertTrue(fast > 1_000_000, fast + " of the random decimals took the fast path");
  }

  @Test
  void utf8LinesAreBufferedReaderLines() throws IOException {
    Random random = new Random(24);
    String pieces = "ab\u00e9\u20ac\uD83D\uDE00 \r\n\t";
    for (int round = 0; round < 300; round++) {
      StringBuilder text = new StringBuilder();
      int length = round % 50 == 0 ? 200_000 : random.nextInt(300);
      for (int j = 0; j < length; j++) {
        int k = random.nextInt(pieces.length());
        if (Character.isHighSurrogate(pieces.charAt(k))) {
          text.append(pieces, k, k + 2);
        } else if (!Character.isLowSurrogate(pieces.charAt(k))) {
          text.append(pieces.charAt(k));
        }
      }
      byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
      assertEquals(readerLines(bytes), utf8Lines(new Trickle(bytes, random.nextLong())),
          "round " + round);
    }
  }

  @Test
  void bytesThatAreNotUtf8FailOnTheirLine() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes("a\nb\r\n".getBytes(StandardCharsets.UTF_8));
    out.write(0xC3); // a sequence cut by the line end
    out.writeBytes("\nd\n".getBytes(StandardCharsets.UTF_8));
    Utf8Lines lines = new Utf8Lines(new ByteArrayInputStream(out.toByteArray()));
    assertEquals("a", lines.readLine());
    assertEquals("b", lines.readLine());
    assertThrows(CharacterCodingException.class, lines::readLine);
  }

  private static List<String> readerLines(byte[] bytes) throws IOException {
    BufferedReader r = new BufferedReader(new InputStreamReader(new ByteArrayInputStream(bytes),
        StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)));
    List<String> lines = new ArrayList<>();
    for (String line; (line = r.readLine()) != null; ) {
      lines.add(line);
    }
    return lines;
  }

  private static List<String> utf8Lines(InputStream in) throws IOException {
    Utf8Lines r = new Utf8Lines(in);
    List<String> lines = new ArrayList<>();
    for (String line; (line = r.readLine()) != null; ) {
      lines.add(line);
    }
    return lines;
  }

  /** Bytes in pieces of random size, so that lines and line ends cross every block boundary. */
  private static final class Trickle extends InputStream {
    private final byte[] bytes;
    private final Random random;
    private int pos;

    Trickle(byte[] bytes, long seed) {
      this.bytes = bytes;
      this.random = new Random(seed);
    }

    @Override
    public int read() {
      return pos < bytes.length ? bytes[pos++] & 0xFF : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (pos == bytes.length) {
        return -1;
      }
      int n = Math.min(Math.min(len, bytes.length - pos), 1 + random.nextInt(
          random.nextBoolean() ? 7 : 100_000));
      System.arraycopy(bytes, pos, b, off, n);
      pos += n;
      return n;
    }
  }

  interface Parse {
    Object get() throws Exception;
  }

  /** The example (compared with Avro's equals: floats bit for bit), or the message thrown. */
  static Object outcome(Parse p) {
    try {
      return p.get();
    } catch (Exception e) {
      return "! " + e.getClass().getSimpleName() + ": " + e.getMessage();
    }
  }

  static String libSvmLike(Random random) {
    StringBuilder s = new StringBuilder(random.nextBoolean() ? "1" : pick(random));
    for (int i = random.nextInt(6); i > 0; i--) {
      s.append(random.nextInt(5) == 0 ? "\t" : " ").append(random.nextInt(5) == 0 ? "qid"
          : pick(random)).append(':').append(pick(random));
    }
    return s.append(random.nextInt(5) == 0 ? " # " + pick(random) : "").toString();
  }

  static String vwLike(Random random) {
    StringBuilder s = new StringBuilder(random.nextBoolean() ? "1 " : pick(random) + " ");
    s.append(random.nextInt(3) == 0 ? "'" + pick(random) : "");
    for (int i = random.nextInt(4); i > 0; i--) {
      s.append(random.nextBoolean() ? " |" : "|").append(random.nextInt(3) == 0 ? "" : "n"
          + (random.nextInt(3) == 0 ? ":" + pick(random) : ""));
      for (int j = random.nextInt(4); j > 0; j--) {
        s.append(' ').append(pick(random));
        s.append(random.nextBoolean() ? ":" + pick(random) : "");
      }
    }
    return s.toString();
  }

  /** A short word or number, often a valid one. */
  private static String pick(Random random) {
    return switch (random.nextInt(6)) {
      case 0 -> String.valueOf(random.nextInt(100_000));
      case 1 -> Float.toString(random.nextFloat() * (random.nextBoolean() ? 1 : -1000));
      case 2 -> randomDecimal(random);
      default -> randomString(random, 5);
    };
  }

  private static String randomDecimal(Random random) {
    StringBuilder s = new StringBuilder();
    s.append(random.nextInt(4) == 0 ? (random.nextBoolean() ? "-" : "+") : "");
    for (int i = random.nextInt(9); i > 0; i--) {
      s.append((char) ('0' + random.nextInt(10)));
    }
    if (random.nextBoolean()) {
      s.append('.');
      for (int i = random.nextInt(9); i > 0; i--) {
        s.append((char) ('0' + random.nextInt(10)));
      }
    }
    if (random.nextInt(4) == 0) {
      s.append(random.nextBoolean() ? 'e' : 'E').append(random.nextBoolean() ? "-" : "")
          .append(random.nextInt(14));
    }
    return s.toString();
  }

  static String randomString(Random random, int maxLength) {
    return TokensAndNumbersTest.randomString(random, maxLength, ALPHABET);
  }

  // The parsers as they were before they read lines in place (commit 1ef8802), the references.

  private static float referenceNumber(String s, String what, String name, long lineNumber)
      throws MalformedLineException {
    String why = !Numbers.matchesDecimalPattern(s)
        ? (Numbers.isNotFinite(s) ? "is not finite" : "is not a number")
        : Float.isFinite(Float.parseFloat(s)) ? null : "is too large for a float";
    if (why != null) {
      throw new MalformedLineException(lineNumber, what + name + " '" + s + "' " + why);
    }
    return Float.parseFloat(s);
  }

  private static String[] words(String s) {
    return s.split("\\s+");
  }

  private static Example referenceLibSvm(String line, long lineNumber, String source)
      throws MalformedLineException {
    int hash = line.indexOf('#');
    String body = (hash >= 0 ? line.substring(0, hash) : line).trim();
    if (body.isEmpty()) {
      return null;
    }
    String[] tokens = words(body);
    float label = referenceNumber(tokens[0], "label", "", lineNumber);
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
      if (index < 0) { // refused since the in-place parser refuses it (a bad line, not a feature)
        throw new MalformedLineException(lineNumber, "feature index '" + idx
            + "' is negative; LibSVM indices are 0 or more");
      }
      features.add(new Feature("ns", null, index,
          referenceNumber(tok.substring(colon + 1), "value of feature ", idx, lineNumber)));
    }
    return new Example(source + ":" + lineNumber,
        Instant.ofEpochMilli(1000 + (lineNumber - 1) * 10), "m",
        List.of(), features, List.of(), label, 1f);
  }

  private static Example referenceVw(String line, long lineNumber, String source)
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
    List<String> words = new ArrayList<>(List.of(words(head.trim())));
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
      label = referenceNumber(words.get(0), "label", "", lineNumber);
    }
    if (words.size() > 1) {
      weight = referenceNumber(words.get(1), "importance", "", lineNumber);
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
      String[] tokens = words(section);
      int start = 0;
      if (!section.isEmpty() && !Character.isWhitespace(section.charAt(0))) {
        String ns = tokens[0];
        int colon = ns.indexOf(':');
        if (colon >= 0) {
          scale = referenceNumber(ns.substring(colon + 1), "scale of namespace "
              + ns.substring(0, colon), "", lineNumber);
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
        if (Numbers.matchesDecimalPattern(value) || Numbers.isNotFinite(value)) {
          features.add(new Feature(namespace, name, null,
              referenceNumber(value, "value of feature ", name, lineNumber) * scale));
        } else {
          features.add(new Feature(namespace, name + "=" + value, null, scale));
        }
      }
    }
    return new Example(id, Instant.ofEpochMilli(1000 + (lineNumber - 1) * 10),
        "m", List.of(), features, List.of(), label, weight);
  }
}
