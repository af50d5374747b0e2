package io.gradflow.jobs.train;

import io.gradflow.jobs.cli.Command;
import io.gradflow.jobs.config.TrainConfig;
import io.gradflow.jobs.cli.Flag;
import io.gradflow.jobs.cli.Flag.Type;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * {@code gradflow train --config job.yaml [--savepoint PATH]}: builds the training job from one
 * validated YAML file and runs it, embedded on a local MiniCluster when started from the command
 * line, or on the cluster when the jobs jar is submitted with {@code flink run} (the same code,
 * the same file).
 */
public final class TrainCommand {
  public static final List<Flag> FLAGS = List.of(
      Flag.of("config", Type.STRING, null, "the job's YAML configuration (required)"),
      Flag.of("savepoint", Type.STRING, null, "start from this savepoint or checkpoint"),
      Flag.of("validate-only", Type.SWITCH, null, "check the configuration and stop"));

  private TrainCommand() {}

  /** For {@code flink run -c io.gradflow.jobs.train.TrainCommand gradflow-jobs.jar --config ...}. */
  public static void main(String[] args) throws Exception {
    System.exit(run(List.of(args), System.in, System.out, System.err));
  }

  public static int run(List<String> args, InputStream in, PrintStream out, PrintStream err)
      throws Exception {
    Flag.Values flags = Flag.parse(FLAGS, args);
    if (!flags.isSet("config")) {
      throw new Command.UsageException("--config is required\n" + Flag.help(FLAGS));
    }
    TrainConfig config = TrainConfig.load(Path.of(flags.string("config")));
    if (flags.on("validate-only")) {
      // The effective configuration, from the settings' declarations; defaults are marked.
      io.gradflow.config.ConfigReport report = new io.gradflow.config.ConfigReport();
      TrainConfig.load(Path.of(flags.string("config")), report);
      out.println("configuration is valid: " + config.candidates().size() + " learner(s), "
          + "state backend " + config.state().backend() + "; effective settings:");
      report.lines().forEach(line -> out.println("  " + line));
      return 0;
    }
    Configuration conf = TrainJob.flinkConfiguration(config);
    if (flags.isSet("savepoint")) {
      conf.set(StateRecoveryOptions.SAVEPOINT_PATH, flags.string("savepoint"));
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    TrainJob.configure(env, config);
    TrainJob.build(env, config);
    env.execute(config.jobName());
    return 0;
  }
}
