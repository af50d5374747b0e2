package io.gradflow.jobs.produce;

import io.gradflow.model.Loss;
import io.gradflow.schema.Example;
import java.util.Iterator;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * An endless, seeded, reproducible stream of synthetic examples with their ground truth: the
 * same spec and seed give the same examples, bit for bit, on every machine. Usable without Kafka
 * (the demo, the trainer's tests) and by {@code gradflow produce}. Not thread-safe: one consumer.
 */
public interface SyntheticGenerator extends Iterator<SyntheticExample> {
  /** The loss whose label domain this generator's labels are in (logistic: [0, 1]). */
  Loss labelLoss();

  /** Always true: the stream is endless. */
  @Override
  default boolean hasNext() {
    return true;
  }

  /** The next {@code limit} examples with their truth. */
  default Stream<SyntheticExample> stream(long limit) {
    return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this, Spliterator.ORDERED),
        false).limit(limit);
  }

  /** The next {@code limit} examples. */
  default Stream<Example> examples(long limit) {
    return stream(limit).map(SyntheticExample::example);
  }
}
