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
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigTransformer;
import org.apache.kafka.common.config.provider.ConfigProvider;
import org.apache.kafka.common.config.provider.EnvVarConfigProvider;
import org.apache.kafka.common.config.provider.FileConfigProvider;

/**
 * Secret values of Kafka client properties written as references, in Kafka's own config-provider
 * convention (KIP-297, KIP-887), resolved by Kafka's providers inside each Kafka client when it is
 * created, on the machine that creates it:
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
 * The configuration, every printout, the audit record and the properties handed to clients keep
 * the references: {@link #forClients} adds the client properties that make Kafka's clients resolve
 * them ({@code config.providers} and each provider's class, Kafka's {@code AbstractConfig}), so a
 * job graph holds no value and each reader, writer and admin client resolves the references from
 * the environment and files of the process that creates it (a TaskManager, the JobManager). The
 * process that starts a job resolves them once to check ({@link #check}): a reference that cannot
 * be resolved (the variable is not set, the file cannot be read or has no such key, another
 * provider than {@code env} and {@code file}) fails with a message naming the setting and the
 * reference, never a value. Stateless; thread-safe.
 */
public final class KafkaSecrets {
  /** The client property that names the config providers, {@code config.providers}. */
  public static final String PROVIDERS = AbstractConfig.CONFIG_PROVIDERS_CONFIG;

  /** The providers Gradflow gives clients, by alias, in the order they are listed. */
  private static final Map<String, Class<? extends ConfigProvider>> CLASSES =
      new java.util.TreeMap<>(Map.of("env", EnvVarConfigProvider.class,
          "file", FileConfigProvider.class));

  private KafkaSecrets() {}

  /**
   * The properties to give a Kafka client: {@code properties} as given, references included,
   * plus, when a value holds a reference, {@code config.providers} naming the providers used
   * ({@code env}, {@code file} or both) and {@code config.providers.ALIAS.class} naming Kafka's
   * {@link EnvVarConfigProvider} and {@link FileConfigProvider}. Kafka's clients
   * ({@code AbstractConfig}) then resolve the references when they are created. A JVM whose system
   * property {@value AbstractConfig#AUTOMATIC_CONFIG_PROVIDERS_PROPERTY} is set must name those
   * classes in it (unset, Kafka 4.2 allows every provider). Without references, {@code
   * properties} itself.
   */
  public static Map<String, String> forClients(Map<String, String> properties) {
    Set<String> used = providersUsed(properties);
    if (used.isEmpty()) {
      return properties;
    }
    Map<String, String> p = new LinkedHashMap<>(properties);
    p.put(PROVIDERS, String.join(",", used));
    for (String alias : used) {
      p.put(classProperty(alias), CLASSES.get(alias).getName());
    }
    return p;
  }

  /**
   * Resolves every reference once, to check it, and forgets the values: what a client created in
   * this process would get.
   *
   * @param settingOf the setting or flag that gave a property, for messages
   *     ({@code kafka.properties.sasl.jaas.config})
   * @throws ConfigException naming the setting of a reference that cannot be resolved, of one
   *     whose provider this JVM's allow-list leaves out (the system property
   *     {@value AbstractConfig#AUTOMATIC_CONFIG_PROVIDERS_PROPERTY}), or of
   *     {@code config.providers} or {@code config.providers.ALIAS.class}, which Gradflow sets
   */
  public static void check(Map<String, String> properties, Function<String, String> settingOf) {
    resolve(properties, settingOf);
  }

  /**
   * The properties with every reference replaced by its value, for messages that must hide the
   * values ({@link ClientSettings#redact}) and clients of this process only: never hand the
   * result to anything that is serialized into a job.
   *
   * @param settingOf the setting or flag that gave a property, for messages
   *     ({@code kafka.properties.sasl.jaas.config})
   * @throws ConfigException as {@link #check}
   */
  public static Map<String, String> resolve(Map<String, String> properties,
      Function<String, String> settingOf) {
    return resolve(properties, settingOf, System.getenv());
  }

