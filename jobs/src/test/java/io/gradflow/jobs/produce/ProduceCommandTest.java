package io.gradflow.jobs.produce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.cli.Flag;
import io.gradflow.jobs.cli.Main;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProduceCommandTest {
  record Result(int code, String out, String err) {
    /** No Java stack trace: user errors are messages. */
    void noStackTrace() {
      assertFalse(err.contains("\tat ") || err.contains("Exception"), err);
    }
  }

  @TempDir
  Path dir;

  static Result run(String stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] full = new String[args.length + 1];
    full[0] = "produce";
    System.arraycopy(args, 0, full, 1, args.length);
    int code = Main.run(full, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(code, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void helpListsEveryFlag() {
    Result r = run("", "help");
    assertEquals(0, r.code());
    for (Flag f : ProduceCommand.FLAGS) {
      assertTrue(r.out().contains("--" + f.name()), f.name());
    }
  }

  @Test
  void printsAReproducibleStream() {
    Result a = run("", "--generator", "ctr", "--count", "5", "--print", "--quiet",
        "--start-time", "2026-01-01T00:00:00Z");
    Result b = run("", "--generator=ctr", "--count", "5", "--print", "--quiet",
        "--start-time=2026-01-01T00:00:00Z");
    assertEquals(0, a.code(), a.err());
    assertEquals(5, a.out().lines().count());
    assertEquals(a.out(), b.out());
    assertTrue(a.err().startsWith("produced 5 examples to stdout"), a.err());
    assertTrue(a.out().contains("\"event_time\": \"2026-01-01T00:00:00.010Z\""), a.out());
  }

  @Test
  void eventTimesStartNowByDefault() {
    long before = System.currentTimeMillis();
    Result a = run("", "--generator", "ctr", "--count", "1", "--print", "--quiet");
    java.util.regex.Matcher m = java.util.regex.Pattern
        .compile("\"event_time\": \"([^\"]+)\"").matcher(a.out());
    assertTrue(m.find(), a.out());
    long t = java.time.Instant.parse(m.group(1)).toEpochMilli();
    assertTrue(t >= before && t < System.currentTimeMillis() + 60_000, m.group(1));
  }

  @Test
  void dryRunOfEveryGeneratorAndDrift() {
    for (String g : new String[] {"ctr", "recsys", "tabular"}) {
      for (String d : new String[] {"none", "abrupt", "gradual", "recurring"}) {
        Result r = run("", "--generator", g, "--drift", d, "--count", "300", "--drift-at", "100",
            "--new-ids-every", "50", "--dry-run", "--quiet");
        assertEquals(0, r.code(), g + " " + d + ": " + r.err());
      }
    }
  }

  @Test
  void usageErrorsNameTheFlag() {
    Result unknown = run("", "--generator", "ctr", "--colour", "red");
    assertEquals(2, unknown.code());
    assertTrue(unknown.err().startsWith("gradflow produce: unknown flag --colour; --help lists"
        + " the flags"), unknown.err());
    Result missing = run("", "--file", "nope.csv", "--csv-label", "y", "--csv-numeric", "x",
        "--print");
    assertEquals(2, missing.code(), missing.err());
    assertTrue(missing.err().startsWith("gradflow produce: --file nope.csv: no such file"),
        missing.err());
    Result typo = run("", "--generator", "ctr", "--label-treshold", "15");
    assertEquals(2, typo.code());
    assertTrue(typo.err().startsWith("gradflow produce: unknown flag --label-treshold; did you"
        + " mean --label-threshold? --help lists the flags"), typo.err());
    Result choice = run("", "--generator", "movies");
    assertTrue(choice.err().startsWith("gradflow produce: --generator must be one of ctr,"
        + " recsys, tabular, but was movies"), choice.err());
    Result kafka = run("", "--generator", "ctr");
    assertTrue(kafka.err().startsWith("gradflow produce: --bootstrap-servers (or --config) is"
        + " needed"),
        kafka.err());
    Result number = run("", "--generator", "ctr", "--count", "many", "--dry-run");
    assertTrue(number.err().startsWith("gradflow produce: --count must be an integer, but was"
        + " many"), number.err());
    Result gradual = run("", "--generator", "ctr", "--drift", "gradual", "--drift-width", "0",
        "--dry-run");
    assertTrue(gradual.err().contains("gradual drift needs a width > 0"), gradual.err());
  }

  /**
   * Blank and comment lines are counted, so the lines read add up: examples, malformed lines,
   * blank or comment lines; a negative LibSVM index makes its line malformed.
   */
  @Test
  void everyLineReadIsCounted() {
    String svm = "1 1:1\n\n# a comment\n0 2:1 -3:1.0\n1 3:1 # trailing\n   \n";
    Result r = run(svm, "--file", "-", "--format", "libsvm", "--print", "--quiet");
    assertEquals(0, r.code(), r.err());
    assertEquals(2, r.out().lines().count());
    assertTrue(r.err().contains("produced 2 examples to stdout"), r.err());
    assertTrue(r.err().contains("read 6 lines; skipped 1 malformed line and 3 blank or comment"
        + " lines\n"), r.err());
    assertTrue(r.err().contains("stdin, line 4: feature index '-3' is negative; LibSVM indices"
        + " are 0 or more"), r.err());
    Result one = run("1 1:1\n", "--file", "-", "--format", "libsvm", "--print", "--quiet");
    assertTrue(one.err().contains("produced 1 example to stdout"), one.err());
    assertTrue(one.err().contains("read 1 line; skipped 0 malformed lines\n"), one.err());
  }

  @Test
  void fileFromStdinWithMalformedLines() {
    String vw = "1 |a x\nbad line\n0 |a y\n";
    Result skip = run(vw, "--file", "-", "--format", "vw", "--print", "--quiet");
    assertEquals(0, skip.code(), skip.err());
    assertEquals(2, skip.out().lines().count());
    assertTrue(skip.err().contains("skipped 1 malformed line"), skip.err());
    assertTrue(skip.err().contains("stdin, line 2: no '|' namespace"), skip.err());
    Result fail = run(vw, "--file", "-", "--format", "vw", "--print", "--quiet", "--on-error",
        "fail");
    assertEquals(1, fail.code());
    assertTrue(fail.err().contains("stdin, line 2: no '|' namespace"), fail.err());
  }

  @Test
  void helpOfCountSaysWhatAFileDoes() {
    Result r = run("", "help");
    assertTrue(r.out().contains("a generator writes this many (default 10000); a file stops after"
        + " this many (default: all)"), r.out());
  }

  @Test
  void countStopsAFile() {
    StringBuilder csv = new StringBuilder("y,x\n");
    for (int i = 0; i < 10; i++) {
      csv.append(i % 2).append(',').append(i).append('\n');
    }
    Result r = run(csv.toString(), "--file", "-", "--csv-label", "y", "--csv-numeric", "x",
        "--count", "3", "--print", "--quiet");
    assertEquals(0, r.code(), r.err());
    assertEquals(3, r.out().lines().count());
    assertTrue(r.err().contains("read 4 lines"), r.err());
    assertTrue(r.err().contains("stopped after --count 3 examples, at line 4 of stdin; the rest"
        + " of it, if any, was not read"), r.err());
    Result whole = run(csv.toString(), "--file", "-", "--csv-label", "y", "--csv-numeric", "x",
        "--print", "--quiet");
    assertEquals(10, whole.out().lines().count(), "without --count a file is read to its end");
    Result more = run(csv.toString(), "--file", "-", "--csv-label", "y", "--csv-numeric", "x",
        "--count", "11", "--print", "--quiet");
    assertEquals(10, more.out().lines().count());
    assertFalse(more.err().contains("stopped after"), more.err());
  }

  /**
   * --count counts the examples written, with --dry-run and --print those that would be: a dry
   * run reads the lines the run that writes would, invalid ones not counted, and says so when
   * the count is not reached (trial L12: every line invalid read the whole file, unexplained).
   */
  @Test
  void countCountsTheExamplesWrittenInADryRunAsInARun() {
    StringBuilder csv = new StringBuilder("y,x\n");
    for (int i = 0; i < 10; i++) {
      csv.append(i < 3 ? 5 : i % 2).append(',').append(i).append('\n'); // 3 labels out of [0, 1]
    }
    for (String mode : List.of("--dry-run", "--print")) {
      Result r = run(csv.toString(), "--file", "-", "--csv-label", "y", "--csv-numeric", "x",
          "--loss", "logistic", "--count", "2", mode, "--quiet");
      assertEquals(0, r.code(), r.err());
      assertTrue(r.err().contains("produced 2 examples"), r.err());
      assertTrue(r.err().contains("stopped after --count 2 examples, at line 6 of stdin"),
          mode + ": " + r.err());
    }
    StringBuilder invalid = new StringBuilder("y,x\n");
    for (int i = 0; i < 10; i++) {
      invalid.append(5).append(',').append(i).append('\n');
    }
    Result none = run(invalid.toString(), "--file", "-", "--csv-label", "y", "--csv-numeric", "x",
        "--loss", "logistic", "--count", "2", "--dry-run");
    assertEquals(1, none.code(), none.err());
    assertTrue(none.err().contains("read 11 lines; skipped 0 malformed lines and 10 invalid"
        + " examples"), none.err());
    assertTrue(none.err().contains("--count 2 was not reached: skipped lines do not count"
        + " (--count counts the examples written; with --dry-run or --print, those that would"
        + " be), so stdin was read to its end, as a run that writes would read it"), none.err());
    none.noStackTrace();
  }

  @Test
  void aByteOrderMarkOnStdinIsRemoved() {
    Result csv = run("\uFEFFlabel,x\r\n1,0.5\r\n", "--file", "-", "--csv-label", "label",
        "--csv-numeric", "x", "--print", "--quiet");
    assertEquals(0, csv.code(), csv.err());
    assertTrue(csv.out().contains("\"dense\": [0.5]"), csv.out());
    Result vw = run("\uFEFF1 |f a\n", "--file", "-", "--format", "vw", "--print", "--quiet");
    assertEquals(0, vw.code(), vw.err());
    assertEquals(1, vw.out().lines().count());
  }

  @Test
  void aMisspeltColumnIsAUsageErrorListingTheHeader() {
    Result r = run("zeta,label,alpha,x\n1,1,1,1\n", "--file", "-", "--csv-label", "lable",
        "--csv-numeric", "x", "--print");
    assertEquals(2, r.code());
    assertTrue(r.err().startsWith("gradflow produce: the CSV header (stdin, line 1) has no column"
        + " 'lable' (--csv-label); its columns are: zeta, label, alpha, x\n"), r.err());
    r.noStackTrace();
  }

  @Test
  void everyLineMalformedOrNothingProducedExitsOne() {
    Result r = run("t,x\n2001-31-01,1\nyesterday,2\n", "--file", "-", "--csv-timestamp", "t",
        "--csv-numeric", "x", "--print", "--quiet");
    assertEquals(1, r.code(), r.err());
    assertTrue(r.err().contains("stdin, line 2: timestamp '2001-31-01' is not a time"), r.err());
    assertTrue(r.err().contains("stdin, line 3: timestamp 'yesterday' is not a time"), r.err());
    assertTrue(r.err().contains("gradflow produce: nothing was produced: stdin holds no valid"
        + " example: all 2 lines were malformed; the first: line 2: timestamp '2001-31-01' is not"
        + " a time"), r.err());
    r.noStackTrace();
    Result empty = run("y,x\n", "--file", "-", "--csv-label", "y", "--csv-numeric", "x",
        "--print", "--quiet");
    assertEquals(1, empty.code(), empty.err());
    assertTrue(empty.err().contains("gradflow produce: nothing was produced: stdin holds no"
        + " examples"), empty.err());
    Result noHeader = run("", "--file", "-", "--csv-label", "y", "--csv-numeric", "x",
        "--print", "--quiet");
    assertEquals(2, noHeader.code(), noHeader.err());
    assertTrue(noHeader.err().startsWith("gradflow produce: stdin is empty: a CSV file needs a"
        + " header line naming its columns"), noHeader.err());
  }

  @Test
  void commonTimestampFormsAndAPattern() {
    Result r = run("t,x\n2001-01-01 01:14:00,1\n", "--file", "-", "--csv-timestamp", "t",
        "--csv-numeric", "x", "--print", "--quiet");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("\"event_time\": \"2001-01-01T01:14:00Z\""), r.out());
    assertTrue(r.err().contains("record timestamps, the examples' event times: first"
        + " 2001-01-01T01:14:00Z, last 2001-01-01T01:14:00Z"), r.err());
    Result p = run("t,x\n01/02/2001 01:14,1\n", "--file", "-", "--csv-timestamp", "t",
        "--csv-numeric", "x", "--csv-timestamp-format", "dd/MM/yyyy HH:mm", "--csv-timezone",
        "Europe/Paris", "--print", "--quiet");
    assertEquals(0, p.code(), p.err());
    assertTrue(p.out().contains("\"event_time\": \"2001-02-01T00:14:00Z\""), p.out());
    Result bad = run("t,x\n1,1\n", "--file", "-", "--csv-timestamp", "t", "--csv-numeric", "x",
        "--csv-timestamp-format", "yyyy-MM-dd qqqqqq", "--print");
    assertEquals(2, bad.code());
    assertTrue(bad.err().startsWith("gradflow produce: --csv-timestamp-format must be a java.time"
        + " pattern"), bad.err());
    Result zone = run("t,x\n1,1\n", "--file", "-", "--csv-timestamp", "t", "--csv-numeric", "x",
        "--csv-timezone", "Mars/Olympus", "--print");
    assertEquals(2, zone.code());
    assertTrue(zone.err().startsWith("gradflow produce: --csv-timezone must be a zone"), zone.err());
  }

  @Test
  void labelsOutsideTheLossAreReportedPerLine() {
    String delays = "delay,x\n0,1\n14.5,2\n1,3\n-3,4\n";
    Result r = run(delays, "--file", "-", "--csv-label", "delay", "--csv-numeric", "x",
        "--loss", "logistic", "--print", "--quiet");
    assertEquals(0, r.code(), r.err());
    assertEquals(2, r.out().lines().count());
    assertTrue(r.err().contains("read 5 lines; skipped 0 malformed lines and 2 invalid"
        + " examples"), r.err());
    assertTrue(r.err().contains("stdin, line 3: label_out_of_domain: label must be in [0, 1] for"
        + " the logistic loss, but was 14.5; map labels to 0 and 1 with --label-threshold X or"
        + " --csv-positive VALUE"), r.err());
    assertTrue(r.err().contains("stdin, line 5: label_out_of_domain"), r.err());
    Result mapped = run(delays, "--file", "-", "--csv-label", "delay", "--csv-numeric", "x",
        "--loss", "logistic", "--label-threshold", "0.5", "--print", "--quiet");
    assertEquals(0, mapped.code(), mapped.err());
    assertEquals(4, mapped.out().lines().count());
    assertTrue(mapped.err().contains("2 labeled") || mapped.err().contains("4 labeled"),
        mapped.err());
    assertTrue(mapped.err().contains("mean label 0.5000"), mapped.err());
    Result failing = run(delays, "--file", "-", "--csv-label", "delay", "--csv-numeric", "x",
        "--loss", "logistic", "--on-error", "fail", "--print", "--quiet");
    assertEquals(1, failing.code());
    assertTrue(failing.err().contains("stdin, line 3 is invalid"), failing.err());
    Result vw = run("2 |f a\n", "--file", "-", "--format", "vw", "--loss", "logistic", "--print",
        "--quiet");
    assertEquals(1, vw.code(), vw.err());
    assertTrue(vw.err().contains("map labels to 0 and 1 with --binary-labels or"
        + " --label-threshold X"), vw.err());
  }

  @Test
  void textLabelsNeedCsvPositive() {
    String loans = "Class,amount\ngood,100\nbad,2000\ngood,NA\n";
    Result r = run(loans, "--file", "-", "--csv-label", "Class", "--csv-numeric", "amount",
        "--print", "--quiet");
    assertEquals(1, r.code());
    assertTrue(r.err().contains("stdin, line 2: label 'good' is not a number; text labels need"
        + " --csv-positive VALUE[,VALUE...]"), r.err());
    Result mapped = run(loans, "--file", "-", "--csv-label", "Class", "--csv-numeric", "amount",
        "--csv-positive", "good", "--loss", "logistic", "--print", "--quiet");
    assertEquals(0, mapped.code(), mapped.err());
    assertEquals(3, mapped.out().lines().count());
    assertTrue(mapped.err().contains("3 labeled, mean label 0.6667"), mapped.err());
    assertTrue(mapped.out().lines().toList().get(2).contains("\"features\": [{\"namespace\":"
        + " \"amount\", \"name\": \"missing\", \"index\": null, \"value\": 1.0}], \"dense\":"
        + " [1050.0]"), "NA: the mean of 100 and 2000, and the indicator: " + mapped.out());
  }

  @Test
  void conflictingAndMisplacedFlagsAreUsageErrors() {
    Result both = run("", "--file", "-", "--csv-label", "y", "--csv-numeric", "x",
        "--csv-positive", "good", "--label-threshold", "1", "--print");
    assertEquals(2, both.code());
    assertTrue(both.err().startsWith("gradflow produce: --csv-positive and --label-threshold both"
        + " map labels; give one"), both.err());
    Result vw = run("", "--file", "-", "--format", "vw", "--csv-label", "y", "--print");
    assertEquals(2, vw.code());
    assertTrue(vw.err().startsWith("gradflow produce: --csv-label applies to --format csv, not"
        + " vw"), vw.err());
    Result gen = run("", "--generator", "ctr", "--csv-label", "y", "--print");
    assertEquals(2, gen.code());
    assertTrue(gen.err().startsWith("gradflow produce: --csv-label applies to --file, not to a"
        + " generator"), gen.err());
    Result entity = run("", "--file", "-", "--csv-entity", "user", "--print");
    assertEquals(2, entity.code());
    assertTrue(entity.err().startsWith("gradflow produce: --csv-entity takes TYPE=COLUMN pairs"),
        entity.err());
  }

  @Test
  void entitiesFromCsv() {
    Result r = run("userId,movieId,rating\n1,31,2.5\n", "--file", "-", "--csv-entity",
        "user=userId,item=movieId", "--csv-label", "rating", "--print", "--quiet");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("\"entities\": [{\"type\": \"user\", \"id\": \"1\"},"
        + " {\"type\": \"item\", \"id\": \"31\"}]"), r.out());
  }

  @Test
  void noBrokerAnsweringFailsFastNamingBootstrapServers() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path file = dir.resolve("in.vw");
    Files.writeString(file, "1 |f a\n");
    long start = System.nanoTime();
    Result r = run("", "--bootstrap-servers", "localhost:" + port, "--file", file.toString(),
        "--format", "vw", "--connect-timeout", "2", "--quiet");
    double seconds = (System.nanoTime() - start) / 1e9;
    assertEquals(1, r.code(), r.err());
    assertEquals("gradflow produce: no Kafka broker answered at --bootstrap-servers localhost:"
        + port + " within 2 s (--connect-timeout): check the address and that the broker runs\n",
        r.err());
    assertTrue(seconds < 15, "took " + seconds + " s");
  }

  @Test
  void manyMalformedLinesAreCountedBeyondTheFirstHundredShown() {
    StringBuilder csv = new StringBuilder("y,x\n1,1\n");
    for (int i = 0; i < 150; i++) {
      csv.append("1,x").append(i).append('\n');
    }
    Result r = run(csv.toString(), "--file", "-", "--csv-label", "y", "--csv-numeric", "x",
        "--print", "--quiet");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("read 152 lines; skipped 150 malformed lines"), r.err());
    assertTrue(r.err().contains("  stdin, line 102: column x 'x99' is not a number\n  ... and 50"
        + " more (the first 100 are shown; --on-error fail stops at the first)"), r.err());
  }

  @Test
  void epochSecondsReadAsMillisecondsGetANote() {
    Result r = run("userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n", "--file", "-",
        "--csv-entity", "user=userId,item=movieId", "--csv-label", "rating", "--csv-timestamp",
        "timestamp", "--print", "--quiet");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("note: the timestamps read as epoch milliseconds fall in"
        + " 1970-1973; if they are epoch seconds, give --csv-timestamp-format epoch-seconds"),
        r.err());
    Result s = run("userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n", "--file", "-",
        "--csv-entity", "user=userId,item=movieId", "--csv-label", "rating", "--csv-timestamp",
        "timestamp", "--csv-timestamp-format", "epoch-seconds", "--print", "--quiet");
    assertTrue(s.out().contains("\"event_time\": \"2009-12-14T02:52:24Z\""), s.out());
    assertFalse(s.err().contains("note:"), s.err());
  }

  @Test
  void idsWrittenAsFloatsGetANoteAndAreKeptAsWritten() throws Exception {
    String csv = "user_id,item_id,label\n1.0,2.0,1\n3.0,4.0,0\n3,4,0\n";
    Path file = Files.writeString(dir.resolve("floatids.csv"), csv);
    for (String input : new String[] {"-", file.toString()}) { // stdin serial, a file parallel
      Result r = run(csv, "--file", input, "--csv-entity", "user=user_id,item=item_id",
          "--csv-label", "label", "--print", "--quiet");
      assertEquals(0, r.code(), r.err());
      assertTrue(r.err().contains("note: 2 user ids (column user_id) are written as floats, the"
          + " first '1.0' on line 2, and 1 as an integer: '1.0' and '1' are different ids, so"
          + " different entities; write the ids as integers (pandas writes an integer column"
          + " with a missing value as floats: .astype('Int64') keeps them integers)"), r.err());
      assertTrue(r.err().contains("note: 2 item ids (column item_id) are written as floats, the"
          + " first '2.0' on line 2, and 1 as an integer: '2.0' and '2'"), r.err());
      assertEquals(2, r.err().split("written as floats", -1).length - 1, r.err());
      assertTrue(r.out().contains("\"3.0\"") && r.out().contains("\"3\""), r.out());
    }
    Result integers = run("user_id,item_id,label\n1,2,1\n3,x4.0,0\n", "--file", "-",
        "--csv-entity", "user=user_id,item=item_id", "--csv-label", "label", "--print",
        "--quiet");
    assertEquals(0, integers.code(), integers.err());
    assertFalse(integers.err().contains("note:"), integers.err());
  }

  @Test
  void integralFloatsAreDigitsAPointAndZeros() {
    assertTrue(CsvFormat.integralFloat("3.0"));
    assertTrue(CsvFormat.integralFloat("-12.00"));
    assertFalse(CsvFormat.integralFloat("3"));
    assertFalse(CsvFormat.integralFloat("3.5"));
    assertFalse(CsvFormat.integralFloat("3."));
    assertFalse(CsvFormat.integralFloat(".0"));
    assertFalse(CsvFormat.integralFloat("v3.0"));
    assertFalse(CsvFormat.integralFloat("1.0.0"));
  }

  @Test
  void withAJobsConfigExamplesAreValidatedWithItsLossAndInputBounds() throws Exception {
    String csv = "x,y\n2000000,3\n";
    Result defaults = run(csv, "--file", "-", "--print", "--csv-label", "y", "--csv-numeric",
        "x");
    assertEquals(1, defaults.code(), defaults.err());
    assertTrue(defaults.err().contains("input.max_abs_value"), defaults.err());
    Path job = dir.resolve("job.yaml");
    java.nio.file.Files.writeString(job,
        "model: {type: linear_regression}\ninput: {max_abs_value: 0}\n");
    Result withJob = run(csv, "--file", "-", "--print", "--csv-label", "y", "--csv-numeric",
        "x", "--config", job.toString());
    assertEquals(0, withJob.code(), withJob.err());
    assertTrue(withJob.out().contains("\"dense\": [2000000.0]"), withJob.out());
    java.nio.file.Files.writeString(job, "model: {type: logistic_regression}\n");
    Result logistic = run("x,y\n1,3\n", "--file", "-", "--print", "--csv-label", "y",
        "--csv-numeric", "x", "--config", job.toString());
    assertEquals(1, logistic.code(), logistic.err());
    assertTrue(logistic.err().contains("for the logistic loss"), logistic.err());
    withJob.noStackTrace();
  }

  /**
   * A file replayed with parse threads prints the same records in the same order as on one
   * thread, and reports the same malformed lines and invalid examples (labels outside the
   * logistic loss's domain), in both error modes and when --count stops it.
   */
  @Test
  void parseThreadsReplayAFileAsOneThreadDoes() throws Exception {
    StringBuilder libsvm = new StringBuilder();
    StringBuilder vw = new StringBuilder();
    StringBuilder csv = new StringBuilder("y,x,c\n");
    for (int i = 1; i <= 3000; i++) {
      boolean malformed = i % 97 == 0;
      String label = i % 89 == 0 ? "2" : Integer.toString(i % 2);
      libsvm.append(malformed ? "1 x:1" : label + " " + i + ":0.5 " + i * 7 + ":1")
          .append('\n');
      vw.append(malformed ? "1 a b |f x" : label + " |f a" + i + " b:" + i + " |g c")
          .append('\n');
      csv.append(malformed ? "1,2" : label + "," + i + ",c" + i % 7).append('\n');
    }
    for (String format : new String[] {"libsvm", "vw", "csv"}) {
      Path file = dir.resolve("in." + format);
      Files.writeString(file, format.equals("libsvm") ? libsvm : format.equals("vw") ? vw : csv);
      String[] csvFlags = format.equals("csv")
          ? new String[] {"--csv-label", "y", "--csv-numeric", "x", "--csv-categorical", "c"}
          : new String[0];
      for (String[] mode : new String[][] {{}, {"--on-error", "fail"}, {"--count", "1234"}}) {
        Result serial = replay(file, format, csvFlags, mode, "0");
        assertTrue(serial.out().lines().count() > (mode.length == 0 ? 2000 : 80), serial.err());
        for (String threads : new String[] {"1", "4"}) {
          Result parallel = replay(file, format, csvFlags, mode, threads);
          assertEquals(serial, parallel, format + " " + String.join(" ", mode) + ", "
              + threads + " threads");
        }
      }
    }
  }

  /** A negative thread count is a usage error that names the flag, not a silent serial run. */
  @Test
  void negativeParseThreadsAreRefused() {
    Result r = run("1 1:1\n", "--file", "-", "--format", "libsvm", "--print",
        "--parse-threads", "-1");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().startsWith("gradflow produce: --parse-threads must be >= 0, but was"
        + " -1"), r.err());
  }

  /** A replay of {@code file} to stdout, its run time removed from the summary. */
  private static Result replay(Path file, String format, String[] csvFlags, String[] mode,
      String threads) {
    java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("--file",
        file.toString(), "--format", format, "--print", "--quiet", "--loss", "logistic",
        "--start-time", "2026-01-01T00:00:00Z", "--parse-threads", threads));
    args.addAll(java.util.List.of(csvFlags));
    args.addAll(java.util.List.of(mode));
    Result r = run("", args.toArray(String[]::new));
    return new Result(r.code(), r.out(),
        r.err().replaceAll(", in [0-9.]+ s \\([0-9,]+/s\\)", ""));
  }

  /**
   * A producer's TimeoutException is named for what it is: an expired batch
   * (delivery.timeout.ms) is not "the broker stopped answering", nor is a full buffer; each
   * message says its own cause, for the example that failed and for those not sent after it.
   */
  @Test
  void eachTimeoutIsNamedForItsCause() {
    io.gradflow.schema.Example e = new io.gradflow.schema.Example("e1",
        java.time.Instant.ofEpochMilli(1_767_225_600_000L), null, java.util.List.of(),
        java.util.List.of(new io.gradflow.schema.Feature("f", "x", null, 1f)),
        java.util.List.of(), 1f, 1f);
    java.util.Map<org.apache.kafka.common.errors.TimeoutException, String> causes =
        java.util.Map.of(
        new org.apache.kafka.common.errors.TimeoutException("Expiring 3 record(s) for t-0:120001"
            + " ms has passed since batch creation"),
        "a batch expired before the broker acknowledged it (delivery.timeout.ms; the broker"
            + " was slow or unreachable for that long)",
        new org.apache.kafka.clients.producer.BufferExhaustedException("Failed to allocate 100"
            + " bytes within the configured max blocking time 10000 ms."),
        "the producer's buffer stayed full (buffer.memory, for max.block.ms): the broker took"
            + " records slower than they came",
        new org.apache.kafka.common.errors.TimeoutException("Topic t not present in metadata"
            + " after 10000 ms."),
        "no broker answered for the topic's metadata (max.block.ms; --connect-timeout)",
        new org.apache.kafka.common.errors.TimeoutException("Call timed out"),
        "the broker stopped answering");
    for (var c : causes.entrySet()) {
      ProduceCommand.Acks acks = new ProduceCommand.Acks(null);
      acks.callback(new ProduceCommand.Outgoing(e, 7)).onCompletion(null, c.getKey());
      assertEquals(c.getValue(), acks.stopped(), c.getKey().getMessage());
      assertTrue(acks.firstFailure().startsWith("line 7: "), acks.firstFailure());
      assertTrue(acks.firstFailure().endsWith(c.getKey().getMessage()), acks.firstFailure());
      ProduceCommand.send(null, acks, new ProduceCommand.Outgoing(e, 8)); // queued after it
      assertEquals(2, acks.failed());
    }
    ProduceCommand.Acks acks = new ProduceCommand.Acks(null);
    acks.callback(new ProduceCommand.Outgoing(e, 7)).onCompletion(null,
        new org.apache.kafka.common.errors.TimeoutException("Expiring 1 record(s) for t-0:120001"
            + " ms has passed since batch creation"));
    java.util.List<String> reported = new java.util.ArrayList<>();
    ProduceCommand.Acks later = new ProduceCommand.Acks(null) {
      @Override
      void sendFailed(String why) {
        reported.add(why);
      }

      @Override
      String stopped() {
        return acks.stopped();
      }
    };
    ProduceCommand.send(null, later, new ProduceCommand.Outgoing(e, 8));
    assertEquals(java.util.List.of("line 8: not sent, a batch expired before the broker"
        + " acknowledged it (delivery.timeout.ms; the broker was slow or unreachable for that"
        + " long)"), reported);
  }
}
