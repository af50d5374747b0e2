package io.gradflow.drift;

/**
 * Python's {@code random.Random(seed)} for a non-negative integer seed: the Mersenne Twister
 * MT19937 seeded by {@code init_by_array} with the seed's 32-bit words, {@code random()} from two
 * outputs (53 bits) and {@code choices(population, k)} without weights, so that the test streams
 * are the draws River's documentation makes ({@code rng.choices([0, 1], k=1000) +
 * rng.choices(range(4, 8), k=1000)} with {@code random.Random(12345)}) and anyone can reproduce
 * them in Python. Written from the published MT19937 reference (Matsumoto and Nishimura 1998) and
 * CPython's documented seeding. Not thread-safe.
 */
final class PythonRandom {
  private static final int N = 624;
  private static final int M = 397;
  private final int[] mt = new int[N];
  private int index = N;

  PythonRandom(long seed) {
    if (seed < 0) {
      throw new IllegalArgumentException("seed must be >= 0");
    }
    int[] key = (seed >>> 32) == 0 ? new int[] {(int) seed}
        : new int[] {(int) seed, (int) (seed >>> 32)};
    initByArray(key);
  }

  private void initGenrand(int s) {
    mt[0] = s;
    for (int i = 1; i < N; i++) {
      mt[i] = 1812433253 * (mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
    }
  }

  private void initByArray(int[] key) {
    initGenrand(19650218);
    int i = 1;
    int j = 0;
    for (int k = Math.max(N, key.length); k > 0; k--) {
      mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >>> 30)) * 1664525)) + key[j] + j;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= key.length) {
        j = 0;
      }
    }
    for (int k = N - 1; k > 0; k--) {
      mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >>> 30)) * 1566083941)) - i;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    mt[0] = 0x80000000;
  }

  private int nextInt32() {
    if (index >= N) {
      for (int k = 0; k < N; k++) {
        int y = (mt[k] & 0x80000000) | (mt[(k + 1) % N] & 0x7fffffff);
        mt[k] = mt[(k + M) % N] ^ (y >>> 1) ^ ((y & 1) != 0 ? 0x9908b0df : 0);
      }
      index = 0;
    }
    int y = mt[index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y;
  }

  /** {@code random.random()}: a double in [0, 1) with 53 random bits. */
  double random() {
    long a = (nextInt32() & 0xffffffffL) >>> 5;
    long b = (nextInt32() & 0xffffffffL) >>> 6;
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
  }

  /** {@code random.choices(range(low, high), k=k)} as doubles. */
  double[] choices(int low, int high, int k) {
    double[] out = new double[k];
    int n = high - low;
    for (int i = 0; i < k; i++) {
      out[i] = low + (int) Math.floor(random() * n);
    }
    return out;
  }

  /** {@code random.normalvariate(mu, sigma)}: CPython's Kinderman-Monahan ratio method. */
  double normalvariate(double mu, double sigma) {
    double nvMagicConst = 4 * Math.exp(-0.5) / Math.sqrt(2.0);
    double z;
    while (true) {
      double u1 = random();
      double u2 = 1.0 - random();
      z = nvMagicConst * (u1 - 0.5) / u2;
      double zz = z * z / 4.0;
      if (zz <= -Math.log(u2)) {
        break;
      }
    }
    return mu + z * sigma;
  }

  /** River's documented stream: {@code choices([0, 1], k=1000) + choices(range(4, 8), k=1000)}. */
  static double[] riverStream(long seed) {
    PythonRandom rng = new PythonRandom(seed);
    double[] before = rng.choices(0, 2, 1000);
    double[] after = rng.choices(4, 8, 1000);
    double[] stream = new double[2000];
    System.arraycopy(before, 0, stream, 0, 1000);
    System.arraycopy(after, 0, stream, 1000, 1000);
    return stream;
  }
}
