package io.gradflow.jobs.train;

import io.gradflow.drift.DriftEvent;
import io.gradflow.flink.MetricsEvent;
import io.gradflow.flink.RowChange;
import io.gradflow.flink.Scored;
import io.gradflow.jobs.kafka.AvroMapper;
import io.gradflow.jobs.kafka.PredictionWriter;
import io.gradflow.schema.MetricsReport;
import io.gradflow.schema.Prediction;
import io.gradflow.schema.RowUpdate;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;

/**
 * The trainer's outputs as the Avro records of the output topics. Predictions and metrics are
 * keyed by model key (one partition keeps a model's order); changelog records by model key and
 * row id, so a compacted topic keeps the latest value of every row, and an expired row's
 * tombstone (its key with a null value) removes it.
 */
final class OutputMappers {
  private OutputMappers() {}

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
      return w == null ? null : s -> w.write(s.exampleId, s.modelKey, s.modelStep, s.score,
          s.eventTime, s.label);
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
          .setDrifts(drifts(e.drifts())).build();
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
