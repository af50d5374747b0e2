package io.gradflow.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The namespace seed table of {@link FeatureHashing} (names given as strings) changes no hash
 * value, and remembers a stream's namespaces: {@code f0..f39} each take their seed once.
 */
class FeatureHashingSeedTableTest {

  private static final String[] ODD = {"", "pa\u00efs", "\u4e16\u754c", "\uD83D\uDE00", "Aa", "BB",
      "country", "\uD800"};

  /** The definition, without any table. */
  private static long expected(int bits, String namespace, String name) {
    byte[] b = name.getBytes(StandardCharsets.UTF_8);
    return MurmurHash3.hash64(b, 0, b.length, FeatureHashing.namespaceSeed(namespace))
        & ((1L << bits) - 1);
  }

  private static long expected(int bits, String namespace, long index) {
    return MurmurHash3.hash64(index, FeatureHashing.namespaceSeed(namespace))
        & ((1L << bits) - 1);
  }

  @Test
  void theSameRowsAsTheSixtyFourSlotTableGave() {
    // Computed with the table this one replaced (64 direct-mapped slots by String.hashCode, as
    // of main 7d737e0) on the same sequence: namespaces f0..f999 alternating with non-ASCII ones,
    // a lone surrogate and the empty string, against the f0..f39 of a generator.
    FeatureHashing h = new FeatureHashing(40);
    long d = 0;
    for (int r = 0; r < 3; r++) {
      for (int i = 0; i < 1000; i++) {
        String ns = i % 2 == 0 ? "f" + i : ODD[i % ODD.length] + i;
        d = d * 31 + h.feature(ns, "v" + (i * 7 % 13));
        d = d * 31 + h.feature("f" + (i % 40), "x\u00e9" + i);
        d = d * 31 + h.feature(ns, (long) i);
      }
    }
    for (String e : ODD) {
      d = d * 31 + h.feature(e, "DE");
      d = d * 31 + h.feature(e, 5L);
    }
    assertEquals(0x8174de625c9930eaL, d);
  }

  @Test
  void everyRowIsTheDefinitionsWhateverTheOrderOfNamespaces() {
    List<String> namespaces = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      namespaces.add("f" + i);
    }
    for (String o : ODD) {
      namespaces.add(o);
      namespaces.add(o + "x");
    }
    for (int bits : new int[] {24, 40}) {
      FeatureHashing h = new FeatureHashing(bits);
      for (int round = 0; round < 3; round++) {
        for (int i = 0; i < namespaces.size(); i++) {
          // Alternating: one of the first 40 between each of the others, and equal strings that
          // are other objects (new String) as well as the same ones.
          String ns = i % 2 == 0 ? namespaces.get(i) : new String(namespaces.get(i % 40));
          String name = "v\u00e9" + (i * 31 % 97);
          assertEquals(expected(bits, ns, name), h.feature(ns, name), ns + " " + name);
          assertEquals(expected(bits, ns, i), h.feature(ns, (long) i), ns + " " + i);
        }
      }
    }
  }

  @Test
  void fortyGeneratorNamespacesTakeTheirSeedOnce() {
    FeatureHashing h = new FeatureHashing(24);
    for (int round = 0; round < 100; round++) {
      for (int f = 0; f < 40; f++) {
        // A new string object each time, as a parser makes: found by equality, not identity.
        h.feature(new String("f" + f), "v" + round);
      }
    }
    assertEquals(40, h.seedComputations, "seeds computed for 40 namespaces x 100 records");
  }

  @Test
  void racingThreadsStillGetTheDefinitionsRows() throws Exception {
    FeatureHashing h = new FeatureHashing(30);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int shift = t;
        done.add(pool.submit(() -> {
          for (int i = 0; i < 20_000; i++) {
            String ns = "f" + ((i * (shift + 1)) % 600);
            String name = "n" + (i % 11);
            assertEquals(expected(30, ns, name), h.feature(ns, name), ns);
          }
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
