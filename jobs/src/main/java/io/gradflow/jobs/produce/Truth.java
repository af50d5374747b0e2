package io.gradflow.jobs.produce;

/**
 * Deterministic random numbers addressed by a key: the ground truth of the synthetic generators
 * (a weight per feature id, a latent factor per user) without storing it, so vocabularies can be
 * huge and grow (new ids) at no memory cost. SplitMix64 mixing of the key; a Gaussian by
 * Box-Muller from two mixed uniforms. Stateless and thread-safe.
 */
final class Truth {
  private Truth() {}

  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /** A key from several parts. */
  static long key(long seed, long a, long b, long c) {
    return mix(mix(mix(seed ^ 0x9e3779b97f4a7c15L) + a) + b * 0x632be59bd9b4e019L + c);
  }

  /** A uniform in (0, 1). */
  static double uniform(long key) {
    return ((mix(key) >>> 11) + 0.5) * 0x1.0p-53;
  }

  /** A standard normal. */
  static double gaussian(long key) {
    double u1 = uniform(key);
    double u2 = uniform(key ^ 0x5851f42d4c957f2dL);
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }
}
