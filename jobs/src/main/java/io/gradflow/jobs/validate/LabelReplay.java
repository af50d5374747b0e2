package io.gradflow.jobs.validate;

import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.kafka.CompactLabel;
import io.gradflow.jobs.kafka.ExampleDecoder;
import io.gradflow.jobs.kafka.RawRecord;
import io.gradflow.jobs.kafka.RejectedRecordException;
import io.gradflow.jobs.train.TrainJob;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Example;
import io.gradflow.schema.RecordCodec;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * The delayed-label join of a replay, done once in the client, so that every savepoint sees the
 * same sequence of examples and the replay is bit-identical run after run. (In the live job the
 * joined examples meet the unlabeled ones at the trainer in whatever order the network delivers
 * them, so no two runs need agree.)
 *
 * <p>The two ranges are merged into one sequence: each partition keeps its order, and among the
 * partitions' next records the one with the smallest record timestamp comes first (examples
 * before labels, then the lower partition, on a tie). The sequence then goes through the rules of
 * the job's join ({@code LabelJoinFunction}): every example record passes as it is (an unlabeled
 * one is scored); an unlabeled example is joined with the label of the same example id that
 * arrives before its deadline (its event time plus {@code labels.timeout}) and the labeled copy
 * follows at the label's place; one still waiting when the watermark passes its deadline gets
 * {@code labels.default_label} (or is dropped); a label whose example does not come by the label's
 * deadline is an orphan; a second label of an id whose first is still waiting is a duplicate,
 * ignored (the first is joined). The watermark: per input, the largest event time seen less
 * {@link TrainJob#OUT_OF_ORDERNESS} and one millisecond; the join's is the smaller of the two
 * (an input with no record in the range does not hold it back); the end of the range passes
 * every deadline, as the end of a bounded run does. The job's watermark is the least of its
 * partitions' (since 2026-12-03); over this sequence, merged by record timestamp, the two agree
 * when the record timestamps are the event times.
 *
 * <p>Examples the job would refuse pass unchanged and join no label (the replay's decoder turns
 * them into dead letters, as the job does); labels the job would refuse are counted and left
 * out.
 */
final class LabelReplay {
  /** The joined sequence and what the join did. */
  record Result(List<RawRecord> records, long labels, long joined, long defaulted, long dropped,
      long orphans, long refused, long duplicates) {
    Map<String, Object> counts() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("records", labels);
      m.put("joined", joined);
      m.put("default_labeled", defaulted);
      m.put("dropped", dropped);
      m.put("orphans", orphans);
      m.put("refused", refused);
      m.put("duplicates", duplicates);
      return m;
    }
  }

  private static final RecordCodec<Example> EXAMPLES = Codecs.codec(Example.class);

  private final TrainConfig.LabelSettings settings;
  private final ExampleDecoder decoder;
  private final List<RawRecord> out = new ArrayList<>();
  private final Map<String, Waiting<Example>> pending = new HashMap<>();
  private final Map<String, Waiting<CompactLabel>> early = new HashMap<>();
  private final PriorityQueue<Deadline> deadlines = new PriorityQueue<>(
      Comparator.comparingLong(Deadline::at).thenComparingLong(Deadline::sequence));
  private long sequence;
  private long exampleWatermark = Long.MIN_VALUE;
  private long labelWatermark = Long.MIN_VALUE;
  private boolean sawExample;
  private boolean sawLabel;
  private long labels;
  private long joined;
  private long defaulted;
  private long dropped;
  private long orphans;
  private long duplicates;
  private long refused;

  private record Waiting<T>(T value, RawRecord raw, long deadline) {}

  private record Deadline(long at, long sequence, String exampleId, boolean isExample) {}

  private LabelReplay(TrainConfig.LabelSettings settings, ExampleDecoder decoder) {
    this.settings = settings;
    this.decoder = decoder;
  }

  /**
   * Joins a range of the examples topic with a range of the labels topic.
   *
   * @param examples the examples range, each partition in offset order
   * @param labelRecords the labels range, each partition in offset order
   */
  static Result join(List<RawRecord> examples, List<RawRecord> labelRecords,
      TrainConfig.LabelSettings settings, ExampleDecoder decoder) {
    LabelReplay join = new LabelReplay(settings, decoder);
    List<Deque<RawRecord>> inputs = new ArrayList<>(partitions(examples));
    int exampleInputs = inputs.size();
    inputs.addAll(partitions(labelRecords));
    while (true) {
      int next = -1;
      for (int i = 0; i < inputs.size(); i++) {
        RawRecord head = inputs.get(i).peek();
        if (head != null && (next < 0 || head.timestamp < inputs.get(next).peek().timestamp)) {
          next = i;
        }
      }
      if (next < 0) {
        break;
      }
      RawRecord r = inputs.get(next).poll();
      if (next < exampleInputs) {
        join.example(r);
      } else {
        join.label(r);
      }
      join.fire(join.watermark());
    }
    join.fire(Long.MAX_VALUE);
    return new Result(join.out, join.labels, join.joined, join.defaulted, join.dropped,
        join.orphans, join.refused, join.duplicates);
  }

  /** The records split by partition, each in the order given; partitions in first-seen order. */
  private static List<Deque<RawRecord>> partitions(List<RawRecord> records) {
    Map<Integer, Deque<RawRecord>> by = new LinkedHashMap<>();
    records.forEach(r -> by.computeIfAbsent(r.partition, p -> new ArrayDeque<>()).add(r));
    return new ArrayList<>(by.values());
  }

  private void example(RawRecord r) {
    out.add(r);
    Example e;
    try {
      e = EXAMPLES.decode(r.value);
      // The job's own checks: an example it refuses takes no label (its label is an orphan
      // there too), and the replay's decoder makes it a dead letter.
      decoder.toCompact(e);
    } catch (RejectedRecordException | RuntimeException ex) {
      return;
    }
    long eventTime = e.getEventTime().toEpochMilli();
    sawExample = true;
    exampleWatermark = Math.max(exampleWatermark, eventTime - outOfOrderness());
    if (e.getLabel() != null) {
      return;
    }
    String id = e.getExampleId();
    Waiting<CompactLabel> label = early.remove(id);
    if (label != null) {
      joined++;
      emit(e, r, label.value().label);
      return;
    }
    long deadline = settings.deadline(eventTime);
    pending.put(id, new Waiting<>(e, r, deadline));
    deadlines.add(new Deadline(deadline, sequence++, id, true));
  }

  private void label(RawRecord r) {
    labels++;
    CompactLabel label;
    try {
      label = decoder.decodeLabel(r.value);
    } catch (RejectedRecordException ex) {
      refused++;
      return;
    }
    sawLabel = true;
    labelWatermark = Math.max(labelWatermark, label.eventTime - outOfOrderness());
    Waiting<Example> example = pending.remove(label.exampleId);
    if (example != null) {
      joined++;
      emit(example.value(), example.raw(), label.label);
      return;
    }
    if (early.containsKey(label.exampleId)) {
      duplicates++; // as the job's join: the first label waiting for the example is joined
      return;
    }
    long deadline = settings.deadline(label.eventTime);
    early.put(label.exampleId, new Waiting<>(label, r, deadline));
    deadlines.add(new Deadline(deadline, sequence++, label.exampleId, false));
  }

  /** Times out every wait whose deadline the watermark has reached, in deadline order. */
  private void fire(long watermark) {
    while (!deadlines.isEmpty() && deadlines.peek().at() <= watermark) {
      Deadline d = deadlines.poll();
      if (d.isExample()) {
        Waiting<Example> w = pending.get(d.exampleId());
        if (w != null && w.deadline() == d.at()) {
          pending.remove(d.exampleId());
          if (settings.onTimeout() == TrainConfig.OnTimeout.DEFAULT_LABEL) {
            defaulted++;
            emit(w.value(), w.raw(), settings.defaultLabel());
          } else {
            dropped++;
          }
        }
      } else {
        Waiting<CompactLabel> w = early.get(d.exampleId());
        if (w != null && w.deadline() == d.at()) {
          early.remove(d.exampleId());
          orphans++;
        }
      }
    }
  }

  /** The join's watermark: the smaller of the inputs' (an input with no record holds none). */
  private long watermark() {
    if (!sawExample) {
      return sawLabel ? labelWatermark : Long.MIN_VALUE;
    }
    return sawLabel ? Math.min(exampleWatermark, labelWatermark) : exampleWatermark;
  }

  /** The example with its label, encoded as the examples topic holds it, at the label's place. */
  private void emit(Example e, RawRecord raw, float label) {
    byte[] value = EXAMPLES.encode(Example.newBuilder(e).setLabel(label).build());
    out.add(new RawRecord(raw.topic, raw.partition, raw.offset, raw.timestamp, raw.key, value));
  }


  private static long outOfOrderness() {
    return TrainJob.OUT_OF_ORDERNESS.toMillis() + 1;
  }
}
