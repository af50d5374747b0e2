package io.gradflow.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code gradflow train --final-savepoint DIR}: a bounded run over the first part of a topic
 * ends with a savepoint instead of finishing; {@code train --savepoint} from it over the rest of
 * the topic predicts, bit for bit, what one uninterrupted bounded run over the whole topic
 * predicts for those examples (the state is exact, and the held partitions read on from where
 * the first run ended: nothing skipped, nothing read twice). The first run's own predictions
 * equal the uninterrupted run's over the first part. Two partitions, so each partition's
 * position is kept. The refusals at start-up: a non-empty directory, an unbounded run.
 */
class FinalSavepointITCase extends TrainJobITCase {
  static final Pattern SAVEPOINT = Pattern.compile("(?m)^ *savepoint +(\\S+)");

  @Test
  void aBoundedRunEndsWithASavepointThatContinuesExactly() throws Exception {
    String examples = "history";
    kafka.createTopics(2, examples);
    produce(examples, 23, 0, 1_500, "m1", "m2", "m3");

    Run first = Run.create(examples, "labels");
    Path dir = temp.resolve("final");
    assertEquals(0, train(job(first, true), "--final-savepoint", dir.toString()), both());
    String savepoint = savepointIn(out());
    assertTrue(Path.of(java.net.URI.create(savepoint)).startsWith(dir), savepoint);
    assertTrue(Files.exists(Path.of(java.net.URI.create(savepoint)).resolve("_metadata")),
        savepoint);
    assertFalse(err().contains("\tat "), both());

    produce(examples, 23, 1_500, 1_000, "m1", "m2", "m3");
    Run second = Run.create(examples, "labels");
    assertEquals(0, train(job(second, true), "--savepoint", savepoint), both());

    Run whole = Run.create(examples, "labels");
    assertEquals(0, train(job(whole, true)), both());

    Map<String, Double> all = predictions(whole.predictions(), 2_500);
    assertEquals(2_500, all.size());
    assertSameEntries(part(all, 0, 1_500), predictions(first.predictions(), 1_500),
        "the first run against the uninterrupted one");
    assertSameEntries(part(all, 1_500, 2_500), predictions(second.predictions(), 1_000),
        "the continued run against the uninterrupted one");
  }

  @Test
  void refusesANonEmptyDirectoryAndAnUnboundedRun() throws Exception {
    String examples = "refused";
    kafka.createTopics(1, examples);
    Run run = Run.create(examples, "labels");
    Path full = Files.createDirectories(temp.resolve("full"));
    Files.writeString(full.resolve("keep.txt"), "mine");
    assertEquals(2, train(job(run, true), "--final-savepoint", full.toString()), both());
    assertTrue(err().contains("--final-savepoint " + full + " is not empty; give a new or empty"
        + " directory (nothing is overwritten)"), both());
    assertEquals("mine", Files.readString(full.resolve("keep.txt")));

    assertEquals(2, train(job(run, false), "--final-savepoint",
        temp.resolve("new").toString()), both());
    assertTrue(err().contains("--final-savepoint needs a bounded run: set kafka.bounded"), both());
    assertFalse(Files.exists(temp.resolve("new")));
    assertFalse(err().contains("\tat "), both());
  }

  /** A run's job file, with checkpoints every 300 ms in this test's directory. */
  String job(Run run, boolean bounded) {
    return run.yaml("", bounded) + "\ncheckpoints: {interval: 300ms, directory: "
        + temp.resolve("checkpoints").toUri() + "}\n";
  }

  /** The path of the last savepoint line printed. */
  static String savepointIn(String printed) {
    Matcher m = SAVEPOINT.matcher(printed);
    String path = null;
    while (m.find()) {
      path = m.group(1);
    }
    assertTrue(path != null, printed);
    return path;
  }

  /** The predictions of examples x{from} to x{to - 1}. */
  static Map<String, Double> part(Map<String, Double> all, int from, int to) {
    Map<String, Double> part = new HashMap<>();
    all.forEach((key, score) -> {
      int id = Integer.parseInt(key.split("/")[1].substring(1));
      if (id >= from && id < to) {
        part.put(key, score);
      }
    });
    return part;
  }
}
