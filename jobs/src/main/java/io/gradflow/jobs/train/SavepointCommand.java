package io.gradflow.jobs.train;

import io.gradflow.config.Durations;
import io.gradflow.jobs.cli.Command;
import io.gradflow.jobs.cli.Flag;
import io.gradflow.jobs.cli.Flag.Type;
import io.gradflow.jobs.cli.UserException;
import io.gradflow.jobs.config.TrainConfig;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobID;
import org.apache.flink.client.deployment.StandaloneClusterId;
import org.apache.flink.client.program.rest.RestClusterClient;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.SavepointFormatType;

/**
 * {@code gradflow savepoint --config job.yaml --dir DIR}: takes a savepoint of a running
 * {@code gradflow train} without stopping it, through Flink's REST API
 * ({@link RestClusterClient#triggerSavepoint}, canonical format), and prints its path.
 *
 * <p>The job is found by the file an embedded train writes beside its checkpoints while it runs
 * ({@link RunningTrain}: the job id and its MiniCluster's REST address on 127.0.0.1), or given
 * directly with {@code --rest URL --job ID}, which reaches any Flink cluster's REST endpoint, so
 * the same command serves {@code flink run} deployments without Flink's own CLI. A new or empty
 * {@code DIR} only: nothing is overwritten; Flink writes a {@code savepoint-<id>} directory in it.
 * Errors a user can cause (no running train, several, nothing answering, a failed savepoint) end
 * with one message and exit code 1 or 2, never a stack trace.
 */
public final class SavepointCommand {
  public static final String SUMMARY =
      "take a savepoint of a running train job (embedded, or any Flink cluster by --rest)";
  public static final List<Flag> FLAGS = List.of(
      Flag.of("dir", Type.STRING, null, "a new or empty directory for the savepoint (required)"),
      Flag.of("config", Type.STRING, null, "the running train's YAML configuration: the job is"
          + " found beside its checkpoints (checkpoints.directory)"),
      Flag.of("rest", Type.STRING, null, "a Flink REST endpoint (http://host:port), instead of"
          + " --config: the one train printed, or a cluster's"),
      Flag.of("job", Type.STRING, null, "the job id (with --rest; with --config when several"
          + " trains share the checkpoint directory)"),
      Flag.of("timeout", Type.STRING, "10m", "how long to wait for the savepoint"),
      Flag.of("stop", Type.SWITCH, null, "stop the job with the savepoint (Flink's"
          + " stop-with-savepoint): its output up to the savepoint is committed and nothing"
          + " after it is written, so a job started from the savepoint writes no output twice"));

  private SavepointCommand() {}

  public static int run(List<String> args, InputStream in, PrintStream out, PrintStream err)
      throws Exception {
    Flag.Values flags = Flag.parse(FLAGS, args);
    if (!flags.isSet("dir")) {
      throw new Command.UsageException("--dir is required\n" + Flag.help(FLAGS));
    }
    if (flags.isSet("config") == flags.isSet("rest")) {
      throw new Command.UsageException("give --config (an embedded train on this machine) or"
          + " --rest with --job (any Flink REST endpoint)\n" + Flag.help(FLAGS));
    }
    Duration timeout = Durations.parse("--timeout", flags.string("timeout"));
    String dir = targetDirectory(flags.string("dir"));
    String rest;
    String job;
    if (flags.isSet("rest")) {
      if (!flags.isSet("job")) {
        throw new Command.UsageException("--rest needs --job ID (the job id train printed, or"
            + " flink list shows)");
      }
      rest = flags.string("rest");
      job = flags.string("job");
    } else {
      RunningTrain.Endpoint found = find(flags.string("config"),
          flags.isSet("job") ? flags.string("job") : null);
      rest = found.rest();
      job = found.jobId();
    }
    JobID jobId;
    try {
      jobId = JobID.fromHexString(job);
    } catch (IllegalArgumentException e) {
      throw new Command.UsageException("--job must be a Flink job id (32 hex digits), but was "
          + job);
    }
    boolean stop = flags.on("stop");
    String path = trigger(rest, jobId, dir, timeout, stop);
    out.println("savepoint " + path);
    out.println("  of job " + jobId + " at " + rest + (stop ? "; the job stopped with it" :
        "; the job runs on (a job started from it writes again what this one writes after it:"
            + " --stop stops the job with the savepoint)") + ". To start from it:"
        + " gradflow train --config FILE --savepoint " + path);
    return 0;
  }

