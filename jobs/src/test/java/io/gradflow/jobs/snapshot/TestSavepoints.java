package io.gradflow.jobs.snapshot;

import io.gradflow.flink.ModelMeta;
import io.gradflow.flink.TrainerOperator;
import io.gradflow.jobs.config.TrainConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Savepoints for tests without a broker: the trainer's state of a job, written directly. */
public final class TestSavepoints {
  private TestSavepoints() {}

  /**
   * Writes a savepoint at {@code target} (which must not exist) holding one model key's new
   * session, no pages, and the model signature of {@code config}'s job: what a train job of that
   * configuration leaves before it has learned anything.
   */
  public static Path write(TrainConfig config, Path target) throws Exception {
    Map<String, String> signature = new TrainerOperator(config.candidates(), config.trainer(),
        config.hashBits()).signature().parts();
    BootstrapCommand.write(List.of(new ModelState("default", new ModelMeta(), new long[0],
        new float[0][])), signature, Map.of(), target);
    return target;
  }
}
