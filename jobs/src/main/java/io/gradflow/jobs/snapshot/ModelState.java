package io.gradflow.jobs.snapshot;

import io.gradflow.flink.ModelMeta;

/**
 * One model key's keyed state in the trainer ({@code pages.v1} and {@code model.v1}), as the State
 * Processor API reads it from a savepoint and writes it into one: a Flink POJO, moved between the
 * client and the reading or writing job.
 */
public final class ModelState {
  /** The model key (with {@code #candidate} in a race). */
  public String key;
  /** The session state, or null when the savepoint (or a snapshot without slots) has none. */
  public ModelMeta meta;
  /** Page keys, in ascending order, each with the page of the same index. */
  public long[] pageKeys = new long[0];
  public float[][] pages = new float[0][];

  public ModelState() {}

  ModelState(String key, ModelMeta meta, long[] pageKeys, float[][] pages) {
    this.key = key;
    this.meta = meta;
    this.pageKeys = pageKeys;
    this.pages = pages;
  }
}
