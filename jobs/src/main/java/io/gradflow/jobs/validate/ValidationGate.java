package io.gradflow.jobs.validate;

import io.gradflow.jobs.cli.Command;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The gate of {@code validate --gate}: a small boolean expression over the overall metrics of the
 * named savepoints, such as {@code challenger.log_loss <= champion.log_loss * 1.01}, that a
 * deployment pipeline turns into an exit code.
 *
 * <p>The language, from the loosest binding to the tightest (Python's precedence, which most
 * readers of such a gate know):
 *
 * <pre>
 * gate       := or
 * or         := and ('or' and)*
 * and        := not ('and' not)*
 * not        := 'not' not | comparison
 * comparison := sum (('&lt;' | '&lt;=' | '&gt;' | '&gt;=' | '==' | '!=') sum)?
 * sum        := product (('+' | '-') product)*
 * product    := unary (('*' | '/') unary)*
 * unary      := '-' unary | primary
 * primary    := NUMBER | SAVEPOINT '.' METRIC | '(' or ')'
 * </pre>
 *
 * NUMBER is a decimal with an optional exponent ({@code 1.01}, {@code .5}, {@code 1e-3});
 * SAVEPOINT is a name given to {@link #parse}, an identifier ({@link #NAME}); METRIC is one of
 * {@link #METRICS}. Arithmetic is IEEE double arithmetic ({@code 1/0} is infinity). Comparisons
 * do not chain ({@code a < b < c} is refused: join them with {@code and}); a number is not a
 * truth value, nor a comparison a number: both are refused at parse time. A comparison with a NaN
 * side makes the whole gate fail, whatever {@code not} or {@code or} around it say: a metric that
 * is not a number proves nothing.
 *
 * <p>Errors are {@link Command.UsageException}s whose message starts with {@code --gate:} and
 * names the problem and its 1-based column, for example {@code --gate: unknown savepoint
 * 'chamion' at column 24; savepoints: champion, challenger}. Parsing finds every error that does
 * not depend on the run's values; {@link #requireMetrics} finds a metric the job's loss never
 * produces before the replay starts; {@link #evaluate} finds a metric that is null for a
 * savepoint.
 *
 * <p>Immutable and thread-safe; a parsed gate holds its syntax tree (a few objects per token).
 */
public final class ValidationGate {
  /** The metrics a gate can name: the overall metrics of each savepoint in validate's JSON. */
  public static final List<String> METRICS = List.of("examples", "learned", "log_loss",
      "base_rate_log_loss", "auc", "rmse", "calibration", "expected_calibration_error");

  /**
   * The names a gate can refer to: identifiers. A savepoint whose {@code --name} does not match
   * cannot be named in a gate ({@code and}, {@code or} and {@code not} are words of the gate).
   */
  public static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private static final String EXAMPLE = "challenger.log_loss <= champion.log_loss * 1.01";
  private static final int MIN_DIGITS = 4;
  private static final int MAX_DIGITS = 17;

  private final String expression;
  private final Node root;
  private final int comparisons;

  private ValidationGate(String expression, Node root) {
    this.expression = expression;
    this.root = root;
    this.comparisons = root.count(Cmp.class);
  }

  /**
   * Parses a gate.
   *
   * @param expression the gate as the user wrote it
   * @param savepoints the savepoint names the gate may refer to, in the order the errors list them
   * @throws Command.UsageException naming the problem and its column
   */
  public static ValidationGate parse(String expression, Collection<String> savepoints) {
    Node root = new Parser(expression, List.copyOf(savepoints)).parseGate();
    return new ValidationGate(expression, root);
  }

  /** The gate as the user wrote it. */
  public String expression() {
    return expression;
  }

  /**
   * Refuses, before a replay, a gate that names a metric the job never produces (such as
   * {@code auc} for the squared loss).
   *
   * @param produced the overall metrics the job's loss produces, names from {@link #METRICS}
   * @throws Command.UsageException naming the first such metric and its column
   */
  public void requireMetrics(Collection<String> produced) {
    for (Ref ref : root.refs(new ArrayList<>())) {
      if (!produced.contains(ref.metric)) {
        throw error("metric '" + ref.metric + "' at column " + ref.column
            + " is not produced by this job's loss; it produces: " + String.join(", ", produced));
      }
    }
  }

  /**
   * Evaluates the gate.
   *
   * @param metricsByName each savepoint's overall metrics by name, as validate's JSON holds them
   *     ({@code savepoints.NAME}): numbers, or null where a metric does not apply
   * @return whether the gate passed and one line showing the numbers substituted
   * @throws Command.UsageException if a metric the gate names is null for that savepoint
   * @throws IllegalArgumentException if a savepoint the gate names is missing or a metric is not
   *     a number (a bug of the caller, not of the gate)
   */
  public Result evaluate(Map<String, Map<String, Object>> metricsByName) {
    Values values = new Values(metricsByName);
    boolean passed = root.truth(values);
    int digits = MIN_DIGITS;
    for (Cmp cmp : root.comparisons(new ArrayList<>())) {
      digits = Math.max(digits, digitsToTell(cmp.left.value(values), cmp.right.value(values)));
    }
    String shown = root.render(values, digits, comparisons > 1);
    if (!values.nanColumns.isEmpty()) {
      passed = false;
      shown += "; not a number (NaN) in the comparison at column "
          + String.join(", ", values.nanColumns.stream().map(String::valueOf).toList());
    }
    return new Result(passed, (passed ? "gate passed: " : "gate failed: ") + shown);
  }

  /**
   * Evaluates the gate on validate's whole JSON object: its {@code savepoints} object.
   *
   * @see #evaluate(Map)
   */
  @SuppressWarnings("unchecked")
  public Result evaluateReport(Map<String, Object> report) {
    if (!(report.get("savepoints") instanceof Map<?, ?> savepoints)) {
      throw new IllegalArgumentException("the report has no savepoints object: "
          + report.keySet());
    }
    return evaluate((Map<String, Map<String, Object>>) savepoints);
  }

  @Override
  public String toString() {
    return expression;
  }

  /**
   * A gate's verdict.
   *
   * @param passed whether the gate holds
   * @param message {@code gate passed: } or {@code gate failed: } and the gate with each metric's
   *     value after its name and each computed side's value in parentheses
   */
  public record Result(boolean passed, String message) {}

  // ---------------------------------------------------------------------------------------------
  // Values and formatting

  /** The metric values of one evaluation; records the comparisons that met a NaN. */
  private static final class Values {
    final Map<String, Map<String, Object>> byName;
    final Set<Integer> nanColumns = new LinkedHashSet<>();

    Values(Map<String, Map<String, Object>> byName) {
      this.byName = byName;
    }

    double get(Ref ref) {
      Map<String, Object> metrics = byName.get(ref.name);
      if (metrics == null) {
        throw new IllegalArgumentException("no metrics for savepoint '" + ref.name
            + "', only for " + byName.keySet());
      }
      Object value = metrics.get(ref.metric);
      if (value == null) {
        List<String> present = METRICS.stream().filter(m -> metrics.get(m) != null).toList();
        throw error(ref.name + "." + ref.metric + " at column " + ref.column
            + " is null for savepoint '" + ref.name + "' (its loss does not produce it); "
            + "metrics it has: " + String.join(", ", present));
      }
      if (!(value instanceof Number n)) {
        throw new IllegalArgumentException(ref.name + "." + ref.metric + " is not a number: "
            + value);
      }
      return n.doubleValue();
    }
  }

  /** The least number of significant digits (4 to 17) at which two different values differ. */
  private static int digitsToTell(double a, double b) {
    int digits = MIN_DIGITS;
    while (a != b && digits < MAX_DIGITS && format(a, digits).equals(format(b, digits))) {
      digits++;
    }
    return digits;
  }

  /** A value for people: whole numbers as they are, others to the given significant digits. */
  static String format(double v, int digits) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return Double.toString(v);
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    double abs = Math.abs(v);
    if (abs < 1e-4 || abs >= 1e15) {
      return String.format(Locale.ROOT, "%." + (digits - 1) + "e", v);
    }
    BigDecimal rounded = new BigDecimal(v).round(new MathContext(digits));
    // Trailing zeros up to the digits asked for: 1.5 at 4 digits is 1.500, as 0.439 is 0.4390.
    return rounded.setScale(rounded.scale() + digits - rounded.precision()).toPlainString();
  }

  private static Command.UsageException error(String message) {
    return new Command.UsageException("--gate: " + message);
  }

  // ---------------------------------------------------------------------------------------------
  // The syntax tree

  private sealed interface Node permits Num, Ref, Neg, Arith, Group, Cmp, Logic, Not {
    /** Whether the node is a truth value (a comparison or made of them) rather than a number. */
    boolean isTruth();

    default double value(Values v) {
      throw new IllegalStateException("not a number: " + this);
    }

    default boolean truth(Values v) {
      throw new IllegalStateException("not a truth value: " + this);
    }

    String render(Values v, int digits, boolean verdicts);

    List<Node> children();

    default int count(Class<? extends Node> type) {
      int n = type.isInstance(this) ? 1 : 0;
      for (Node c : children()) {
        n += c.count(type);
      }
      return n;
    }

    default List<Ref> refs(List<Ref> into) {
      if (this instanceof Ref r) {
        into.add(r);
      }
      children().forEach(c -> c.refs(into));
      return into;
    }

    default List<Cmp> comparisons(List<Cmp> into) {
      if (this instanceof Cmp c) {
        into.add(c);
      }
      children().forEach(c -> c.comparisons(into));
      return into;
    }

    /** A leaf shows its own value; a computed side of a comparison shows its result too. */
    default boolean isLeaf() {
      return this instanceof Num || this instanceof Ref
          || (this instanceof Neg n && n.operand instanceof Num);
    }
  }

  private record Num(double number, String text) implements Node {
    public boolean isTruth() {
      return false;
    }

    public double value(Values v) {
      return number;
    }

    public String render(Values v, int digits, boolean verdicts) {
      return text;
    }

    public List<Node> children() {
      return List.of();
    }
  }

  private record Ref(String name, String metric, int column) implements Node {
    public boolean isTruth() {
      return false;
    }

    public double value(Values v) {
      return v.get(this);
    }

    public String render(Values v, int digits, boolean verdicts) {
      return name + "." + metric + " " + format(value(v), digits);
    }

    public List<Node> children() {
      return List.of();
    }
  }

  private record Neg(Node operand) implements Node {
    public boolean isTruth() {
      return false;
    }

    public double value(Values v) {
      return -operand.value(v);
    }

    public String render(Values v, int digits, boolean verdicts) {
      return "-" + operand.render(v, digits, verdicts);
    }

    public List<Node> children() {
      return List.of(operand);
    }
  }

  private record Arith(char op, Node left, Node right) implements Node {
    public boolean isTruth() {
      return false;
    }

    public double value(Values v) {
      double a = left.value(v);
      double b = right.value(v);
      return switch (op) {
        case '+' -> a + b;
        case '-' -> a - b;
        case '*' -> a * b;
        case '/' -> a / b;
        default -> throw new IllegalStateException("operator " + op);
      };
    }

    public String render(Values v, int digits, boolean verdicts) {
      return left.render(v, digits, verdicts) + " " + op + " "
          + right.render(v, digits, verdicts);
    }

    public List<Node> children() {
      return List.of(left, right);
    }
  }

  private record Group(Node inner) implements Node {
    public boolean isTruth() {
      return inner.isTruth();
    }

    public double value(Values v) {
      return inner.value(v);
    }

    public boolean truth(Values v) {
      return inner.truth(v);
    }

    public String render(Values v, int digits, boolean verdicts) {
      return "(" + inner.render(v, digits, verdicts) + ")";
    }

    public List<Node> children() {
      return List.of(inner);
    }
  }

  private record Cmp(String op, Node left, Node right, int column) implements Node {
    public boolean isTruth() {
      return true;
    }

    public boolean truth(Values v) {
      double a = left.value(v);
      double b = right.value(v);
      if (Double.isNaN(a) || Double.isNaN(b)) {
        v.nanColumns.add(column);
      }
      return switch (op) {
        case "<" -> a < b;
        case "<=" -> a <= b;
        case ">" -> a > b;
        case ">=" -> a >= b;
        case "==" -> a == b;
        case "!=" -> a != b;
        default -> throw new IllegalStateException("operator " + op);
      };
    }

    public String render(Values v, int digits, boolean verdicts) {
      String shown = side(left, v, digits, verdicts) + " " + op + " "
          + side(right, v, digits, verdicts);
      return verdicts ? shown + " -> " + truth(v) : shown;
    }

    private static String side(Node n, Values v, int digits, boolean verdicts) {
      String shown = n.render(v, digits, verdicts);
      return n.isLeaf() ? shown : shown + " (" + format(n.value(v), digits) + ")";
    }

    public List<Node> children() {
      return List.of(left, right);
    }
  }

  private record Logic(String op, Node left, Node right) implements Node {
    public boolean isTruth() {
      return true;
    }

    public boolean truth(Values v) {
      // Both sides always: every comparison is shown and every null metric is reported.
      boolean a = left.truth(v);
      boolean b = right.truth(v);
      return op.equals("and") ? a && b : a || b;
    }

    public String render(Values v, int digits, boolean verdicts) {
      return left.render(v, digits, verdicts) + " " + op + " "
          + right.render(v, digits, verdicts);
    }

    public List<Node> children() {
      return List.of(left, right);
    }
  }

  private record Not(Node operand) implements Node {
    public boolean isTruth() {
      return true;
    }

    public boolean truth(Values v) {
      return !operand.truth(v);
    }

    public String render(Values v, int digits, boolean verdicts) {
      return "not " + operand.render(v, digits, verdicts);
    }

    public List<Node> children() {
      return List.of(operand);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Tokens and the recursive-descent parser

  private enum Kind { NUMBER, WORD, SYMBOL, END }

  /** A token; {@code column} is 1-based. */
  private record Token(Kind kind, String text, int column) {
    boolean is(String s) {
      return (kind == Kind.SYMBOL || kind == Kind.WORD) && text.equals(s);
    }

    String describe() {
      return kind == Kind.END ? "the end of the gate" : "'" + text + "'";
    }
  }

  private static final List<String> COMPARISONS = List.of("<=", ">=", "==", "!=", "<", ">");
  private static final Set<String> KEYWORDS = Set.of("and", "or", "not");

  private static List<Token> tokenize(String s) {
    List<Token> tokens = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      int column = i + 1;
      if (Character.isWhitespace(c)) {
        i++;
      } else if (Character.isDigit(c)
          || (c == '.' && i + 1 < s.length() && Character.isDigit(s.charAt(i + 1)))) {
        int start = i;
        while (i < s.length() && Character.isDigit(s.charAt(i))) {
          i++;
        }
        if (i < s.length() && s.charAt(i) == '.') {
          i++;
          while (i < s.length() && Character.isDigit(s.charAt(i))) {
            i++;
          }
        }
        if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
          int e = i + 1;
          if (e < s.length() && (s.charAt(e) == '+' || s.charAt(e) == '-')) {
            e++;
          }
          if (e < s.length() && Character.isDigit(s.charAt(e))) {
            i = e;
            while (i < s.length() && Character.isDigit(s.charAt(i))) {
              i++;
            }
          }
        }
        if (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_'
            || s.charAt(i) == '.')) {
          int end = i;
          while (end < s.length() && (Character.isLetterOrDigit(s.charAt(end))
              || s.charAt(end) == '_' || s.charAt(end) == '.')) {
            end++;
          }
          throw error("malformed number '" + s.substring(start, end) + "' at column " + column
              + "; numbers look like 1.01, .5 or 1e-3");
        }
        tokens.add(new Token(Kind.NUMBER, s.substring(start, i), column));
      } else if (Character.isLetter(c) || c == '_') {
        int start = i;
        while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
          i++;
        }
        tokens.add(new Token(Kind.WORD, s.substring(start, i), column));
      } else {
        String two = i + 1 < s.length() ? s.substring(i, i + 2) : "";
        if (COMPARISONS.contains(two)) {
          tokens.add(new Token(Kind.SYMBOL, two, column));
          i += 2;
        } else if (two.equals("&&") || two.equals("||")) {
          throw error("'" + two + "' at column " + column + ": write '"
              + (two.equals("&&") ? "and" : "or") + "'");
        } else if ("<>+-*/().".indexOf(c) >= 0) {
          tokens.add(new Token(Kind.SYMBOL, String.valueOf(c), column));
          i++;
        } else if (c == '=') {
          throw error("'=' at column " + column + ": write '==' to compare");
        } else if (c == '!') {
          throw error("'!' at column " + column + ": write 'not'");
        } else {
          throw error("unexpected character '" + c + "' at column " + column);
        }
      }
    }
    tokens.add(new Token(Kind.END, "", s.length() + 1));
    return tokens;
  }

  private static final class Parser {
    private final List<Token> tokens;
    private final List<String> savepoints;
    private int pos;

    Parser(String expression, List<String> savepoints) {
      this.tokens = tokenize(expression);
      this.savepoints = savepoints;
    }

    Token peek() {
      return tokens.get(pos);
    }

    Token next() {
      return tokens.get(pos++);
    }

    Node parseGate() {
      if (peek().kind == Kind.END) {
        throw error("the gate is empty; for example '" + EXAMPLE + "'");
      }
      Node root = parseOr();
      if (peek().kind != Kind.END) {
        Token t = peek();
        throw error("unexpected " + t.describe() + " at column " + t.column
            + " after a complete gate");
      }
      if (!root.isTruth()) {
        throw error("the gate must be a comparison, as in '" + EXAMPLE
            + "', but was a number");
      }
      return root;
    }

    Node parseOr() {
      return leftToRight(this::parseAnd, true, "or");
    }

    Node parseAnd() {
      return leftToRight(this::parseNot, true, "and");
    }

    /**
     * One precedence level of left-associative binary operators: logic ({@code truth}) or
     * arithmetic, each side checked for its type.
     */
    Node leftToRight(Supplier<Node> operand, boolean truth, String... ops) {
      Node left = operand.get();
      while (Arrays.stream(ops).anyMatch(peek()::is)) {
        Token op = next();
        Node right = operand.get();
        if (truth) {
          needTruth(op, "left", left);
          needTruth(op, "right", right);
          left = new Logic(op.text, left, right);
        } else {
          needNumber(op, "left", left);
          needNumber(op, "right", right);
          left = new Arith(op.text.charAt(0), left, right);
        }
      }
      return left;
    }

    Node parseNot() {
      if (peek().is("not")) {
        Token op = next();
        Node operand = parseNot();
        needTruth(op, "operand", operand);
        return new Not(operand);
      }
      return parseComparison();
    }

    Node parseComparison() {
      Node left = parseSum();
      Token op = peek();
      if (op.kind != Kind.SYMBOL || !COMPARISONS.contains(op.text)) {
        return left;
      }
      next();
      Node right = parseSum();
      needNumber(op, "left", left);
      needNumber(op, "right", right);
      Token after = peek();
      if (after.kind == Kind.SYMBOL && COMPARISONS.contains(after.text)) {
        throw error("comparisons do not chain: " + after.describe() + " at column "
            + after.column + " follows the comparison at column " + op.column
            + "; join them with 'and'");
      }
      return new Cmp(op.text, left, right, op.column);
    }

    Node parseSum() {
      return leftToRight(this::parseProduct, false, "+", "-");
    }

    Node parseProduct() {
      return leftToRight(this::parseUnary, false, "*", "/");
    }

    Node parseUnary() {
      if (peek().is("-")) {
        Token op = next();
        Node operand = parseUnary();
        needNumber(op, "operand", operand);
        return new Neg(operand);
      }
      return parsePrimary();
    }

    Node parsePrimary() {
      Token t = next();
      switch (t.kind) {
        case NUMBER:
          return new Num(Double.parseDouble(t.text), t.text);
        case WORD:
          if (KEYWORDS.contains(t.text)) {
            throw expected(t);
          }
          return parseRef(t);
        case SYMBOL:
          if (t.is("(")) {
            Node inner = parseOr();
            Token close = next();
            if (!close.is(")")) {
              throw error("expected ')' at column " + close.column + " to close the '(' at column "
                  + t.column + ", but found " + close.describe());
            }
            return new Group(inner);
          }
          throw expected(t);
        default:
          throw expected(t);
      }
    }

    Node parseRef(Token name) {
      if (!savepoints.contains(name.text)) {
        if (METRICS.contains(name.text) && !peek().is(".")) {
          throw error("metric '" + name.text + "' at column " + name.column
              + " needs its savepoint, as in " + first() + "." + name.text + "; savepoints: "
              + String.join(", ", savepoints));
        }
        throw error("unknown savepoint '" + name.text + "' at column " + name.column
            + "; savepoints: " + String.join(", ", savepoints));
      }
      Token dot = next();
      if (!dot.is(".")) {
        throw error("expected '.' and a metric after '" + name.text + "' at column "
            + dot.column + ", as in " + name.text + ".log_loss, but found " + dot.describe());
      }
      Token metric = next();
      if (metric.kind != Kind.WORD || !METRICS.contains(metric.text)) {
        String what = metric.kind == Kind.WORD ? "unknown metric '" + metric.text + "'"
            : "expected a metric but found " + metric.describe();
        throw error(what + " at column " + metric.column + "; metrics: "
            + String.join(", ", METRICS));
      }
      return new Ref(name.text, metric.text, name.column);
    }

    String first() {
      return savepoints.isEmpty() ? "champion" : savepoints.get(0);
    }

    Command.UsageException expected(Token t) {
      return error("expected a number, SAVEPOINT.METRIC or '(' at column " + t.column
          + ", but found " + t.describe());
    }

    void needNumber(Token op, String side, Node n) {
      if (n.isTruth()) {
        throw error("'" + op.text + "' at column " + op.column + " needs a number as its "
            + side + ", but it is a comparison");
      }
    }

    void needTruth(Token op, String side, Node n) {
      if (!n.isTruth()) {
        throw error("'" + op.text + "' at column " + op.column + " needs a comparison as its "
            + side + ", but it is a number");
      }
    }
  }
}
