package io.gradflow.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.config.ConfigException;
import io.gradflow.learn.ExampleLearner;
import io.gradflow.learn.LearnerSpec;
import io.gradflow.model.CompactExample;
import io.gradflow.model.LinearSpec;
import io.gradflow.model.Loss;
import io.gradflow.optim.AdaGradSpec;
import io.gradflow.optim.GradientSpec;
import io.gradflow.schedule.ScheduleClock;
import io.gradflow.schedule.ScheduleSpec;
import io.gradflow.schema.FeatureHashing;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Bounded rows ({@link RowPolicy}) in {@link PagedLearner} against an in-memory store: expiry of
 * old rows and only them, removal of emptied pages, admission after exactly N sightings and with
 * probability p, the sketch across a reload, the migration of format-1 pages, and the
 * sparse-memory test.
 */
class BoundedRowsTest {
  static final LearnerSpec SPEC = new LearnerSpec(new LinearSpec(), Loss.LOGISTIC,
      AdaGradSpec.of(0.1), GradientSpec.NONE, new ScheduleSpec.Constant(),
      ScheduleClock.MODEL_STEP, false);
  static final long HOUR = 3_600_000L;
  static final int PAGE_BITS = 6;
  static final float[] NO_DENSE = new float[0];

  /** A learner over a store, with its cache, and the model's step count. */
  static final class Rig {
    final MapPageStore store;
    final PageCache cache;
    final PagedLearner learner;
    long step;

    Rig(MapPageStore store, int cachePages, RowPolicy policy) {
      this.store = store;
      ExampleLearner core = new ExampleLearner(SPEC);
      this.cache = new PageCache(store, cachePages, core.rowSize(), 16, policy.stamped());
      this.learner = new PagedLearner(core, cache, PAGE_BITS, policy);
    }

    Rig(int cachePages, RowPolicy policy) {
      this(new MapPageStore(), cachePages, policy);
    }

    /** The prediction; the example is learned if it is learnable. */
    double process(CompactExample e) throws Exception {
      boolean learn = e.learnable();
      double a = learner.process(e.modelKey, e, NO_DENSE, learn, step + 1, 0.1);
      if (learn) {
        step++;
      }
      return learner.learner().loss().prediction(a);
    }

    /** The row's stamp and the row, as the store holds it after a flush; null if absent. */
    float[] row(long id) throws Exception {
      cache.flush();
      float[] stored = store.load("m", PageFormat.pageKey(id, PAGE_BITS));
      if (stored == null) {
        return null;
      }
      RowPage page = RowPage.load(stored, learner.learner().rowSize(), 1);
      int at = page.find(id);
      if (at < 0) {
        return null;
      }
      float[] row = new float[1 + learner.learner().rowSize()];
      row[0] = page.data()[page.stampAt(id, at)];
      System.arraycopy(page.data(), at, row, 1, row.length - 1);
      return row;
    }
  }

  static CompactExample example(long time, float label, long... ids) {
    float[] values = new float[ids.length];
    Arrays.fill(values, 1f);
    return new CompactExample("e", "m", time, ids, values, NO_DENSE, label, 1f);
  }

  static RowPolicy expireAfter(Duration d) {
    return new RowPolicy(d, 1, 1.0, RowPolicy.DEFAULT_SKETCH_WIDTH);
  }

  static RowPolicy admitAfter(int n) {
    return new RowPolicy(Duration.ZERO, n, 1.0, 1 << 10);
  }

  static final long ENTITY = FeatureHashing.entityRow("user", "u1");

  @Test
  void expiryResetsTheRowsNotUpdatedForExpireAfterAndOnlyThem() throws Exception {
    for (int cachePages : new int[] {1, 100}) {
      Rig rig = new Rig(cachePages, expireAfter(Duration.ofHours(2)));
      rig.process(example(0, 1f, 1, 2, ENTITY));
      rig.process(example(3 * HOUR, 0f, 3, 700));
      float[] three = rig.row(3);
      float[] bias = rig.row(FeatureHashing.BIAS_ROW);
      assertEquals(6, rig.learner.liveRows("m"), "bias, 1, 2, the entity, 3, 700");
      int cached = rig.cache.size();
      long misses = rig.cache.misses();
      // Rows of hour 0 ended before 1 h, which is at or before 3 h 30 - 2 h; those of hour 3 not.
      assertEquals(3, rig.learner.expire("m", 3 * HOUR + HOUR / 2), "cache " + cachePages);
      assertTrue(rig.cache.size() <= cached && rig.cache.misses() == misses,
          "a sweep loads no page into the cache");
      assertEquals(3, rig.learner.liveRows("m"));
      assertEquals(3, rig.learner.rowsExpired());
      assertArrayEquals(three, rig.row(3), "a recent row is untouched");
      assertArrayEquals(bias, rig.row(FeatureHashing.BIAS_ROW), "the bias never expires");
      // Rows 1 and 2 are in a direct key's page in the hashed form (PageFormat): removed.
      assertNull(rig.row(1), "an expired row of a page in the hashed form is removed");
      assertNull(rig.row(2));
      assertNull(rig.row(ENTITY), "an expired entity row is removed");
      // Nothing else is old enough at 4 h 59: hour 3 ended at 4 h.
      assertEquals(0, rig.learner.expire("m", 4 * HOUR + HOUR - 1));
      assertEquals(2, rig.learner.expire("m", 6 * HOUR), "3 and 700; the bias stays");
      assertEquals(1, rig.learner.liveRows("m"));
    }
  }

