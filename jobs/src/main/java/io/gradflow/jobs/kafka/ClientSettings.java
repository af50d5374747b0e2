package io.gradflow.jobs.kafka;

import io.gradflow.config.Secrets;
import io.gradflow.jobs.cli.Command;
import io.gradflow.jobs.cli.Flag;
import io.gradflow.jobs.config.TrainConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.security.JaasContext;

/**
 * The Kafka client settings of a command-line tool ({@code produce}, {@code consume}): the brokers
 * and the client properties (security settings), the same a job uses. They come from a job's YAML
 * ({@code --config}: {@code kafka.bootstrap_servers} and {@code kafka.properties}, read through the
 * job's own declarations) and from flags ({@code --bootstrap-servers},
 * {@code --kafka-property KEY=VALUE}, repeated), the flags winning.
 *
 * <p>No message shows a property's value, which may be a SASL password or a key store's:
 * {@link #describe(Throwable)} turns a Kafka client's failure into a message with every given value
 * replaced by {@code ****}, and a JAAS parse error (whose text can quote a piece of the password)
 * into a message that names {@code sasl.jaas.config} only. Immutable.
 *
 * @param bootstrapServers the brokers
 * @param serversSetting the flag or setting that gave them, for messages
 * @param properties the client properties, in the order given
 * @param origins the flag or setting that gave each property, for messages
 * @param job the job's Kafka settings when {@code --config} was given, else null
 */
