package io.gradflow.jobs.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Event times before 2000: the bound, the count, the first, the merge and the words. */
class EarlyEventTimesTest {
  @Test
  void theBoundIsTheYear2000InMilliseconds() {
    assertEquals(Instant.parse("2000-01-01T00:00:00Z").toEpochMilli(), EarlyEventTimes.YEAR_2000);
    assertTrue(EarlyEventTimes.early(EarlyEventTimes.YEAR_2000 - 1));
    assertFalse(EarlyEventTimes.early(EarlyEventTimes.YEAR_2000));
    assertTrue(EarlyEventTimes.early(1_733_000_000L)); // today, in seconds
    assertTrue(EarlyEventTimes.early(0));
    assertFalse(EarlyEventTimes.early(1_733_000_000_000L)); // today, in milliseconds
  }

  @Test
  void countsAndKeepsTheEarliestAcrossMerges() {
    EarlyEventTimes a = new EarlyEventTimes();
    assertEquals(new EarlyEventTimes.Seen(0, 0), a.getLocalValue());
    a.add(1_733_000_001L);
    a.add(1_733_000_000L); // out of order within a subtask: the earliest, not the first met
    assertEquals(new EarlyEventTimes.Seen(2, 1_733_000_000L), a.getLocalValue());
    EarlyEventTimes b = new EarlyEventTimes();
    b.add(5L);
    EarlyEventTimes merged = new EarlyEventTimes();
    merged.merge(new EarlyEventTimes()); // an empty subtask first
    merged.merge(a);
    merged.merge(b);
    assertEquals(new EarlyEventTimes.Seen(3, 5L), merged.getLocalValue());
    assertEquals(merged.getLocalValue(), merged.clone().getLocalValue());
    merged.resetLocal();
    assertEquals(new EarlyEventTimes.Seen(0, 0), merged.getLocalValue());
  }

  /** Flink merges the subtasks' accumulators in no fixed order: every order gives one value. */
  @Test
  void theMergedValueDoesNotDependOnTheOrderOfTheSubtasks() {
    long[][] subtasks = {{900L, 7L}, {}, {40L}, {1_733_000_000L, 3L, 12L}};
    List<List<Integer>> orders = List.of(List.of(0, 1, 2, 3), List.of(3, 2, 1, 0),
        List.of(1, 2, 0, 3), List.of(2, 3, 1, 0), List.of(1, 3, 0, 2));
    for (List<Integer> order : orders) {
      EarlyEventTimes merged = new EarlyEventTimes();
      for (int i : order) {
        EarlyEventTimes subtask = new EarlyEventTimes();
        for (long t : subtasks[i]) {
          subtask.add(t);
        }
        merged.merge(subtask);
      }
      assertEquals(new EarlyEventTimes.Seen(6, 3L), merged.getLocalValue(), "order " + order);
    }
  }

  @Test
  void theWarningNamesTheCountTheFirstAndItsDate() {
    EarlyEventTimes a = new EarlyEventTimes();
    for (int i = 0; i < 1_234; i++) {
      a.add(1_733_000_000L + i);
    }
    assertEquals("1,234 examples have an event_time before 2000-01-01 (earliest: 1733000000 ="
        + " 1970-01-21T01:23:20Z); event_time is in milliseconds since the epoch: a producer"
        + " writing seconds?", EarlyEventTimes.warning(Map.of(EarlyEventTimes.NAME,
        a.getLocalValue())));
    assertEquals(1_234, EarlyEventTimes.count(Map.of(EarlyEventTimes.NAME, a.getLocalValue())));
    EarlyEventTimes one = new EarlyEventTimes();
    one.add(0L);
    assertTrue(EarlyEventTimes.warning(Map.of(EarlyEventTimes.NAME, one.getLocalValue()))
        .startsWith("1 example has an event_time before 2000-01-01 (earliest: 0 ="
            + " 1970-01-01T00:00:00Z)"));
    assertNull(EarlyEventTimes.warning(Map.of(EarlyEventTimes.NAME,
        new EarlyEventTimes().getLocalValue())));
    assertNull(EarlyEventTimes.warning(Map.of()));
    assertEquals(0, EarlyEventTimes.count(Map.of()));
  }
}
