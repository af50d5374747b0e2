package io.gradflow.jobs.broker;

import io.gradflow.jobs.cli.Command;
import io.gradflow.jobs.cli.Flag;
import io.gradflow.jobs.cli.Flag.Type;
import io.gradflow.jobs.cli.UserException;
import io.gradflow.jobs.kafka.EmbeddedKafka;
import io.gradflow.jobs.kafka.KafkaSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * {@code gradflow broker}: a Kafka broker for people without Docker. Starts the same in-process
 * broker as {@code gradflow demo} ({@link EmbeddedKafka}: Kafka's own KRaft broker and controller,
 * one node, in this JVM) on {@code localhost:--port}, prints one line with its address, creates
 * the topics named by {@code --topics} (and, with {@code --gradflow-topics}, the default names
 * of {@code kafka.topics}), then serves until the process is stopped. Its log lives in a
 * temporary directory deleted when it stops, or with {@code --log-dir DIR} in {@code DIR}, kept:
 * started again with the same {@code --log-dir} (and {@code --port}), the broker has its topics,
 * records, consumer offsets and open transactions back under the same KRaft cluster id, so a
 * broker outage can be tried against a running job ({@code BrokerOutageITCase}).
 *
 * <p>It does not create a job's topics by itself: the broker does not know a job's
 * configuration, and automatic topic creation stays off (a misspelt topic name is an error, not a
 * new empty topic), as on a production cluster. {@code --gradflow-topics} creates the default
 * names; {@code --topics} any others.
 *
 * <p>Exit codes: 2 for a port in use, an unusable {@code --log-dir} (one line each) or a bad
 * flag; when stopped by a signal the broker is closed, says so in one line ({@code broker
 * localhost:9092 stopped; its data was deleted}) and the JVM reports the signal (130 for Ctrl-C,
 * 143 for SIGTERM), as for an embedded {@code gradflow train}. Called in-process ({@link #serve}), it returns 0 once its stop
 * latch opens.
 */
public final class BrokerCommand {
  public static final String SUMMARY = "run a Kafka broker in-process (no Docker) until Ctrl-C;"
      + " its data is deleted when it stops, or kept in --log-dir";

  public static final List<Flag> FLAGS = List.of(
      Flag.of("port", Type.INT, "9092", "the port on localhost clients connect to (0: a free"
          + " port, printed)"),
      Flag.of("topics", Type.LIST, null, "topics to create"),
      Flag.of("gradflow-topics", Type.SWITCH, null, "also create kafka.topics' default names: "
          + String.join(", ", KafkaSpec.Topics.DEFAULT.all())),
      Flag.of("partitions", Type.INT, "1", "partitions of each topic created"),
      Flag.of("log-dir", Type.STRING, null, "keep the broker's data in this directory (created"
          + " when absent) across restarts: started again on it, with the same --port, the"
          + " broker has its topics, records, offsets and cluster id back; without it the data is"
          + " in a temporary directory deleted at stop"));

  /** The listener on {@code --port}. */
  private static final String USERS = "USERS";

  private BrokerCommand() {}

  /** The command line's entry: serves until the JVM is stopped (Ctrl-C, SIGTERM). */
  public static int run(List<String> args, InputStream in, PrintStream out, PrintStream err)
      throws Exception {
    CountDownLatch never = new CountDownLatch(1);
    return serve(args, out, never);
  }

  /**
   * Starts the broker, prints its line, creates the topics, then waits for {@code stop} (or for
   * the JVM's shutdown, which closes the broker); returns 0 once {@code stop} opened and the
   * broker is closed.
   */
  public static int serve(List<String> args, PrintStream out, CountDownLatch stop)
      throws Exception {
    Flag.Values flags = Flag.parse(FLAGS, args);
    int port = flags.intValue("port", 0);
    if (port > 65535) {
      throw new Command.UsageException("--port must be <= 65535, but was " + port);
    }
    int partitions = flags.intValue("partitions", 1);
    LinkedHashSet<String> topics = new LinkedHashSet<>();
    if (flags.on("gradflow-topics")) {
      topics.addAll(KafkaSpec.Topics.DEFAULT.all());
    }
    topics.addAll(flags.list("topics"));
    if (port != 0) {
      refuseUsedPort(port);
    }
    java.nio.file.Path logDir = flags.isSet("log-dir")
        ? java.nio.file.Path.of(flags.string("log-dir")) : null;
    EmbeddedKafka kafka;
    try {
      // The test kit binds its own listeners (EXTERNAL, CONTROLLER) on ports it chooses; a
      // third listener, on the port asked, is the one users' clients bootstrap from (a broker
      // answers metadata with the addresses of the listener a request came in on).
      kafka = EmbeddedKafka.startQuietly(port == 0 ? Map.of() : Map.of(
          "listeners", "EXTERNAL://localhost:0,CONTROLLER://localhost:0,"
              + USERS + "://localhost:" + port,
          "listener.security.protocol.map",
          "EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT," + USERS + ":PLAINTEXT"), logDir);
    } catch (IllegalArgumentException e) { // EmbeddedKafka: the directory, what to do
      if (logDir == null) {
        throw e;
      }
      throw new UserException("--log-dir: " + e.getMessage(), 2);
    } catch (Exception e) {
      if (isBind(e)) { // taken between the check and the broker's bind
        throw portInUse(port);
      }
      throw e;
    }
    String address = port == 0 ? kafka.bootstrapServers() : "localhost:" + port;
    // One line once closed, however it stopped: Ctrl-C and SIGTERM (the hook) alike, and the
    // latch of an in-process call.
    String stopped = "broker " + address + " stopped; " + (logDir == null
        ? "its data was deleted" : "its data is kept in " + kafka.logDirectory()
            + " (the same --log-dir and --port start it again)");
    Runnable close = () -> {
      try {
        kafka.close();
      } finally {
        out.println(stopped);
        out.flush();
      }
    };
    CountDownLatch closed = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      close.run();
      closed.countDown();
    }, "gradflow-broker-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      out.println("broker " + address + " (Kafka " + kafkaVersion() + ", in-process; "
          + (logDir == null ? "its data is deleted when it stops"
              : "its data is kept in " + kafka.logDirectory() + ", cluster id "
                  + kafka.clusterId())
          + "; Ctrl-C to stop)");
      if (!topics.isEmpty()) {
        try {
          kafka.createTopics(partitions, topics.toArray(String[]::new));
        } catch (IllegalStateException e) {
          // EmbeddedKafka: "could not create topic T: <the broker's reason>" (a bad name, a
          // name that collides with another's metric name)
          if (e.getCause() instanceof org.apache.kafka.common.errors.ApiException) {
            throw new io.gradflow.jobs.cli.UserException("--topics: " + e.getMessage(), 2);
          }
          throw e;
        }
        out.println("topics " + String.join(", ", topics) + " (" + partitions
            + (partitions == 1 ? " partition" : " partitions") + " each)");
      }
      out.flush();
      stop.await();
    } finally {
      boolean hookRemoved;
      try {
        hookRemoved = Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        hookRemoved = false; // the JVM is stopping: the hook closes the broker
      }
      if (hookRemoved) {
        close.run();
      } else {
        closed.await();
      }
    }
    return 0;
  }

  /** One line, exit 2, when something listens on {@code port} already. */
  private static void refuseUsedPort(int port) throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getByName("localhost"), port));
    } catch (BindException e) {
      throw portInUse(port);
    }
  }

  private static UserException portInUse(int port) {
    return new UserException("port " + port + " on localhost is in use (another broker, or"
        + " Compose's?): stop it, or choose another with --port (clients then use"
        + " localhost:PORT)", 2);
  }

  private static boolean isBind(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException) {
        return true;
      }
    }
    return false;
  }

  static String kafkaVersion() {
    return org.apache.kafka.common.utils.AppInfoParser.getVersion();
  }
}