  @Test
  void aDirectPageWithEveryRowExpiredIsRemoved() throws Exception {
    for (int cachePages : new int[] {1, 100}) {
      Rig rig = new Rig(cachePages, expireAfter(Duration.ofHours(2)));
      rig.process(example(0, 1f, 5));
      rig.process(example(10 * HOUR, 1f, 5 * 512 + 1));
      rig.cache.flush();
      assertTrue(rig.store.load("m", 0) != null);
      assertEquals(1, rig.learner.expire("m", 10 * HOUR));
      assertNull(rig.cache.cached("m", 0), "cache " + cachePages);
      rig.cache.flush();
      assertNull(rig.store.load("m", 0), "the emptied page is removed from state");
      assertTrue(rig.store.load("m", 5) != null, "a page with a live row stays");
    }
  }

  @Test
  void aRowIsAdmittedAtExactlyTheNthSightingInALearnedExample() throws Exception {
    Rig rig = new Rig(100, admitAfter(3));
    Rig plain = new Rig(100, RowPolicy.NONE);
    long id = 42;
    // Sightings 1 and 2 are refused (the feature is left out); an unlabeled example is scored
    // without the feature and counts no sighting; sighting 3 creates the row.
    List<CompactExample> stream = List.of(example(0, 1f, id), example(1, 0f, id),
        example(2, Float.NaN, id), example(3, 1f, id), example(4, 1f, id));
    List<CompactExample> without = List.of(example(0, 1f), example(1, 0f),
        example(2, Float.NaN), example(3, 1f, id), example(4, 1f, id));
    for (int i = 0; i < stream.size(); i++) {
      assertEquals(plain.process(without.get(i)), rig.process(stream.get(i)), "example " + i);
      if (i < 3) {
        assertNull(rig.cache.cached("m", PageFormat.pageKey(id, PAGE_BITS)),
            "a refused feature creates no page");
      }
    }
    assertEquals(2, rig.learner.rowsRefused());
    assertEquals(2, rig.learner.liveRows("m"), "the bias and row 42");
    // An entity row likewise: left out of hashed pages until admitted.
    rig.process(example(5, 1f, ENTITY));
    rig.process(example(6, 1f, ENTITY));
    assertNull(rig.row(ENTITY));
    rig.process(example(7, 1f, ENTITY));
    assertTrue(rig.row(ENTITY) != null);
    assertEquals(4, rig.learner.rowsRefused());
  }

  @Test
  void admissionWithProbabilityPAdmitsAboutPAndDecidesTheSameOnAReplay() throws Exception {
    double p = 0.25;
    int ids = 20_000;
    long[] admitted = new long[2];
    for (int run = 0; run < 2; run++) {
      Rig rig = new Rig(1_000, new RowPolicy(Duration.ZERO, 1, p, RowPolicy.DEFAULT_SKETCH_WIDTH));
      for (int e = 0; e < ids / 10; e++) {
        long[] row = new long[10];
        for (int f = 0; f < 10; f++) {
          row[f] = 1_000L + e * 10L + f;
        }
        rig.process(example(e, e % 2, row));
      }
      admitted[run] = rig.learner.liveRows("m") - 1;
    }
    // Binomial(20000, 0.25): mean 5000, standard deviation 61; 5 deviations either side.
    assertTrue(Math.abs(admitted[0] - ids * p) <= 5 * Math.sqrt(ids * p * (1 - p)),
        "admitted " + admitted[0]);
    assertEquals(admitted[0], admitted[1], "a replay admits the same rows");
  }

