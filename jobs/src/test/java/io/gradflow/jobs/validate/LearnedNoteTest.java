package io.gradflow.jobs.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.gradflow.jobs.kafka.RawRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * Trial L11: a replay whose range holds records a savepoint's job had read (and learned) says so
 * in one line; the savepoints' positions are the furthest per partition, markers left out.
 */
class LearnedNoteTest {
  private static ReplayRange.Read range(int partition, long from, long to) {
    List<RawRecord> records = new ArrayList<>();
    for (long o = from; o < to; o++) {
      records.add(new RawRecord("ex", partition, o, 0L, null, new byte[0]));
    }
    return new ReplayRange.Read(records,
        Map.of(new TopicPartition("ex", partition), new long[] {from, to}));
  }

  @Test
  void recordsBelowTheFurthestPositionAreCounted() {
    Map<String, Map<String, Long>> positions = new LinkedHashMap<>();
    positions.put("champion", Map.of("ex:0", 2_000L, "other:0", 9_000L));
    positions.put("challenger", Map.of("ex:0", 3_998L, "ex:1", -2L));
    Map<Integer, Long> furthest = ValidateCommand.furthest(positions, "ex");
    assertEquals(Map.of(0, 3_998L), furthest);
    assertEquals("note: the range includes 3,998 records a savepoint learned (below where its"
        + " job had read to, partition: position 0: 3998); --from offsets-in-savepoint scores"
        + " only the records after them", ValidateCommand.learnedNote(range(0, 0, 5_000),
            furthest));
    assertEquals("note: the range includes 1 record a savepoint learned (below where its"
        + " job had read to, partition: position 0: 3998); --from offsets-in-savepoint scores"
        + " only the records after them", ValidateCommand.learnedNote(range(0, 3_997, 5_000),
            furthest));
  }

  @Test
  void noNoteFromThePositionsOnOrForAnotherPartition() {
    Map<Integer, Long> furthest = Map.of(0, 3_998L);
    assertNull(ValidateCommand.learnedNote(range(0, 3_998, 5_000), furthest));
    assertNull(ValidateCommand.learnedNote(range(1, 0, 100), furthest));
    assertNull(ValidateCommand.learnedNote(range(0, 0, 100), Map.of()));
  }
}
