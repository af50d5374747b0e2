/**
 * Drift detectors: plain-Java change detectors that watch one model's prequential loss or error
 * and say when its distribution has changed, so that a drift policy can react (restart the
 * schedule, reset or decay optimizer slots, boost the learning rate).
 *
 * <ul>
 *   <li>{@link io.gradflow.drift.Adwin}: ADWIN2 (Bifet and Gavaldà 2007), adaptive windowing
 *       over an exponential histogram; a change in the mean, either way, with a bound that holds
 *       with probability {@code 1 - delta}.
 *   <li>{@link io.gradflow.drift.PageHinkley}: the Page-Hinkley test (Page 1954), an increase of
 *       the mean beyond a threshold in the value's units.
 *   <li>{@link io.gradflow.drift.Ddm}: DDM (Gama et al. 2004), a rise of a 0/1 error rate, with a
 *       warning zone.
 * </ul>
 *
 * Each detector is created from its {@link io.gradflow.drift.DriftDetectorSpec} (a validated
 * record; configuration keys under {@code drift.}), resets itself after a detection, and keeps
 * its whole state in a {@code double[]} snapshot that a Flink operator stores in keyed state: a
 * restore makes the same decisions. No Flink, Avro or Kafka types here (see
 * {@code LearningCoreBoundaryTest}).
 */
package io.gradflow.drift;
