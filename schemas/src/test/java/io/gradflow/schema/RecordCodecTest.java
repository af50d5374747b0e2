package io.gradflow.schema;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

/** {@link RecordCodec.Encoder} writes exactly {@link RecordCodec#encode}'s bytes. */
class RecordCodecTest {

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void assertSameBytes(RecordCodec.Encoder encoder, SpecificRecord r) {
    RecordCodec codec = Codecs.codec(r.getClass());
    assertArrayEquals(codec.encode(r), encoder.encode(r), r.toString());
  }

  @Test
  @SuppressWarnings({"unchecked", "rawtypes"})
  void everyRecordTypeTwiceThroughOneEncoder() {
    for (SpecificRecord r : CodecsTest.oneOfEach()) {
      RecordCodec.Encoder encoder = Codecs.codec(r.getClass()).newEncoder();
      assertSameBytes(encoder, r);
      assertSameBytes(encoder, r); // the reused buffer starts empty again
    }
  }

  @Test
  void aRecordLargerThanTheKeptBufferAndTheNextAfterIt() {
    RecordCodec.Encoder<DeadLetterRecord> encoder =
        Codecs.codec(DeadLetterRecord.class).newEncoder();
    byte[] payload = new byte[RecordCodec.Encoder.KEPT_BUFFER * 3];
    for (int i = 0; i < payload.length; i++) {
      payload[i] = (byte) (i * 31);
    }
    List<DeadLetterRecord> records = new ArrayList<>();
    for (int size : new int[] {payload.length, 3, RecordCodec.Encoder.KEPT_BUFFER - 40, 0}) {
      records.add(new DeadLetterRecord("UNDECODABLE", "d\u00e9tail", "examples", 0, 7L,
          CodecsTest.T, null, ByteBuffer.wrap(payload, 0, size).slice(), false, null, size));
    }
    for (DeadLetterRecord r : records) {
      assertSameBytes(encoder, r);
    }
  }

  @Test
  void aRecordAvroCannotWriteFailsAndTheNextIsWhole() {
    RecordCodec.Encoder<Label> encoder = Codecs.codec(Label.class).newEncoder();
    Label bad = new Label(null, CodecsTest.T, 1f, null);
    assertThrows(RuntimeException.class, () -> encoder.encode(bad));
    assertSameBytes(encoder, new Label("after", CodecsTest.T, 0.5f, "k"));
  }
}
