package io.gradflow.jobs.produce;

import io.gradflow.schema.Example;

/**
 * A synthetic example with its ground truth: the true probability of a positive label (logistic
 * generators) or the noiseless target (regression), and the concept it was drawn from.
 */
public record SyntheticExample(Example example, double truth, int concept) {}
