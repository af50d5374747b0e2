package io.gradflow.jobs.cluster;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A Flink session cluster of separate JVMs on this machine: one JobManager
 * ({@code StandaloneSessionClusterEntrypoint}) and one TaskManager ({@code TaskManagerRunner},
 * with the memory flags Flink's own start scripts get from {@code BashJavaUtils}), and the
 * {@code flink} command line ({@code CliFrontend}) to submit jars to it.
 *
 * <p>Flink's distribution archive cannot be downloaded on the build machines, so the cluster's
 * {@code lib/} is Flink's jars from the Maven repository: this JVM's class path without Gradflow's
 * own classes and without what a job jar brings itself (the Kafka connector and clients, Avro,
 * the test kit's broker, ND4J). A job therefore runs only if its jar is complete, as on a real
 * cluster. {@link #startWithNd4jInLib} puts ND4J in lib/ too, loaded parent-first.
 *
 * <p>The TaskManager's JavaCPP cache (where ND4J's native libraries are extracted) is
 * {@code HOME/javacpp} ({@link #javacppCache}), not the user's {@code ~/.javacpp}.
 */
final class LocalFlinkCluster implements AutoCloseable {
  /** Class path entries a Flink distribution's lib/ would not hold. */
  private static final List<String> NOT_IN_FLINK_LIB = List.of(
      "/target/classes", "/target/test-classes", "/io/gradflow/", "/org/apache/kafka/",
      "/org/apache/avro/", "flink-connector-kafka", "flink-avro", "flink-test-utils",
      "/org/junit/", "/org/opentest4j/", "/org/apiguardian/", "/org/scala-lang/",
      "/com/fasterxml/jackson/dataformat/", "/org/yaml/", "/org/assertj/",
      "/org/nd4j/", "/org/bytedeco/", "/com/google/flatbuffers/");
  /** ND4J's jars: what {@link #startWithNd4jInLib} keeps in lib/. */
  private static final List<String> ND4J = List.of("/org/nd4j/", "/org/bytedeco/",
      "/com/google/flatbuffers/");

  /** What Flink's start scripts pass to every JVM ({@code env.java.default-opts.all}). */
  private static final List<String> JAVA_OPTS = List.of(
      "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
      "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
      "--add-opens=java.base/java.lang=ALL-UNNAMED",
      "--add-opens=java.base/java.net=ALL-UNNAMED",
      "--add-opens=java.base/java.io=ALL-UNNAMED",
      "--add-opens=java.base/java.nio=ALL-UNNAMED",
      "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
      "--add-opens=java.base/java.text=ALL-UNNAMED",
      "--add-opens=java.base/java.time=ALL-UNNAMED",
      "--add-opens=java.base/java.util=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

  private final Path home;
  private final String classPath;
  private final int restPort;
  private final List<Process> processes = new ArrayList<>();

  private LocalFlinkCluster(Path home, String classPath, int restPort) {
    this.home = home;
    this.classPath = classPath;
    this.restPort = restPort;
  }

  /** Starts the JobManager and one TaskManager with {@code slots} slots and waits for both. */
  static LocalFlinkCluster start(Path home, int slots) throws Exception {
    return start(home, slots, false);
  }

  /**
   * The same with ND4J's jars in lib/ and {@code classloader.parent-first-patterns.additional:
   * [org.nd4j., org.bytedeco.]}, so that every job's ND4J is the one the parent class loader
   * loaded once, whatever its job jar holds.
   */
  static LocalFlinkCluster startWithNd4jInLib(Path home, int slots) throws Exception {
    return start(home, slots, true);
  }

  private static LocalFlinkCluster start(Path home, int slots, boolean nd4jInLib)
      throws Exception {
    Files.createDirectories(home.resolve("conf"));
    Files.createDirectories(home.resolve("log"));
    int rpcPort = freePort();
    int restPort = freePort();
    Files.writeString(home.resolve("conf/config.yaml"), String.join("\n",
        "jobmanager.rpc.address: localhost",
        "jobmanager.rpc.port: " + rpcPort,
        "jobmanager.bind-host: localhost",
        "jobmanager.memory.process.size: 768m",
        "taskmanager.bind-host: localhost",
        "taskmanager.host: localhost",
        "taskmanager.numberOfTaskSlots: " + slots,
        "taskmanager.memory.process.size: 1600m",
        "rest.address: localhost",
        "rest.bind-address: localhost",
        "rest.port: " + restPort,
        "parallelism.default: 1",
        nd4jInLib ? "classloader.parent-first-patterns.additional: [org.nd4j., org.bytedeco.]"
            : "",
        ""));
    String classPath = Arrays.stream(System.getProperty("java.class.path")
            .split(File.pathSeparator))
        .filter(e -> NOT_IN_FLINK_LIB.stream().noneMatch(e::contains)
            || nd4jInLib && ND4J.stream().anyMatch(e::contains))
        .collect(Collectors.joining(File.pathSeparator));
    LocalFlinkCluster cluster = new LocalFlinkCluster(home, classPath, restPort);
    try {
      cluster.launch("jobmanager", List.of("-Xmx512m"),
          "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint", List.of());
      List<String> resources = cluster.taskManagerResources();
      List<String> flags = new ArrayList<>(Arrays.asList(resources.get(0).trim().split("\\s+")));
      flags.add("-Dorg.bytedeco.javacpp.cachedir=" + cluster.javacppCache());
      cluster.launch("taskmanager", flags,
          "org.apache.flink.runtime.taskexecutor.TaskManagerRunner",
          Arrays.asList(resources.get(1).trim().split("\\s+")));
      cluster.awaitSlots(slots, Duration.ofSeconds(90));
    } catch (Exception e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  /** JVM flags and dynamic settings of the TaskManager, as Flink's start scripts compute them. */
  private List<String> taskManagerResources() throws Exception {
    Process p = new ProcessBuilder(java(), "-cp", classPath,
        "org.apache.flink.runtime.util.bash.BashJavaUtils", "GET_TM_RESOURCE_PARAMS",
        "--configDir", home.resolve("conf").toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("BashJavaUtils failed: " + out);
    }
    String prefix = "BASH_JAVA_UTILS_EXEC_RESULT:";
    List<String> results = out.lines().filter(l -> l.startsWith(prefix))
        .map(l -> l.substring(prefix.length())).toList();
    if (results.size() != 2) {
      throw new IllegalStateException("unexpected BashJavaUtils output: " + out);
    }
    return results;
  }

  private void launch(String name, List<String> jvmFlags, String mainClass, List<String> args)
      throws IOException {
    List<String> command = new ArrayList<>(List.of(java()));
    command.addAll(JAVA_OPTS);
    command.addAll(jvmFlags);
    command.addAll(List.of("-cp", classPath, mainClass, "--configDir",
        home.resolve("conf").toString()));
    command.addAll(args);
    processes.add(new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(home.resolve("log/" + name + ".log").toFile())
        .start());
  }

  /**
   * Runs the {@code flink} command line against this cluster ({@code run -d JAR ARGS...}, for
   * example) and returns its exit code and output.
   */
  Result flink(Duration timeout, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(java()));
    command.addAll(JAVA_OPTS);
    command.addAll(List.of("-cp", classPath, "org.apache.flink.client.cli.CliFrontend"));
    command.addAll(List.of(args));
    ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true);
    b.environment().put("FLINK_CONF_DIR", home.resolve("conf").toString());
    Process p = b.start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("flink " + String.join(" ", args) + " did not finish: "
          + out);
    }
    return new Result(p.exitValue(), out);
  }

  record Result(int code, String output) {}

  /** The TaskManager's JavaCPP cache directory ({@code org.bytedeco.javacpp.cachedir}). */
  Path javacppCache() {
    return home.resolve("javacpp");
  }

  /** The cluster's REST endpoint, {@code http://localhost:<port>}. */
  String restAddress() {
    return "http://localhost:" + restPort;
  }

  /** GET on the cluster's REST API. */
  String rest(String path) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://localhost:" + restPort + path)).timeout(Duration.ofSeconds(5))
        .build(), HttpResponse.BodyHandlers.ofString());
    return r.body();
  }

  private void awaitSlots(int slots, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      for (Process p : processes) {
        if (!p.isAlive()) {
          throw new IllegalStateException("a cluster process exited: " + logs());
        }
      }
      try {
        last = rest("/overview");
        if (last.contains("\"slots-total\":" + slots)) {
          return;
        }
      } catch (IOException notYet) {
        last = notYet.toString();
      }
      Thread.sleep(500);
    }
    throw new IllegalStateException("the cluster did not offer " + slots + " slots in "
        + timeout + " (last answer: " + last + "): " + logs());
  }

  /** The tail of every process's log, for failure messages. */
  String logs() throws IOException {
    StringBuilder s = new StringBuilder();
    for (String name : List.of("jobmanager", "taskmanager")) {
      Path log = home.resolve("log/" + name + ".log");
      if (Files.exists(log)) {
        List<String> lines = Files.readAllLines(log);
        s.append("\n--- ").append(name).append(" ---\n").append(String.join("\n",
            lines.subList(Math.max(0, lines.size() - 40), lines.size())));
      }
    }
    return s.toString();
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    for (Process p : processes) {
      p.destroy();
    }
    for (Process p : processes) {
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }
}
