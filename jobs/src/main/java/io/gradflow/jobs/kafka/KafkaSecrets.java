package io.gradflow.jobs.kafka;

import io.gradflow.config.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import org.apache.kafka.common.config.ConfigTransformer;
import org.apache.kafka.common.config.provider.ConfigProvider;
import org.apache.kafka.common.config.provider.EnvVarConfigProvider;
import org.apache.kafka.common.config.provider.FileConfigProvider;

/**
 * Secret values of Kafka client properties written as references, in Kafka's own config-provider
 * convention (KIP-297, KIP-887), and resolved with Kafka's providers where a client is created:
 * <ul>
 *   <li>{@code ${env:VARIABLE}}: an environment variable ({@link EnvVarConfigProvider});
 *   <li>{@code ${file:PATH:KEY}}: the key {@code KEY} of the Java properties file {@code PATH}
 *       ({@link FileConfigProvider}), for example a mounted Kubernetes Secret.
 * </ul>
 * A reference may be the whole value or part of it:
 * <pre>{@code
 * kafka:
 *   properties:
 *     sasl.jaas.config: org.apache.kafka.common.security.scram.ScramLoginModule required
 *       username="${env:KAFKA_USERNAME}" password="${file:/etc/kafka/client.properties:password}";
 * }</pre>
 * The configuration, and so every printout and the audit record, keeps the references; only the
 * properties handed to a Kafka client hold the values. A reference that cannot be resolved (the
 * variable is not set, the file cannot be read or has no such key, another provider than
 * {@code env} and {@code file}) fails with a message naming the setting and the reference, never
 * a value. Stateless; thread-safe.
 */
public final class KafkaSecrets {
  private KafkaSecrets() {}

  /**
   * The properties with every reference replaced by its value.
   *
   * @param settingOf the setting or flag that gave a property, for messages
   *     ({@code kafka.properties.sasl.jaas.config})
   * @throws ConfigException naming the setting of a reference that cannot be resolved
   */
  public static Map<String, String> resolve(Map<String, String> properties,
      Function<String, String> settingOf) {
    return resolve(properties, settingOf, System.getenv());
  }

  /** As {@link #resolve(Map, Function)}, with the environment variables given. */
  static Map<String, String> resolve(Map<String, String> properties,
      Function<String, String> settingOf, Map<String, String> environment) {
    if (properties.values().stream().noneMatch(v -> v != null && v.contains("${"))) {
      return properties;
    }
    EnvVarConfigProvider env = new EnvVarConfigProvider(environment);
    FileConfigProvider file = new FileConfigProvider();
    env.configure(Map.of());
    file.configure(Map.of());
    try {
      for (Map.Entry<String, String> p : properties.entrySet()) {
        if (p.getValue() != null) {
          check(settingOf.apply(p.getKey()), p.getValue(), env, file);
        }
      }
      Map<String, ConfigProvider> providers = Map.of("env", env, "file", file);
      return new LinkedHashMap<>(new ConfigTransformer(providers).transform(properties).data());
    } finally {
      try {
        env.close();
        file.close();
      } catch (IOException ignored) {
        // Neither holds a resource.
      }
    }
  }

  /** Whether a value holds a reference. */
  public static boolean isReference(String value) {
    return value != null && ConfigTransformer.DEFAULT_PATTERN.matcher(value).find();
  }

  private static void check(String setting, String value, EnvVarConfigProvider env,
      FileConfigProvider file) {
    Matcher m = ConfigTransformer.DEFAULT_PATTERN.matcher(value);
    while (m.find()) {
      String provider = m.group(1);
      String path = m.group(3);
      String key = m.group(4);
      String reference = m.group();
      switch (provider) {
        case "env" -> {
          if (path != null) {
            throw new ConfigException(setting, setting + ": " + reference + " is not a"
                + " reference Gradflow resolves: an environment variable is ${env:VARIABLE}");
          }
          if (env.get("", Set.of(key)).data().get(key) == null) {
            throw new ConfigException(setting, setting + " refers to the environment variable "
                + key + " (" + reference + "), which is not set: set it in the environment of"
                + " the process that starts the job (a Kubernetes pod: env from a Secret)");
          }
        }
        case "file" -> {
          if (path == null || path.isEmpty()) {
            throw new ConfigException(setting, setting + ": " + reference + " names no file:"
                + " a file reference is ${file:PATH:KEY}, KEY a key of the properties file PATH");
          }
          Map<String, String> data = null;
          // Checked first: Kafka's provider logs an unreadable file with a stack trace.
          if (Files.isRegularFile(Path.of(path)) && Files.isReadable(Path.of(path))) {
            try {
              data = file.get(path, Set.of(key)).data();
            } catch (org.apache.kafka.common.config.ConfigException e) {
              data = null;
            }
          }
          if (data == null) {
            throw new ConfigException(setting, setting + " refers to the file " + path + " ("
                + reference + "), which cannot be read as a properties file: check the path"
                + " and that this process may read it");
          }
          if (data.get(key) == null) {
            throw new ConfigException(setting, setting + " refers to the key " + key
                + " of the file " + path + " (" + reference + "), which has no such key");
          }
        }
        default -> throw new ConfigException(setting, setting + ": " + reference
            + " refers to the config provider '" + provider + "'; Gradflow resolves ${env:VARIABLE}"
            + " and ${file:PATH:KEY}");
      }
    }
  }
}
