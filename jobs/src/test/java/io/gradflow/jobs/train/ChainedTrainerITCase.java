package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.config.ConfigReport;
import io.gradflow.flink.CompactExampleTypeInfo;
import io.gradflow.flink.Scored;
import io.gradflow.flink.TrainerOperator;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.kafka.ExampleDecodeFunction;
import io.gradflow.jobs.kafka.RawRecord;
import io.gradflow.schema.Codecs;
import io.gradflow.schema.Entity;
import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import io.gradflow.schema.RecordCodec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;

/**
 * At parallelism 1 the trainer runs chained to the decode function (no keyed exchange, the
 * decoder's objects handed on with object reuse on, a race's candidates sharing arrays), and it
 * predicts exactly as the trainer behind the keyed exchange. Above parallelism 1, and with delayed
 * labels (two inputs), nothing is chained to the trainer's input.
 */
class ChainedTrainerITCase {
  static final String MODEL = "model: {type: logistic_regression, hash_bits: 18}\n"
      + "metrics: {every: 100, window: 100}\n"
      + "state: {backend: hashmap}\n";
  static final Map<String, String> OPTIMIZERS = Map.of(
      "adagrad", "{name: Adagrad, lr: 0.1}",
      "adam", "{name: Adam, lr: 0.01}");
  static final String RACE = MODEL + "race:\n"
      + "  - {name: adagrad, optimizer: " + OPTIMIZERS.get("adagrad") + "}\n"
      + "  - {name: adam, optimizer: " + OPTIMIZERS.get("adam") + "}\n";

  /** Encoded examples of three models, with features, entities and dense values, some unlabeled. */
  static List<RawRecord> records(int n) {
    RecordCodec<Example> codec = Codecs.codec(Example.class);
    Random random = new Random(11);
    List<RawRecord> records = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      List<Feature> features = new ArrayList<>();
      for (int f = 0; f < 1 + random.nextInt(8); f++) {
        features.add(new Feature("f" + f, "v" + random.nextInt(50), null, 1f));
      }
      boolean positive = random.nextDouble() < (features.size() % 2 == 0 ? 0.8 : 0.2);
      Example e = Example.newBuilder().setExampleId("e" + i).setModelKey("m" + i % 3)
          .setEventTime(Instant.ofEpochMilli(1_700_000_000_000L + i))
          .setEntities(List.of(new Entity("user", "u" + random.nextInt(20))))
          .setFeatures(features).setDense(List.of(random.nextFloat()))
          .setLabel(i % 10 == 9 ? null : positive ? 1f : 0f).build();
      records.add(new RawRecord("examples", 0, i, 1_700_000_000_000L + i,
          ("k" + i).getBytes(StandardCharsets.UTF_8), codec.encode(e)));
    }
    return records;
  }

  /**
   * The trainer's predictions per model key, in the order the trainer made them: the records
   * decoded at parallelism 1, the trainer at {@code parallelism}.
   */
  static Map<String, List<String>> predictions(TrainConfig config, List<RawRecord> records,
      int parallelism) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(parallelism);
    env.getConfig().enableObjectReuse(); // as TrainJob.configure and EvaluateJob do
    DataStream<io.gradflow.model.CompactExample> examples = env
        .fromData(records, TypeInformation.of(RawRecord.class)).setParallelism(1)
        .process(new ExampleDecodeFunction(config.decoder()), CompactExampleTypeInfo.INSTANCE)
        .setParallelism(1);
    TrainPipeline.Outputs out = TrainPipeline.build(examples, null, config);
    Map<String, List<String>> byModel = new TreeMap<>();
    try (CloseableIterator<Scored> it = out.predictions().collectAsync()) {
      env.executeAsync("chained or keyed at parallelism " + parallelism);
      while (it.hasNext()) {
        Scored s = it.next();
        byModel.computeIfAbsent(s.modelKey, k -> new ArrayList<>()).add(s.exampleId + " "
            + s.modelStep + " " + Double.doubleToRawLongBits(s.score) + " " + s.learned);
      }
    }
    return byModel;
  }

  /**
   * A race at parallelism 1, chained: the fan-out hands each candidate the decoder's arrays, on
   * one thread. Each candidate alone behind the keyed exchange (trainers at parallelism 2, each
   * model's examples on one channel in order, deserialized copies) predicts the same, bit for bit.
   */
  @Test
  void chainedPredictionsEqualTheKeyedOnes() throws Exception {
    List<RawRecord> records = records(6_000);
    Map<String, List<String>> chained = predictions(
        TrainConfig.fromYaml(RACE, new ConfigReport(), TrainConfig.Use.EVALUATE), records, 1);
    Map<String, List<String>> keyed = new TreeMap<>();
    for (Map.Entry<String, String> candidate : OPTIMIZERS.entrySet()) {
      TrainConfig alone = TrainConfig.fromYaml(MODEL + "optimizer: " + candidate.getValue()
          + "\n", new ConfigReport(), TrainConfig.Use.EVALUATE);
      predictions(alone, records, 2).forEach((model, scores) -> keyed.put(
          TrainerOperator.candidateKey(model, candidate.getKey()), scores));
    }
    assertEquals(6, chained.size(), chained.keySet().toString()); // 3 models x 2 candidates
    for (List<String> model : chained.values()) {
      assertEquals(2_000, model.size());
    }
    assertEquals(keyed, chained);
  }

  /** The vertex of the job graph that runs the trainer. */
  static JobVertex trainerVertex(TrainConfig config) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    TrainJob.configure(env, config);
    TrainJob.build(env, config);
    JobGraph graph = env.getStreamGraph().getJobGraph();
    for (JobVertex v : graph.getVertices()) {
      if (v.getName().contains("trainer")) {
        return v;
      }
    }
    throw new AssertionError("no trainer in " + graph);
  }

  static TrainConfig job(String more) throws Exception {
    return TrainConfig.fromYaml("kafka: {bootstrap_servers: 'localhost:9092', bounded: latest}\n"
        + RACE + more);
  }

  @Test
  void onlyAtParallelismOneIsTheTrainerChainedToTheDecoder() throws Exception {
    String one = trainerVertex(job("job: {name: chained}\n")).getName();
    assertTrue(one.contains("decode-examples") && one.contains("race-fan-out"), one);
    String two = trainerVertex(job("job: {name: keyed, parallelism: 2}\n")).getName();
    assertFalse(two.contains("decode-examples") || two.contains("race-fan-out"), two);
    // Two inputs (labeled examples, the label join): not chained, but built and keyed alike.
    String delayed = trainerVertex(job("job: {name: delayed}\nlabels: {delayed: true}\n"))
        .getName();
    assertFalse(delayed.contains("decode-examples"), delayed);
  }
}
