package io.gradflow.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The README's settings reference is generated from the declarations. When this test fails, the
 * declarations changed: rewrite the README's section with
 * {@code ./mvnw -pl operators -am test -Dtest=SettingsReferenceTest -Dgradflow.rewriteReadme=true
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class SettingsReferenceTest {
  private static final Path README = Path.of("..", "README.md");

  @Test
  void theReadmesReferenceIsTheDeclarations() throws Exception {
    String readme = Files.readString(README, StandardCharsets.UTF_8);
    int begin = readme.indexOf(SettingsReference.BEGIN);
    int end = readme.indexOf(SettingsReference.END);
    assertTrue(begin >= 0 && end > begin, "README.md has no section between "
        + SettingsReference.BEGIN + " and " + SettingsReference.END);
    String expected = SettingsReference.markdown();
    String actual = readme.substring(begin + SettingsReference.BEGIN.length() + 1, end);
    if (!expected.equals(actual) && Boolean.getBoolean("gradflow.rewriteReadme")) {
      Files.writeString(README, readme.substring(0, begin + SettingsReference.BEGIN.length() + 1)
          + expected + readme.substring(end), StandardCharsets.UTF_8);
      return;
    }
    assertEquals(expected, actual, "README.md's settings reference is not the declarations';"
        + " rewrite it with -Dgradflow.rewriteReadme=true (see this test's javadoc)");
  }

  @Test
  void everySectionAndSettingIsDocumented() {
    for (Section s : TrainSettings.reference()) {
      assertTrue(!s.doc().isBlank(), s.path());
      for (Setting<?> setting : s.settings()) {
        assertTrue(!setting.doc().isBlank(), s.path() + "." + setting.name());
      }
    }
  }
}
