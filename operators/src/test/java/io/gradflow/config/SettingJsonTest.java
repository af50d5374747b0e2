package io.gradflow.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link SettingType#json} and {@link Setting#json}, the typed values of the audit record's
 * configuration: each declared type's plain JSON data, secrets masked (the whole value of a
 * {@link Setting#secret()} setting, a map entry named like a secret), lists and maps unmodifiable
 * in their order with nulls kept, the position {@code none} and a missing value as null, zero
 * durations with their unit.
 */
@SuppressWarnings("unchecked")
class SettingJsonTest {

  private static <T> Object json(SettingType<T> type, String key, Object raw) {
    return type.json(type.parse(key, raw, false));
  }

  @Test
  void scalarsKeepTheirType() {
    assertEquals(3, json(SettingType.integer(), "a", 3));
    assertEquals(7L, json(SettingType.longInteger(), "a", 7));
    assertEquals(0.5, json(SettingType.number(), "a", 0.5));
    assertEquals(Boolean.TRUE, json(SettingType.bool(), "a", true));
    assertEquals("adam", json(SettingType.choice("adam", "sgd"), "a", "adam"));
    assertEquals("x", json(SettingType.string(), "a", "x"));
    assertEquals(List.of(0.9, 0.999), json(SettingType.pair(), "a", List.of(0.9, 0.999)));
    assertEquals(List.of(8, 4), json(SettingType.positiveIntegers(), "a", List.of(8, 4)));
  }

  @Test
  void durationsAsTheJobFileSpellsThemZeroWithItsUnit() {
    assertEquals("0s", json(SettingType.duration(), "a", 0));
    assertEquals("0s", json(SettingType.duration(), "a", "0s"));
    assertEquals("10s", json(SettingType.duration(), "a", "10s"));
    assertEquals("6h", json(SettingType.duration(), "a", "PT6H"));
    assertEquals("500ms", json(SettingType.duration(), "a", 500));
    assertEquals(Duration.ZERO, Durations.parse("a", (String) SettingType.plain(Duration.ZERO)));
    // A period keeps what the job file wrote: steps as a number, an event-time period as text.
    assertEquals(1000L, json(SettingType.period(), "a", 1000));
    assertEquals("6h", json(SettingType.period(), "a", "6h"));
  }

  @Test
  void positionsOfEveryKind() {
    SettingType<StreamPosition> start = SettingType.position(false);
    SettingType<StreamPosition> end = SettingType.position(true);
    assertEquals("committed", json(start, "s", "committed"));
    assertEquals("earliest", json(start, "s", "earliest"));
    assertEquals("latest", json(end, "b", "latest"));
    assertEquals(Map.of("timestamp", 1_700_000_000_000L),
        json(start, "s", Map.of("timestamp", 1_700_000_000_000L)));
    Map<String, Object> offsets = new LinkedHashMap<>();
    offsets.put("clicks:1", 20);
    offsets.put("clicks:0", 10);
    Object o = json(start, "s", Map.of("offsets", offsets));
    assertEquals(Map.of("offsets", Map.of("clicks:1", 20L, "clicks:0", 10L)), o);
    assertEquals(List.of("clicks:1", "clicks:0"),
        new ArrayList<>(((Map<?, ?>) ((Map<?, ?>) o).get("offsets")).keySet()), "in order");
    // "none" written out is no position, as when left out.
    assertNull(json(end, "b", "none"));
    assertNull(Setting.optional("bounded", end, "none", null, "").json(null));
  }

  @Test
  void mapsMaskEntriesNamedLikeSecretsAndKeepTheirOrder() {
    Map<String, Object> raw = new LinkedHashMap<>();
    raw.put("security.protocol", "SASL_SSL");
    raw.put("sasl.jaas.config", "s3cr3t");
    raw.put("ssl.key.password", "s3cr3t");
    raw.put("linger.ms", 5);
    Object o = json(SettingType.stringMap(), "kafka.properties", raw);
    assertEquals(List.of("security.protocol", "sasl.jaas.config", "ssl.key.password",
        "linger.ms"), new ArrayList<>(((Map<?, ?>) o).keySet()));
    assertEquals(Map.of("security.protocol", "SASL_SSL", "sasl.jaas.config", SettingType.MASK,
        "ssl.key.password", SettingType.MASK, "linger.ms", "5"), o);
  }

  @Test
  void listsAndMapsAreUnmodifiableWithNullsKept() {
    Object list = SettingType.plain(Arrays.asList(1, null, Duration.ofSeconds(30)));
    assertEquals(Arrays.asList(1, null, "30s"), list);
    assertThrows(UnsupportedOperationException.class, () -> ((List<Object>) list).add(2));
    Map<String, Object> raw = new LinkedHashMap<>();
    raw.put("b", null);
    raw.put("a", List.of(2));
    Object map = SettingType.plain(raw);
    assertEquals(raw, map);
    assertEquals(List.of("b", "a"), new ArrayList<>(((Map<?, ?>) map).keySet()));
    assertThrows(UnsupportedOperationException.class,
        () -> ((Map<String, Object>) map).put("c", 1));
    assertThrows(UnsupportedOperationException.class,
        () -> ((List<Object>) ((Map<?, ?>) map).get("a")).add(3));
    Object position = json(SettingType.position(false), "s", Map.of("offsets", Map.of("t:0", 1)));
    assertThrows(UnsupportedOperationException.class,
        () -> ((Map<String, Object>) position).clear());
  }

  @Test
  void aSecretSettingIsMaskedWholeAndNoValueStaysNull() {
    Setting<String> password = Setting.of("password", SettingType.string(), "", null, "")
        .secret();
    assertEquals(SettingType.MASK, password.json("hunter2"));
    assertEquals("'****'", password.show("hunter2"));
    assertNull(password.json(null));
    Setting<Map<String, String>> properties = Setting.optional("properties",
        SettingType.stringMap(), "none", null, "").secret();
    assertEquals(SettingType.MASK, properties.json(Map.of("security.protocol", "SSL")));
    Setting<Integer> open = Setting.of("n", SettingType.integer(), 1, null, "");
    assertInstanceOf(Integer.class, open.json(4));
    assertNull(open.json(null));
  }
}
