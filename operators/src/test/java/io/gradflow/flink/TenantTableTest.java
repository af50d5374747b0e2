package io.gradflow.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link TenantTable} finds, adds and removes as a {@link HashMap} does and iterates in its order
 * (the order in which the trainer emits reports and changes and saves sessions), through resizes,
 * removals, removals by predicate, and a bucket of 9 keys of one hash in a small table (which a
 * {@code HashMap} resizes rather than turning into a tree).
 */
class TenantTableTest {
  static final class Item extends TenantTable.Entry<Item> {
    final String key;

    Item(String key) {
      super(key);
      this.key = key;
    }

    @Override
    String key() {
      return key;
    }
  }

  /** 2^n distinct Strings of one hash ("Aa" and "BB" hash alike). */
  static List<String> sameHash(int n) {
    List<String> out = new ArrayList<>(List.of(""));
    for (int i = 0; i < n; i++) {
      List<String> next = new ArrayList<>();
      for (String s : out) {
        next.add(s + "Aa");
        next.add(s + "BB");
      }
      out = next;
    }
    return out;
  }

  private static void assertSameOrder(Map<String, Item> expected, TenantTable<Item> table) {
    List<String> want = new ArrayList<>(expected.keySet());
    List<String> got = new ArrayList<>();
    for (Item item : table) {
      got.add(item.key);
    }
    assertEquals(want, got);
    assertEquals(expected.size(), table.size());
    List<String> copied = new ArrayList<>();
    table.values().forEach(i -> copied.add(i.key));
    assertEquals(want, copied);
  }

  @Test
  void findsAddsRemovesAndIteratesAsAHashMap() {
    SplittableRandom random = new SplittableRandom(12);
    for (int run = 0; run < 20; run++) {
      Map<String, Item> expected = new HashMap<>();
      TenantTable<Item> table = new TenantTable<>();
      // 9 keys of one hash first: a HashMap of 16 buckets resizes at the bucket's 9th key.
      List<String> colliding = run % 2 == 0 ? sameHash(4).subList(0, 9) : List.of();
      for (String k : colliding) {
        Item item = new Item(k);
        expected.put(k, item);
        table.add(item);
        assertSameOrder(expected, table);
      }
      for (int op = 0; op < 5_000; op++) {
        // Each key a new String, as each record's key is.
        String key = new String(("t" + random.nextInt(3_000)).toCharArray());
        int what = random.nextInt(10);
        if (what < 6) {
          Item found = table.get(key);
          assertSame(expected.get(key), found, key);
          if (found == null) {
            Item item = new Item(key);
            expected.put(key, item);
            table.add(item);
          }
        } else if (what < 9) {
          assertSame(expected.remove(key), table.remove(key), key);
          assertNull(table.get(key));
        } else {
          int mod = 2 + random.nextInt(5);
          expected.values().removeIf(i -> i.key.length() % mod == 0);
          table.removeIf(i -> i.key.length() % mod == 0);
        }
        if (op % 97 == 0) {
          assertSameOrder(expected, table);
        }
      }
      assertSameOrder(expected, table);
      for (String k : colliding) {
        assertSame(expected.get(k), table.get(new String(k.toCharArray())));
      }
    }
  }
}