  /** The running train of a configuration, from its checkpoint directory's files. */
  private static RunningTrain.Endpoint find(String configFile, String job) throws Exception {
    TrainConfig config = TrainConfig.load(Path.of(configFile));
    String checkpoints = TrainJob.checkpointDirectory(config);
    Path local = TrainCommand.localPath(checkpoints);
    if (local == null) {
      throw new UserException("checkpoints.directory " + checkpoints + " is not local, so no"
          + " embedded train of " + configFile + " runs here; give --rest URL --job ID", 2);
    }
    List<RunningTrain.Endpoint> all = RunningTrain.find(local);
    List<RunningTrain.Endpoint> alive = all.stream().filter(RunningTrain.Endpoint::alive)
        .filter(e -> job == null || e.jobId().equals(job)).toList();
    if (alive.isEmpty()) {
      throw new UserException("no running gradflow train of " + configFile + " found in "
          + local + (job == null ? "" : " with job id " + job)
          + (all.isEmpty() ? "" : " (files of trains that have exited: " + all.stream()
              .map(e -> e.file().getFileName().toString()).collect(Collectors.joining(", "))
              + "; they can be deleted)")
          + "; start one with gradflow train --config " + configFile, 1);
    }
    if (alive.size() > 1) {
      throw new UserException("several gradflow trains of " + configFile + " run: "
          + alive.stream().map(e -> e.jobId() + " (pid " + e.pid() + ")")
              .collect(Collectors.joining(", ")) + "; choose one with --job ID", 2);
    }
    return alive.get(0);
  }

  /** A new or empty savepoint directory, as Flink takes it (a local one as a file: URI). */
  private static String targetDirectory(String dir) throws Exception {
    Path path = TrainCommand.localPath(dir);
    if (path == null) {
      return dir;
    }
    if (Files.exists(path) && (!Files.isDirectory(path) || hasEntries(path))) {
      throw new UserException("--dir " + dir + (Files.isDirectory(path) ? " is not empty"
          : " is a file") + "; give a new or empty directory (nothing is overwritten)", 2);
    }
    return path.toAbsolutePath().toUri().toString();
  }

  private static boolean hasEntries(Path dir) throws java.io.IOException {
    try (var entries = Files.list(dir)) {
      return entries.findAny().isPresent();
    }
  }

  /**
   * Triggers a canonical savepoint of {@code job} at {@code rest}, with {@code stop} Flink's
   * stop-with-savepoint (no drain: event time is not advanced to its end, so the label join's
   * waiting examples stay in the savepoint); its path.
   */
  static String trigger(String rest, JobID job, String dir, Duration timeout, boolean stop)
      throws Exception {
    URI uri;
    try {
      uri = URI.create(rest.contains("://") ? rest : "http://" + rest);
    } catch (IllegalArgumentException e) {
      throw new Command.UsageException("--rest must be http://host:port, but was " + rest);
    }
    if (uri.getHost() == null || uri.getPort() < 0) {
      throw new Command.UsageException("--rest must be http://host:port, but was " + rest);
    }
    Configuration conf = new Configuration();
    conf.set(RestOptions.ADDRESS, uri.getHost());
    conf.set(RestOptions.PORT, uri.getPort());
    conf.set(RestOptions.RETRY_MAX_ATTEMPTS, 0);
    try (RestClusterClient<StandaloneClusterId> client =
             new RestClusterClient<>(conf, StandaloneClusterId.getInstance())) {
      return (stop ? client.stopWithSavepoint(job, false, dir, SavepointFormatType.CANONICAL)
          : client.triggerSavepoint(job, dir, SavepointFormatType.CANONICAL))
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new UserException("the savepoint of job " + job + " at " + rest + " failed: "
          + TrainCommand.rootMessage(e) + hint(e), 1);
    } catch (TimeoutException e) {
      throw new UserException("the savepoint of job " + job + " at " + rest + " did not complete"
          + " within " + Durations.format(timeout) + " (--timeout); it may still complete in "
          + dir, 1);
    }
  }

  private static String hint(Throwable e) {
    String all = TrainCommand.rootMessage(e);
    if (all.contains("Connection refused") || all.contains("ConnectException")) {
      return " (nothing answers there: has the train exited?)";
    }
    if (all.contains("NotFound") || all.contains("could not be found")) {
      return " (no such job there: check --job)";
    }
    return "";
  }
}
