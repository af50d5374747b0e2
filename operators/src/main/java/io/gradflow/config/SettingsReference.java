package io.gradflow.config;

import java.util.List;

/**
 * The README's settings reference, generated from the declarations: one table per section (key,
 * type, default, constraint, documentation). {@code SettingsReferenceTest} holds the README's
 * section between {@link #BEGIN} and {@link #END} equal to {@link #markdown()}. Stateless.
 */
public final class SettingsReference {
  /** The marker line before the generated section. */
  public static final String BEGIN = "<!-- settings:begin (generated from the declarations by"
      + " SettingsReferenceTest; rewrite with -Dgradflow.rewriteReadme=true) -->";
  /** The marker line after it. */
  public static final String END = "<!-- settings:end -->";

  private SettingsReference() {}

  /** The reference of every section of a training job file. */
  public static String markdown() {
    return markdown(TrainSettings.reference());
  }

  /** The reference of {@code sections}, as Markdown. */
  public static String markdown(List<Section> sections) {
    StringBuilder b = new StringBuilder();
    b.append("### Settings reference\n\n");
    b.append("Every setting of a `train` job file, generated from the declarations in"
        + " `operators/src/main/java/io/gradflow/config/` (`TrainSettings`, `OptimizerConfig`,"
        + " `ScheduleConfig`). Durations are written `500ms`, `10s`, `5m`, `6h`, `2d`, as"
        + " ISO-8601 (`PT6H`) or as a number of milliseconds. A key that is not listed is"
        + " refused, with the accepted ones.\n");
    for (Section s : sections) {
      b.append("\n#### `").append(s.path().isEmpty() ? "(top level)" : s.path()).append('`');
      if (s.variant() != null) {
        b.append(switch (s.path()) {
          case "optimizer" -> " `name: ";
          case "drift" -> " `detector: ";
          default -> " `type: ";
        })
            .append(s.variant()).append('`');
      }
      b.append("\n\n").append(cell(s.doc())).append(".\n\n");
      if (s.settings().isEmpty()) {
        b.append("No settings.\n");
        continue;
      }
      b.append("| key | type | default | constraint | description |\n");
      b.append("|---|---|---|---|---|\n");
      for (Setting<?> setting : s.settings()) {
        if (setting.isIgnored()) {
          continue;
        }
        b.append("| `").append(setting.name()).append("` | ")
            .append(cell(setting.type().name())).append(" | ")
            .append(setting.required() || setting.defaultValue() == null
                ? cell(setting.defaultText()) : "`" + cell(setting.defaultText()) + "`")
            .append(" | ").append(cell(setting.constraintText())).append(" | ")
            .append(cell(setting.doc())).append(" |\n");
      }
      List<String> ignored = s.settings().stream().filter(Setting::isIgnored)
          .map(Setting::name).toList();
      if (!ignored.isEmpty()) {
        b.append("\nAccepted and ignored (PyTorch implementation switches): ")
            .append(String.join(", ", ignored.stream().map(n -> "`" + n + "`").toList()))
            .append(".\n");
      }
      if (!s.children().isEmpty()) {
        b.append("\nNested: ").append(String.join(", ", s.children().stream()
            .map(c -> "`" + c + "`").toList())).append(".\n");
      }
    }
    return b.toString();
  }

  private static String cell(String text) {
    return text.replace("|", "\\|").replace("\n", " ");
  }
}
