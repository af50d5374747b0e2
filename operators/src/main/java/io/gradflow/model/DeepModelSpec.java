package io.gradflow.model;

import io.gradflow.config.Check;
import io.gradflow.config.TrainSettings;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A multilayer perceptron ({@code mlp}) or a wide-and-deep model ({@code wide_and_deep},
 * Cheng et al. 2016, "Wide &amp; Deep Learning for Recommender Systems"), both computed by
 * {@link DeepModel}. Immutable and thread-safe.
 *
 * <p>{@code mlp}: the activation is the bias plus an MLP over the example's {@code inputs} dense
 * features. {@code wide_and_deep}: the activation is the linear model's (bias plus one weight per
 * sparse feature) plus an MLP over the dense features concatenated with the pooled embeddings of
 * the sparse features ({@code factors} floats: the sum, or the mean, over the example's sparse
 * features of value times embedding row).
 *
 * @param wide true for {@code wide_and_deep}, false for {@code mlp}
 * @param hidden {@code model.hidden}: the hidden layers' widths, input side first (each > 0;
 *     may be empty: the output then reads the input directly)
 * @param activation {@code model.activation}: the hidden layers' nonlinearity
 * @param inputs {@code model.inputs}: dense features per example (>= 0; with the embedding
 *     width, > 0)
 * @param factors {@code model.factors}: a wide_and_deep sparse row's embedding length (> 0);
 *     0 for an mlp
 * @param initStd {@code model.init_std}: embedding weights start as draws from N(0, initStd^2)
 * @param pooling {@code model.pooling}: how a wide_and_deep example's embeddings combine
 * @param batchSize {@code model.batch_size}: examples per optimizer step (> 0; 1 is plain online
 *     learning)
 * @param seed {@code model.seed}: with a parameter's id, the only input of its initial value
 * @param denseBackend {@code model.dense_backend}: what computes a batch's dense backward pass
 *     ({@link DenseBackends})
 */
