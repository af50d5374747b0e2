package io.gradflow.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gradflow.learn.LearnerSpec;
import io.gradflow.metrics.MetricsSpec;
import io.gradflow.model.CompactExample;
import io.gradflow.schema.FeatureHashing;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The trainer sets a record's key only when it is not the current key already
 * ({@code TrainerOperator.setKeyContextElement}), and every record is still processed under its
 * own key, also after the operator set other keys itself between records (a batch timer, a
 * checkpoint's write-back, a session evicted by a cache of one page).
 */
class KeyContextTest {
  /** Counts the keys set and checks that each record is processed under its own key. */
  static final class Watched extends TrainerOperator {
    int keysSet;
    int records;

    Watched(LearnerSpec spec, int cachePages, Duration batchTimeout) {
      super(Map.of("", spec), new TrainerSettings(cachePages, 6, 1000, 0, MetricsSpec.DEFAULT)
          .withBatchTimeout(batchTimeout), FeatureHashing.DEFAULT_BITS);
    }

    @Override
    public void setCurrentKey(Object key) {
      keysSet++;
      super.setCurrentKey(key);
    }

    @Override
    public void processElement(StreamRecord<CompactExample> element) throws Exception {
      assertEquals(element.getValue().modelKey, getCurrentKey(),
          "the current key while record " + records + " is processed");
      records++;
      super.processElement(element);
    }
  }

  static KeyedOneInputStreamOperatorTestHarness<String, CompactExample, Scored> harness(
      Watched operator) throws Exception {
    return new KeyedOneInputStreamOperatorTestHarness<>(operator, e -> e.modelKey, Types.STRING);
  }

  /** The examples with a fresh String for each key, as a deserializer gives them. */
  static List<CompactExample> freshKeys(List<CompactExample> examples) {
    List<CompactExample> out = new ArrayList<>();
    for (CompactExample e : examples) {
      out.add(new CompactExample(e.exampleId, new String(e.modelKey), e.eventTime, e.rowIds,
          e.values, e.dense, e.label, e.weight));
    }
    return out;
  }

  @Test
  void aRunOfOneModelSetsItsKeyOnce() throws Exception {
    List<CompactExample> examples = new ArrayList<>();
    for (CompactExample e : freshKeys(BatchTrainerOperatorTest.stream(300, 5))) {
      // Runs of 100 examples of one key: a, b, a.
      String key = examples.size() / 100 == 1 ? "b" : "a";
      examples.add(new CompactExample(e.exampleId, new String(key), e.eventTime, e.rowIds,
          e.values, e.dense, e.label, e.weight));
    }
    Watched operator = new Watched(BatchTrainerOperatorTest.spec(BatchTrainerOperatorTest.MLP, 1),
        1_000, Duration.ZERO);
    try (var h = harness(operator)) {
      h.open();
      int before = operator.keysSet;
      TrainerOperatorTest.run(h, examples);
      assertEquals(300, operator.records);
      assertEquals(3, operator.keysSet - before, "keys set for three runs of one key");
    }
  }

  @Test
  void everyRecordIsProcessedUnderItsOwnKey() throws Exception {
    // Runs of five examples of one key (a, b, a, ...), batches of 8 stepped by a timer of 1 s
    // that fires inside a run (it sets the keys of the batches it steps, the last of which may be
    // the other model's), and checkpoints between runs; with a cache of one page every key
    // switch also evicts the other model's session.
    List<CompactExample> examples = new ArrayList<>();
    for (CompactExample e : BatchTrainerOperatorTest.stream(600, 23)) {
      String key = examples.size() / 5 % 2 == 0 ? "a" : "b";
      examples.add(new CompactExample(e.exampleId, new String(key), e.eventTime, e.rowIds,
          e.values, e.dense, e.label, e.weight));
    }
    LearnerSpec spec = BatchTrainerOperatorTest.spec(BatchTrainerOperatorTest.MLP, 8);
    List<Double> expected = null;
    for (int cachePages : new int[] {1_000, 1}) {
      Watched operator = new Watched(spec, cachePages, Duration.ofSeconds(1));
      List<Double> got = new ArrayList<>();
      try (var h = harness(operator)) {
        h.open();
        for (int i = 0; i < examples.size(); i += 10) {
          int inside = i + 1 + (i / 10) % 4;
          got.addAll(TrainerOperatorTest.run(h, examples.subList(i, inside)));
          h.setProcessingTime(i * 100L);
          got.addAll(TrainerOperatorTest.run(h, examples.subList(inside, i + 10)));
          if (i % 30 == 0) {
            h.snapshot(i, i);
          }
        }
      }
      assertEquals(600, operator.records);
      if (expected == null) {
        expected = got;
      } else {
        assertEquals(expected, got, "the predictions with a cache of one page");
      }
    }
  }
}
