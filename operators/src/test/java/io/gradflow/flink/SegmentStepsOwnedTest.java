package io.gradflow.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.learn.LearnerSpec;
import io.gradflow.metrics.MetricsSpec;
import io.gradflow.model.CompactExample;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The configuration history's segment starts ({@code segment_step.<segment>.<model key>}) live in
 * union operator state, which hands every subtask every copy: each subtask keeps only the keys
 * whose key group it owns, so the state grows with the keys, not with keys times parallelism, and
 * each subtask's bound counts its own keys.
 */
class SegmentStepsOwnedTest {
  private static final int MAX_PARALLELISM = 128;
  private static final int KEYS = 200;

  private static Map<String, String> restoredRecord() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("configuration", "{}");
    p.put(TrainerOperator.SEGMENT_ENTRY, "1");
    for (int k = 0; k < KEYS; k++) {
      p.put(TrainerOperator.SEGMENT_STEP_PREFIX + "1.tenant.k" + k, Integer.toString(k));
    }
    return p;
  }

  private static Set<String> keptKeys(int subtasks, int index) throws Exception {
    Map<String, LearnerSpec> candidates = Map.of("", TrainerSignatureTest.ADAM);
    TrainerOperator operator = new TrainerOperator(candidates,
        new TrainerSettings(3, 6, 1000, 0, MetricsSpec.DEFAULT), 20, restoredRecord(),
        ProvenanceCarry.REPLACE);
    try (var h = new KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored>(
        operator, e -> e.modelKey, Types.STRING, MAX_PARALLELISM, subtasks, index)) {
      h.open();
      Map<String, String> kept = operator.provenanceRecord();
      assertEquals("1", kept.get(TrainerOperator.SEGMENT_ENTRY), "the shared entries stay");
      Set<String> keys = new HashSet<>();
      kept.keySet().forEach(k -> {
        String key = TrainerOperator.segmentStepKey(k);
        if (key != null) {
          keys.add(key);
          assertEquals(key.substring("tenant.k".length()), kept.get(k));
        }
      });
      return keys;
    }
  }

  @Test
  void eachSubtaskKeepsTheSegmentStartsOfTheKeysItOwns() throws Exception {
    Set<String> first = keptKeys(2, 0);
    Set<String> second = keptKeys(2, 1);
    assertFalse(first.isEmpty() || second.isEmpty(), first + " " + second);
    Set<String> all = new HashSet<>(first);
    all.addAll(second);
    assertEquals(KEYS, all.size(), "every key kept by one subtask");
    assertEquals(KEYS, first.size() + second.size(), "and by one only");
    for (String key : first) {
      assertTrue(KeyGroupRangeAssignment.assignKeyToParallelOperator(key, MAX_PARALLELISM, 2)
          == 0, key);
    }
    assertEquals(KEYS, keptKeys(1, 0).size(), "one subtask keeps every key");
  }

  @Test
  void aModelKeyMayHoldDots() {
    assertEquals("tenant.k7", TrainerOperator.segmentStepKey(
        TrainerOperator.SEGMENT_STEP_PREFIX + "12.tenant.k7"));
    assertEquals(null, TrainerOperator.segmentStepKey("configuration_segment"));
  }
}
