package io.gradflow.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.model.CompactExample;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.junit.jupiter.api.Test;

/**
 * A model key with no session in keyed state is new to the page cache only if it has no pages
 * there either ({@code TrainerOperator.tenant}, {@code PageCache.startNew}): a model whose pages
 * keyed state holds without a session (as {@code gradflow bootstrap} may write it) continues from
 * those pages.
 */
class NewTenantTest {
  @Test
  void pagesWithoutASessionAreLoadedNotStartedAgain() throws Exception {
    List<CompactExample> all = ManyKeysBench.examples(3, 300, 11);
    List<CompactExample> first = all.subList(0, 200);
    List<CompactExample> rest = all.subList(200, all.size());
    OperatorSubtaskState snapshot;
    double[] continued;
    try (var h = ManyKeysBench.harness()) {
      h.open();
      ManyKeysBench.run(h, first);
      h.prepareSnapshotPreBarrier(1);
      snapshot = h.snapshot(1, 1);
      continued = ManyKeysBench.run(h, rest);
    }
    String key = rest.get(0).modelKey;
    double[] restored;
    try (var h = ManyKeysBench.harness()) {
      h.initializeState(snapshot);
      h.open();
      TrainerOperator operator = (TrainerOperator) h.getOperator();
      // Keyed state as a bootstrap without sessions leaves it: the model's pages, no session.
      operator.setCurrentKey(key);
      ValueState<ModelMeta> meta = operator.getKeyedStateBackend().getPartitionedState(
          VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE,
          new ValueStateDescriptor<>(TrainerOperator.META_STATE,
              TypeInformation.of(ModelMeta.class)));
      assertNotNull(meta.value());
      meta.clear();
      assertNull(operator.metaOfCurrentKey());
      assertTrue(operator.pagesOfCurrentKey().iterator().hasNext(), "the model's pages stay");
      restored = ManyKeysBench.run(h, List.of(rest.get(0)));
    }
    // The first example after the restore is predicted from the stored rows (no step count, no
    // schedule: a constant learning rate), as the uninterrupted run predicted it; a model started
    // new would predict from new rows.
    assertEquals(continued[0], restored[0]);
    assertTrue(restored[0] != 0.5, "new rows predict 0.5: " + restored[0]);
  }

  @Test
  void newKeysAfterARestorePredictAsInOneRun() throws Exception {
    // Keys new to a restored operator (nothing in keyed state) and keys it restored, interleaved.
    List<CompactExample> all = ManyKeysBench.examples(40, 2_000, 5);
    List<CompactExample> first = new ArrayList<>();
    for (CompactExample e : all.subList(0, 1_000)) {
      if (e.modelKey.compareTo("t2") < 0) { // t0, t1, t10 .. t19: the others are new later
        first.add(e);
      }
    }
    double[] straight;
    try (var h = ManyKeysBench.harness()) {
      h.open();
      ManyKeysBench.run(h, first);
      straight = ManyKeysBench.run(h, all.subList(1_000, all.size()));
    }
    OperatorSubtaskState snapshot;
    try (var h = ManyKeysBench.harness()) {
      h.open();
      ManyKeysBench.run(h, first);
      h.prepareSnapshotPreBarrier(1);
      snapshot = h.snapshot(1, 1);
    }
    try (var h = ManyKeysBench.harness()) {
      h.initializeState(snapshot);
      h.open();
      assertArrayEquals(straight, ManyKeysBench.run(h, all.subList(1_000, all.size())));
    }
  }
}
