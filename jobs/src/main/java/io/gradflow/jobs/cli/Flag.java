package io.gradflow.jobs.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One command-line flag: its name, value type, default and help. A command declares its flags
 * once, in one table; parsing, validation messages and {@code help} come from that table.
 *
 * @param choices a {@code CHOICE} flag's allowed values; for a {@code REPEATED} flag, empty or
 *     one name for its value in help ({@code PATH}; {@code K=V} when empty)
 */
public record Flag(String name, Type type, String defaultValue, String help, List<String> choices) {

  /**
   * Value types. {@code SWITCH} takes no value; {@code REPEATED} may be given more than once, each
   * value kept ({@link Values#all}).
   */
  public enum Type { SWITCH, STRING, INT, LONG, DOUBLE, CHOICE, LIST, REPEATED }

  public static Flag of(String name, Type type, String dflt, String help) {
    return new Flag(name, type, dflt, help, List.of());
  }

  /** A {@code REPEATED} flag whose value help shows as {@code valueName} (PATH, NAME, ...). */
  public static Flag repeated(String name, String valueName, String help) {
    return new Flag(name, Type.REPEATED, null, help, List.of(valueName));
  }

  public static Flag choice(String name, String dflt, String help, String... choices) {
    return new Flag(name, Type.CHOICE, dflt, help, List.of(choices));
  }

  /** Parsed flag values, typed on access. */
  public static final class Values {
    private final Map<String, Flag> table;
    private final Map<String, String> given;
    private final Map<String, List<String>> repeated;

    Values(Map<String, Flag> table, Map<String, String> given,
        Map<String, List<String>> repeated) {
      this.table = table;
      this.given = given;
      this.repeated = repeated;
    }

    /** Every value of a {@code REPEATED} flag, in the order given; empty when not given. */
    public List<String> all(String name) {
      return List.copyOf(repeated.getOrDefault(flag(name).name(), List.of()));
    }

    public boolean isSet(String name) {
      return given.containsKey(flag(name).name());
    }

    public boolean on(String name) {
      return isSet(name);
    }

    public String string(String name) {
      Flag f = flag(name);
      return given.getOrDefault(f.name(), f.defaultValue());
    }

    public long longValue(String name, long min) {
      String s = string(name);
      try {
        long v = Long.parseLong(s.replace("_", ""));
        if (v < min) {
          throw new Command.UsageException("--" + name + " must be >= " + min + ", but was " + s);
        }
        return v;
      } catch (NumberFormatException e) {
        throw new Command.UsageException("--" + name + " must be an integer, but was " + s);
      }
    }

    public int intValue(String name, int min) {
      long v = longValue(name, min);
      if (v > Integer.MAX_VALUE) {
        throw new Command.UsageException("--" + name + " must be <= " + Integer.MAX_VALUE
            + ", but was " + v);
      }
      return (int) v;
    }

    public double doubleValue(String name, double min) {
      String s = string(name);
      try {
        double v = Double.parseDouble(s);
        if (!(v >= min) || Double.isInfinite(v)) {
          throw new Command.UsageException("--" + name + " must be a finite number >= " + min
              + ", but was " + s);
        }
        return v;
      } catch (NumberFormatException e) {
        throw new Command.UsageException("--" + name + " must be a number, but was " + s);
      }
    }

    public List<String> list(String name) {
      String s = string(name);
      List<String> out = new ArrayList<>();
      if (s != null) {
        for (String part : s.split(",")) {
          if (!part.isBlank()) {
            out.add(part.trim());
          }
        }
      }
      return out;
    }

    private Flag flag(String name) {
      Flag f = table.get(name);
      if (f == null) {
        throw new IllegalStateException("undeclared flag " + name); // a bug, not a usage error
      }
      return f;
    }
  }

  /** Parses {@code --name value}, {@code --name=value} and switches against the table. */
  public static Values parse(List<Flag> flags, List<String> args) {
    Map<String, Flag> table = new LinkedHashMap<>();
    flags.forEach(f -> table.put(f.name(), f));
    Map<String, String> given = new LinkedHashMap<>();
    Map<String, List<String>> repeated = new LinkedHashMap<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (!arg.startsWith("--")) {
        // A stray KEY=VALUE is likely a property whose --kafka-property was forgotten: its value
        // may be a secret, so it is not shown.
        throw new Command.UsageException((arg.contains("=") ? "unexpected argument '"
            + arg.substring(0, arg.indexOf('=')) + "=...' (its value is not shown)"
            : "unexpected argument '" + arg + "'") + "; flags start with --");
      }
      String name = arg.substring(2);
      String value = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      Flag f = table.get(name);
      if (f == null) {
        String near = io.gradflow.config.Suggestion.closest(name, table.keySet());
        throw new Command.UsageException("unknown flag --" + name + (near == null ? "; "
            : "; did you mean --" + near + "? ") + "--help lists the flags");
      }
      if (f.type() == Type.SWITCH) {
        if (value != null) {
          throw new Command.UsageException("--" + name + " takes no value");
        }
        value = "true";
      } else if (value == null) {
        if (i + 1 >= args.size()) {
          throw new Command.UsageException("--" + name + " needs a value");
        }
        value = args.get(++i);
      }
      if (f.type() == Type.CHOICE) {
        value = value.toLowerCase(Locale.ROOT);
        if (!f.choices().contains(value)) {
          throw new Command.UsageException("--" + name + " must be one of "
              + String.join(", ", f.choices()) + ", but was " + value);
        }
      }
      if (f.type() == Type.REPEATED) {
        repeated.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        given.put(name, value);
      } else if (given.put(name, value) != null) {
        throw new Command.UsageException("--" + name + " is given twice");
      }
    }
    return new Values(table, given, repeated);
  }

  /** The help text of a flag table. */
  public static String help(List<Flag> flags) {
    StringBuilder b = new StringBuilder();
    for (Flag f : flags) {
      String value = switch (f.type()) {
        case SWITCH -> "";
        case CHOICE -> " " + String.join("|", f.choices());
        case LIST -> " A,B,...";
        case INT, LONG -> " N";
        case DOUBLE -> " X";
        case STRING -> " VALUE";
        case REPEATED -> " " + (f.choices().isEmpty() ? "K=V" : f.choices().get(0));
      };
      String dflt = f.defaultValue() == null || f.type() == Type.SWITCH ? ""
          : " (default " + f.defaultValue() + ")";
      b.append(String.format("  %-34s %s%s%n", "--" + f.name() + value, f.help(), dflt));
    }
    return b.toString();
  }
}
