package io.gradflow.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link NamespaceSeeds} gives every namespace its own seed, whatever order they come in. */
class NamespaceSeedsTest {

  /** The definition, without any cache: the seed of the string Java decodes the bytes to. */
  private static int expected(byte[] b, int offset, int length) {
    return FeatureHashing.namespaceSeed(new String(b, offset, length, StandardCharsets.UTF_8));
  }

  @Test
  void namespacesThatChangeAtAPositionTakeTheirOwnSeed() {
    List<byte[]> namespaces = new ArrayList<>();
    for (String s : new String[] {"f0", "f1", "f01", "g0", "", "Aa", "BB", "pa\u00efs", "\u4e16",
        "x".repeat(NamespaceSeeds.MAX_REMEMBERED_LENGTH),
        "y".repeat(NamespaceSeeds.MAX_REMEMBERED_LENGTH + 1)}) {
      namespaces.add(s.getBytes(StandardCharsets.UTF_8));
    }
    namespaces.add(new byte[] {(byte) 0xc3}); // truncated: hashed as its replacement character
    namespaces.add(new byte[] {'a', (byte) 0xff, 'b'});
    NamespaceSeeds seeds = new NamespaceSeeds();
    Random random = new Random(3);
    // Positions inside and beyond the remembered ones (which share slots), namespaces
    // alternating at each position, at shifting offsets of a larger buffer.
    for (int i = 0; i < 20_000; i++) {
      int position = random.nextInt(NamespaceSeeds.POSITIONS * 2);
      byte[] ns = namespaces.get(i % 2 == 0 ? position % namespaces.size()
          : random.nextInt(namespaces.size()));
      byte[] buffer = new byte[ns.length + 7];
      int offset = random.nextInt(4);
      buffer[offset + ns.length] = 'z'; // a byte after the namespace is not part of it
      System.arraycopy(ns, 0, buffer, offset, ns.length);
      assertEquals(expected(buffer, offset, ns.length),
          seeds.seed(position, buffer, offset, ns.length), new String(ns,
              StandardCharsets.UTF_8) + " at " + position);
    }
  }

  @Test
  void aPrefixOrAnExtensionOfTheRememberedNamespaceIsAnother() {
    NamespaceSeeds seeds = new NamespaceSeeds();
    byte[] b = "f12".getBytes(StandardCharsets.UTF_8);
    assertEquals(expected(b, 0, 3), seeds.seed(0, b, 0, 3));
    assertEquals(expected(b, 0, 2), seeds.seed(0, b, 0, 2));
    assertEquals(expected(b, 0, 3), seeds.seed(0, b, 0, 3));
    assertEquals(expected(b, 1, 2), seeds.seed(0, b, 1, 2));
  }

  @Test
  void fortyGeneratorNamespacesInTheirPositionsTakeTheirSeedOnce() {
    NamespaceSeeds seeds = new NamespaceSeeds();
    for (int record = 0; record < 100; record++) {
      for (int f = 0; f < 40; f++) {
        byte[] b = ("f" + f).getBytes(StandardCharsets.UTF_8); // a new buffer per feature
        assertEquals(expected(b, 0, b.length), seeds.seed(f, b, 0, b.length));
      }
    }
    assertEquals(40, seeds.seedComputations, "seeds computed for 40 positions x 100 records");
  }
}
