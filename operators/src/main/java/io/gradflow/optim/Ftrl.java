package io.gradflow.optim;

/**
 * FTRL-Proximal with per-coordinate learning rates: McMahan et al., "Ad Click Prediction: a View
 * from the Trenches", KDD 2013, Algorithm 1, for one coordinate at a time.
 *
 * <pre>
 *   sigma = (sqrt(n + g * g) - sqrt(n)) / alpha
 *   z     = z + g - sigma * w
 *   n     = n + g * g
 *   w     = 0                                                   if |z| <= l1
 *         = -(z - sign(z) * l1) / ((beta + sqrt(n)) / alpha + l2)  otherwise
 * </pre>
 *
 * <p>Slots, in order: {@code z}, {@code n}. The weight is kept up to date after every update (it
 * is what predictions read) and is always the closed form of the stored {@code z} and {@code n}.
 * {@code alpha} is the learning rate handed in by the schedule, so the weight is the closed form of
 * {@code z} and {@code n} under the current alpha; a schedule at rate 0 leaves the row unchanged
 * (the step count still advances). Arithmetic is in double, storage in float.
 *
 * <p>A row that starts from a non-zero weight {@code w0} (a warm start) gets
 * {@code z = -w0 (beta / alpha + l2) - sign(w0) l1}, the z for which the closed form gives
 * {@code w0} at {@code n = 0} (beta > 0, so the denominator is never 0).
 *
 * <p>{@linkplain #forget Forgetting} decays {@code n} toward 0 and keeps the weight: as the weight
 * is the closed form of {@code z} and {@code n}, {@code z} is recomputed from the current weight
 * under the new {@code n}, by the warm start's inversion:
 *
 * <pre>
 *   n' = keep * n
 *   z' = -w ((beta + sqrt(n')) / alpha + l2) - sign(w) l1      if w != 0
 *   z' = keep * z   (0 if |keep * z| > l1)                      if w == 0 (stays exactly 0)
 * </pre>
 *
 * so the closed form of {@code (z', n')} gives back {@code w} to float rounding. {@code alpha} is
 * the configured one (the schedule's base rate, as for the warm start): exact under a constant
 * schedule; under a varying one the next update's closed form uses its own rate, as it always
 * does. At {@code keep = 0} the slots are bit for bit those of a new row with weight {@code w}.
 * With {@code n} smaller the per-coordinate rate {@code alpha / (beta + sqrt(n))} grows again.
 * Stateless and thread-safe.
 */
public final class Ftrl implements Optimizer {
  private final double alpha;
  private final double beta;
  private final double l1;
  private final double l2;

  Ftrl(FtrlSpec spec) {
    this.alpha = spec.alpha();
    this.beta = spec.beta();
    this.l1 = spec.l1();
    this.l2 = spec.l2();
  }

  @Override
  public int slotsPerWeight() {
    return 2;
  }

  @Override
  public void initialize(float[] row, int offset, int width) {
    double denominator = beta / alpha + l2;
    for (int i = 0; i < width; i++) {
      int p = offset + 3 * i;
      double w0 = row[p];
      if (w0 == 0) {
        row[p + 1] = 0;
        continue;
      }
      row[p + 1] = (float) (-w0 * denominator - Math.signum(w0) * l1);
    }
  }

  @Override
  public void forget(float[] row, int offset, int width, double keep) {
    if (keep == 1) {
      return; // recomputing z would only add a rounding
    }
    for (int i = 0; i < width; i++) {
      int p = offset + 3 * i;
      double w = row[p];
      double n = keep == 0 ? 0 : (float) (keep * row[p + 2]);
      row[p + 2] = (float) n;
      if (w == 0) {
        // |z| <= l1 keeps the weight at 0. A float product by keep <= 1 never grows |z|, so it
        // stays within l1; a z beyond l1 (a weight that rounded to 0) is set to 0.
        float z = keep == 0 ? 0f : (float) keep * row[p + 1];
        row[p + 1] = Math.abs(z) <= l1 ? z : 0f;
      } else {
        // Same expression as initialize at n' = 0 (beta + 0 == beta), so a reset is bit-identical.
        row[p + 1] = (float) (-w * ((beta + Math.sqrt(n)) / alpha + l2) - Math.signum(w) * l1);
      }
    }
  }

  @Override
  public boolean update(
      float[] row, int offset, int width, float[] grad, int gradOffset, long step,
      double learningRate, float[] saved) {
    if (!(learningRate > 0)) {
      // alpha = 0 would divide by zero: a schedule at rate 0 freezes the row instead
      return RowUpdater.saveFinite(row, offset, 3 * width, saved);
    }
    float check = 0f; // x - x is 0 for every finite x and NaN otherwise
    for (int i = 0; i < width; i++) {
      int p = offset + 3 * i;
      float w = row[p];
      float z0 = row[p + 1];
      float n0 = row[p + 2];
      saved[3 * i] = w;
      saved[3 * i + 1] = z0;
      saved[3 * i + 2] = n0;
      double g = grad[gradOffset + i];
      double n = n0;
      float nextN = (float) (n + g * g);
      double sigma = (Math.sqrt(nextN) - Math.sqrt(n)) / learningRate;
      float z = (float) (z0 + g - sigma * w);
      row[p + 1] = z;
      row[p + 2] = nextN;
      float next = Math.abs(z) <= l1
          ? 0f
          : (float) (-(z - Math.signum(z) * l1) / ((beta + Math.sqrt(nextN)) / learningRate + l2));
      row[p] = next;
      check += (z - z) + (nextN - nextN) + (next - next);
    }
    return check == 0f;
  }
}
