package io.gradflow.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;

/**
 * The refusal of a value in Confluent Schema Registry's framing, or of a plain Avro body without a
 * header, says what the value is and what to do, where it used to say only "Unrecognized header
 * bytes: 0x00 0x00"; other bytes keep Avro's own message.
 */
class ForeignFramingTest {
  private static final RecordCodec<Example> EXAMPLES = Codecs.codec(Example.class);
  private static final Instant T = Instant.parse("2026-12-01T10:00:00Z");

  private static Example example(String id) {
    return Example.newBuilder().setExampleId(id).setEventTime(T).setModelKey("ctr")
        .setFeatures(List.of(new Feature("country", "DE", null, 1f))).setLabel(1f).build();
  }

  /** The plain Avro binary body, as {@code DatumWriter} and {@code BinaryEncoder} write it. */
  private static byte[] body(Example e) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
    new SpecificDatumWriter<Example>(Example.class).write(e, enc);
    enc.flush();
    return out.toByteArray();
  }

  /** Confluent's wire format: magic byte 0, the schema id big-endian, the body. */
  private static byte[] confluent(int schemaId, byte[] body) {
    return ByteBuffer.allocate(5 + body.length).put((byte) 0).putInt(schemaId).put(body).array();
  }

  private static String refusal(RecordCodec<?> codec, byte[] value) {
    return assertThrows(CodecException.class, () -> codec.decode(value)).getMessage();
  }

  @Test
  void confluentFramingIsNamedWithItsSchemaId() throws Exception {
    String m = refusal(EXAMPLES, confluent(17, body(example("e1"))));
    assertEquals("not a single-object-encoded Avro record: the value starts with Confluent Schema"
        + " Registry framing (magic byte 0, schema id 17, then an Example body), not Avro"
        + " single-object encoding; Gradflow reads Avro single-object encoding (C3 01, the writer"
        + " schema's 8-byte little-endian CRC-64-AVRO fingerprint, then the binary body): see"
        + " README 'Your own producer'", m);
    // A body of no known Example version after the framing: still the framing, no body named.
    String other = refusal(EXAMPLES, confluent(300, new byte[] {7, 7, 7}));
    assertTrue(other.contains("Confluent Schema Registry framing (magic byte 0, schema id 300),"),
        other);
  }

  @Test
  void aZeroByteBeforeANonPositiveIdIsNotCalledSchemaRegistryFraming() throws Exception {
    String m = refusal(EXAMPLES, new byte[] {0, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
        (byte) 0xFF, 7, 7, 7});
    assertTrue(!m.contains("Confluent"), m);
    String positive = refusal(EXAMPLES, confluent(300, new byte[] {7, 7, 7}));
    assertTrue(positive.contains("looks like it starts with Confluent"), positive);
  }

  @Test
  void aPlainBodyWithoutHeaderIsNamed() throws Exception {
    byte[] plain = body(example("e1"));
    assertEquals("not a single-object-encoded Avro record: the value is a plain Avro binary"
        + " Example body without a header (all its " + plain.length + " bytes read as one), not"
        + " Avro single-object encoding; " + ForeignFraming.WHAT_TO_DO, refusal(EXAMPLES, plain));
  }

  @Test
  void aPlainBodyOfAnOlderVersionIsNamedToo() throws Exception {
    Schema v1 = Codecs.historicalSchema("Example.v1.avsc");
    GenericRecord r = new GenericData.Record(v1);
    r.put("example_id", "old");
    r.put("event_time", T.toEpochMilli());
    r.put("model_key", null);
    Schema feature = v1.getField("features").schema().getElementType();
    GenericRecord f = new GenericData.Record(feature);
    f.put("namespace", "country");
    f.put("name", "DE");
    f.put("index", null);
    f.put("value", 1f);
    r.put("features", List.of(f));
    r.put("dense", List.of());
    r.put("label", 0f);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(v1).write(r, enc);
    enc.flush();
    assertTrue(refusal(EXAMPLES, out.toByteArray())
        .contains("a plain Avro binary Example body without a header"));
  }

  /** A plain body whose first string is empty starts with 0 as Confluent's framing does. */
  @Test
  void aPlainBodyStartingWithZeroIsNotTakenForConfluentFraming() throws Exception {
    byte[] plain = body(example(""));
    assertEquals(0, plain[0]);
    assertTrue(refusal(EXAMPLES, plain).contains("a plain Avro binary Example body"),
        refusal(EXAMPLES, plain));
  }

  /** Trial L8: JSON on the examples topic is named as JSON text, as Confluent framing is. */
  @Test
  void jsonTextIsNamed() {
    byte[] json = "{\"model_key\": \"default\", \"label\": 1.0}".getBytes(
        java.nio.charset.StandardCharsets.UTF_8);
    assertEquals("not a single-object-encoded Avro record: the value is JSON text (a JSON object,"
        + " all its " + json.length + " bytes), not Avro single-object encoding; Gradflow reads"
        + " Avro single-object encoding (C3 01, the writer schema's 8-byte little-endian"
        + " CRC-64-AVRO fingerprint, then the binary body): see README 'Your own producer'",
        refusal(EXAMPLES, json));
    assertTrue(refusal(EXAMPLES, " [1, 2]\n".getBytes()).contains("the value is JSON text (a JSON"
        + " array, all its 8 bytes)"));
    // Not all of it one JSON value: Avro's message.
    assertEquals("not a single-object-encoded Avro record: Unrecognized header bytes: 0x7B 0x22",
        refusal(EXAMPLES, "{\"model_key\": \"default\"".getBytes()));
    assertNull(ForeignFraming.explain("{\"a\": 1} {}".getBytes(), Example.class));
  }

  @Test
  void otherBytesKeepAvrosMessage() {
    assertEquals("not a single-object-encoded Avro record: Unrecognized header bytes: 0x68 0x65",
        refusal(EXAMPLES, "hello world".getBytes()));
    assertNull(ForeignFraming.explain(new byte[] {0, 0, 0}, Example.class), "too short");
    assertNull(ForeignFraming.explain(new byte[0], Example.class));
    // A Label's codec does not call an Example body a Label.
    assertNull(ForeignFraming.explain(new byte[] {2, 'x'}, Label.class));
  }

  /** An array bomb after the framing is checked before it is read: no OutOfMemoryError. */
  @Test
  void aLengthBombAfterTheFramingIsNotRead() throws Exception {
    ByteArrayOutputStream bomb = new ByteArrayOutputStream();
    BinaryEncoder enc = EncoderFactory.get().binaryEncoder(bomb, null);
    enc.writeString("e1");
    enc.writeLong(T.toEpochMilli());
    enc.writeIndex(1);
    enc.writeString("ctr");
    enc.writeArrayStart(); // entities: 2^30 items declared, none there
    enc.setItemCount(1 << 30);
    enc.flush();
    String m = refusal(EXAMPLES, confluent(5, bomb.toByteArray()));
    assertTrue(m.contains("Confluent Schema Registry framing (magic byte 0, schema id 5),"), m);
  }
}
