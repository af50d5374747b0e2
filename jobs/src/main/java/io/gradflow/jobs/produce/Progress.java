package io.gradflow.jobs.produce;

import java.io.PrintStream;

/**
 * Paces a run to a rate limit and shows a progress line (count, rate, ETA) on a terminal stream,
 * redrawn at most twice a second, only once a run has lasted two seconds. Not thread-safe.
 */
final class Progress {
  private final PrintStream err;
  private final long total;
  private final double rate;
  private final boolean show;
  private final long start = System.nanoTime();
  private long lastDraw;
  private boolean drawn;

  /**
   * @param total the expected count, or -1 when unknown (a file)
   * @param rate records per second, 0 for no limit
   */
  Progress(PrintStream err, long total, double rate, boolean show) {
    this.err = err;
    this.total = total;
    this.rate = rate;
    this.show = show;
  }

  /** Called after record number {@code done} (1-based): waits for the rate, redraws. */
  void tick(long done) throws InterruptedException {
    long now = System.nanoTime();
    if (rate > 0) {
      long due = start + (long) (done / rate * 1e9);
      if (due > now) {
        long ms = (due - now) / 1_000_000;
        Thread.sleep(ms, (int) ((due - now) % 1_000_000));
        now = System.nanoTime();
      }
    }
    if (show && now - start > 2_000_000_000L && now - lastDraw > 500_000_000L) {
      lastDraw = now;
      drawn = true;
      double seconds = (now - start) / 1e9;
      double perSecond = done / seconds;
      String eta = total > 0 ? "  ETA " + clock((total - done) / Math.max(perSecond, 1e-9)) : "";
      String of = total > 0 ? String.format("/%,d (%d%%)", total, 100 * done / total) : "";
      err.printf("\r%,d%s examples  %,.0f/s%s   ", done, of, perSecond, eta);
      err.flush();
    }
  }

  /** Seconds since the start. */
  double elapsed() {
    return (System.nanoTime() - start) / 1e9;
  }

  /** Ends the progress line, if one was drawn. */
  void finish() {
    if (drawn) {
      err.println();
    }
  }

  static String clock(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
        : String.format("%d:%02d", s / 60, s % 60);
  }
}
