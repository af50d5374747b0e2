package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.cli.UserException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --savepoint DIR} given a directory that holds savepoints or checkpoints rather than
 * being one (train, validate, export and bootstrap share the check): the refusal names what it
 * holds, the newest first, so the user can give that path.
 */
class SavepointPathTest {

  private static Path metadata(Path dir, long millis) throws Exception {
    Files.createDirectories(dir);
    Path m = Files.writeString(dir.resolve("_metadata"), "x");
    Files.setLastModifiedTime(m, FileTime.fromMillis(millis));
    return dir;
  }

  private static String refusal(Path dir) {
    UserException e = assertThrows(UserException.class,
        () -> TrainCommand.checkSavepoint(dir.toString()));
    assertEquals(2, e.exitCode());
    return e.getMessage();
  }

  @Test
  void aParentOfOneSavepointNamesIt(@TempDir Path dir) throws Exception {
    Path savepoint = metadata(dir.resolve("savepoint-3f2a1b-0123456789ab"), 1_000);
    String m = refusal(dir);
    assertTrue(m.contains("holds no _metadata file"), m);
    assertTrue(m.endsWith("; it holds one: " + savepoint), m);
  }

  @Test
  void aCheckpointDirectoryNamesItsNewestCheckpoint(@TempDir Path dir) throws Exception {
    Path job = dir.resolve("6c3f0d7d1b6a4d2e9f0a1b2c3d4e5f60");
    metadata(job.resolve("chk-3"), 1_000);
    Path newest = metadata(job.resolve("chk-5"), 3_000);
    metadata(dir.resolve("other").resolve("chk-4"), 2_000);
    String m = refusal(dir);
    assertTrue(m.endsWith("; it holds 3, the newest " + newest), m);
  }

  @Test
  void anEmptyDirectoryNamesNothingMore(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("empty"));
    String m = refusal(dir.resolve("empty"));
    assertTrue(m.endsWith("of a retained checkpoint (chk-N)"), m);
    assertEquals(0, TrainCommand.inside(dir.resolve("empty")).length());
  }

  /** Trial 23 L4: a data file given as a savepoint, not Flink's text on Flink 1.0 savepoints. */
  @Test
  void aFileThatIsNoMetadataFileIsNamedSo(@TempDir Path dir) throws Exception {
    Path csv = Files.writeString(dir.resolve("recs.csv"), "a,b\n");
    assertTrue(refusal(csv).contains("recs.csv is a file, not a savepoint"), refusal(csv));
    TrainCommand.checkSavepoint(metadata(dir.resolve("sp"), 1_000).resolve("_metadata")
        .toString());
  }
}
