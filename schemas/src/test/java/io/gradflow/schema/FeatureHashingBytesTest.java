package io.gradflow.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Hashing from UTF-8 bytes ({@link FeatureHashing#feature(byte[], int, int, byte[], int, int)},
 * {@link FeatureHashing#entityRow(byte[], int, int, byte[], int, int)}) gives the rows of the
 * string path on the strings Java decodes the bytes to, which is what the job hashed before: the
 * reference is {@code feature(new String(ns, UTF_8), new String(name, UTF_8))}.
 */
class FeatureHashingBytesTest {
  private static final FeatureHashing HASHING = new FeatureHashing(40);

  /** Names as a producer writes them: ASCII, Latin, CJK, emoji, lone surrogates (sent as '?'). */
  private static List<String> names() {
    List<String> names = new ArrayList<>(List.of("", "DE", "a", "ctr", "Zürich", "naïve",
        "東京", "😀", "a😀b", "\uD800", "x\uDC00y", "\uDBFF\uDFFF", "\u0000", "\u007F\u0080",
        "\u07FF\u0800", "\uFFFF", "\uFEFF"));
    SplittableRandom random = new SplittableRandom(20261130L);
    for (int i = 0; i < 20_000; i++) {
      char[] c = new char[random.nextInt(12)];
      for (int j = 0; j < c.length; j++) {
        c[j] = switch (random.nextInt(5)) {
          case 0 -> (char) random.nextInt(0x80);
          case 1 -> (char) (0x80 + random.nextInt(0x780));
          case 2 -> (char) random.nextInt(0x10000); // surrogates included, paired or not
          case 3 -> (char) (0xD800 + random.nextInt(0x800));
          default -> (char) ('a' + random.nextInt(26));
        };
      }
      names.add(new String(c));
    }
    return names;
  }

  private static long reference(byte[] namespace, byte[] name) {
    return HASHING.feature(new String(namespace, StandardCharsets.UTF_8),
        new String(name, StandardCharsets.UTF_8));
  }

  @Test
  void namesAsProducersEncodeThemHashAsTheirStrings() {
    List<String> names = names();
    for (int i = 0; i < names.size(); i++) {
      String namespace = names.get((i * 7919) % names.size());
      String name = names.get(i);
      byte[] ns = namespace.getBytes(StandardCharsets.UTF_8);
      byte[] nm = name.getBytes(StandardCharsets.UTF_8);
      // The bytes inside a larger buffer, as a decoder holds them.
      byte[] buffer = new byte[3 + ns.length + nm.length + 2];
      System.arraycopy(ns, 0, buffer, 3, ns.length);
      System.arraycopy(nm, 0, buffer, 3 + ns.length, nm.length);
      long expected = reference(ns, nm);
      assertEquals(expected, HASHING.feature(buffer, 3, ns.length, buffer, 3 + ns.length,
          nm.length), () -> "(" + namespace + ", " + name + ")");
      if (name.equals(new String(nm, StandardCharsets.UTF_8))) {
        assertEquals(HASHING.feature(namespace, name), expected, "a string that survives UTF-8");
      }
      assertEquals(FeatureHashing.entityRow(new String(ns, StandardCharsets.UTF_8),
              new String(nm, StandardCharsets.UTF_8)),
          FeatureHashing.entityRow(buffer, 3, ns.length, buffer, 3 + ns.length, nm.length));
    }
  }

  @Test
  void arbitraryBytesHashAsTheStringsJavaDecodesThemTo() {
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 100_000; i++) {
      byte[] ns = randomBytes(random);
      byte[] nm = randomBytes(random);
      assertEquals(reference(ns, nm), HASHING.feature(ns, 0, ns.length, nm, 0, nm.length),
          () -> Arrays.toString(ns) + " " + Arrays.toString(nm));
      assertEquals(FeatureHashing.entityRow(new String(ns, StandardCharsets.UTF_8),
          new String(nm, StandardCharsets.UTF_8)),
          FeatureHashing.entityRow(ns, 0, ns.length, nm, 0, nm.length));
    }
  }

  /** Well-formed exactly when Java's decoder gives the bytes back unchanged. */
  @Test
  void wellFormedIsExactlyWhatSurvivesTheRoundTrip() {
    SplittableRandom random = new SplittableRandom(11);
    int wellFormed = 0;
    int malformed = 0;
    for (int i = 0; i < 300_000; i++) {
      byte[] b = randomBytes(random);
      boolean survives = Arrays.equals(b,
          new String(b, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8));
      assertEquals(survives, Utf8Bytes.isWellFormed(b, 0, b.length), () -> Arrays.toString(b));
      if (survives) {
        wellFormed++;
      } else {
        malformed++;
      }
    }
    assertTrue(wellFormed > 10_000 && malformed > 10_000, wellFormed + " / " + malformed);
    // Boundaries of Table 3-7.
    assertTrue(Utf8Bytes.isWellFormed(bytes(0xE0, 0xA0, 0x80), 0, 3));
    assertFalse(Utf8Bytes.isWellFormed(bytes(0xE0, 0x9F, 0xBF), 0, 3), "overlong");
    assertFalse(Utf8Bytes.isWellFormed(bytes(0xED, 0xA0, 0x80), 0, 3), "a surrogate");
    assertTrue(Utf8Bytes.isWellFormed(bytes(0xF4, 0x8F, 0xBF, 0xBF), 0, 4), "U+10FFFF");
    assertFalse(Utf8Bytes.isWellFormed(bytes(0xF4, 0x90, 0x80, 0x80), 0, 4), "above U+10FFFF");
    assertFalse(Utf8Bytes.isWellFormed(bytes(0xC2), 0, 1), "truncated");
    assertTrue(Utf8Bytes.isWellFormed(bytes(0xFF, 0x41), 1, 1), "only the range counts");
  }

  /** Short byte strings biased to UTF-8's lead and continuation bytes. */
  private static byte[] randomBytes(SplittableRandom random) {
    byte[] b = new byte[random.nextInt(9)];
    for (int j = 0; j < b.length; j++) {
      b[j] = (byte) switch (random.nextInt(4)) {
        case 0 -> random.nextInt(0x80);
        case 1 -> 0x80 + random.nextInt(0x40);
        case 2 -> 0xC0 + random.nextInt(0x40);
        default -> random.nextInt(256);
      };
    }
    return b;
  }

  private static byte[] bytes(int... values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) values[i];
    }
    return b;
  }
}
