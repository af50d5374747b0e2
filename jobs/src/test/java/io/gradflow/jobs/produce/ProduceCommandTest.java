package io.gradflow.jobs.produce;

import io.gradflow.jobs.cli.Flag;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.cli.Main;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProduceCommandTest {
  record Result(int code, String out, String err) {}

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
    assertTrue(unknown.err().startsWith("gradflow produce: unknown flag --colour;"), unknown.err());
    Result choice = run("", "--generator", "movies");
    assertTrue(choice.err().startsWith("gradflow produce: --generator must be one of ctr,"
        + " recsys, tabular, but was movies"), choice.err());
    Result kafka = run("", "--generator", "ctr");
    assertTrue(kafka.err().startsWith("gradflow produce: --bootstrap-servers is needed"),
        kafka.err());
    Result number = run("", "--generator", "ctr", "--count", "many", "--dry-run");
    assertTrue(number.err().startsWith("gradflow produce: --count must be an integer, but was"
        + " many"), number.err());
    Result gradual = run("", "--generator", "ctr", "--drift", "gradual", "--drift-width", "0",
        "--dry-run");
    assertTrue(gradual.err().contains("gradual drift needs a width > 0"), gradual.err());
  }

  @Test
  void fileFromStdinWithMalformedLines() {
    String vw = "1 |a x\nbad line\n0 |a y\n";
    Result skip = run(vw, "--file", "-", "--format", "vw", "--print", "--quiet");
    assertEquals(0, skip.code(), skip.err());
    assertEquals(2, skip.out().lines().count());
    assertTrue(skip.err().contains("skipped 1 malformed lines"), skip.err());
    assertTrue(skip.err().contains("stdin, line 2: no '|' namespace"), skip.err());
    Result fail = run(vw, "--file", "-", "--format", "vw", "--print", "--quiet", "--on-error",
        "fail");
    assertEquals(1, fail.code());
    assertTrue(fail.err().contains("stdin, line 2: no '|' namespace"), fail.err());
  }
}
