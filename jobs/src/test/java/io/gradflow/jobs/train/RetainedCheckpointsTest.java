package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.cli.Main;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finding the checkpoint to restart from ({@code --resume}) and refusing one too old for its
 * Kafka transactions, through {@code gradflow train} without a broker (the checks come first).
 */
class RetainedCheckpointsTest {
  @TempDir
  Path temp;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private Path checkpoint(String job, int number, Duration age) throws Exception {
    Path dir = Files.createDirectories(temp.resolve("checkpoints").resolve(job)
        .resolve("chk-" + number));
    Path metadata = Files.writeString(dir.resolve("_metadata"), "x");
    Files.setLastModifiedTime(metadata, FileTime.from(Instant.now().minus(age)));
    return dir;
  }

  private int train(String... flags) throws Exception {
    Path file = temp.resolve("job.yaml");
    Files.writeString(file, String.join("\n",
        "kafka: {bootstrap_servers: 'localhost:1', transaction_timeout: 5m}",
        "checkpoints: {interval: 10s, directory: " + temp.resolve("checkpoints").toUri() + "}",
        ""));
    List<String> args = new ArrayList<>(List.of("train", "--config", file.toString(),
        "--startup-timeout", "1s"));
    args.addAll(List.of(flags));
    return Main.run(args.toArray(String[]::new), new ByteArrayInputStream(new byte[0]),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void theNewestCompleteCheckpointIsFoundAcrossJobIds() throws Exception {
    checkpoint("job-a", 40, Duration.ofMinutes(3));
    Path newest = checkpoint("job-b", 3, Duration.ofMinutes(1));
    checkpoint("job-b", 2, Duration.ofMinutes(2));
    Files.createDirectories(temp.resolve("checkpoints/job-b/chk-4")); // incomplete: no _metadata
    Files.createDirectories(temp.resolve("checkpoints/job-b/shared"));

    assertEquals(newest, RetainedCheckpoints.newest(temp.resolve("checkpoints")).orElseThrow()
        .directory());
    assertEquals(newest, RetainedCheckpoints.newest(temp.resolve("checkpoints/job-b"))
        .orElseThrow().directory());
    assertEquals(newest, RetainedCheckpoints.newest(newest).orElseThrow().directory());
    assertTrue(RetainedCheckpoints.newest(temp.resolve("checkpoints/job-b/shared")).isEmpty());
  }

  @Test
  void resumeSaysWhichCheckpointItStartsFrom() throws Exception {
    Path newest = checkpoint("job-a", 7, Duration.ofMinutes(2));

    int exit = train("--resume", temp.resolve("checkpoints").toString());

    // past the checkpoint checks, the job stops at the unreachable broker
    assertEquals(1, exit, err());
    assertTrue(out().contains("resuming from " + newest + ", the newest complete checkpoint under "
        + temp.resolve("checkpoints") + " (checkpoint 7, written 2m 0s ago)"), out());
    assertTrue(err().contains("kafka.bootstrap_servers"), err());
  }

  @Test
  void resumeWithoutACompleteCheckpointSaysSo() throws Exception {
    Files.createDirectories(temp.resolve("checkpoints/job-a/chk-1"));

    assertEquals(2, train("--resume", temp.resolve("checkpoints").toString()));
    assertEquals("gradflow train: --resume " + temp.resolve("checkpoints") + " holds no complete"
        + " checkpoint (a chk-N directory with a _metadata file, directly or in a job id's"
        + " directory): nothing to restart from. Flink deletes a finished job's checkpoints;"
        + " start without --resume, or give a savepoint with --savepoint\n", err());
  }

  @Test
  void resumeAndSavepointTogetherAreRefused() throws Exception {
    assertEquals(2, train("--resume", temp.toString(), "--savepoint", temp.toString()));
    assertTrue(err().startsWith("gradflow train: --resume and --savepoint both say where to"
        + " start: give one of them"), err());
  }

  @Test
  void aCheckpointOlderThanTheTransactionTimeoutAllowsIsRefused() throws Exception {
    Path old = checkpoint("job-a", 12, Duration.ofHours(2).plusMinutes(3));

    assertEquals(2, train("--resume", temp.resolve("checkpoints").toString()));

    String message = err();
    assertTrue(message.startsWith("gradflow train: --resume " + temp.resolve("checkpoints")
        + ": checkpoint " + old + " was written 2h 3m ago ("), message);
    assertTrue(message.contains("and kafka.transaction_timeout is 5m: the broker aborts a"
        + " transaction that old, and with it the output (predictions, metrics, changelog, dead"
        + " letters) of the checkpoint interval before the checkpoint, which only a restart"
        + " within transaction_timeout - checkpoints.interval - 10s = 4m 40s could still"
        + " commit."), message);
    assertTrue(message.contains("add --accept-lost-output"), message);
    assertFalse(message.contains("\tat "), "no stack trace: " + message);
  }

  @Test
  void aCheckpointGivenWithSavepointIsCheckedToo() throws Exception {
    Path old = checkpoint("job-a", 12, Duration.ofMinutes(5));

    assertEquals(2, train("--savepoint", old.resolve("_metadata").toString()));
    assertTrue(err().startsWith("gradflow train: --savepoint " + old.resolve("_metadata")
        + ": checkpoint " + old + " was written 5m 0s ago"), err());
  }

  @Test
  void acceptLostOutputStartsFromItAndSaysWhatIsMissing() throws Exception {
    checkpoint("job-a", 12, Duration.ofHours(1));

    int exit = train("--resume", temp.resolve("checkpoints").toString(), "--accept-lost-output");

    assertEquals(1, exit, err()); // the unreachable broker, after the checks
    assertTrue(err().contains("OUTPUT LOST: checkpoint "), err());
    assertTrue(err().contains("Restarting from it as --accept-lost-output says: the model and"
        + " the input offsets continue from the checkpoint, but that output is missing from the"
        + " output topics"), err());
  }

  @Test
  void aSavepointIsNotCheckedForAge() throws Exception {
    Path savepoint = Files.createDirectories(temp.resolve("savepoint-abc-123"));
    Path metadata = Files.writeString(savepoint.resolve("_metadata"), "x");
    Files.setLastModifiedTime(metadata, FileTime.from(Instant.now().minus(Duration.ofDays(3))));

    assertEquals(1, train("--savepoint", savepoint.toString()), err());
    assertFalse(err().contains("transaction_timeout"), err());
    assertTrue(err().contains("kafka.bootstrap_servers"), err());
  }

  @Test
  void aRunStoppedBeforeItsFirstCheckpointSaysNoneCompleted() throws Exception {
    Path job = Files.createDirectories(temp.resolve("checkpoints/job-a/chk-1")).getParent();
    String uri = job.toUri().toString();
    String stopped = TrainCommand.cleanUp(uri, false, true, true);
    assertTrue(stopped.startsWith("none completed before the stop (" + uri + "): nothing to"
        + " resume, a new run starts from kafka.starting_offsets"), stopped);
    assertFalse(stopped.contains("finished"), stopped);
    String neverCreated = TrainCommand.cleanUp(temp.resolve("absent").toUri().toString(), false,
        true, true);
    assertTrue(neverCreated.startsWith("none completed before the stop"), neverCreated);
    assertTrue(TrainCommand.cleanUp(uri, false, true, false)
        .contains("Flink discards a finished job's checkpoints"));
    // A run restored from a savepoint goes on from it, not from kafka.starting_offsets.
    String restored = TrainCommand.cleanUp(uri, false, true, true,
        "gradflow train --config job.yaml --savepoint /sp/savepoint-1");
    assertTrue(restored.startsWith("none completed before the stop (" + uri + "): to go on from"
        + " where this run started: gradflow train --config job.yaml --savepoint /sp/savepoint-1"),
        restored);
    assertFalse(restored.contains("starting_offsets"), restored);
  }
}