  @Test
  void probabilisticAdmissionDrawsAgainAtEverySightingAcrossSweeps() throws Exception {
    // A feature seen 3 times an hour, p = 0.1, swept hourly: with halved counts its draws would
    // repeat and stop; with counts that keep growing, almost every such feature is admitted.
    RowPolicy policy = new RowPolicy(Duration.ofHours(8), 1, 0.1, RowPolicy.DEFAULT_SKETCH_WIDTH);
    Rig rig = new Rig(1_000, policy);
    long hour = 3_600_000L;
    int features = 200;
    for (int h = 0; h < 24; h++) {
      for (int k = 0; k < 3; k++) {
        for (long id = 1; id <= features; id++) {
          rig.learner.expireIfDue("m", h * hour + k);
          rig.process(example(h * hour + k, 1f, 1_000 + id));
        }
      }
    }
    int admitted = 0;
    for (long id = 1; id <= features; id++) {
      admitted += rig.row(1_000 + id) != null && rig.row(1_000 + id)[0] != PageFormat.ABSENT
          ? 1 : 0;
    }
    // 72 sightings at p = 0.1: P(never) = 0.9^72 = 0.0005.
    assertTrue(admitted >= features - 3, admitted + " of " + features + " admitted");
  }

  @Test
  void everyExpirySweepHalvesTheSightingCounts() throws Exception {
    Rig rig = new Rig(100, new RowPolicy(Duration.ofHours(2), 3, 1.0, 1 << 10));
    rig.process(example(0, 1f, 42));
    rig.process(example(1, 1f, 42));
    rig.learner.expire("m", HOUR); // counts 2 -> 1
    rig.process(example(HOUR, 1f, 42)); // 2: refused
    assertNull(rig.cache.cached("m", PageFormat.pageKey(42, PAGE_BITS)));
    rig.process(example(HOUR + 1, 1f, 42)); // 3: admitted
    assertTrue(rig.row(42)[0] != PageFormat.ABSENT);
    assertEquals(3, rig.learner.rowsRefused());
    float[] counts = {0, 1, 2, 3, 7};
    CountMinSketch.halve(counts, 1, 2, 2);
    assertArrayEquals(new float[] {0, 0, 1, 1, 3}, counts);
  }

  @Test
  void aSweepIsDueOncePerIntervalOfEventTimeAndTheIntervalSurvivesAReload() throws Exception {
    MapPageStore store = new MapPageStore();
    RowPolicy policy = expireAfter(Duration.ofHours(16)); // swept every 2 h of event time
    assertEquals(Duration.ofHours(2), policy.suggestedSweepInterval());
    Rig rig = new Rig(store, 100, policy);
    rig.process(example(0, 1f, 1));
    assertEquals(0, rig.learner.expireIfDue("m", 3 * HOUR), "interval 1: nothing is old yet");
    rig.process(example(3 * HOUR, 1f, 2));
    rig.cache.flush();
    Rig again = new Rig(store, 100, policy);
    // Interval 8 (16 h to 18 h): row 1 (last updated before 1 h) goes, row 2 (before 4 h) stays.
    assertEquals(1, again.learner.expireIfDue("m", 17 * HOUR + HOUR / 2));
    again.process(example(0, 1f, 3)); // late: last updated before 1 h
    assertEquals(0, again.learner.expireIfDue("m", 17 * HOUR + 3 * HOUR / 4),
        "the same interval: no sweep");
    assertEquals(0, again.learner.expireIfDue("m", 3 * HOUR), "an earlier interval: none");
    assertEquals(2, again.learner.expireIfDue("m", 20 * HOUR), "interval 10: rows 3 and 2");
  }

  @Test
  void theSketchAndTheCountsSurviveAReload() throws Exception {
    MapPageStore store = new MapPageStore();
    Rig before = new Rig(store, 100, admitAfter(3));
    before.process(example(0, 1f, 42));
    before.process(example(1, 1f, 42));
    before.process(example(2, 1f, 7));
    before.process(example(3, 1f, 7));
    before.process(example(4, 1f, 7));
    before.cache.flush();
    Rig after = new Rig(store, 100, admitAfter(3));
    assertEquals(2, after.learner.liveRows("m"), "the bias and 7");
    after.process(example(5, 1f, 42));
    assertTrue(after.row(42)[0] != PageFormat.ABSENT, "the third sighting, after the reload");
    assertEquals(3, after.learner.liveRows("m"));
    float[] book = store.load("m", PageFormat.BOOK_PAGE);
    assertEquals(4, RowBook.refused(book), "2 of 42 and 2 of 7");
  }