public record DeepModelSpec(boolean wide, List<Integer> hidden, Activation activation,
    int inputs, int factors, double initStd, Pooling pooling, int batchSize, long seed,
    DenseBackend denseBackend) implements ModelSpec {

  /** A hidden layer's nonlinearity and the initialization that suits it. */
  public enum Activation {
    /**
     * {@code max(0, x)}; its derivative at 0 is taken as 0 (PyTorch's). Weights start He-normal
     * (He et al. 2015): N(0, 2 / fan_in).
     */
    RELU("relu"),
    /** {@code tanh(x)}. Weights start Glorot-uniform (Glorot and Bengio 2010):
     * U(-a, a), a = sqrt(6 / (fan_in + fan_out)). */
    TANH("tanh");

    private final String configName;

    Activation(String configName) {
      this.configName = configName;
    }

    public String configName() {
      return configName;
    }

    /** The activation named {@code name} in a configuration. */
    public static Activation of(String name) {
      for (Activation a : values()) {
        if (a.configName.equals(name)) {
          return a;
        }
      }
      throw new IllegalArgumentException("model.activation must be relu or tanh, but was "
          + name);
    }
  }

  /** How the embedding rows of a wide_and_deep example's sparse features combine. */
  public enum Pooling {
    /** {@code sum_i x_i e_i}. */
    SUM("sum"),
    /** {@code sum_i x_i e_i / n} over the example's n sparse features (0 if there are none). */
    MEAN("mean");

    private final String configName;

    Pooling(String configName) {
      this.configName = configName;
    }

    public String configName() {
      return configName;
    }

    /** The pooling named {@code name} in a configuration. */
    public static Pooling of(String name) {
      for (Pooling p : values()) {
        if (p.configName.equals(name)) {
          return p;
        }
      }
      throw new IllegalArgumentException("model.pooling must be sum or mean, but was " + name);
    }
  }

  /**
   * What computes the dense layers' backward pass over a mini-batch ({@link DenseBackward}):
   * {@code java} (bit-identical to example-by-example backward passes) or {@code nd4j} (matrix
   * products on ND4J's nd4j-native, in double; other rounding). {@code auto} picks one from the
   * configuration alone ({@link DenseBackends#resolve}), so a replay of one configuration takes
   * the same path and is bit-identical.
   */
  public enum DenseBackend {
    AUTO("auto"),
    JAVA("java"),
    ND4J("nd4j");

    private final String configName;

    DenseBackend(String configName) {
      this.configName = configName;
    }

    public String configName() {
      return configName;
    }

    /** The backend named {@code name} in a configuration. */
    public static DenseBackend of(String name) {
      for (DenseBackend b : values()) {
        if (b.configName.equals(name)) {
          return b;
        }
      }
      throw new IllegalArgumentException("model.dense_backend must be auto, java or nd4j, but was "
          + name);
    }
  }

  /** The model with {@code model.dense_backend: auto}. */
  public DeepModelSpec(boolean wide, List<Integer> hidden, Activation activation, int inputs,
      int factors, double initStd, Pooling pooling, int batchSize, long seed) {
    this(wide, hidden, activation, inputs, factors, initStd, pooling, batchSize, seed,
        DenseBackend.AUTO);
  }

  public DeepModelSpec {
    hidden = List.copyOf(hidden);
    java.util.Objects.requireNonNull(denseBackend, "denseBackend");
    for (int i = 0; i < hidden.size(); i++) {
      Check.positive("model.hidden[" + i + "]", hidden.get(i));
    }
    java.util.Objects.requireNonNull(activation, "activation");
    java.util.Objects.requireNonNull(pooling, "pooling");
    Check.nonNegative("model.inputs", inputs);
    if (wide) {
      Check.positive("model.factors", factors);
    } else if (factors != 0) {
      throw new io.gradflow.config.ConfigException("model.factors", "an mlp has no embeddings"
          + " (factors 0), but factors was " + factors);
    }
    if (inputs + factors <= 0) {
      throw new io.gradflow.config.ConfigException("model.inputs", "model.inputs must be > 0"
          + " for an mlp (it reads only dense features), but was " + inputs);
    }
    Check.positive("model.init_std", initStd);
    Check.positive("model.batch_size", batchSize);
  }

  /** An mlp over {@code inputs} dense features, batch size 1, the declared seed. */
  public static DeepModelSpec mlp(int inputs, List<Integer> hidden, Activation activation) {
    return new DeepModelSpec(false, hidden, activation, inputs, 0,
        TrainSettings.MODEL_INIT_STD.defaultValue(), Pooling.SUM, 1,
        TrainSettings.MODEL_SEED.defaultValue());
  }

  /** A wide_and_deep model, sum pooling, batch size 1, the declared init_std and seed. */
  public static DeepModelSpec wideAndDeep(int inputs, int factors, List<Integer> hidden,
      Activation activation) {
    return new DeepModelSpec(true, hidden, activation, inputs, factors,
        TrainSettings.MODEL_INIT_STD.defaultValue(), Pooling.SUM, 1,
        TrainSettings.MODEL_SEED.defaultValue());
  }

  /** The same model with another seed. */
  public DeepModelSpec withSeed(long other) {
    return new DeepModelSpec(wide, hidden, activation, inputs, factors, initStd, pooling,
        batchSize, other, denseBackend);
  }

  /** The same model with another batch size. */
  public DeepModelSpec withBatchSize(int other) {
    return new DeepModelSpec(wide, hidden, activation, inputs, factors, initStd, pooling, other,
        seed, denseBackend);
  }

  /** The same model with another dense backend. */
  public DeepModelSpec withDenseBackend(DenseBackend other) {
    return new DeepModelSpec(wide, hidden, activation, inputs, factors, initStd, pooling,
        batchSize, seed, other);
  }

  @Override
  public String configName() {
    return wide ? "wide_and_deep" : "mlp";
  }

  @Override
  public Map<String, Object> parameters() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("hidden", hidden);
    m.put("activation", activation.configName());
    m.put("inputs", inputs);
    if (wide) {
      m.put("factors", factors);
      m.put("init_std", initStd);
      m.put("pooling", pooling.configName());
    }
    m.put("batch_size", batchSize);
    m.put("seed", seed);
    m.put("dense_backend", denseBackend.configName());
    return m;
  }

  /** A wide_and_deep row: its wide weight and its embedding; an mlp's only row is the bias. */
  @Override
  public int rowWidth() {
    return 1 + factors;
  }

  @Override
  public Model create() {
    return new DeepModel(this);
  }
}
