package io.gradflow.jobs.snapshot;

import io.gradflow.flink.TrainerOperator;
import io.gradflow.jobs.config.TrainConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Savepoints for tests without a broker: the trainer's state of a job, written directly. */
public final class TestSavepoints {
  private TestSavepoints() {}

  /**
   * Writes a savepoint at {@code target} (which must not exist) holding no model's rows or
   * session, only the trainer's operator state with the model signature of {@code config}'s job:
   * a job restored from it starts every model new, as that configuration's job.
   */
  public static Path write(TrainConfig config, Path target) throws Exception {
    Map<String, String> signature = new TrainerOperator(config.candidates(), config.trainer(),
        config.hashBits()).signature().parts();
    BootstrapCommand.write(List.of(new ModelState("default", null, new long[0],
        new float[0][])), signature, Map.of(), target);
    return target;
  }
}
