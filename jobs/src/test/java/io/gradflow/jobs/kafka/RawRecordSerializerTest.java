package io.gradflow.jobs.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.gradflow.model.CompactExample;
import java.io.File;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OperatorSnapshotUtil;
import org.junit.jupiter.api.Test;

/**
 * {@link RawRecordSerializer}: what it writes reads back, its copies share the bytes but not the
 * decode result, and the decode pool's records in flight in a savepoint of the POJO-serializer
 * versions restore into the current code.
 *
 * <p>The fixture {@code decode-pool-pojo.snapshot} was written by {@link #writeFixture} with the
 * code of the last version that serialized {@link RawRecord} as a Flink POJO (before
 * {@code RawRecordSerializer}), as Flink's own migration tests write theirs with
 * {@link OperatorSnapshotUtil}. To rewrite it (only ever with that version's code), run this
 * test with {@code -Dgradflow.writeDecodePoolFixture=<absolute path>} and copy the file to
 * {@code jobs/src/test/resources/io/gradflow/jobs/kafka/decode-pool-pojo.snapshot}.
 */
class RawRecordSerializerTest {
  static final String FIXTURE = "decode-pool-pojo.snapshot";

  /** The records in flight in the fixture: examples, a record that is not Avro, no key. */
  static List<RawRecord> inFlight() {
    List<RawRecord> records = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      records.add(new RawRecord("examples", 2, 100 + i, 1_700_000_000_000L + i,
          ("k" + i).getBytes(StandardCharsets.UTF_8), ExampleDecoderTest.bytes(
              ExampleDecoderTest.good().setExampleId("e" + i).setLabel(i % 2 == 0 ? 1f : 0f))));
    }
    records.add(new RawRecord("examples", 2, 105, 1_700_000_000_005L, null,
        new byte[] {1, 2, 3}));
    records.add(new RawRecord("exämples", 0, 7, 0, null, ExampleDecoderTest.bytes(
        ExampleDecoderTest.good().setExampleId("ü"))));
    return records;
  }

  /** Never completes: every record it is given stays in flight, in the operator's state. */
  static final class Holding extends RichAsyncFunction<RawRecord, RawRecord> {
    private static final long serialVersionUID = 1L;

    @Override
    public void asyncInvoke(RawRecord input, ResultFuture<RawRecord> resultFuture) {}
  }

  static OneInputStreamOperatorTestHarness<RawRecord, RawRecord> pool(
      RichAsyncFunction<RawRecord, RawRecord> function, TypeSerializer<RawRecord> serializer)
      throws Exception {
    return new OneInputStreamOperatorTestHarness<>(new AsyncWaitOperatorFactory<>(function, 0,
        ParallelDecodeFunction.CAPACITY, AsyncDataStream.OutputMode.ORDERED), serializer);
  }

  /** The serializer the code of the time gives {@link RawRecord}, as a job would. */
  static TypeSerializer<RawRecord> currentSerializer() {
    return TypeInformation.of(RawRecord.class).createSerializer(new SerializerConfigImpl());
  }

  @Test
  void writeFixture() throws Exception {
    String target = System.getProperty("gradflow.writeDecodePoolFixture");
    if (target == null) {
      return;
    }
    try (var h = pool(new Holding(), currentSerializer())) {
      h.open();
      for (RawRecord r : inFlight()) {
        h.processElement(r, r.timestamp);
      }
      OperatorSubtaskState snapshot = h.snapshot(1, 1);
      OperatorSnapshotUtil.writeStateHandle(snapshot, new File(target).getAbsolutePath());
    }
  }

  @Test
  void rawRecordsTypeIsThisSerializer() {
    assertSame(RawRecordSerializer.INSTANCE, currentSerializer());
    assertSame(RawRecordSerializer.INSTANCE, new RawRecordDeserializer().getProducedType()
        .createSerializer(new SerializerConfigImpl()));
  }

  @Test
  void writtenRecordsReadBack() throws Exception {
    List<RawRecord> records = new ArrayList<>(inFlight());
    records.add(RawRecord.endOfInput("labels", 3));
    records.add(new RawRecord());
    records.add(new RawRecord("t", 0, Long.MAX_VALUE, Long.MIN_VALUE, new byte[0],
        new byte[0]));
    DataOutputSerializer out = new DataOutputSerializer(64);
    for (RawRecord r : records) {
      RawRecordSerializer.INSTANCE.serialize(r, out);
    }
    DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
    for (RawRecord r : records) {
      RawRecord read = RawRecordSerializer.INSTANCE.deserialize(in);
      assertEquals(r, read);
      assertEquals(r.topic, read.topic);
      assertArrayEquals(r.key, read.key);
      assertArrayEquals(r.value, read.value);
      assertEquals(r.isEndOfInput(), read.isEndOfInput());
    }
    assertEquals(0, in.available(), "every byte read");
  }

  /** The decode pool relies on it: a copy's result is its own, its bytes are shared. */
  @Test
  void copiesShareTheBytesButNotTheDecodeResult() {
    RawRecord r = inFlight().get(0);
    r.decoded = "decoded before";
    RawRecord copy = RawRecordSerializer.INSTANCE.copy(r);
    assertNotSame(r, copy);
    assertEquals(r, copy);
    assertSame(r.value, copy.value);
    assertSame(r.key, copy.key);
    assertNull(copy.decoded);
    copy.decoded = "decoded after";
    assertEquals("decoded before", r.decoded);
  }

  /**
   * A savepoint of the decode pool written by the POJO-serializer code restores: its records in
   * flight go through the pool again, in order, with their coordinates and bytes unchanged; and a
   * snapshot taken after the restore (now in this serializer's format) restores as well. Were
   * the old POJO snapshot not accepted, Flink would refuse the restore.
   */
  @Test
  void recordsInFlightOfAPojoSavepointRestore() throws Exception {
    URL fixture = getClass().getResource(FIXTURE);
    OperatorSubtaskState old = OperatorSnapshotUtil.readStateHandle(
        new File(fixture.toURI()).getAbsolutePath());
    List<RawRecord> expected = inFlight();

    OperatorSubtaskState migrated;
    try (var h = pool(new Holding(), currentSerializer())) {
      h.initializeState(old);
      h.open();
      migrated = h.snapshot(2, 2);
    }
    for (OperatorSubtaskState state : List.of(old, migrated)) {
      List<RawRecord> out;
      try (var h = pool(new ParallelDecodeFunction(ExampleDecoderTest.LOGISTIC, 2),
          currentSerializer())) {
        h.initializeState(state);
        h.open();
        h.endInput();
        out = h.extractOutputValues();
      }
      // The harness copies what the operator emits with the serializer, which leaves the
      // decode result behind (RawRecord.decoded is transient): the records themselves must be
      // the ones in flight, coordinates and bytes, in order.
      assertEquals(expected, out);
      for (int i = 0; i < expected.size(); i++) {
        RawRecord r = out.get(i);
        assertEquals(expected.get(i).topic, r.topic);
        assertArrayEquals(expected.get(i).key, r.key);
        assertArrayEquals(expected.get(i).value, r.value);
        assertEquals(expected.get(i).timestamp, r.timestamp);
      }
      CompactExample first = ExampleDecoderTest.LOGISTIC.decodeExample(out.get(0).value);
      assertEquals("e0", first.exampleId);
      assertEquals("exämples", out.get(6).topic);
    }
  }
}
