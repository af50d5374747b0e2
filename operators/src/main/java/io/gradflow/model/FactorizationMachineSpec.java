package io.gradflow.model;

import io.gradflow.config.Check;
import io.gradflow.config.TrainSettings;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A factorization machine ({@link FactorizationMachine}): 1 + k weights per row. Immutable and
 * thread-safe.
 *
 * @param factors {@code model.factors}: k, the dimension of each row's factor vector (> 0)
 * @param initStd {@code model.init_std}: factors start as draws from N(0, initStd^2) (> 0:
 *     factors that all start at zero get zero gradients and never move. Rendle 2012 (libFM)
 *     uses 0.1; smaller values suit large k)
 * @param seed {@code model.seed}: with the row id, the only input of a row's initial factors
 */
public record FactorizationMachineSpec(int factors, double initStd, long seed)
    implements ModelSpec {

  /** The default starting deviation ({@code model.init_std}): Rendle 2012 (libFM)'s 0.1. */
  public static final double DEFAULT_INIT_STD = TrainSettings.MODEL_INIT_STD.defaultValue();

  public FactorizationMachineSpec {
    Check.positive("model.factors", factors);
    Check.positive("model.init_std", initStd);
  }

  /** {@code k} factors, the declared defaults of {@code model.init_std} and {@code model.seed}. */
  public static FactorizationMachineSpec of(int factors) {
    return new FactorizationMachineSpec(factors, DEFAULT_INIT_STD,
        TrainSettings.MODEL_SEED.defaultValue());
  }

  @Override
  public String configName() {
    return "factorization_machine";
  }

  @Override
  public Map<String, Object> parameters() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("factors", factors);
    m.put("init_std", initStd);
    m.put("seed", seed);
    return m;
  }

  @Override
  public int rowWidth() {
    return 1 + factors;
  }

  @Override
  public Model create() {
    return new FactorizationMachine(this);
  }
}
