package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gradflow.jobs.config.TrainConfig;
import java.nio.file.Path;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.state.storage.FileSystemCheckpointStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code checkpoints.directory} takes "a file: URI or a path": the job must hand Flink a location
 * its checkpoint storage accepts. A plain path used to reach Flink unchanged and stop the job
 * with Flink's "The scheme (hdfs://, file://, etc) is null" trace (found in the trial).
 */
class CheckpointDirectoryTest {
  @TempDir
  Path dir;

  private static TrainConfig withDirectory(String directory) throws Exception {
    return TrainConfig.fromYaml("kafka: {bootstrap_servers: localhost:9092}\n"
        + "checkpoints: {directory: '" + directory + "'}\n");
  }

  /** The location Flink's file-system checkpoint storage makes of the job's configuration. */
  private static String storedAt(TrainConfig config) {
    Configuration c = TrainJob.flinkConfiguration(config);
    return FileSystemCheckpointStorage.createFromConfig(c, CheckpointDirectoryTest.class
        .getClassLoader()).getCheckpointPath().toUri().toString();
  }

  @Test
  void aPlainAbsolutePathBecomesItsFileUri() throws Exception {
    Path checkpoints = dir.resolve("ckpt");
    assertEquals(checkpoints.toUri().toString().replaceAll("/$", ""),
        storedAt(withDirectory(checkpoints.toString())).replaceAll("/$", ""));
  }

  @Test
  void aRelativePathIsResolvedAgainstTheWorkingDirectory() throws Exception {
    String expected = Path.of("ckpt-relative").toAbsolutePath().toUri().toString();
    assertEquals(expected.replaceAll("/$", ""),
        storedAt(withDirectory("ckpt-relative")).replaceAll("/$", ""));
  }

  @Test
  void aTildeIsTheUsersHomeDirectory() throws Exception {
    String expected = Path.of(System.getProperty("user.home"), "ckpt").toUri().toString();
    assertEquals(expected.replaceAll("/$", ""),
        TrainJob.checkpointDirectory(withDirectory("~/ckpt")).replaceAll("/$", ""));
  }

  @Test
  void aUriIsKeptAsWritten() throws Exception {
    String uri = dir.resolve("ckpt").toUri().toString();
    assertEquals(uri, TrainJob.checkpointDirectory(withDirectory(uri)));
    assertEquals("s3://models/clicks/checkpoints",
        TrainJob.checkpointDirectory(withDirectory("s3://models/clicks/checkpoints")));
  }
}