public record ClientSettings(String bootstrapServers, String serversSetting,
    Map<String, String> properties, Map<String, String> origins, KafkaSpec job) {

  /** The flag that adds a client property. */
  public static final Flag PROPERTY_FLAG = Flag.of("kafka-property", Flag.Type.REPEATED, null,
      "a Kafka client property KEY=VALUE for every client (security.protocol, sasl.*, ssl.*),"
          + " over kafka.properties of --config; repeat it for more; values are never printed;"
          + " ${env:VAR} and ${file:PATH:KEY} in a value are resolved");

  /** The flag that reads a job's brokers and client properties. */
  public static Flag configFlag(String more) {
    return Flag.of("config", Flag.Type.STRING, null, "take the brokers and the client properties"
        + " (security settings) from a job's YAML: kafka.bootstrap_servers, kafka.properties"
        + more);
  }

  public ClientSettings {
    properties = Collections.unmodifiableMap(new LinkedHashMap<>(properties));
    origins = Collections.unmodifiableMap(new LinkedHashMap<>(origins));
  }

  /**
   * Reads {@code --config}, {@code --bootstrap-servers} and {@code --kafka-property}.
   *
   * @throws Command.UsageException when no brokers are given or a property is not KEY=VALUE
   */
  public static ClientSettings from(Flag.Values flags) throws IOException {
    KafkaSpec job = null;
    String servers = null;
    String serversSetting = null;
    Map<String, String> properties = new LinkedHashMap<>();
    Map<String, String> origins = new LinkedHashMap<>();
    if (flags.isSet("config")) {
      job = TrainConfig.load(Path.of(flags.string("config"))).kafka();
      servers = job.bootstrapServers();
      serversSetting = "kafka.bootstrap_servers";
      for (Map.Entry<String, String> p : job.properties().entrySet()) {
        properties.put(p.getKey(), p.getValue());
        origins.put(p.getKey(), "kafka.properties." + p.getKey());
      }
    }
    if (flags.isSet("bootstrap-servers")) {
      servers = flags.string("bootstrap-servers");
      serversSetting = "--bootstrap-servers";
    }
    if (servers == null) {
      return null;
    }
    List<String> given = flags.all(PROPERTY_FLAG.name());
    for (int i = 0; i < given.size(); i++) {
      String pair = given.get(i);
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        // Not even the text: a password given without its key would be printed.
        throw new Command.UsageException("--kafka-property takes KEY=VALUE (for example"
            + " security.protocol=SASL_SSL), but the " + ordinal(i + 1) + " one has "
            + (eq == 0 ? "no key" : "no '='") + " (it is not shown: it may hold a secret)");
      }
      String key = pair.substring(0, eq).trim();
      if (key.equals("bootstrap.servers")) {
        throw new Command.UsageException("--kafka-property bootstrap.servers: give the brokers"
            + " with --bootstrap-servers");
      }
      properties.put(key, pair.substring(eq + 1));
      origins.put(key, "--kafka-property " + key);
    }
    ClientSettings settings = new ClientSettings(servers, serversSetting, properties, origins, job);
    settings.check();
    return settings;
  }

  /**
   * Checks the properties as Kafka's clients will read them (types, allowed values, the JAAS
   * configuration's syntax), before anything connects.
   *
   * @throws Command.UsageException naming the flag or setting of the refused property, without
   *     its value
   */
  public void check() {
    // A reference that cannot be resolved, named by its flag or setting.
    Properties client = clientProperties();
    try {
      AdminClientConfig config = new AdminClientConfig(client);
      if (config.values().get(SaslConfigs.SASL_JAAS_CONFIG) != null) {
        JaasContext.loadClientContext(config.values());
      }
    } catch (KafkaException | IllegalArgumentException e) {
      String text = describe(e);
      String named = properties.keySet().stream()
          .filter(k -> text.contains(k)).map(k -> origins.getOrDefault(k, k))
          .findFirst().orElse("--kafka-property or kafka.properties");
      throw new Command.UsageException(text.startsWith(named) ? text
          : named + ": the Kafka client refuses it: " + text);
    }
  }

  private static String ordinal(int n) {
    return n + (n % 100 / 10 == 1 ? "th" : switch (n % 10) {
      case 1 -> "st";
      case 2 -> "nd";
      case 3 -> "rd";
      default -> "th";
    });
  }

  /** The flag or setting that gave a property, for messages; null when none did. */
  public String origin(String property) {
    return origins.get(property);
  }

  /**
   * The client properties with every {@code ${env:VAR}} and {@code ${file:PATH:KEY}} replaced by
   * its value ({@link KafkaSecrets}), for this process only (redacting messages, clients created
   * here); {@link #properties()} and {@link #clientProperties()} keep the references.
   *
   * @throws io.gradflow.config.ConfigException naming the flag or setting of a reference that
   *     cannot be resolved
   */
  public Map<String, String> resolvedProperties() {
    return KafkaSecrets.resolve(properties, k -> origins.getOrDefault(k, k));
  }

  /**
   * The client properties as {@link Properties}, brokers included, references unresolved with the
   * config providers that make a Kafka client resolve them when it is created
   * ({@link KafkaSecrets#forClients}); checked first ({@link KafkaSecrets#check}).
   *
   * @throws io.gradflow.config.ConfigException naming the flag or setting of a reference that
   *     cannot be resolved
   */
  public Properties clientProperties() {
    KafkaSecrets.check(properties, k -> origins.getOrDefault(k, k));
    Properties p = new Properties();
    p.putAll(KafkaSecrets.forClients(properties));
    p.put("bootstrap.servers", bootstrapServers);
    return p;
  }

  /**
   * The job's Kafka settings with these brokers and properties (the job's when {@code --config}
   * was given, the defaults otherwise).
   */
  public KafkaSpec spec() {
    KafkaSpec base = job != null ? job : KafkaSpec.of(bootstrapServers);
    return new KafkaSpec(bootstrapServers, base.topics(), base.groupId(), base.startingOffsets(),
        base.bounded(), base.deliveryGuarantee(), base.transactionTimeout(),
        base.transactionMaxTimeout(), base.transactionalIdPrefix(), properties);
  }

  /**
   * A Kafka client's failure as one line without any property value: the messages of the
   * exception and its causes, each given value replaced by {@code ****} (a secret's anywhere, any
   * other's where it stands as a word), or, for a JAAS configuration Kafka could not parse, a
   * message naming {@code sasl.jaas.config} alone.
   */
  public String describe(Throwable e) {
    Set<String> messages = new LinkedHashSet<>();
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String m = t.getMessage();
      if (m != null && !m.isBlank() && messages.stream().noneMatch(s -> s.contains(m))) {
        messages.add(m);
      }
    }
    String text = String.join(": ", messages);
    if (text.isEmpty()) {
      return e.getClass().getSimpleName();
    }
    if (text.toLowerCase(java.util.Locale.ROOT).contains("jaas")) {
      String origin = origins.getOrDefault("sasl.jaas.config", "sasl.jaas.config");
      return origin + " is not a JAAS configuration Kafka can use (Kafka's message is not shown:"
          + " it may quote the secret); the form is: org.apache.kafka.common.security.plain."
          + "PlainLoginModule required username=\"USER\" password=\"PASSWORD\";";
    }
    return redact(text);
  }

  /**
   * {@code text} with every given property value, and every value a reference resolves to,
   * replaced by {@code ****}.
   */
  public String redact(String text) {
    List<Map.Entry<String, String>> byLength = new ArrayList<>(properties.entrySet());
    try {
      byLength.addAll(resolvedProperties().entrySet());
    } catch (RuntimeException unresolved) {
      // Nothing was resolved, so no resolved value can be in the text.
    }
    byLength.sort((a, b) -> b.getValue().length() - a.getValue().length());
    String out = text;
    for (Map.Entry<String, String> p : byLength) {
      String value = p.getValue();
      if (value.isEmpty()) {
        continue;
      }
      Pattern pattern = Secrets.mayHoldSecret(p.getKey()) ? Pattern.compile(Pattern.quote(value))
          : Pattern.compile("(?<![\\w.-])" + Pattern.quote(value) + "(?![\\w-]|\\.\\w)");
      out = pattern.matcher(out).replaceAll(Matcher.quoteReplacement("****"));
    }
    return out;
  }
}
