package io.gradflow.jobs.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.kafka.RawRecord;
import io.gradflow.jobs.produce.ClickThroughGenerator;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Example;
import io.gradflow.schema.Label;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** validate's replay of the label join follows the job's join on duplicate labels (trial 23 F7). */
class LabelReplayTest {
  private static final Instant T = Instant.parse("2025-12-01T00:00:00Z");

  private static RawRecord label(long offset, String id, float value) {
    Label l = Label.newBuilder().setExampleId(id).setModelKey("m").setEventTime(T.plusSeconds(
        offset)).setLabel(value).build();
    return new RawRecord("labels", 0, offset, T.plusSeconds(offset).toEpochMilli(), null,
        Codecs.codec(Label.class).encode(l));
  }

  @Test
  void aSecondWaitingLabelIsADuplicateAndTheFirstJoins() throws Exception {
    TrainConfig config = TrainConfig.fromYaml("kafka: {bootstrap_servers: localhost:9092}\n"
        + "labels: {delayed: true, timeout: 10m,"
        + " on_timeout: default_label, default_label: 0}\n");
    Example e = Example.newBuilder(new ClickThroughGenerator(ClickThroughGenerator.Spec
        .defaults(3)).next().example()).setExampleId("a").setModelKey("m").setEventTime(
        T.plusSeconds(5)).setLabel(null).build();
    RawRecord example = new RawRecord("examples", 0, 0, T.plusSeconds(5).toEpochMilli(), null,
        Codecs.codec(Example.class).encode(e));
    LabelReplay.Result r = LabelReplay.join(List.of(example), List.of(label(0, "a", 1f),
        label(1, "a", 0f)), config.labels(), config.decoder());
    assertEquals(1, r.joined());
    assertEquals(1, r.duplicates());
    assertEquals(0, r.orphans());
    assertEquals(1L, r.counts().get("duplicates"));
    // the unlabeled copy, then the labeled one with the first label
    assertEquals(2, r.records().size());
    assertEquals(1f, Codecs.codec(Example.class).decode(r.records().get(1).value).getLabel());
  }
}
