package io.gradflow.flink;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * How the trainer's provenance ({@code provenance.v1}, {@link TrainerOperator}) takes over the
 * one restored from a savepoint: the job decides (its configuration record is its own), the
 * operator only stores the result and, while a segment of the configuration history is in
 * force ({@link TrainerOperator#SEGMENT_ENTRY}), the model step at which each model key began it.
 *
 * <p>Implementations are stateless and serializable (shipped with the operator).
 */
@FunctionalInterface
public interface ProvenanceCarry extends Serializable {
  /** Keeps the job's record only: the restored one is replaced. */
  ProvenanceCarry REPLACE = (restored, own) -> own;

  /**
   * @param restored the restored record's copies, one per subtask of the job that wrote them
   *     (union state); empty when nothing was restored or the savepoint kept no provenance
   * @param own the job's record with the task's run-time entries
   * @return the record to keep from now on
   */
  Map<String, String> carry(List<Map<String, String>> restored, Map<String, String> own);
}
