package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.gradflow.flink.MetricsEvent;
import io.gradflow.flink.Scored;
import io.gradflow.jobs.kafka.AvroMapper;
import io.gradflow.metrics.MetricsSnapshot;
import io.gradflow.metrics.MetricsSpec;
import io.gradflow.metrics.PrequentialMetrics;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.MetricsReport;
import io.gradflow.schema.Prediction;
import io.gradflow.schema.ReliabilityBin;
import io.gradflow.state.RowCounts;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.junit.jupiter.api.Test;

/**
 * The predictions sink writes the same bytes straight from a {@link Scored} as through Avro, and
 * its producer lingers longer only when its readers cannot see the difference (exactly-once); a
 * metrics report carries its window's reliability bins and expected calibration error.
 */
class OutputMappersTest {

  @Test
  void predictionsWrittenDirectlyEqualTheirAvroRecord() {
    AvroMapper.DirectEncoder<Scored> direct = OutputMappers.PREDICTIONS.newDirectEncoder();
    assertNotNull(direct);
    Scored[] all = {new Scored("e1", "m", 42L, 0.73, 1_700_000_000_123L, 1f),
        new Scored("e\u00e92", "", 0L, Double.NaN, -5L, Float.NaN),
        new Scored("e3", "tenant-\u4e16", Long.MAX_VALUE, 1e-300, 0L, 0f, false)};
    for (Scored s : all) {
      assertArrayEquals(Codecs.codec(Prediction.class)
          .encode((Prediction) OutputMappers.PREDICTIONS.toAvro(s)), direct.encode(s),
          s.toString());
    }
  }

  @Test
  void onlyAnExactlyOnceSinksProducerLingers() {
    assertEquals(Map.of("batch.size", "131072", "linger.ms", "20"),
        OutputMappers.predictionsProducer(DeliveryGuarantee.EXACTLY_ONCE));
    assertEquals(Map.of("batch.size", "131072"),
        OutputMappers.predictionsProducer(DeliveryGuarantee.AT_LEAST_ONCE));
    assertEquals(OutputMappers.predictionsProducer(DeliveryGuarantee.EXACTLY_ONCE),
        TrainJob.predictionsProducerDefaults());
  }

  @Test
  void aMetricsReportCarriesTheSnapshotsBinsAndCalibrationError() {
    PrequentialMetrics metrics = new PrequentialMetrics(new MetricsSpec(100, 0.99, 4), true);
    double[][] records = {{0.05, 0, 1}, {0.1, 1, 2}, {0.3, 0, 1}, {0.35, 1, 0.5}, {0.9, 1, 1},
        {1.0, 1, 1}, {0.02, 0, 3}};
    for (double[] r : records) {
      metrics.record(r[0], r[1], r[2]);
    }
    MetricsSnapshot snapshot = metrics.report();
    MetricsReport report = (MetricsReport) OutputMappers.METRICS.toAvro(MetricsEvent.of("m", 7L,
        0L, 1_000L, snapshot, List.of(), new RowCounts(3, 0, 0)));

    List<ReliabilityBin> expected = new ArrayList<>();
    for (MetricsSnapshot.ReliabilityBin b : snapshot.windowed().bins()) {
      expected.add(new ReliabilityBin(b.lower(), b.upper(), b.weight(),
          b.weight() > 0 ? b.meanPrediction() : null, b.weight() > 0 ? b.meanLabel() : null));
    }
    assertEquals(4, expected.size());
    assertEquals(expected, report.getCalibrationBins());
    assertEquals(new ReliabilityBin(0.5, 0.75, 0.0, null, null), report.getCalibrationBins()
        .get(2), "an empty bin has no means");
    assertEquals(snapshot.windowed().expectedCalibrationError(),
        report.getExpectedCalibrationError());
    // Independently: bin 0 holds weights 1, 2, 3 (predictions 0.05, 0.1, 0.02; labels 0, 1, 0),
    // bin 1 weights 1, 0.5 (0.3, 0.35; 0, 1), bin 3 weights 1, 1 (0.9, 1.0; 1, 1).
    double ece = (Math.abs(0.31 - 2) + Math.abs(0.475 - 0.5) + Math.abs(1.9 - 2)) / 9.5;
    assertEquals(ece, report.getExpectedCalibrationError(), 1e-12);
    assertEquals(report, Codecs.codec(MetricsReport.class).decode(
        Codecs.codec(MetricsReport.class).encode(report)));
  }
}
