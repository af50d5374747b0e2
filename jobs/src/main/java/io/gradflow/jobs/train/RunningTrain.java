package io.gradflow.jobs.train;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * Where a running embedded {@code gradflow train} can be reached from another process: a small
 * properties file, {@code <checkpoints.directory>/train-<job id>.running}, holding the job id,
 * the MiniCluster's REST address (on 127.0.0.1), the process id and the configuration file.
 * {@code train} writes it once the job is submitted and deletes it when it exits; a file left by
 * a killed process names a process that no longer runs and is skipped. {@code gradflow savepoint
 * --config} reads it ({@link SavepointCommand}).
 *
 * <p>Only for local checkpoint directories. Stateless; safe from any thread.
 */
final class RunningTrain {
  static final String SUFFIX = ".running";

  /** One running train: its job id, REST address, process id and the file that said so. */
  record Endpoint(String jobId, String rest, long pid, String config, Path file) {
    boolean alive() {
      return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
  }

  private RunningTrain() {}

  /**
   * Writes the file of a running job into {@code checkpoints}; returns it, or null when the
   * directory is not local or cannot be written (then only the printed address reaches it).
   */
  static Path write(Path checkpoints, String jobId, String rest, String config) {
    if (checkpoints == null) {
      return null;
    }
    Properties p = new Properties();
    p.setProperty("job", jobId);
    p.setProperty("rest", rest);
    p.setProperty("pid", Long.toString(ProcessHandle.current().pid()));
    p.setProperty("config", config);
    Path file = checkpoints.resolve("train-" + jobId + SUFFIX);
    try {
      Files.createDirectories(checkpoints);
      try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
        p.store(w, "gradflow train: a running embedded job (deleted when it exits)");
      }
      return file;
    } catch (IOException e) {
      return null;
    }
  }

  /** The running trains whose files are in {@code checkpoints}, alive or not; none if absent. */
  static List<Endpoint> find(Path checkpoints) throws IOException {
    List<Endpoint> found = new ArrayList<>();
    if (!Files.isDirectory(checkpoints)) {
      return found;
    }
    try (Stream<Path> files = Files.list(checkpoints)) {
      for (Path f : files.filter(f -> f.getFileName().toString().endsWith(SUFFIX)).sorted()
          .toList()) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
          p.load(r);
        } catch (IOException e) {
          continue; // deleted meanwhile: that train has exited
        }
        try {
          found.add(new Endpoint(p.getProperty("job"), p.getProperty("rest"),
              Long.parseLong(p.getProperty("pid", "-1")), p.getProperty("config"), f));
        } catch (NumberFormatException e) {
          // not one of ours
        }
      }
    }
    return found;
  }
}
