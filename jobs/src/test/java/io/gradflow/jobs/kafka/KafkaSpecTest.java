package io.gradflow.jobs.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.gradflow.config.ConfigException;
import java.time.Duration;
import java.util.Map;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class KafkaSpecTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @SuppressWarnings("unchecked")
  static KafkaSpec parse(String yaml) throws Exception {
    return KafkaSpec.fromMap(YAML.readValue(yaml, Map.class));
  }

  static String error(String yaml) {
    return assertThrows(ConfigException.class, () -> parse(yaml)).getMessage();
  }

  @Test
  void defaults() throws Exception {
    KafkaSpec s = parse("bootstrap_servers: localhost:9092");
    assertEquals(KafkaSpec.Topics.DEFAULT, s.topics());
    assertEquals("gradflow", s.groupId());
    assertInstanceOf(OffsetSpec.Committed.class, s.startingOffsets());
    assertNull(s.bounded());
    assertEquals(DeliveryGuarantee.EXACTLY_ONCE, s.deliveryGuarantee());
    assertEquals(Duration.ofMinutes(15), s.transactionTimeout());
    assertEquals("gradflow", s.transactionalIdPrefix());
  }

  @Test
  void everySetting() throws Exception {
    KafkaSpec s = parse("""
        bootstrap_servers: a:1,b:2
        group_id: train
        topics: {examples: ex, dead_letters: dlq}
        starting_offsets: {offsets: {"ex:0": 5, "ex:1": 7}}
        bounded: {timestamp: "2024-01-31T12:00:00Z"}
        delivery_guarantee: at_least_once
        transaction_timeout: 5m
        transactional_id_prefix: tx
        properties: {security.protocol: SSL}
        """);
    assertEquals("ex", s.topics().examples());
    assertEquals("labels", s.topics().labels());
    assertEquals("dlq", s.topics().deadLetters());
    assertEquals(Map.of(new TopicPartition("ex", 0), 5L, new TopicPartition("ex", 1), 7L),
        ((OffsetSpec.Offsets) s.startingOffsets()).offsets());
    assertEquals(1706702400000L, ((OffsetSpec.Timestamp) s.bounded()).epochMillis());
    assertEquals(DeliveryGuarantee.AT_LEAST_ONCE, s.deliveryGuarantee());
    assertEquals(Duration.ofMinutes(5), s.transactionTimeout());
    assertEquals("tx", s.transactionalIdPrefix());
    assertEquals("SSL", s.clientProperties().getProperty("security.protocol"));
    assertInstanceOf(OffsetSpec.Earliest.class,
        parse("{bootstrap_servers: x, starting_offsets: earliest}").startingOffsets());
    assertInstanceOf(OffsetSpec.Latest.class,
        parse("{bootstrap_servers: x, bounded: latest}").bounded());
    assertNull(parse("{bootstrap_servers: x, bounded: none}").bounded());
    assertEquals(1000L, ((OffsetSpec.Timestamp) parse(
        "{bootstrap_servers: x, starting_offsets: {timestamp: 1000}}").startingOffsets())
        .epochMillis());
  }

  /** Refused when the file is read, so that --validate-only refuses it as start-up does. */
  @Test
  void configProvidersAreRefusedWhenTheFileIsRead() {
    assertTrue(error("{bootstrap_servers: x, properties: {config.providers: env}}")
        .startsWith("kafka.properties.config.providers: Gradflow sets config.providers"));
    assertTrue(error("{bootstrap_servers: x, properties: {config.providers.file.class: x.Y}}")
        .startsWith("kafka.properties.config.providers.file.class: Gradflow sets"));
  }

  @Test
  void messagesNameTheKey() {
    assertEquals("kafka.bootstrap_servers must be set, but was missing",
        error("group_id: g"));
    assertEquals("kafka.topic is not a setting; did you mean topics? accepted:"
        + " bootstrap_servers, group_id,"
        + " starting_offsets, bounded, delivery_guarantee, transaction_timeout,"
        + " transaction_max_timeout, transactional_id_prefix, properties, topics",
        error("{bootstrap_servers: x, topic: y}"));
    assertEquals("kafka.topics.example is not a setting; did you mean examples? accepted:"
        + " examples, labels,"
        + " predictions, metrics, changelog, dead_letters",
        error("{bootstrap_servers: x, topics: {example: y}}"));
    assertEquals("kafka.topics.labels must be a non-empty string, but was ''",
        error("{bootstrap_servers: x, topics: {labels: ''}}"));
    assertEquals("kafka.starting_offsets must be earliest, latest, committed, {timestamp: ...}"
        + " or {offsets: {\"topic:partition\": offset}}, but was 'first'",
        error("{bootstrap_servers: x, starting_offsets: first}"));
    assertEquals("kafka.bounded must be none, latest, a timestamp or offsets, but was earliest",
        error("{bootstrap_servers: x, bounded: earliest}"));
    assertEquals("kafka.starting_offsets.offsets.ex must be named topic:partition (for example"
        + " examples:0), but was 'ex'",
        error("{bootstrap_servers: x, starting_offsets: {offsets: {ex: 1}}}"));
    assertEquals("kafka.starting_offsets.offsets.ex:0 must be an offset >= 0, but was -1",
        error("{bootstrap_servers: x, starting_offsets: {offsets: {\"ex:0\": -1}}}"));
    assertEquals("kafka.bounded.timestamp must be epoch milliseconds or an ISO-8601 instant"
        + " (2024-01-31T12:00:00Z), but was 'yesterday'",
        error("{bootstrap_servers: x, bounded: {timestamp: yesterday}}"));
    assertEquals("kafka.delivery_guarantee must be one of exactly_once, at_least_once, but was"
        + " 'none'",
        error("{bootstrap_servers: x, delivery_guarantee: none}"));
    assertEquals("kafka.transaction_timeout must be <= kafka.transaction_max_timeout (PT15M, the"
        + " broker's transaction.max.timeout.ms), but was PT1H: lower it, or raise both on the"
        + " broker and here", error("{bootstrap_servers: x, transaction_timeout: 1h}"));
    assertEquals("kafka.transaction_timeout must be a duration such as 500ms, 10s, 5m, 6h, 2d or"
        + " PT6H, but was 'soon'", error("{bootstrap_servers: x, transaction_timeout: soon}"));
    assertEquals("kafka.transaction_timeout must be > 0, but was 0",
        error("{bootstrap_servers: x, transaction_timeout: 0}"));
    assertEquals("kafka.topics must be a map of settings, but was 'examples'",
        error("{bootstrap_servers: x, topics: examples}"));
  }

  @Test
  void durations() {
    assertEquals(Duration.ofMillis(500), KafkaSpec.duration("k", "500ms"));
    assertEquals(Duration.ofSeconds(30), KafkaSpec.duration("k", "30s"));
    assertEquals(Duration.ofMinutes(15), KafkaSpec.duration("k", "15min"));
    assertEquals(Duration.ofHours(2), KafkaSpec.duration("k", "2h"));
    assertEquals(Duration.ofMinutes(15), KafkaSpec.duration("k", "PT15M"));
    assertEquals(Duration.ofMillis(900000), KafkaSpec.duration("k", 900000));
  }

  private static java.util.Properties producerConfig(KafkaSink<?> sink) throws Exception {
    java.lang.reflect.Field f = KafkaSink.class.getDeclaredField("kafkaProducerConfig");
    f.setAccessible(true);
    return (java.util.Properties) f.get(sink);
  }

  @Test
  void aSinksOwnProducerDefaultsGiveWayToTheUsersProperties() throws Exception {
    AvroMapper<DeadLetter> mapper = AvroMapper.deadLetters();
    KafkaSpec plain = parse("bootstrap_servers: localhost:9092");
    assertEquals("131072", producerConfig(plain.sink("predictions", "predictions", mapper,
        Map.of("batch.size", "131072"))).getProperty("batch.size"));
    assertNull(producerConfig(plain.sink("metrics", "metrics", mapper))
        .getProperty("batch.size"));
    KafkaSpec set =
        parse("bootstrap_servers: localhost:9092\nproperties: {batch.size: '4096'}");
    assertEquals("4096", producerConfig(set.sink("predictions", "predictions", mapper,
        Map.of("batch.size", "131072"))).getProperty("batch.size"));
  }
}
