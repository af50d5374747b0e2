package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.gradflow.flink.Scored;
import io.gradflow.jobs.kafka.AvroMapper;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Prediction;
import java.util.Map;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.junit.jupiter.api.Test;

/**
 * The predictions sink writes the same bytes straight from a {@link Scored} as through Avro, and
 * its producer lingers longer only when its readers cannot see the difference (exactly-once).
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
}
