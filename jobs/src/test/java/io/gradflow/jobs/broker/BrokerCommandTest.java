package io.gradflow.jobs.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.cli.Main;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code gradflow broker}'s command line: help, flags refused, a port in use. */
class BrokerCommandTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(args, new ByteArrayInputStream(new byte[0]),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void helpListsTheCommandAndItsFlags() {
    assertEquals(0, run("--help"));
    assertTrue(out().contains("  broker "), out());
    out.reset();
    assertEquals(0, run("broker", "--help"));
    assertTrue(out().startsWith("usage: gradflow broker [--port N] [--topics A,B]"), out());
    assertTrue(out().contains("--port N") && out().contains("(default 9092)"), out());
    assertTrue(out().contains("--topics A,B,...") && out().contains("--partitions N")
        && out().contains("--gradflow-topics"), out());
    assertTrue(out().contains("examples, labels, predictions, metrics, changelog, dead-letters"),
        out());
  }

  @Test
  void aPortInUseIsOneLineAndExit2() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getByName("localhost"), 0));
      int port = taken.getLocalPort();
      assertEquals(2, run("broker", "--port", String.valueOf(port)));
      assertEquals("gradflow broker: port " + port + " on localhost is in use (another broker,"
          + " or Compose's?): stop it, or choose another with --port (clients then use"
          + " localhost:PORT)\n", err());
      assertEquals("", out());
    }
  }

  @Test
  void badFlagsAreUsageErrors() {
    assertEquals(2, run("broker", "--port", "70000"));
    assertTrue(err().startsWith("gradflow broker: --port must be <= 65535, but was 70000\n"),
        err());
    err.reset();
    assertEquals(2, run("broker", "--port", "-1"));
    assertTrue(err().startsWith("gradflow broker: --port must be >= 0, but was -1\n"), err());
    err.reset();
    assertEquals(2, run("broker", "--partitions", "0"));
    assertTrue(err().startsWith("gradflow broker: --partitions must be >= 1, but was 0\n"),
        err());
    err.reset();
    assertEquals(2, run("broker", "examples"));
    assertTrue(err().startsWith("gradflow broker: unexpected argument 'examples'"), err());
  }

  /** {@code --log-dir} naming a file, or a directory of other files: one line, exit 2. */
  @Test
  void anUnusableLogDirIsOneLineAndExit2() throws Exception {
    java.nio.file.Path file = java.nio.file.Files.createTempFile("gradflow-not-a-dir", ".txt");
    java.nio.file.Path foreign = java.nio.file.Files.createTempDirectory("gradflow-foreign-");
    java.nio.file.Files.writeString(foreign.resolve("notes.txt"), "mine");
    try {
      assertEquals(2, run("broker", "--port", "0", "--log-dir", file.toString()));
      assertEquals("gradflow broker: --log-dir: " + file + " is a file, not a directory: name a"
          + " new or empty directory, or one a broker kept before\n", err());
      err.reset();
      assertEquals(2, run("broker", "--port", "0", "--log-dir", foreign.toString()));
      assertEquals("gradflow broker: --log-dir: " + foreign + " holds files that are not a"
          + " gradflow broker's data (no combined_0_0/meta.properties, but notes.txt): name a new"
          + " or empty directory, or the one a broker kept before\n", err());
      assertEquals("", out());
      assertEquals(List.of("notes.txt"), java.nio.file.Files.list(foreign)
          .map(f -> f.getFileName().toString()).toList(), "nothing written into it");
    } finally {
      java.nio.file.Files.delete(file);
      java.nio.file.Files.delete(foreign.resolve("notes.txt"));
      java.nio.file.Files.delete(foreign);
    }
  }

  /** A {@code --log-dir} that cannot be created says why in words, not an exception's name. */
  @Test
  void aLogDirThatCannotBeCreatedSaysWhyWithoutAnExceptionName() throws Exception {
    java.nio.file.Path file = java.nio.file.Files.createTempFile("gradflow-not-a-dir", ".txt");
    try {
      java.nio.file.Path under = file.resolve("kafka");
      assertEquals(2, run("broker", "--port", "0", "--log-dir", under.toString()));
      assertEquals("gradflow broker: --log-dir: " + under + " cannot be created (Not a"
          + " directory): name a directory you can write\n", err());
    } finally {
      java.nio.file.Files.delete(file);
    }
  }
}
