package io.gradflow.jobs.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradflow.jobs.cli.Command;
import io.gradflow.jobs.kafka.ExampleDecoder;
import io.gradflow.model.Loss;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Component;
import io.gradflow.schema.Entity;
import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import io.gradflow.schema.FeatureHashing;
import io.gradflow.schema.ModelSnapshot;
import io.gradflow.schema.SnapshotRow;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code inspect --entity/--feature/--feature-index}: the row ids it looks up are the ones the
 * job's decoders give the same entity and features (both the Avro object path and the bytes path
 * the Kafka job takes), and a snapshot's row is printed when held.
 */
class InspectLookupTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BITS = 18;

  private static Example example() {
    return Example.newBuilder().setExampleId("e1").setEventTime(Instant.ofEpochMilli(1))
        .setModelKey("m")
        .setEntities(List.of(new Entity("user", "u42"), new Entity("item", "Größe 7")))
        .setFeatures(List.of(new Feature("country", "DE", null, 1f),
            new Feature("f", null, 123_456L, 0.5f)))
        .setLabel(1f).build();
  }

  private static List<InspectCommand.Lookup> lookups() {
    return List.of(InspectCommand.Lookup.parse("entity", "user=u42"),
        InspectCommand.Lookup.parse("entity", "item=Größe 7"),
        InspectCommand.Lookup.parse("feature", "country=DE"),
        InspectCommand.Lookup.parse("feature-index", "f=123456"));
  }

  @Test
  void lookupsFindTheRowsTheDecodersGive() throws Exception {
    ExampleDecoder decoder = new ExampleDecoder(new FeatureHashing(BITS), Loss.LOGISTIC, "m");
    long[] fromObject = decoder.toCompact(example(), 2).rowIds;
    byte[] bytes = Codecs.codec(Example.class).encode(example());
    long[] fromBytes = decoder.decodeExample(bytes, 2).rowIds;
    List<Long> ids = new ArrayList<>();
    for (InspectCommand.Lookup l : lookups()) {
      ids.add(l.rowId(BITS));
    }
    for (long[] decoded : List.of(fromObject, fromBytes)) {
      List<Long> got = new ArrayList<>();
      Arrays.stream(decoded).forEach(got::add);
      assertTrue(got.containsAll(ids), "decoded " + got + ", looked up " + ids);
    }
    assertEquals(4, ids.stream().distinct().count());
  }

  @Test
  void aHeldRowIsPrintedAndAnAbsentOneIsNot() throws Exception {
    long user = InspectCommand.Lookup.parse("entity", "user=u42").rowId(BITS);
    ModelSnapshot s = ModelSnapshot.newBuilder().setModelKey("m").setCreatedAt(Instant.EPOCH)
        .setModel(new Component("factorization_machine", Map.of()))
        .setOptimizer(new Component("Adagrad", Map.of()))
        .setSignature(Map.of("model.hash_bits", String.valueOf(BITS)))
        .setRows(List.of(new SnapshotRow(7L, List.of(9f), 0f),
            new SnapshotRow(user, List.of(0.25f, -1.5f, 2f), 0f)))
        .build();
    JsonNode out = JSON.readTree(JSON.writeValueAsString(InspectCommand.lookUp(s, lookups())));
    assertEquals(4, out.size());
    assertEquals("user=u42", out.get(0).path("entity").textValue());
    assertEquals(user, out.get(0).path("row_id").longValue());
    assertTrue(out.get(0).path("found").booleanValue());
    assertEquals("[0.25,-1.5,2.0]", out.get(0).path("values").toString());
    assertEquals("country=DE", out.get(2).path("feature").textValue());
    assertFalse(out.get(2).path("found").booleanValue());
    assertTrue(out.get(2).path("values").isMissingNode());
  }

  @Test
  void aFeatureNeedsTheModelsHashBits() {
    ModelSnapshot s = ModelSnapshot.newBuilder().setModelKey("m").setCreatedAt(Instant.EPOCH)
        .setModel(new Component("logistic_regression", Map.of()))
        .setOptimizer(new Component("Adagrad", Map.of())).build();
    Command.UsageException e = assertThrows(Command.UsageException.class,
        () -> InspectCommand.lookUp(s, List.of(InspectCommand.Lookup.parse("feature", "a=b"))));
    assertTrue(e.getMessage().contains("model.hash_bits"), e.getMessage());
    // an entity's row needs no bits
    assertEquals(1, InspectCommand.lookUp(s,
        List.of(InspectCommand.Lookup.parse("entity", "user=1"))).size());
  }

  @Test
  void malformedRequestsAreOneLineNamingTheFlag() {
    assertTrue(assertThrows(Command.UsageException.class,
        () -> InspectCommand.Lookup.parse("entity", "u42")).getMessage()
        .contains("--entity takes TYPE=ID"));
    assertTrue(assertThrows(Command.UsageException.class,
        () -> InspectCommand.Lookup.parse("feature-index", "f=x")).getMessage()
        .contains("N an integer"));
  }

  @Test
  void theCommandPrintsLookupsPerModel(@TempDir Path dir) throws Exception {
    long user = FeatureHashing.entityRow("user", "u42");
    Path file = dir.resolve("model.avro");
    SnapshotFiles.write(List.of(ModelSnapshot.newBuilder().setModelKey("m")
        .setCreatedAt(Instant.EPOCH).setSchemaVersion(SnapshotFiles.SCHEMA_VERSION)
        .setModel(new Component("factorization_machine", Map.of()))
        .setOptimizer(new Component("Adagrad", Map.of()))
        .setSignature(Map.of("model.hash_bits", "18"))
        .setRows(List.of(new SnapshotRow(user, List.of(1f, 2f), 0f))).build()), file);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = InspectCommand.run(List.of(file.toString(), "--entity", "user=u42",
            "--entity", "user=nobody"), System.in, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
    JsonNode lookups = JSON.readTree(out.toString(StandardCharsets.UTF_8))
        .path("models").get(0).path("lookups");
    assertEquals("[1.0,2.0]", lookups.get(0).path("values").toString());
    assertFalse(lookups.get(1).path("found").booleanValue());
    assertTrue(Files.size(file) > 0);
  }

  @Test
  void theSourcesSentinelOffsetsAreNamed() {
    assertEquals(null, InspectCommand.offsetSentinel(0));
    assertTrue(InspectCommand.offsetSentinel(-2).startsWith("earliest: nothing read"));
    assertTrue(InspectCommand.offsetSentinel(-1).startsWith("latest: nothing read"));
    assertTrue(InspectCommand.offsetSentinel(-3).startsWith("committed: nothing read"));
  }
}
