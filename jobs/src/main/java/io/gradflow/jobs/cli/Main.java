package io.gradflow.jobs.cli;

import io.gradflow.config.ConfigException;
import io.gradflow.jobs.broker.BrokerCommand;
import io.gradflow.jobs.consume.ConsumeCommand;
import io.gradflow.jobs.demo.DemoCommand;
import io.gradflow.jobs.evaluate.EvaluateCommand;
import io.gradflow.jobs.produce.ProduceCommand;
import io.gradflow.jobs.replay.OptimReplayCommand;
import io.gradflow.jobs.snapshot.BootstrapCommand;
import io.gradflow.jobs.snapshot.ExportCommand;
import io.gradflow.jobs.snapshot.InspectCommand;
import io.gradflow.jobs.train.SavepointCommand;
import io.gradflow.jobs.train.TrainCommand;
import io.gradflow.jobs.validate.ValidateCommand;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code gradflow} command line. Every command is declared once in {@link #COMMANDS}; the
 * {@code --help} text is generated from that table.
 *
 * <p>Exit codes: 0 success, 1 a failure while running, 2 a command line or configuration that
 * cannot be run as written (the message says which argument or key). A failure a user can cause
 * (a missing file, an unreachable broker, a missing topic, a bad setting) prints one line that
 * says what to do, without a stack trace; a stack trace means a bug in Gradflow (or set
 * {@code GRADFLOW_STACKTRACE=1} to see one for every failure).
 */
public final class Main {
  static final List<Command> COMMANDS = List.of(
      new Command("demo", "[--examples N]",
          "run everything embedded: Kafka broker, synthetic producer, training job; show learning",
          Flag.help(DemoCommand.FLAGS), DemoCommand::run),
      new Command("train", "--config FILE",
          "run the online training job from a YAML configuration (embedded, or under flink run)",
          Flag.help(TrainCommand.FLAGS), TrainCommand::run),
      new Command("savepoint", "--config FILE|--rest URL --job ID --dir DIR",
          SavepointCommand.SUMMARY, Flag.help(SavepointCommand.FLAGS), SavepointCommand::run),
      new Command("evaluate", "--config FILE --file F", EvaluateCommand.SUMMARY,
          Flag.help(EvaluateCommand.FLAGS), EvaluateCommand::run),
      new Command("validate", "--config FILE --savepoint A [--name N] ...",
          ValidateCommand.SUMMARY, Flag.help(ValidateCommand.FLAGS), ValidateCommand::run),
      new Command("produce", "[FLAGS]", ProduceCommand.SUMMARY, Flag.help(ProduceCommand.FLAGS),
          ProduceCommand::run),
      new Command("broker", "[--port N] [--topics A,B]", BrokerCommand.SUMMARY,
          Flag.help(BrokerCommand.FLAGS), BrokerCommand::run),
      new Command("consume", "--bootstrap-servers H --topic T",
          "print any Gradflow topic as JSON lines, or a race's metrics as a leaderboard",
          Flag.help(ConsumeCommand.FLAGS), ConsumeCommand::run),
      new Command("export", "--savepoint PATH --out FILE", ExportCommand.SUMMARY,
          Flag.help(ExportCommand.FLAGS), ExportCommand::run),
      new Command("inspect", "FILE [--rows N]", InspectCommand.SUMMARY,
          Flag.help(InspectCommand.FLAGS), InspectCommand::run),
      new Command("bootstrap", "--snapshot FILE --out PATH", BootstrapCommand.SUMMARY,
          Flag.help(BootstrapCommand.FLAGS), BootstrapCommand::run),
      new Command("optim-replay", "FILE|-",
          "replay optimizer cases from a JSON file (or stdin) and print each row's trajectory",
          "", OptimReplayCommand::run));

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args, System.in, System.out, System.err));
  }

  /** Runs a command line; returns the process exit code. */
  public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
    if (args.length == 0) {
      // A usage mistake: the usage goes where the mistakes go, and the exit code says so.
      err.println("gradflow: a command is needed");
      err.print(help());
      return 2;
    }
    if (args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
      out.print(help());
      return 0;
    }
    Command command = COMMANDS.stream().filter(c -> c.name().equals(args[0])).findFirst()
        .orElse(null);
    if (command == null) {
      err.println("gradflow: unknown command '" + args[0] + "'");
      err.print(help());
      return 2;
    }
    List<String> rest = Arrays.asList(args).subList(1, args.length);
    if (rest.contains("--help") || rest.contains("-h")) {
      out.println("usage: gradflow " + command.name() + " " + command.arguments());
      out.println("  " + command.summary());
      if (!command.flagHelp().isEmpty()) {
        out.print("\nflags:\n" + command.flagHelp());
      }
      return 0;
    }
    try {
      return command.handler().run(rest, in, out, err);
    } catch (Command.UsageException | ConfigException e) {
      err.println("gradflow " + command.name() + ": " + e.getMessage());
      err.println("usage: gradflow " + command.name() + " " + command.arguments()
          + "   (gradflow " + command.name() + " --help lists the flags)");
      return 2;
    } catch (Exception e) {
      return failure(command.name(), e, err);
    }
  }

  /**
   * Prints a failure: one line for what a user can cause and fix (exit 1, or 2 for a file or
   * setting named on the command line), a stack trace only for a bug (or when the environment
   * variable {@code GRADFLOW_STACKTRACE} is set).
   */
  static int failure(String command, Throwable thrown, PrintStream err) {
    Throwable e = unwrap(thrown);
    String prefix = "gradflow " + command + ": ";
    boolean trace = System.getenv("GRADFLOW_STACKTRACE") != null;
    int exit;
    if (e instanceof UserException u) {
      err.println(prefix + u.getMessage());
      exit = u.exitCode();
      if (u.getCause() != null && !trace) {
        err.println("the cause, for a report (not a mistake of the command line or the"
            + " configuration):");
        u.getCause().printStackTrace(err);
      }
    } else if (e instanceof Command.UsageException || e instanceof ConfigException) {
      err.println(prefix + e.getMessage());
      exit = 2;
    } else if (e instanceof com.fasterxml.jackson.core.JsonProcessingException j) {
      err.println(prefix + notValidYaml(j));
      exit = 2;
    } else if (e instanceof java.nio.file.NoSuchFileException f) {
      err.println(prefix + f.getFile() + ": no such file");
      exit = 2;
    } else if (e instanceof java.nio.file.AccessDeniedException f) {
      err.println(prefix + "permission denied: " + f.getFile());
      exit = 2;
    } else if (e instanceof java.io.FileNotFoundException f) {
      err.println(prefix + "cannot open a file: " + f.getMessage());
      exit = 2;
    } else if (e instanceof org.apache.kafka.common.errors.ApiException
        || e instanceof org.apache.kafka.common.errors.TimeoutException
        || e instanceof org.apache.kafka.common.config.ConfigException) {
      err.println(prefix + "Kafka refused: " + e.getMessage()
          + " (check kafka.bootstrap_servers, the topics and kafka.properties)");
      exit = 1;
    } else if (RestoreRefusal.in(thrown).isPresent()) {
      err.println(prefix + RestoreRefusal.in(thrown).get());
      exit = 2;
    } else {
      err.println(prefix + "internal error, a bug in Gradflow: " + e
          + "\nPlease report it with the trace below.");
      e.printStackTrace(err);
      return 1;
    }
    if (trace) {
      thrown.printStackTrace(err);
    }
    return exit;
  }

  /**
   * A YAML or JSON syntax error: the problem and where, never the text around it (a configuration
   * line may hold a password).
   */
  static String notValidYaml(com.fasterxml.jackson.core.JsonProcessingException e) {
    if (e.getCause() instanceof org.yaml.snakeyaml.error.MarkedYAMLException m
        && m.getProblemMark() != null) {
      return "the file is not valid YAML: " + m.getProblem() + " at line "
          + (m.getProblemMark().getLine() + 1) + ", column " + (m.getProblemMark().getColumn() + 1)
          + " (the line is not shown: it may hold a secret)";
    }
    com.fasterxml.jackson.core.JsonLocation at = e.getLocation();
    return "the file is not valid YAML or JSON"
        + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr())
        + " (the text is not shown: it may hold a secret)";
  }

  private static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while ((t instanceof java.util.concurrent.ExecutionException
        || t instanceof java.util.concurrent.CompletionException
        || t instanceof java.io.UncheckedIOException
        || t instanceof java.lang.reflect.InvocationTargetException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  static String help() {
    StringBuilder b = new StringBuilder("usage: gradflow COMMAND [ARGS]\n\ncommands:\n");
    for (Command c : COMMANDS) {
      b.append(String.format("  %-14s %-10s %s%n", c.name(), c.arguments(), c.summary()));
    }
    b.append("\nRun 'gradflow COMMAND --help' for one command.\n");
    return b.toString();
  }
}
