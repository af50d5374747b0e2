package io.gradflow.model;

/**
 * {@link DenseBackward} in plain Java, example by example: for each example of the batch in
 * order, its layer outputs are copied into a scratch accumulator and
 * {@link DeepModel#backwardDense} (the dense part of the single-example {@link DeepModel#backward})
 * runs on them; each gradient element is rounded to float as there, then added to the double
 * {@code sums} in example order. So the sums are bit for bit those of B single-example backward
 * passes summed in arrival order (what the trainer computed before batches kept their examples).
 * Cost {@code O(B sum_l in_l out_l)}; no allocation once the scratch has grown.
 *
 * <p>Memory: one accumulator of {@link DeepModel#accumulatorSize()} doubles and one float
 * gradient per dense block, grown to the largest model seen, never shrunk. Not thread-safe (the
 * scratch): one per learner.
 */
public final class JavaDenseBackward implements DenseBackward {
  private double[] acc = new double[0];
  private float[][] grads = new float[0][];

  @Override
  public void backward(DeepModel model, float[][] blocks, int stride, double[][] acts,
      double[] d, int batch, double[][] sums, double[] dx0) {
    DenseBackward.requireShapes(model, blocks, stride, acts, d, batch, sums, dx0);
    int layers = model.hiddenLayers();
    int in0 = model.layerInput(0);
    if (acc.length < model.accumulatorSize()) {
      acc = new double[model.accumulatorSize()];
    }
    if (grads.length != layers + 1) {
      grads = new float[layers + 1][0];
    }
    for (int b = 0; b <= layers; b++) {
      int size = model.denseBlocks().get(b).gradientSize();
      if (grads[b].length != size) {
        grads[b] = new float[size];
      }
    }
    for (int e = 0; e < batch; e++) {
      for (int l = 0; l <= layers; l++) {
        int width = model.layerInput(l);
        System.arraycopy(acts[l], e * width, acc, model.activationsAt(l), width);
      }
      int at = model.backwardDense(blocks, stride, acc, d[e], grads);
      for (int b = 0; b <= layers; b++) {
        double[] s = sums[b];
        float[] g = grads[b];
        for (int i = 0; i < g.length; i++) {
          s[i] += g[i];
        }
      }
      System.arraycopy(acc, at, dx0, e * in0, in0);
    }
  }
}
