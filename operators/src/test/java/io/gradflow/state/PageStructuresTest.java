package io.gradflow.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PageStructuresTest {
  /** What Flink's float array serializer does to every value. */
  private static float[] throughFloatSerializer(float[] a) {
    float[] out = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = Float.intBitsToFloat(Float.floatToIntBits(a[i]));
    }
    return out;
  }

  @Test
  void idsSurviveFloatSerializationWhateverTheirBits() {
    Random random = new Random(1);
    float[] page = new float[3];
    long[] ids = {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, 0x7FC0_0000_7FC0_0001L,
        0xFFFF_FFFF_7F80_0001L};
    for (int i = 0; i < 10_000 + ids.length; i++) {
      long id = i < ids.length ? ids[i] : random.nextLong();
      PageFormat.writeId(page, 0, id);
      assertEquals(id, PageFormat.readId(throughFloatSerializer(page), 0));
    }
  }

  @Test
  void aPageFindsItsRowsAndRoundTripsThroughState() {
    RowPage page = new RowPage(5, 0, 2);
    Random random = new Random(2);
    Map<Long, float[]> expected = new HashMap<>();
    for (int i = 0; i < 300; i++) {
      long id = random.nextLong();
      int at = page.add(id);
      float[] row = new float[5];
      for (int j = 0; j < 5; j++) {
        row[j] = random.nextFloat();
        page.data()[at + j] = row[j];
      }
      expected.put(id, row);
    }
    assertTrue(page.isDirty());
    assertEquals(-1, page.find(12345L));
    RowPage loaded = RowPage.load(throughFloatSerializer(page.toStored()), 5);
    assertEquals(300, loaded.rowCount());
    for (Map.Entry<Long, float[]> e : expected.entrySet()) {
      int at = loaded.find(e.getKey());
      float[] row = new float[5];
      System.arraycopy(loaded.data(), at, row, 0, 5);
      assertArrayEquals(e.getValue(), row);
    }
    assertEquals(page.toStored().length, PageFormat.HEADER + 300 * PageFormat.recordSize(5, 0));
  }

  /**
   * {@link RowPage#add} puts a row where the {@link RowPage#find} that missed it stopped: rows
   * added after misses of other ids, through index growth and removals, are all found where a
   * reference says, and the stored page is the same as one built without lookups in between.
   */
  @Test
  void aPageFindsEveryRowAddedAfterMissesOfOtherIds() {
    Random random = new Random(4);
    for (int round = 0; round < 20; round++) {
      RowPage page = new RowPage(2, round % 2, 2);
      RowPage plain = new RowPage(2, round % 2, 2);
      List<Long> order = new ArrayList<>();
      // Few distinct ids: probe runs meet and misses land in each other's runs.
      int pool = 8 + random.nextInt(120);
      for (int step = 0; step < 400; step++) {
        long id = random.nextInt(pool) * (round < 10 ? 1L : 0x9E3779B97F4A7C15L);
        if (page.find(id) < 0) {
          int misses = random.nextInt(3);
          for (int m = 0; m < misses; m++) {
            page.find(random.nextInt(2 * pool) * 7L + 1);
          }
          if (random.nextInt(4) == 0) {
            // Another id added between the miss and the add (it may take the missed slot).
            long other = -1 - random.nextInt(pool);
            if (page.find(other) < 0) {
              page.find(id);
              page.add(other);
              plain.add(other);
              order.add(other);
            }
          }
          int at = page.add(id);
          page.data()[at] = step;
          int plainAt = plain.add(id);
          plain.data()[plainAt] = step;
          order.add(id);
        }
        if (random.nextInt(100) == 0 && order.size() > 1) {
          boolean[] drop = new boolean[order.size()];
          boolean[] dropPlain = new boolean[order.size()];
          for (int r = order.size() - 1; r >= 0; r--) {
            if (random.nextBoolean()) {
              drop[r] = dropPlain[r] = true;
              order.remove(r);
            }
          }
          page.removeRecords(drop);
          plain.removeRecords(dropPlain);
        }
        for (int r = 0; r < order.size(); r++) {
          assertEquals(PageFormat.rowOffset(r, 2, round % 2), page.find(order.get(r)));
        }
      }
      assertEquals(order.size(), page.rowCount());
      assertArrayEquals(plain.toStored(), page.toStored());
    }
    // A miss, then every row removed (a smaller index), then the missed id added.
    RowPage page = new RowPage(2, 0, 2);
    for (long id = 1; id <= 40; id++) {
      page.add(id * 1_000_003L);
    }
    assertEquals(-1, page.find(-5L));
    boolean[] all = new boolean[40];
    Arrays.fill(all, true);
    page.removeRecords(all);
    assertEquals(PageFormat.rowOffset(0, 2, 0), page.add(-5L));
    assertEquals(PageFormat.rowOffset(0, 2, 0), page.find(-5L));
    assertEquals(-1, page.find(1_000_003L));
  }

  /**
   * An index slot holds 8 bits of its id's hash and the record number, not the id: a lookup must
   * check the id in the record. Ids whose hashes share both the tag and the home slot (found by
   * search), and many random ids with as many absent ones looked up (some of which share a tag
   * with a slot they probe), are each found at their record or missed, before and after a load
   * and through index growth.
   */
  @Test
  void aPageTellsApartIdsWhoseIndexTagsAgree() {
    Random random = new Random(7);
    // Ids whose hashes agree in the top 8 bits and the low 10: same tag, same home slot for any
    // index of up to 1,024 slots.
    long target = PageFormat.mix(12345L);
    List<Long> twins = new ArrayList<>();
    while (twins.size() < 12) {
      long id = random.nextLong();
      long hash = PageFormat.mix(id);
      if ((hash >>> 56) == (target >>> 56) && (hash & 1023) == (target & 1023)) {
        twins.add(id);
      }
    }
    RowPage page = new RowPage(2, 1, 1);
    for (int i = 0; i < twins.size() - 1; i++) {
      assertEquals(-1, page.find(twins.get(i)));
      int at = page.add(twins.get(i));
      page.data()[at] = i;
      for (int j = 0; j <= i; j++) {
        assertEquals(PageFormat.rowOffset(j, 2, 1), page.find(twins.get(j)));
      }
      assertEquals(-1, page.find(twins.get(twins.size() - 1)));
    }
    // Many ids: with 8-bit tags, about 1 in 256 probed slots has a miss's tag.
    RowPage many = new RowPage(3, 0, 2);
    Map<Long, Integer> records = new HashMap<>();
    for (int r = 0; r < 50_000; r++) {
      long id = random.nextLong();
      if (many.find(id) < 0) {
        many.add(id);
        records.put(id, records.size());
      }
    }
    RowPage loaded = RowPage.load(throughFloatSerializer(many.toStored()), 3);
    for (RowPage p : List.of(many, loaded)) {
      for (Map.Entry<Long, Integer> e : records.entrySet()) {
        assertEquals(PageFormat.rowOffset(e.getValue(), 3, 0), p.find(e.getKey()));
      }
      Random absent = new Random(8);
      for (int i = 0; i < 100_000; i++) {
        long id = absent.nextLong();
        if (!records.containsKey(id)) {
          assertEquals(-1, p.find(id));
        }
      }
    }
  }

  @Test
  void aPageWrittenWithAnotherLayoutIsRefusedWithAReason() {
    RowPage page = new RowPage(5, 0, 2);
    page.add(7);
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> RowPage.load(page.toStored(), 4));
    assertTrue(e.getMessage().contains("written with another model or optimizer layout"));
  }

  @Test
  void aStoredPageOfMoreRowsThanTheIndexHoldsIsRefused() {
    int rows = RowPage.MAX_ROWS + 1; // 200 MB of a format-1 page of 1-float rows
    float[] stored = new float[PageFormat.HEADER + rows * (PageFormat.ID_FLOATS + 1)];
    PageFormat.setRowCount(stored, rows, 0);
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> RowPage.load(stored, 1));
    assertTrue(e.getMessage().contains("more than the " + RowPage.MAX_ROWS), e.getMessage());
  }

  @Test
  void loadingCopiesTheStoredArray() {
    RowPage page = new RowPage(1, 0, 1);
    page.add(3);
    float[] stored = page.toStored();
    float[] before = stored.clone();
    RowPage loaded = RowPage.load(stored, 1);
    loaded.data()[loaded.find(3)] = 99f;
    loaded.add(4);
    assertArrayEquals(before, stored);
  }

  @Test
  void longMapAgreesWithHashMapUnderRandomPutsAndRemoves() {
    LongMap<Long> map = new LongMap<>();
    Map<Long, Long> reference = new HashMap<>();
    Random random = new Random(3);
    for (int i = 0; i < 200_000; i++) {
      long key = random.nextInt(5_000) * 0x9E3779B97F4A7C15L;
      if (random.nextInt(3) == 0) {
        map.remove(key);
        reference.remove(key);
      } else {
        map.put(key, (long) i);
        reference.put(key, (long) i);
      }
      long probe = random.nextInt(5_000) * 0x9E3779B97F4A7C15L;
      assertEquals(reference.get(probe), map.get(probe));
    }
    assertEquals(reference.size(), map.size());
    assertNull(map.get(1));
  }

  @Test
  void pagesSpreadEvenly() {
    int[] counts = new int[16];
    for (long id = 0; id < 160_000; id++) {
      counts[(int) PageFormat.pageOf(id, 4)]++;
    }
    for (int c : counts) {
      assertTrue(Math.abs(c - 10_000) < 500, "page count " + c);
    }
  }
}