  @Test
  void formatOnePagesMigrateAsTheyAreReadAndAreDatedByTheFirstSweep() throws Exception {
    Rig rig = new Rig(1, expireAfter(Duration.ofHours(2)));
    int rowSize = rig.learner.learner().rowSize();
    // A format-1 direct page of feature rows 0..511: row 3 learned (step 1), the others not.
    float[] v1 = new float[1 + 512 * rowSize];
    v1[0] = -1f;
    for (int r = 0; r < 512; r++) {
      rig.learner.learner().initializeRow(r, v1, 1 + r * rowSize);
    }
    v1[1 + 3 * rowSize] = 0.5f;
    v1[1 + 3 * rowSize + rowSize - 2] = 1f;
    // A format-1 hashed page holding one learned entity row.
    long entityPage = PageFormat.pageKey(ENTITY, PAGE_BITS);
    float[] hashed = new float[1 + 3 + rowSize];
    hashed[0] = 1;
    PageFormat.writeId(hashed, 1, ENTITY);
    hashed[4] = -0.25f;
    hashed[4 + rowSize - 2] = 7f;
    rig.store.store("m", 0, v1);
    rig.store.store("m", entityPage, hashed);

    float[] direct = PageFormat.convert(v1, rowSize, 1);
    assertEquals(PageFormat.directPageFloats(rowSize, 1), direct.length);
    assertEquals(PageFormat.UNDATED, direct[PageFormat.directStampOffset(3, rowSize)]);
    assertEquals(PageFormat.ABSENT, direct[PageFormat.directStampOffset(4, rowSize)]);
    assertArrayEquals(Arrays.copyOfRange(v1, 1, v1.length), Arrays.copyOfRange(direct, 1,
        v1.length), "format 2 keeps format 1's rows where they were, stamps after them");
    assertArrayEquals(v1, PageFormat.convert(direct, rowSize, 0), "and back to format 1");
    RowPage entity = RowPage.load(hashed, rowSize, 1);
    assertEquals(-0.25f, entity.data()[entity.find(ENTITY)]);
    assertEquals(PageFormat.UNDATED, entity.data()[entity.find(ENTITY) - 1]);
    assertArrayEquals(hashed, RowPage.load(entity.toStored(), rowSize, 0).toStored());

    // The first sweep dates both undated rows at its time and expires none; two hours later
    // they go.
    assertEquals(0, rig.learner.expire("m", 10 * HOUR));
    assertEquals(2, rig.learner.liveRows("m"), "counted by the sweep");
    assertEquals(1, PageFormat.stamps(rig.store.load("m", 0)), "written back in format 2");
    assertEquals(0.5f, rig.row(3)[1]);
    assertEquals(2, rig.learner.expire("m", 13 * HOUR));
    assertNull(rig.store.load("m", 0));
    assertNull(rig.store.load("m", entityPage));
  }

  @Test
  void withoutStampsPagesStayInFormatOneAndASweepVisitsEveryRow() throws Exception {
    Rig rig = new Rig(1, RowPolicy.NONE);
    rig.process(example(0, 1f, 1, ENTITY));
    rig.cache.flush();
    assertEquals(0, PageFormat.stamps(rig.store.load("m", 0)));
    assertEquals(3, rig.learner.liveRows("m"), "the bias, row 1 and the entity: pages in the"
        + " hashed form hold the rows touched, each live from its creation");
    long[] visited = new long[1];
    assertEquals(2, rig.learner.sweep("m", (id, data, at, before) -> {
      visited[0]++;
      return id == ENTITY ? RowVisitor.Result.DROP : RowVisitor.Result.KEEP;
    }));
    assertEquals(3, visited[0]);
    assertNull(rig.store.load("m", PageFormat.pageKey(ENTITY, PAGE_BITS)));
    assertEquals(0, rig.learner.expire("m", 100 * HOUR), "no expiry configured");
    PageCache unstamped = new PageCache(new MapPageStore(), 4, 4, 16);
    assertThrows(IllegalArgumentException.class, () -> new PagedLearner(
        new ExampleLearner(SPEC), unstamped, PAGE_BITS, expireAfter(Duration.ofHours(1))));
  }

  @Test
  void settingsAreValidated() {
    assertEquals("rows.expire_after must be 0 (off) or at least 1h (expiry's resolution), but"
        + " was PT30M", assertThrows(ConfigException.class,
            () -> expireAfter(Duration.ofMinutes(30))).getMessage());
    assertEquals("rows.admit_after conflicts with rows.admit_probability: admit a row either"
        + " after a number of sightings or by chance per sighting, not both",
        assertThrows(ConfigException.class,
            () -> new RowPolicy(Duration.ZERO, 3, 0.5, 1024)).getMessage());
    assertThrows(ConfigException.class, () -> new RowPolicy(Duration.ZERO, 1, 0, 1024));
    assertThrows(ConfigException.class, () -> new RowPolicy(Duration.ZERO, 1, 1, 1000));
    assertEquals(Duration.ofHours(1), expireAfter(Duration.ofHours(2)).suggestedSweepInterval());
    assertEquals(Duration.ofHours(21), expireAfter(Duration.ofDays(7)).suggestedSweepInterval());
  }

