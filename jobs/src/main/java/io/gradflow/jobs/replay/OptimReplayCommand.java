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
      throw new Command.UsageException("no such file: " + source);
    } catch (JsonProcessingException e) {
      throw new Command.UsageException(source + " is not valid JSON: " + e.getOriginalMessage()
          + " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr());
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
