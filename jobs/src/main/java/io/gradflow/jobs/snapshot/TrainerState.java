package io.gradflow.jobs.snapshot;

import io.gradflow.flink.ModelMeta;
import io.gradflow.flink.PageSerializer;
import io.gradflow.flink.TrainerOperator;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.base.LongSerializer;

/**
 * The trainer's keyed-state descriptors exactly as {@link TrainerOperator} declares them, for
 * the State Processor API's reader and writer (a different serializer would not read the same
 * bytes).
 */
final class TrainerState {
  private TrainerState() {}

  static MapStateDescriptor<Long, float[]> pages() {
    return new MapStateDescriptor<>(TrainerOperator.PAGES_STATE, LongSerializer.INSTANCE,
        PageSerializer.INSTANCE);
  }

  static ValueStateDescriptor<ModelMeta> meta() {
    return new ValueStateDescriptor<>(TrainerOperator.META_STATE,
        TypeInformation.of(ModelMeta.class));
  }
}
