package io.gradflow.jobs.train;

import static io.gradflow.jobs.train.TrainJobITCase.assertSameEntries;
import static io.gradflow.jobs.train.TrainJobITCase.config;
import static io.gradflow.jobs.train.TrainJobITCase.finalRows;
import static io.gradflow.jobs.train.TrainJobITCase.predictions;
import static io.gradflow.jobs.train.TrainJobITCase.produce;
import static io.gradflow.jobs.train.TrainJobITCase.runBounded;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

/**
 * The training job on RocksDB with incremental checkpoints (and a cache of 64 pages, so pages
 * move between the cache and RocksDB all the time) against the heap backend on the same stream:
 * the same predictions and the same model, bit for bit.
 */
class RocksDbTrainITCase extends TrainJobITCase {

  @Test
  void rocksDbGivesTheSameBitsAsTheHeap() throws Exception {
    String examples = "rocksdb-examples";
    TrainJobITCase.kafka.createTopics(1, examples);
    produce(examples, 7, 0, 20_000, "ctr");
    String optimizer = "optimizer: {name: Adagrad, lr: 0.1}";

    TrainJobITCase.Run heap = TrainJobITCase.Run.create(examples, "labels");
    runBounded(config(heap.yaml(optimizer, true), temp.resolve("heap")),
        UnaryOperator.identity(), new Configuration());
    Map<String, Double> expected = predictions(heap.predictions(), 20_000);
    assertEquals(20_000, expected.size());

    TrainJobITCase.Run rocks = TrainJobITCase.Run.create(examples, "labels");
    runBounded(config(rocks.yaml(optimizer + "\nstate: {backend: rocksdb, cache_pages: 64}",
        true), temp.resolve("rocks")), UnaryOperator.identity(), new Configuration());
    assertSameEntries(expected, predictions(rocks.predictions(), 20_000), "predictions");
    assertSameEntries(finalRows(heap.changelog()), finalRows(rocks.changelog()), "model");
  }
}
