package io.gradflow.jobs.snapshot;

import io.gradflow.schema.SnapshotRow;
import io.gradflow.state.PageFormat;
import java.util.ArrayList;
import java.util.List;

/**
 * Rows out of stored pages and back ({@link PageFormat}, formats 1 and 2), for export and
 * bootstrap. Export keeps every row a page holds, in page-key order and, within a hashed page, in
 * the page's own order, so that writing the rows back in that order rebuilds the same pages float
 * for float. Stateless; thread-safe.
 */
final class PageRows {
  private PageRows() {}

  /** A stored page's floats per row (weights, slots, step count), or -1 for an empty page. */
  static int rowSize(long pageKey, float[] page) {
    int stamps = PageFormat.stamps(page);
    if (PageFormat.isDirectPage(page)) {
      return (page.length - PageFormat.HEADER) / PageFormat.DIRECT_ROWS - stamps;
    }
    int rows = PageFormat.rowCount(page);
    return rows == 0 ? -1 : (page.length - PageFormat.HEADER) / rows - PageFormat.ID_FLOATS - stamps;
  }

  /**
   * The rows of a stored page, each with its whole row, or with its first {@code keep} floats
   * when {@code keep} is smaller (see {@link #weights}).
   */
  static void rows(long pageKey, float[] page, int rowSize, Extract extract,
      List<SnapshotRow> out) {
    int stamps = PageFormat.stamps(page);
    if (PageFormat.isDirectPage(page)) {
      long first = PageFormat.firstRow(pageKey);
      for (int r = 0; r < PageFormat.DIRECT_ROWS; r++) {
        int at = PageFormat.HEADER + r * rowSize;
        float stamp = stamps == 0 ? 0f : page[PageFormat.HEADER + PageFormat.DIRECT_ROWS * rowSize
            + r];
        out.add(new SnapshotRow(first + r, extract.values(page, at), stamp));
      }
      return;
    }
    int rows = PageFormat.rowCount(page);
    for (int r = 0; r < rows; r++) {
      int record = PageFormat.recordOffset(r, rowSize, stamps);
      float stamp = stamps == 0 ? 0f : page[record + PageFormat.ID_FLOATS];
      out.add(new SnapshotRow(PageFormat.readId(page, record),
          extract.values(page, PageFormat.rowOffset(r, rowSize, stamps)), stamp));
    }
  }

  /** What of a row a snapshot keeps. */
  @FunctionalInterface
  interface Extract {
    List<Float> values(float[] page, int rowOffset);
  }

  /** The whole row: weights, slots, step count. */
  static Extract whole(int rowSize) {
    return (page, at) -> floats(page, at, rowSize);
  }

  /** The weights alone, from an interleaved row of {@code width} weights with {@code stride}. */
  static Extract weights(int width, int stride) {
    return (page, at) -> {
      List<Float> w = new ArrayList<>(width);
      for (int i = 0; i < width; i++) {
        w.add(page[at + i * stride]);
      }
      return w;
    };
  }

  private static List<Float> floats(float[] page, int at, int n) {
    List<Float> v = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      v.add(page[at + i]);
    }
    return v;
  }

  /** Writes a row's values into {@code page} at {@code at}. */
  static void put(List<Float> values, float[] page, int at) {
    for (int i = 0; i < values.size(); i++) {
      page[at + i] = values.get(i);
    }
  }
}
