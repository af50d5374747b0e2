package io.gradflow.jobs.train;

import io.gradflow.drift.DriftEvent;
import io.gradflow.flink.MetricsEvent;
import io.gradflow.flink.RowChange;
import io.gradflow.flink.Scored;
import io.gradflow.jobs.kafka.AvroMapper;
import io.gradflow.jobs.kafka.PredictionWriter;
import io.gradflow.jobs.kafka.RepeatedKeyBytes;
import io.gradflow.metrics.MetricsSnapshot.ReliabilityBin;
import io.gradflow.schema.MetricsReport;
import io.gradflow.schema.Prediction;
import io.gradflow.schema.RowUpdate;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.connector.base.DeliveryGuarantee;

/**
 * The trainer's outputs as the Avro records of the output topics. Predictions and metrics are
 * keyed by model key (one partition keeps a model's order); changelog records by model key and
 * row id, so a compacted topic keeps the latest value of every row, and an expired row's
 * tombstone (its key with a null value) removes it.
 */
final class OutputMappers {
  private OutputMappers() {}

  /**
   * The predictions sink's own producer properties (a user's {@code kafka.properties} wins):
   * batches of up to 128 KiB instead of Kafka's 16 KiB. A prediction record is tens of bytes and
   * one is sent per example, so 16 KiB batches fill within milliseconds; each new batch wakes the
   * producer's network thread (a system call on the trainer's thread) and costs that thread a
   * produce request and the broker one to handle. With 128 KiB a batch mostly closes when
   * {@code linger.ms} (5 ms) has passed instead. The records, their order, partitions and
   * timestamps, and the transactions stay the same: a batch is only how records travel in one
   * request, and exactly-once is per transaction, which Flink's writer flushes and commits at each
   * checkpoint whatever the batches (idempotence's limits, {@code acks=all} and at most 5
   * requests in flight, do not involve the batch size). A batch larger than a topic's
   * {@code max.message.bytes} (1 MiB by default) is split by the producer and sent again.
   * Memory: one open batch per partition written, within the producer's {@code buffer.memory}
   * (32 MiB): a producer writing to more than about 250 partitions at once waits for memory and
   * sends early, so such a job may want a smaller value. Measured: README, "The job through
   * Kafka", session 15.
   */
  static final Map<String, String> PREDICTIONS_PRODUCER = Map.of("batch.size", "131072");

  /** {@link #PREDICTIONS_PRODUCER} with a longer linger, for exactly-once sinks. */
  private static final Map<String, String> PREDICTIONS_PRODUCER_EXACTLY_ONCE =
      Map.of("batch.size", "131072", "linger.ms", "20");

  /**
   * {@link #PREDICTIONS_PRODUCER} and, when the sink is exactly-once, {@code linger.ms: 20}
   * instead of Kafka's 5 ms: a batch of predictions then mostly closes when it is full (128 KiB,
   * about 2,000 predictions) rather than after 5 ms (a few hundred), so the producer's network
   * thread sends, and the broker handles, about three times fewer produce requests (estimated
   * from the record size at 130-150k predictions a second, not counted). Exactly-once readers
   * ({@code read_committed}) see predictions only when the checkpoint's transaction commits, and
   * Flink's writer flushes every batch before that commit, so the wait is invisible to them; an at-least-once sink's readers would see each prediction up to 20 ms later, so it
   * keeps Kafka's default. A user's {@code kafka.properties} wins. Measured: README, "The job
   * through Kafka", session 19.
   */
  static Map<String, String> predictionsProducer(DeliveryGuarantee guarantee) {
    return guarantee == DeliveryGuarantee.EXACTLY_ONCE ? PREDICTIONS_PRODUCER_EXACTLY_ONCE
        : PREDICTIONS_PRODUCER;
  }

