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
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.DocumentEndEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.MappingEndEvent;
import org.yaml.snakeyaml.events.MappingStartEvent;
import org.yaml.snakeyaml.events.NodeEvent;
import org.yaml.snakeyaml.events.ScalarEvent;
import org.yaml.snakeyaml.events.SequenceEndEvent;
import org.yaml.snakeyaml.events.SequenceStartEvent;
import org.yaml.snakeyaml.parser.Parser;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.StreamReader;

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
 * <p>Anchors, aliases and merge keys are read as YAML 1.1 defines them (and as SnakeYAML's own
 * constructor does): {@code lr: *x} is the value anchored {@code &x}, a copy, and {@code <<: *base}
 * (or {@code <<: [*a, *b]}) in a map adds the keys of the anchored map(s) that the map does not
 * give itself (of a list, the first map that gives a key wins). Jackson's YAML parser alone
 * reads an alias as a string holding the anchor's name, so {@code labels: *t} named the topic
 * {@code t}. A merge key whose value is not a map, an alias inside the value it refers to, and
 * aliases that expand past {@value #MAX_EXPANDED} values are refused naming the key. Messages
 * never give an alias's or anchor's name (a password {@code *x} unquoted is read as an alias).
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
    if (text.indexOf('*') >= 0 || text.contains("<<")) {
      tree = resolveAliases(text, tree);
    }
    return tree;
  }

  /** Values that aliases may expand to, in all: a file of a few aliases stays far below. */
  static final int MAX_EXPANDED = 100_000;

  /**
   * {@code tree} with every alias replaced by a copy of its anchored value and every merge key
   * applied, walking SnakeYAML's events for the document in order (Jackson's parser gives an
   * alias as its anchor's name and keeps no anchor of a scalar).
   */
  private static Object resolveAliases(String text, Object tree) {
    // Each anchor's value once its node is read, OPEN while its map or list is being read (an
    // alias to it then stands inside it). Held by value, not by place: a merge removes its key's
    // value from the map, anchors defined in it included.
    Map<String, Object> anchors = new HashMap<>();
    Deque<Frame> open = new ArrayDeque<>();
    Object[] root = {tree};
    int[] expanded = {0};
    boolean changed = false;
    Parser events = new ParserImpl(new StreamReader(new java.io.StringReader(text)),
        new LoaderOptions());
    while (events.peekEvent() != null) {
      Event e = events.getEvent();
      if (e instanceof DocumentEndEvent) {
        break; // Jackson reads the first document only
      }
      Frame parent = open.peek();
      if (e instanceof MappingEndEvent || e instanceof SequenceEndEvent) {
        Frame done = open.pop();
        if (done.merges) {
          merge(done.path, root, expanded);
          changed = true;
        }
        if (done.anchor != null) {
          anchors.put(done.anchor, get(root, done.path)); // read: nothing changes it after this
        }
        if (open.peek() != null) {
          open.peek().expectKey = true;
        }
        continue;
      }
      if (!(e instanceof NodeEvent node)) {
        continue; // the stream's and the document's start
      }
      if (parent != null && parent.map && parent.expectKey) {
        parent.expectKey = false;
        parent.key = e instanceof ScalarEvent k ? k.getValue() : "?";
        parent.merges |= e instanceof ScalarEvent k && k.getImplicit().canOmitTagInPlainScalar()
            && k.getValue().equals(MERGE);
        if (e instanceof ScalarEvent) {
          continue;
        }
        throw new ConfigException(name(parent.path), name(parent.path) + " has a key that is"
            + " not a plain value" + at(e.getStartMark()) + "; keys are setting names");
      }
      if (parent != null && !parent.map) {
        parent.index++;
      }
      List<Object> at = new ArrayList<>(parent == null ? List.of() : parent.path);
      if (parent != null) {
        at.add(parent.map ? parent.key : (Object) parent.index);
      }
      boolean collection = e instanceof MappingStartEvent || e instanceof SequenceStartEvent;
      if (e instanceof AliasEvent) {
        if (!anchors.containsKey(node.getAnchor())) {
          throw new ConfigException(name(at), name(at) + " is an alias" + at(e.getStartMark())
              + " to an anchor that is not defined before it; define the anchor (&name) first,"
              + " or quote a value that starts with *");
        }
        Object value = anchors.get(node.getAnchor());
        if (value == OPEN) {
          throw new ConfigException(name(at), name(at) + " is an alias" + at(e.getStartMark())
              + " inside the value it refers to; a value cannot contain itself");
        }
        set(root, at, copy(value, expanded, at));
        changed = true;
      } else if (node.getAnchor() != null) {
        // A later definition of a name wins.
        anchors.put(node.getAnchor(), collection ? OPEN : get(root, at));
      }
      if (collection) {
        open.push(new Frame(e instanceof MappingStartEvent, at,
            e instanceof AliasEvent ? null : node.getAnchor()));
      } else if (parent != null) {
        parent.expectKey = true;
      }
    }
    return changed ? root[0] : tree;
  }

  /** An open map or list while walking the events: its path and where in it the walk is. */
  private static final class Frame {
    final boolean map;
    final List<Object> path;
    boolean expectKey = true;
    String key;
    int index = -1;
    boolean merges;
    /** The anchor the map or list defines, or null. */
    final String anchor;

    Frame(boolean map, List<Object> path, String anchor) {
      this.map = map;
      this.path = path;
      this.anchor = anchor;
    }
  }

  /** An anchor whose map or list is still being read. */
  private static final Object OPEN = new Object();

  private static String at(Mark mark) {
    return mark == null ? "" : " (line " + (mark.getLine() + 1) + ", column "
        + (mark.getColumn() + 1) + ")";
  }

  private static final String MERGE = "<<";

  /** Applies the merge key of the map at {@code at}: its own keys win, then the first map's. */
  @SuppressWarnings("unchecked")
  private static void merge(List<Object> at, Object[] root, int[] expanded) {
    Map<String, Object> map = (Map<String, Object>) get(root, at);
    Object from = map.remove(MERGE);
    List<Object> key = new ArrayList<>(at);
    key.add(MERGE);
    List<?> sources = from instanceof List<?> list ? list : java.util.Collections.singletonList(from);
    for (Object source : sources) {
      if (!(source instanceof Map<?, ?> m)) {
        throw new ConfigException(name(key), name(key) + " must be a map or a list of maps"
            + " (<<: *base, or <<: [*a, *b]), but was " + kind(source));
      }
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!map.containsKey(String.valueOf(e.getKey()))) {
          map.put(String.valueOf(e.getKey()), copy(e.getValue(), expanded, key));
        }
      }
    }
  }

  private static String kind(Object value) {
    return value == null ? "empty" : value instanceof List ? "a list of other values"
        : "a single value";
  }

  /** A deep copy (a model changing one is no concern: the copies are read, never changed). */
  private static Object copy(Object value, int[] expanded, List<Object> at) {
    if (++expanded[0] > MAX_EXPANDED) {
      throw new ConfigException(name(at), "the aliases of the configuration expand to more than "
          + MAX_EXPANDED + " values (at " + name(at) + "); write the values out");
    }
    if (value instanceof Map<?, ?> m) {
      Map<Object, Object> c = new LinkedHashMap<>();
      m.forEach((k, v) -> c.put(k, copy(v, expanded, at)));
      return c;
    }
    if (value instanceof List<?> l) {
      List<Object> c = new ArrayList<>(l.size());
      l.forEach(v -> c.add(copy(v, expanded, at)));
      return c;
    }
    return value;
  }

  /** The path of the value the context is at: keys and list indices from the root. */
  private static List<Object> where(JsonStreamContext context) {
    List<Object> path = new ArrayList<>();
    for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
      path.add(0, c.inArray() ? (Object) c.getCurrentIndex() : c.getCurrentName());
    }
    return path;
  }

  private static Object get(Object[] root, List<Object> path) {
    Object v = root[0];
    for (Object k : path) {
      v = k instanceof Integer i ? ((List<?>) v).get(i) : ((Map<?, ?>) v).get(k);
    }
    return v;
  }

  @SuppressWarnings("unchecked")
  private static void set(Object[] root, List<Object> path, Object value) {
    if (path.isEmpty()) {
      root[0] = value;
      return;
    }
    Object parent = get(root, path.subList(0, path.size() - 1));
    Object k = path.get(path.size() - 1);
    if (k instanceof Integer i) {
      ((List<Object>) parent).set(i, value);
    } else {
      ((Map<Object, Object>) parent).put(k, value);
    }
  }

  /** {@code optimizer.lr}, {@code race[1].name}. */
  private static String name(List<Object> path) {
    StringBuilder b = new StringBuilder();
    for (Object k : path) {
      if (k instanceof Integer i) {
        b.append('[').append(i).append(']');
      } else {
        b.append(b.length() == 0 ? "" : ".").append(k);
      }
    }
    return b.length() == 0 ? "(file)" : b.toString();
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
   * is the parser's word, and one character of a value gives nothing of a secret away. So is
   * SnakeYAML's {@code '\t(TAB)'}, a tab where a token should start: shown as {@code '\t'}.
   */
  static String redact(String problem) {
    String quoted = QUOTED.matcher(problem).replaceAll(m -> m.group().equals(TAB)
        ? Matcher.quoteReplacement("'\\t'") : m.group().length() == 3
        && SYNTAX.indexOf(m.group().charAt(1)) >= 0 ? Matcher.quoteReplacement(m.group()) : "'…'");
    return UNQUOTED.matcher(quoted).replaceAll("$1…");
  }

  /**
   * SnakeYAML's problems that give a value's text unquoted: an alias's name (where a value
   * starting with {@code *} is read as an alias) and an escape's digits.
   */
  private static final Pattern UNQUOTED =
      Pattern.compile("(found undefined alias |hexadecimal numbers, but found: ?)\\S+");

  /** How SnakeYAML quotes a tab in a problem ({@code found character '\t(TAB)' that ...}). */
  private static final String TAB = "'\\t(TAB)'";

  /** The characters of YAML's syntax a parser's problem may quote. */
  private static final String SYNTAX = ",:{}[]-?|>#&*!%@`'\"";
}