  /**
   * The sparse-memory test. A seeded stream whose ids are replaced over time: every 2,000
   * examples (10 s of event time apart, so 5.6 h) a new block of 500 ids takes over; each example
   * has 4 ids of the current block, 1 of 50 ids that last forever and, one time in 20, 1 id of an
   * earlier block (a revisit); labels follow a fixed logistic concept over the ids. 40 blocks,
   * 80,000 examples, 20,050 ids in all. Expiry after 6 h, swept every hour of event time
   * ({@link PagedLearner#expireIfDue} before every example: the policy's suggested interval).
   *
   * <p>Measured: most live rows 20,051 unbounded, 1,563 expiring, 1,328 expiring and admitting
   * after 2 sightings (counts halved at every sweep); prequential log loss 0.62615, 0.62652
   * (+0.0004), 0.63026 (+0.0041).
   * Asserted: unbounded above 20,000; expiring below 2,000 at every example and within 0.002 of
   * the unbounded log loss; admitting fewer rows still and within 0.005.
   */
  @Test
  void aStreamWhoseIdsAreReplacedKeepsTheRowCountBoundedAtAboutTheSameLoss() throws Exception {
    // Unbounded: stamps (so only learned rows count, as in the bounded runs) but no row expires
    // within the stream's 9 days.
    double[] unbounded = sparseMemoryRun(expireAfter(Duration.ofDays(365)));
    double[] bounded = sparseMemoryRun(expireAfter(Duration.ofHours(6)));
    double[] admitted = sparseMemoryRun(
        new RowPolicy(Duration.ofHours(6), 2, 1.0, RowPolicy.DEFAULT_SKETCH_WIDTH));
    System.out.printf("sparse-memory test: log loss %.5f unbounded, %.5f expiring, %.5f expiring"
        + " and admitting after 2; most live rows %.0f, %.0f, %.0f%n", unbounded[0], bounded[0],
        admitted[0], unbounded[1], bounded[1], admitted[1]);
    assertTrue(unbounded[1] > 20_000, "unbounded live rows " + unbounded[1]);
    assertTrue(bounded[1] < 2_000, "expiring: most live rows " + bounded[1]);
    assertTrue(bounded[0] <= unbounded[0] + 0.002, "log loss " + bounded[0] + " expiring, "
        + unbounded[0] + " unbounded");
    assertTrue(admitted[1] < bounded[1], "admission keeps fewer rows: " + admitted[1]);
    assertTrue(admitted[0] <= unbounded[0] + 0.005, "log loss " + admitted[0]
        + " expiring and admitting, " + unbounded[0] + " unbounded");
  }

  /** Returns {prequential log loss, the most live rows at any point}. */
  static double[] sparseMemoryRun(RowPolicy policy) throws Exception {
    int block = 500;
    int perBlock = 2_000;
    int blocks = 40;
    long tick = 10_000L;
    SplittableRandom random = new SplittableRandom(2013);
    Rig rig = new Rig(64, policy);
    double loss = 0;
    long maxLive = 0;
    for (int e = 0; e < blocks * perBlock; e++) {
      long time = e * tick;
      rig.learner.expireIfDue("m", time);
      int b = e / perBlock;
      long[] ids = new long[random.nextInt(20) == 0 && b > 0 ? 6 : 5];
      for (int f = 0; f < 4; f++) {
        ids[f] = 100_000L + (long) b * block + random.nextInt(block);
      }
      ids[4] = 1 + random.nextInt(50);
      if (ids.length == 6) {
        ids[5] = 100_000L + (long) random.nextInt(b) * block + random.nextInt(block);
      }
      double z = -0.5;
      for (long id : ids) {
        z += truth(id);
      }
      float label = random.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1f : 0f;
      double p = rig.process(example(time, label, ids));
      p = Math.min(Math.max(p, 1e-15), 1 - 1e-15);
      loss -= label == 1f ? Math.log(p) : Math.log(1 - p);
      maxLive = Math.max(maxLive, rig.learner.liveRows("m"));
    }
    return new double[] {loss / (blocks * perBlock), maxLive};
  }

  /** The concept: a weight in [-1, 1) per id, from a hash of the id. */
  static double truth(long id) {
    return (PageFormat.mix(id * 31 + 7) >>> 11) * 0x1.0p-53 * 2 - 1;
  }
}
