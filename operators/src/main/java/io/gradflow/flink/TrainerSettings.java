package io.gradflow.flink;

import io.gradflow.config.Check;
import io.gradflow.config.TrainSettings;
import io.gradflow.metrics.MetricsSpec;
import io.gradflow.session.ModelSession;
import io.gradflow.state.CacheSize;
import io.gradflow.state.RowPolicy;
import java.io.Serializable;

/**
 * How the trainer operator keeps its state and reports, as opposed to how the model learns.
 *
 * @param cache how large the write-back page cache is: pages per operator instance and
 *     candidate ({@code state.cache_pages}), or memory from which the operator computes them
 *     where it runs ({@code state.cache_memory}, {@link CacheSize#pages})
 * @param pageBits a model's rows are spread over 2^pageBits pages; choose it so that a page holds
 *     a few hundred rows (for 4M rows, 13)
 * @param metricsEvery emit a metrics report per model after this many labeled examples
 * @param changelogEvery emit the changed rows of a model (each at most once) after this many
 *     learned examples, and before every checkpoint; 0 disables the changelog
 * @param metrics the prequential metrics' window (for AUC), fading factor and calibration bins
 * @param rows expiry and admission of rows ({@code rows.*}); {@link RowPolicy#NONE} keeps all
 * @param replay training ({@link ModelSession.Replay#NONE}), or a replay that validates a
 *     savepoint
 * @param batchTimeout {@code model.batch_timeout}: a model's partial mini-batch is stepped once
 *     its first example has waited this long in processing time (checked by a timer, so up to
 *     about twice as long); zero cuts batches only by data (size, end of input, expiry sweeps,
 *     drift actions; a batch in flight is checkpointed, not stepped). Irrelevant at
 *     {@code model.batch_size} 1
 */
public record TrainerSettings(CacheSize cache, int pageBits, long metricsEvery,
    long changelogEvery, MetricsSpec metrics, RowPolicy rows, ModelSession.Replay replay,
    java.time.Duration batchTimeout) implements Serializable {

  /** Settings with a cache of {@code cachePages} pages ({@code state.cache_pages}). */
  public TrainerSettings(int cachePages, int pageBits, long metricsEvery, long changelogEvery,
      MetricsSpec metrics, RowPolicy rows, ModelSession.Replay replay,
      java.time.Duration batchTimeout) {
    this(CacheSize.ofPages(cachePages), pageBits, metricsEvery, changelogEvery, metrics, rows,
        replay, batchTimeout);
  }

  /** Training settings (not a replay) with the declared {@code model.batch_timeout}. */
  public TrainerSettings(CacheSize cache, int pageBits, long metricsEvery, long changelogEvery,
      MetricsSpec metrics, RowPolicy rows) {
    this(cache, pageBits, metricsEvery, changelogEvery, metrics, rows, ModelSession.Replay.NONE,
        TrainSettings.MODEL_BATCH_TIMEOUT.defaultValue());
  }

  /** Settings with the declared {@code model.batch_timeout}. */
  public TrainerSettings(int cachePages, int pageBits, long metricsEvery, long changelogEvery,
      MetricsSpec metrics, RowPolicy rows, ModelSession.Replay replay) {
    this(cachePages, pageBits, metricsEvery, changelogEvery, metrics, rows, replay,
        TrainSettings.MODEL_BATCH_TIMEOUT.defaultValue());
  }

  /** Training settings (not a replay). */
  public TrainerSettings(int cachePages, int pageBits, long metricsEvery, long changelogEvery,
      MetricsSpec metrics, RowPolicy rows) {
    this(cachePages, pageBits, metricsEvery, changelogEvery, metrics, rows,
        ModelSession.Replay.NONE);
  }

  /** The same settings for a replay that validates a savepoint ({@code validate --mode}). */
  public TrainerSettings withReplay(ModelSession.Replay mode) {
    return new TrainerSettings(cache, pageBits, metricsEvery, changelogEvery, metrics, rows,
        mode, batchTimeout);
  }

  /** The same settings with another {@code model.batch_timeout}. */
  public TrainerSettings withBatchTimeout(java.time.Duration timeout) {
    return new TrainerSettings(cache, pageBits, metricsEvery, changelogEvery, metrics, rows,
        replay, timeout);
  }

  /** Settings that keep every row ({@link RowPolicy#NONE}). */
  public TrainerSettings(int cachePages, int pageBits, long metricsEvery, long changelogEvery,
      MetricsSpec metrics) {
    this(cachePages, pageBits, metricsEvery, changelogEvery, metrics, RowPolicy.NONE);
  }

  public TrainerSettings {
    if (cache == null) {
      throw new IllegalArgumentException("cache must be set (CacheSize.DEFAULT for the default)");
    }
    Check.inRange("state.page_bits", pageBits, 0, 30);
    Check.positive("metrics.every", metricsEvery);
    Check.nonNegative("changelog.every", changelogEvery);
    if (metrics == null) {
      throw new io.gradflow.config.ConfigException("metrics", "metrics settings are missing");
    }
    if (rows == null) {
      throw new io.gradflow.config.ConfigException("rows", "rows settings are missing");
    }
    if (replay == null) {
      throw new IllegalArgumentException("replay must be set (Replay.NONE for training)");
    }
    if (batchTimeout == null || batchTimeout.isNegative()) {
      throw new io.gradflow.config.ConfigException("model.batch_timeout", "model.batch_timeout"
          + " must be 0 or positive, but was " + batchTimeout);
    }
  }

  /**
   * The declared defaults of {@code state.*}, {@code metrics.*}, {@code changelog.every} and
   * {@code rows.*}.
   */
  public static TrainerSettings defaults() {
    return new TrainerSettings(CacheSize.DEFAULT, TrainSettings.STATE_PAGE_BITS.defaultValue(),
        TrainSettings.METRICS_EVERY.defaultValue(), TrainSettings.CHANGELOG_EVERY.defaultValue(),
        MetricsSpec.DEFAULT, RowPolicy.NONE);
  }
}