  /** As {@link #resolve(Map, Function)}, with the environment variables given. */
  static Map<String, String> resolve(Map<String, String> properties,
      Function<String, String> settingOf, Map<String, String> environment) {
    refuseProviderKeys(properties, settingOf);
    if (properties.values().stream().noneMatch(v -> v != null && v.contains("${"))) {
      return properties;
    }
    EnvVarConfigProvider env = new EnvVarConfigProvider(environment);
    FileConfigProvider file = new FileConfigProvider();
    // As a client configures them: the properties config.providers.ALIAS.param.*.
    env.configure(params(properties, "env"));
    file.configure(params(properties, "file"));
    try {
      for (Map.Entry<String, String> p : properties.entrySet()) {
        if (p.getValue() != null) {
          check(settingOf.apply(p.getKey()), p.getValue(), env, file);
        }
      }
      allowed(properties, settingOf);
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

  /**
   * Refuses {@code config.providers} and {@code config.providers.ALIAS.class} among the
   * properties: Gradflow sets them ({@link #forClients}). A provider's own settings
   * ({@code config.providers.ALIAS.param.*}) pass.
   *
   * @param settingOf the setting or flag that gave a property, for messages
   * @throws ConfigException naming the first such setting
   */
  public static void refuseProviderKeys(Map<String, String> properties,
      Function<String, String> settingOf) {
    for (String key : properties.keySet()) {
      if (key.equals(PROVIDERS) || key.startsWith(PROVIDERS + ".") && key.endsWith(".class")) {
        String setting = settingOf.apply(key);
        throw new ConfigException(setting, setting + ": Gradflow sets " + PROVIDERS + " and"
            + " each provider's class itself, for the ${env:VARIABLE} and ${file:PATH:KEY}"
            + " references in values (Kafka's EnvVarConfigProvider and FileConfigProvider);"
            + " remove it");
      }
    }
  }

  /**
   * Fails, naming the first setting that uses it, when this JVM's allow-list of automatically
   * created config providers (CVE-2024-31141) leaves out a provider the properties use: Kafka's
   * clients would refuse the properties.
   */
  private static void allowed(Map<String, String> properties,
      Function<String, String> settingOf) {
    String allowList = System.getProperty(AbstractConfig.AUTOMATIC_CONFIG_PROVIDERS_PROPERTY);
    if (allowList == null) {
      return;
    }
    Set<String> allowed = new java.util.HashSet<>();
    for (String name : allowList.split(",")) {
      allowed.add(name.trim());
    }
    for (String alias : providersUsed(properties)) {
      String name = CLASSES.get(alias).getName();
      if (!allowed.contains(name)) {
        String setting = properties.entrySet().stream()
            .filter(p -> aliases(p.getValue()).contains(alias))
            .map(p -> settingOf.apply(p.getKey())).findFirst().orElse(PROVIDERS);
        throw new ConfigException(setting, setting + " holds a ${" + alias + ":...} reference,"
            + " which Kafka's clients resolve with " + name + ", but this JVM's system property "
            + AbstractConfig.AUTOMATIC_CONFIG_PROVIDERS_PROPERTY + " does not name it: add it"
            + " there (on every JobManager and TaskManager) or leave the property unset");
      }
    }
  }

  /** The known providers the values refer to, by alias, sorted. */
  private static Set<String> providersUsed(Map<String, String> properties) {
    Set<String> used = new java.util.TreeSet<>();
    for (String value : properties.values()) {
      used.addAll(aliases(value));
    }
    return used;
  }

  /** The known providers a value refers to, by alias. */
  private static Set<String> aliases(String value) {
    Set<String> used = new java.util.TreeSet<>();
    if (value != null && value.contains("${")) {
      Matcher m = ConfigTransformer.DEFAULT_PATTERN.matcher(value);
      while (m.find()) {
        if (CLASSES.containsKey(m.group(1))) {
          used.add(m.group(1));
        }
      }
    }
    return used;
  }

  private static String classProperty(String alias) {
    return PROVIDERS + "." + alias + ".class";
  }

  /** The provider's own configuration in the properties: {@code config.providers.ALIAS.param.*}. */
  private static Map<String, String> params(Map<String, String> properties, String alias) {
    String prefix = PROVIDERS + "." + alias + ".param.";
    Map<String, String> params = new LinkedHashMap<>();
    properties.forEach((k, v) -> {
      if (k.startsWith(prefix) && k.length() > prefix.length()) {
        params.put(k.substring(prefix.length()), v);
      }
    });
    return params;
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
