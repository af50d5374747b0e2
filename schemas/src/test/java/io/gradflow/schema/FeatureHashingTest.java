package io.gradflow.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FeatureHashingTest {

  @Test
  void definitionIsMurmurOfNameSeededByNamespace() {
    FeatureHashing h = new FeatureHashing(24);
    int seed = (int) MurmurHash3.hash64("country".getBytes(StandardCharsets.UTF_8), 0);
    assertEquals(seed, FeatureHashing.namespaceSeed("country"));
    long expected = MurmurHash3.hash64("DE".getBytes(StandardCharsets.UTF_8), seed)
        & ((1L << 24) - 1);
    assertEquals(expected, h.feature("country", "DE"));
  }

  @Test
  void pinnedValuesNeverChange() {
    // Rows written by producers and stored in models depend on these: a change breaks every
    // deployed model. Computed once from the definition (whose hash is checked against Guava's
    // vectors in MurmurHash3Test) and frozen here.
    FeatureHashing h = new FeatureHashing(40);
    assertEquals(1124551193, FeatureHashing.namespaceSeed("country"));
    assertEquals(0x6182a1678aL, h.feature("country", "DE"));
    assertEquals(0x4e22abd365L, h.feature("ad", 123456789L));
    assertEquals(0xfa42c41eba4e6b91L, FeatureHashing.entityRow("user", "42"));
    assertEquals(0x6182a1678aL & 0xfffff, new FeatureHashing(20).feature("country", "DE"),
        "fewer bits keep the low bits");
  }

  @Test
  void namespacesSeparateEqualNames() {
    FeatureHashing h = new FeatureHashing(30);
    assertNotEquals(h.feature("country", "DE"), h.feature("language", "DE"));
    assertNotEquals(h.feature("a", 17L), h.feature("b", 17L));
  }

  @Test
  void rowsStayInsideTheirRegions() {
    for (int bits : new int[] {1, 8, 24, 40}) {
      FeatureHashing h = new FeatureHashing(bits);
      for (int i = 0; i < 1000; i++) {
        long r = h.feature("ns", "v" + i);
        assertTrue(r >= 0 && r < (1L << bits), bits + " bits: " + r);
        long q = h.feature("ns", (long) i);
        assertTrue(q >= 0 && q < (1L << bits), bits + " bits: " + q);
        assertFalse(FeatureHashing.isEntityRow(r));
        assertFalse(FeatureHashing.isBiasOrDenseRow(r));
      }
    }
    for (int i = 0; i < 1000; i++) {
      long e = FeatureHashing.entityRow("user", "u" + i);
      assertTrue(FeatureHashing.isEntityRow(e));
      assertFalse(FeatureHashing.isBiasOrDenseRow(e));
    }
    assertTrue(FeatureHashing.isBiasOrDenseRow(FeatureHashing.BIAS_ROW));
    assertEquals(FeatureHashing.BIAS_ROW + 1, FeatureHashing.denseRow(0));
    assertTrue(FeatureHashing.isBiasOrDenseRow(FeatureHashing.denseRow(1000)));
  }

  @Test
  void hashedFeaturesSpreadEvenly() {
    FeatureHashing h = new FeatureHashing(4);
    int[] counts = new int[16];
    for (int i = 0; i < 16_000; i++) {
      counts[(int) h.feature("f", "value-" + i)]++;
    }
    for (int c : counts) {
      assertTrue(c > 850 && c < 1150, "bucket count " + c); // 1000 expected, sd about 31
    }
  }

  @Test
  void entityTypesAreSeparateSpaces() {
    assertNotEquals(FeatureHashing.entityRow("user", "42"), FeatureHashing.entityRow("item", "42"));
    Set<Long> rows = new HashSet<>();
    for (int i = 0; i < 100_000; i++) {
      rows.add(FeatureHashing.entityRow("user", Integer.toString(i)));
    }
    assertEquals(100_000, rows.size());
  }

  @Test
  void bitsAreValidated() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new FeatureHashing(41));
    assertEquals("bits must be in [1, 40], but was 41", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new FeatureHashing(0));
    assertThrows(IllegalArgumentException.class, () -> FeatureHashing.denseRow(-1));
  }

  @Test
  void cachedSeedsFollowTheNamespaceAsItAlternates() {
    // "Aa" and "BB" share a String.hashCode, so they share a slot of the seed table; equal
    // namespaces in other String objects, and more namespaces than slots, take the same seeds.
    // Every row is checked against the definition, computed without the table.
    FeatureHashing h = new FeatureHashing(40);
    assertEquals("Aa".hashCode(), "BB".hashCode());
    String[] namespaces = new String[FeatureHashing.SEED_SLOTS * 3 + 2];
    namespaces[0] = "Aa";
    namespaces[1] = "BB";
    for (int i = 2; i < namespaces.length; i++) {
      namespaces[i] = "f" + (i - 2);
    }
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < namespaces.length; i++) {
        String ns = round == 1 ? new String(namespaces[i]) : namespaces[i];
        int seed = (int) MurmurHash3.hash64(ns.getBytes(StandardCharsets.UTF_8), 0);
        byte[] name = ("v" + i).getBytes(StandardCharsets.UTF_8);
        assertEquals(MurmurHash3.hash64(name, seed) & ((1L << 40) - 1), h.feature(ns, "v" + i),
            ns);
        assertEquals(MurmurHash3.hash64((long) i, seed) & ((1L << 40) - 1),
            h.feature(ns, (long) i), ns);
        String other = namespaces[i % 2 == 0 ? 1 : 0];
        int otherSeed = (int) MurmurHash3.hash64(other.getBytes(StandardCharsets.UTF_8), 0);
        assertEquals(MurmurHash3.hash64(name, otherSeed) & ((1L << 40) - 1),
            h.feature(other, "v" + i), other);
      }
    }
  }
}
