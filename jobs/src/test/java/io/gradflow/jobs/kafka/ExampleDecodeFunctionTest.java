package io.gradflow.jobs.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.model.CompactExample;
import io.gradflow.schema.Feature;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.DefaultOpenContext;
import org.apache.flink.streaming.util.MockStreamingRuntimeContext;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;

/**
 * Every example the decode function emits is a new object with arrays of its own, unchanged by
 * the records decoded after it: at parallelism 1 the trainer is chained to this function with
 * object reuse on ({@code TrainPipeline}), so it receives these very objects, and a race's
 * candidates share their arrays. A decoder that reused its output (or a scratch array inside it)
 * would corrupt what a downstream operator still holds; this test fails then.
 */
class ExampleDecodeFunctionTest {
  /**
   * Examples of varied shape (features, entities, dense values), in pairs of the same shape (so
   * that a decoder reusing arrays of the size it needs shows).
   */
  static List<RawRecord> records(int n) {
    List<RawRecord> records = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      List<Feature> features = new ArrayList<>();
      for (int f = 0; f <= i / 2 % 5; f++) {
        features.add(new Feature("f" + f, "v" + i, null, 1f + i));
      }
      List<Float> dense = new ArrayList<>();
      for (int d = 0; d < i / 2 % 3; d++) {
        dense.add((float) (i + d));
      }
      byte[] value = ExampleDecoderTest.bytes(ExampleDecoderTest.good().setExampleId("e" + i)
          .setFeatures(features).setDense(dense).setLabel(i % 2 == 0 ? 1f : 0f)
          .setModelKey("m" + i % 3));
      records.add(new RawRecord("examples", 0, i, 1_700_000_000_000L + i,
          ("k" + i).getBytes(StandardCharsets.UTF_8), value));
    }
    return records;
  }

  static ExampleDecodeFunction opened() {
    ExampleDecodeFunction f = new ExampleDecodeFunction(ExampleDecoderTest.LOGISTIC);
    f.setRuntimeContext(new MockStreamingRuntimeContext(1, 0));
    f.open(DefaultOpenContext.INSTANCE);
    return f;
  }

  /** Runs the records through a fresh decode function and keeps its outputs as they are. */
  static List<CompactExample> emitted(List<RawRecord> records) throws Exception {
    ExampleDecodeFunction f = opened();
    List<CompactExample> out = new ArrayList<>();
    Collector<CompactExample> keep = new Collector<>() {
      @Override
      public void collect(CompactExample e) {
        out.add(e);
      }

      @Override
      public void close() {}
    };
    for (RawRecord r : records) {
      f.processElement(r, null, keep);
    }
    return out;
  }

  static void assertOwnAndUnchanged(List<RawRecord> records, List<CompactExample> out)
      throws Exception {
    assertEquals(records.size(), out.size());
    Map<Object, Integer> owners = new IdentityHashMap<>();
    for (int i = 0; i < out.size(); i++) {
      CompactExample e = out.get(i);
      CompactExample fresh = ExampleDecoderTest.LOGISTIC.decodeExample(records.get(i).value);
      assertEquals("e" + i, e.exampleId, "example " + i + " was overwritten");
      assertEquals(fresh.modelKey, e.modelKey, "example " + i);
      assertArrayEquals(fresh.rowIds, e.rowIds, "example " + i + " rows");
      assertArrayEquals(fresh.values, e.values, "example " + i + " values");
      assertArrayEquals(fresh.dense, e.dense, "example " + i + " dense");
      assertEquals(fresh.label, e.label, "example " + i + " label");
      for (Object part : new Object[] {e, e.rowIds, e.values, e.dense}) {
        boolean empty = part instanceof long[] a ? a.length == 0
            : part instanceof float[] b && b.length == 0;
        Integer other = empty ? null : owners.put(part, i);
        assertEquals(null, other, "examples " + other + " and " + i + " share an object");
      }
    }
  }

  @Test
  void everyEmittedExampleIsItsOwnAndStaysAsDecoded() throws Exception {
    List<RawRecord> records = records(40);
    assertOwnAndUnchanged(records, emitted(records));
  }

  /** The same behind the decode pool ({@code job.decode_parallelism} above 1). */
  @Test
  void soDoesEveryExampleThePoolDecoded() throws Exception {
    List<RawRecord> records = records(40);
    ParallelDecodeFunction pool = ParallelDecodeFunctionTest.opened(2);
    try {
      ParallelDecodeFunctionTest.invokeAll(pool, records);
    } finally {
      pool.close();
    }
    for (RawRecord r : records) {
      assertTrue(r.decoded instanceof CompactExample, "the pool decoded " + r.offset);
    }
    assertOwnAndUnchanged(records, emitted(records));
  }
}
