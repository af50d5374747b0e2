package io.gradflow.jobs.kafka;

import java.io.Serializable;
import java.lang.reflect.Array;
import java.util.HashMap;
import java.util.List;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * The value of Gradflow's map accumulators ({@link InputAccumulator}, {@link
 * DeadLetterAccumulator}, the {@code train} console's {@code ProgressTaps}): a map from a key (a
 * partition, a reason, a model key) to a fixed array of numbers or strings, whose columns it
 * names. The console reads it as the plain {@code Map} it is; Flink's REST API and web UI show an
 * accumulator as its value's {@code toString} ({@code StringifiedAccumulatorResult}), which here
 * names every column, keys in order:
 * {@code {examples:0: count=10, first=0, last=9, skipped=0, firstSkipped=-1}}.
 *
 * <p>Memory: a {@code HashMap} and the column names (shared). Not thread-safe: an accumulator
 * hands out a copy.
 *
 * @param <V> the rows' array type ({@code long[]}, {@code double[]} or {@code String[]}), of at
 *     most as many elements as there are columns
 */
public final class AccumulatorTable<V extends Serializable> extends HashMap<String, V> {
  private static final long serialVersionUID = 1L;
  private final List<String> columns;

  /** An empty table whose rows' elements are named {@code columns}, in order. */
  public AccumulatorTable(List<String> columns) {
    this.columns = List.copyOf(columns);
  }

  /** The rows' column names. */
  public List<String> columns() {
    return columns;
  }

  /** {@code {key: column=value, ...; key: ...}}, keys in order, strings quoted. */
  @Override
  public String toString() {
    StringJoiner rows = new StringJoiner("; ", "{", "}");
    new TreeMap<>(this).forEach((key, row) -> {
      StringJoiner cells = new StringJoiner(", ", key + ": ", "");
      int n = row == null ? 0 : Array.getLength(row);
      for (int i = 0; i < n; i++) {
        Object cell = Array.get(row, i);
        cells.add((i < columns.size() ? columns.get(i) : Integer.toString(i)) + "="
            + (cell instanceof String s ? '"' + s + '"' : String.valueOf(cell)));
      }
      rows.add(cells.toString());
    });
    return rows.toString();
  }
}