  static final AvroMapper<Scored> PREDICTIONS = new AvroMapper<>() {
    private static final long serialVersionUID = 1L;

    @Override
    public SpecificRecord toAvro(Scored s) {
      return Prediction.newBuilder().setExampleId(s.exampleId).setModelKey(s.modelKey)
          .setModelStep(s.modelStep).setScore(s.score)
          .setEventTime(java.time.Instant.ofEpochMilli(s.eventTime))
          .setLabel(Float.isNaN(s.label) ? null : s.label).build();
    }

    @Override
    public byte[] key(Scored s) {
      return s.modelKey.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public DirectEncoder<Scored> newDirectEncoder() {
      PredictionWriter w = PredictionWriter.create();
      if (w == null) {
        return null;
      }
      RepeatedKeyBytes keys = new RepeatedKeyBytes();
      return new DirectEncoder<>() {
        @Override
        public byte[] encode(Scored s) {
          return w.write(s.exampleId, keys.of(s.modelKey), s.modelStep, s.score, s.eventTime,
              s.label);
        }

        @Override
        public byte[] key(Scored s) {
          return keys.of(s.modelKey);
        }
      };
    }
  };

  static final AvroMapper<MetricsEvent> METRICS = new AvroMapper<>() {
    private static final long serialVersionUID = 1L;

    @Override
    public SpecificRecord toAvro(MetricsEvent e) {
      return MetricsReport.newBuilder().setModelKey(e.modelKey)
          .setWindowStart(java.time.Instant.ofEpochMilli(e.windowStart))
          .setWindowEnd(java.time.Instant.ofEpochMilli(e.eventTime))
          .setCount((long) e.windowCount).setLogLoss(finite(e.logLoss)).setAuc(finite(e.auc))
          .setRmse(finite(e.rmse)).setMeanPrediction(finite(e.meanPrediction))
          .setMeanLabel(finite(e.meanLabel)).setCalibration(finite(e.calibration))
          .setModelStep(e.modelStep).setRows(e.rows).setRowsExpired(e.rowsExpired)
          .setRowsRefused(e.rowsRefused).setDriftEvents(describe(e.drifts()))
          .setDrifts(drifts(e.drifts()))
          .setExpectedCalibrationError(finite(e.expectedCalibrationError))
          .setCalibrationBins(bins(e.bins())).build();
    }

    @Override
    public byte[] key(MetricsEvent e) {
      return e.modelKey.getBytes(StandardCharsets.UTF_8);
    }
  };

  /** Drift events for people: {@code adwin at example 1,234 (2026-11-30T10:00:00Z): boost_lr}. */
  static List<String> describe(List<DriftEvent> drifts) {
    List<String> out = new ArrayList<>();
    for (DriftEvent d : drifts) {
      out.add(String.format(java.util.Locale.ROOT, "%s at example %,d (%s): %s", d.detector(),
          d.example(), java.time.Instant.ofEpochMilli(d.eventTime()), d.action()));
    }
    return out;
  }

  /** The reliability bins as the schema's records: an empty bin's means are null. */
  static List<io.gradflow.schema.ReliabilityBin> bins(List<ReliabilityBin> bins) {
    List<io.gradflow.schema.ReliabilityBin> out = new ArrayList<>(bins.size());
    for (ReliabilityBin b : bins) {
      out.add(new io.gradflow.schema.ReliabilityBin(b.lower(), b.upper(), b.weight(),
          finite(b.meanPrediction()), finite(b.meanLabel())));
    }
    return out;
  }

  static List<io.gradflow.schema.DriftEvent> drifts(List<DriftEvent> drifts) {
    List<io.gradflow.schema.DriftEvent> out = new ArrayList<>();
    for (DriftEvent d : drifts) {
      out.add(new io.gradflow.schema.DriftEvent(d.example(),
          java.time.Instant.ofEpochMilli(d.eventTime()), d.detector(), d.action()));
    }
    return out;
  }

  static final AvroMapper<RowChange> CHANGELOG = new AvroMapper<>() {
    private static final long serialVersionUID = 1L;

    @Override
    public SpecificRecord toAvro(RowChange c) {
      if (c.removed()) {
        return null; // a tombstone
      }
      List<Float> weights = new ArrayList<>(c.weights.length);
      for (float w : c.weights) {
        weights.add(w);
      }
      return RowUpdate.newBuilder().setModelKey(c.modelKey).setRowId(c.rowId)
          .setWeights(weights).setStep(c.modelStep)
          .setEventTime(java.time.Instant.ofEpochMilli(c.eventTime)).build();
    }

    @Override
    public byte[] key(RowChange c) {
      return (c.modelKey + "/" + c.rowId).getBytes(StandardCharsets.UTF_8);
    }
  };

  private static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }
}
