package io.gradflow.jobs.replay;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradflow.jobs.cli.Command;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/** {@code gradflow optim-replay FILE|-}: reads cases, prints trajectories (see {@link OptimReplay}). */
public final class OptimReplayCommand {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private OptimReplayCommand() {}

  /** Jackson's "[Source: ...; line: 1, column: 11]" inside its messages. */
  private static final java.util.regex.Pattern SOURCE = java.util.regex.Pattern.compile(
      "\\[Source: .*?; line: (\\d+), column: (\\d+)\\]");

  /**
   * A JSON syntax error in our words: {@code line 1, column 11: unexpected end-of-input: expected
   * close marker for Array (opened at line 1, column 11)}, without Jackson's source descriptions.
   */
  static String jsonProblem(JsonProcessingException e) {
    String problem = e.getOriginalMessage() == null ? "unreadable" : e.getOriginalMessage();
    problem = SOURCE.matcher(problem).replaceAll("line $1, column $2")
        .replace("start marker at line", "opened at line").replaceAll("\\s+", " ").trim();
    if (!problem.isEmpty()) {
      problem = Character.toLowerCase(problem.charAt(0)) + problem.substring(1);
    }
    com.fasterxml.jackson.core.JsonLocation at = e.getLocation();
    return (at == null || at.getLineNr() < 1 ? "" : "line " + at.getLineNr() + ", column "
        + at.getColumnNr() + ": ") + problem;
  }

  public static int run(List<String> args, InputStream in, PrintStream out, PrintStream err)
      throws IOException {
    if (args.size() != 1) {
      throw new Command.UsageException("expected one argument, the JSON file (or - for stdin),"
          + " but got " + args.size());
    }
    String source = args.get(0);
    JsonNode input;
    try {
      input = source.equals("-") ? MAPPER.readTree(in) : MAPPER.readTree(Files.readAllBytes(Path.of(source)));
    } catch (NoSuchFileException e) {
      throw new Command.UsageException(source + ": no such file");
    } catch (JsonProcessingException e) {
      throw new Command.UsageException((source.equals("-") ? "stdin" : source)
          + " is not valid JSON: " + jsonProblem(e));
    }
    try {
      out.println(MAPPER.writeValueAsString(OptimReplay.replay(input)));
    } catch (IllegalArgumentException e) {
      throw new Command.UsageException(e.getMessage());
    }
    out.flush();
    return 0;
  }
}
