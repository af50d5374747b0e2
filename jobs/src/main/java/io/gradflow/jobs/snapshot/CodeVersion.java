package io.gradflow.jobs.snapshot;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The version of the code that trains a model, for the audit record: the system property
 * {@code gradflow.code_version} or the environment variable {@code GRADFLOW_CODE_VERSION} when
 * set (a deployment that has no git checkout sets one of them), else {@code git <commit>} of the
 * checkout the classes were loaded from, with {@code " (uncommitted changes)"} when tracked files
 * differ from it, else {@code "unknown"}. Computed once per process; thread-safe.
 */
public final class CodeVersion {
  private static volatile String current;

  private CodeVersion() {}

  /** The code version (see the class comment). */
  public static String current() {
    String v = current;
    if (v == null) {
      v = compute();
      current = v;
    }
    return v;
  }

  private static String compute() {
    String given = System.getProperty("gradflow.code_version",
        System.getenv("GRADFLOW_CODE_VERSION"));
    if (given != null && !given.isBlank()) {
      return given;
    }
    try {
      Path classes = Path.of(CodeVersion.class.getProtectionDomain().getCodeSource().getLocation()
          .toURI());
      Path dir = Files.isDirectory(classes) ? classes : classes.getParent();
      String commit = git(dir, "rev-parse", "HEAD");
      if (commit == null || !commit.matches("[0-9a-f]{40}")) {
        return "unknown";
      }
      String changes = git(dir, "status", "--porcelain", "--untracked-files=no");
      return "git " + commit + (changes == null || changes.isEmpty() ? ""
          : " (uncommitted changes)");
    } catch (Exception e) {
      return "unknown";
    }
  }

  /** A git command's trimmed output, or null when git fails or is absent. */
  private static String git(Path dir, String... args) throws IOException, InterruptedException {
    String[] command = new String[args.length + 3];
    command[0] = "git";
    command[1] = "-C";
    command[2] = dir.toString();
    System.arraycopy(args, 0, command, 3, args.length);
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(false)
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    } catch (IOException noGit) {
      return null;
    }
    String out;
    try (InputStream in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
    }
    if (!p.waitFor(10, TimeUnit.SECONDS)) {
      p.destroy();
      return null;
    }
    return p.exitValue() == 0 ? out : null;
  }
}
