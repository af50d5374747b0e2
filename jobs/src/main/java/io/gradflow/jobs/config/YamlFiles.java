package io.gradflow.jobs.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.gradflow.config.ConfigException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads a job file's YAML into plain maps, lists and scalars, and turns every way it can be
 * malformed into a {@link ConfigException} that names the place, never the text: a value may be a
 * secret (a SASL password in {@code kafka.properties}), and a parser's message quotes the lines
 * around an error.
 *
 * <ul>
 *   <li>a key given twice in one map, at any level ({@code model is given twice (line 9, column
 *       1); a key may appear once in its map}), which YAML parsers otherwise resolve by letting
 *       the last one win;
 *   <li>an empty file, or one of comments only;
 *   <li>a syntax error, with its line and column and the parser's words for the problem, quoted
 *       text removed.
 * </ul>
 *
 * Stateless and thread-safe.
 */
public final class YamlFiles {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  private static final Pattern DUPLICATE = Pattern.compile("Duplicate field '(.*)'");
  private static final Pattern QUOTED = Pattern.compile("'[^']*'|\"[^\"]*\"");
  /** Where the file listing every setting is, from the project's root (the launcher's). */
  public static final String EXAMPLE_FILE = "jobs/src/main/resources/train-example.yaml";

  private YamlFiles() {}

  /**
   * The YAML document in {@code text} as maps, lists and scalars; an empty one is refused
   * saying that a job needs at least {@code kafka: {bootstrap_servers: HOST:PORT}}.
   *
   * @throws ConfigException for an empty document, a duplicate key or a syntax error
   */
  public static Object parse(String text) {
    return parse(text, "a job needs at least kafka: {bootstrap_servers: HOST:PORT}");
  }

  /**
   * {@link #parse(String)}, an empty document refused with {@code needs}: what the command
   * reading it needs at least ({@code evaluate} needs no {@code kafka}).
   */
  public static Object parse(String text, String needs) {
    Object tree;
    try {
      tree = text == null || text.isBlank() ? null : YAML.readValue(text, Object.class);
    } catch (MismatchedInputException e) {
      tree = null;  // no content: comments only
    } catch (JsonProcessingException e) {
      throw refusal(e);
    }
    if (tree == null) {
      throw new ConfigException("(file)", "the configuration is empty; " + needs + " (see "
          + EXAMPLE_FILE + " for every setting)");
    }
    return tree;
  }

  private static ConfigException refusal(JsonProcessingException e) {
    Matcher duplicate = DUPLICATE.matcher(String.valueOf(e.getOriginalMessage()));
    if (duplicate.find() && e.getProcessor() instanceof JsonParser parser) {
      String key = path(parser.getParsingContext(), duplicate.group(1));
      return new ConfigException(key, key + " is given twice" + at(e.getLocation())
          + "; a key may appear once in its map");
    }
    Throwable cause = e.getCause();
    if (cause instanceof MarkedYAMLException marked) {
      Mark mark = marked.getProblemMark() != null ? marked.getProblemMark()
          : marked.getContextMark();
      String where = mark == null ? ""
          : " at line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
      String problem = marked.getProblem() == null ? "" : ": " + redact(marked.getProblem());
      Mark started = marked.getContextMark();
      String context = marked.getContext() == null || started == null || started == mark ? ""
          : " (" + redact(marked.getContext()) + " that starts at line " + (started.getLine() + 1)
              + ", column " + (started.getColumn() + 1) + ")";
      return new ConfigException("(file)", "the configuration is not valid YAML" + where
          + problem + context);
    }
    return new ConfigException("(file)", "the configuration is not valid YAML"
        + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()
            + ", column " + e.getLocation().getColumnNr()));
  }

  /** The full key of {@code name} in the map the parser is in: {@code kafka.topics.examples}. */
  private static String path(JsonStreamContext context, String name) {
    Deque<String> parts = new ArrayDeque<>();
    parts.push(name);
    for (JsonStreamContext c = context.getParent(); c != null && !c.inRoot(); c = c.getParent()) {
      if (c.inArray()) {
        String below = parts.pop();
        parts.push("[" + c.getCurrentIndex() + "]" + (below.startsWith("[") ? "" : ".") + below);
      } else if (c.getCurrentName() != null) {
        String below = parts.pop();
        parts.push(c.getCurrentName() + (below.startsWith("[") ? "" : ".") + below);
      }
    }
    return String.join(".", parts);
  }

  private static String at(JsonLocation location) {
    return location == null ? "" : " (line " + location.getLineNr() + ", column "
        + location.getColumnNr() + ")";
  }

  /**
   * A parser's problem without quoted text (it may quote a value), except a quoted single
   * character that is YAML syntax (the parser's {@code expected ',' or '}'}): such a character
   * is the parser's word, and one character of a value gives nothing of a secret away.
   */
  static String redact(String problem) {
    String quoted = QUOTED.matcher(problem).replaceAll(m -> m.group().length() == 3
        && SYNTAX.indexOf(m.group().charAt(1)) >= 0 ? Matcher.quoteReplacement(m.group()) : "'…'");
    return UNQUOTED.matcher(quoted).replaceAll("$1…");
  }

  /**
   * SnakeYAML's problems that give a value's text unquoted: an alias's name (where a value
   * starting with {@code *} is read as an alias) and an escape's digits.
   */
  private static final Pattern UNQUOTED =
      Pattern.compile("(found undefined alias |hexadecimal numbers, but found: ?)\\S+");

  /** The characters of YAML's syntax a parser's problem may quote. */
  private static final String SYNTAX = ",:{}[]-?|>#&*!%@`'\"";
}
