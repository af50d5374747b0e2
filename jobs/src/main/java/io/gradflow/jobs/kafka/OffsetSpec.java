package io.gradflow.jobs.kafka;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.common.TopicPartition;

/**
 * A position in the input topics: where a source starts or where a bounded replay ends.
 * Configuration: {@code earliest}, {@code latest}, {@code committed} (the group's committed
 * offsets, earliest where none), {@code {timestamp: <epoch millis or ISO-8601 instant>}} or
 * {@code {offsets: {"<topic>:<partition>": <offset>, ...}}}.
 */
public sealed interface OffsetSpec {
  /** The Flink connector's initializer for this position. */
  OffsetsInitializer initializer();

  record Earliest() implements OffsetSpec {
    @Override
    public OffsetsInitializer initializer() {
      return OffsetsInitializer.earliest();
    }
  }

  record Latest() implements OffsetSpec {
    @Override
    public OffsetsInitializer initializer() {
      return OffsetsInitializer.latest();
    }
  }

  /** The consumer group's committed offsets; partitions without one start at the earliest. */
  record Committed() implements OffsetSpec {
    @Override
    @SuppressWarnings("deprecation")
    public OffsetsInitializer initializer() {
      return OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
    }
  }

  /** The first offset whose record timestamp is at or after {@code epochMillis}. */
  record Timestamp(long epochMillis) implements OffsetSpec {
    @Override
    public OffsetsInitializer initializer() {
      return OffsetsInitializer.timestamp(epochMillis);
    }
  }

  /** Explicit offsets per partition. */
  record Offsets(Map<TopicPartition, Long> offsets) implements OffsetSpec {
    public Offsets {
      offsets = new LinkedHashMap<>(offsets);
    }

    @Override
    public OffsetsInitializer initializer() {
      return OffsetsInitializer.offsets(new LinkedHashMap<>(offsets));
    }
  }
}
