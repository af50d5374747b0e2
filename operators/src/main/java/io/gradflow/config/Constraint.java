package io.gradflow.config;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A rule a setting's value must follow, with the words that state it: the README's settings
 * reference prints {@link #describe()}, and a refused value gets the message
 * {@code "<key> must be <describe()>, but was <value>"}.
 *
 * <pre>{@code
 * Constraint.atLeast(0)            // ">= 0"
 * Constraint.inRange(0, 1)         // "in [0, 1]"
 * Constraint.each(Constraint.inRangeExclusiveHigh(0, 1))   // betas[0], betas[1] each in [0, 1)
 * }</pre>
 *
 * Stateless and thread-safe.
 *
 * @param <T> the value type the rule applies to
 */
public interface Constraint<T> {

  /** Refuses {@code value} at configuration key {@code key} with a {@link ConfigException}. */
  void check(String key, T value);

  /** The rule in words, as it completes "must be ...": {@code ">= 0"}, {@code "in [0, 1)"}. */
  String describe();

  /** No rule beyond the type. */
  static <T> Constraint<T> none() {
    return new Constraint<>() {
      @Override
      public void check(String key, T value) {}

      @Override
      public String describe() {
        return "";
      }
    };
  }

  /** {@code value >= low}. */
  static Constraint<Number> atLeast(double low) {
    return range(low, true, Double.POSITIVE_INFINITY, false);
  }

  /** {@code value > low}. */
  static Constraint<Number> greaterThan(double low) {
    return range(low, false, Double.POSITIVE_INFINITY, false);
  }

  /** {@code low <= value <= high}. */
  static Constraint<Number> inRange(double low, double high) {
    return range(low, true, high, true);
  }

  /** {@code low <= value < high}. */
  static Constraint<Number> inRangeExclusiveHigh(double low, double high) {
    return range(low, true, high, false);
  }

  /** {@code low < value <= high}. */
  static Constraint<Number> inRangeExclusiveLow(double low, double high) {
    return range(low, false, high, true);
  }

  /**
   * A range of numbers; a whole-number setting shows its value as a whole number, a real one as
   * Java prints a double ({@code "but was 1.2"}). A real value must also be finite.
   */
  static Constraint<Number> range(double low, boolean lowIncluded, double high,
      boolean highIncluded) {
    String words = Double.isInfinite(high)
        ? (lowIncluded ? ">= " : "> ") + Check.format(low)
        : "in " + (lowIncluded ? "[" : "(") + Check.format(low) + ", " + Check.format(high)
            + (highIncluded ? "]" : ")");
    return new Constraint<>() {
      @Override
      public void check(String key, Number value) {
        double v = value.doubleValue();
        if ((value instanceof Double || value instanceof Float) && !Double.isFinite(v)) {
          throw new ConfigException(key, key + " must be a finite number, but was " + value);
        }
        boolean below = lowIncluded ? v < low : v <= low;
        boolean above = highIncluded ? v > high : v >= high;
        if (below || above) {
          throw new ConfigException(key, key + " must be " + words + ", but was " + value);
        }
      }

      @Override
      public String describe() {
        return words;
      }
    };
  }

  /** Each element of a list, checked as {@code key[i]}: {@code optimizer.betas[0]}. */
  static Constraint<List<Double>> each(Constraint<Number> element) {
    return new Constraint<>() {
      @Override
      public void check(String key, List<Double> value) {
        for (int i = 0; i < value.size(); i++) {
          element.check(key + "[" + i + "]", value.get(i));
        }
      }

      @Override
      public String describe() {
        return "each " + element.describe();
      }
    };
  }

  /** A text without the character {@code c}. */
  static Constraint<String> without(char c) {
    return new Constraint<>() {
      @Override
      public void check(String key, String value) {
        if (value.indexOf(c) >= 0) {
          throw new ConfigException(key, key + " must be " + describe() + ", but was '" + value
              + "'");
        }
      }

      @Override
      public String describe() {
        return "a name without '" + c + "'";
      }
    };
  }

  /** Characters Kafka accepts in a topic name. */
  Pattern TOPIC_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

  /**
   * A Kafka topic name, by Kafka's own rule ({@code org.apache.kafka.common.internals.Topic}):
   * 1 to 249 characters of a-z, A-Z, 0-9, '.', '_' and '-', and neither "." nor "..".
   */
  static Constraint<String> topicName() {
    return new Constraint<>() {
      @Override
      public void check(String key, String value) {
        if (!TOPIC_NAME.matcher(value).matches() || value.equals(".") || value.equals("..")) {
          throw new ConfigException(key, key + " must be " + describe() + ", but was '" + value
              + "'");
        }
      }

      @Override
      public String describe() {
        return "a Kafka topic name (1 to 249 characters of a-z, A-Z, 0-9, '.', '_', '-';"
            + " not '.' or '..')";
      }
    };
  }

  /** A duration longer than zero. */
  static Constraint<Duration> positiveDuration() {
    return new Constraint<>() {
      @Override
      public void check(String key, Duration value) {
        if (value.isNegative() || value.isZero()) {
          throw new ConfigException(key, key + " must be > 0, but was "
              + Durations.format(value));
        }
      }

      @Override
      public String describe() {
        return "> 0";
      }
    };
  }

  /** Zero (which turns the feature off) or at least {@code minimum}. */
  static Constraint<Duration> zeroOrAtLeast(Duration minimum) {
    return new Constraint<>() {
      @Override
      public void check(String key, Duration value) {
        if (value.isNegative() || (!value.isZero() && value.compareTo(minimum) < 0)) {
          throw new ConfigException(key, key + " must be " + describe() + ", but was "
              + Durations.format(value));
        }
      }

      @Override
      public String describe() {
        return "0 (off) or >= " + Durations.format(minimum);
      }
    };
  }
}
