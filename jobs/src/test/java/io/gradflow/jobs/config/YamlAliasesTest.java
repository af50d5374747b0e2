package io.gradflow.jobs.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.config.ConfigException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Anchors, aliases and merge keys in a job file read as YAML defines them: Jackson's parser
 * alone read {@code labels: *t} as the topic {@code t} and dropped a scalar's anchor.
 */
class YamlAliasesTest {
  private static final String KAFKA = "kafka: {bootstrap_servers: localhost:9092}\n";

  private static String refused(String yaml) {
    return assertThrows(ConfigException.class, () -> TrainConfig.fromYaml(yaml)).getMessage();
  }

  @Test
  void anAliasIsTheAnchoredValueNotItsName() throws Exception {
    TrainConfig c = TrainConfig.fromYaml("kafka: {bootstrap_servers: localhost:9092,"
        + " topics: {examples: &t clicks, labels: *t}}\n");
    assertEquals("clicks", c.kafka().topics().labels());
    assertEquals(Map.of("l", List.of(1, 1, 0.5, 0.5)),
        YamlFiles.parse("l: [&a 1, *a, &b 0.5, *b]\n"));
    // An anchor defined again: an alias takes the newest definition before it.
    assertEquals(Map.of("a", 1, "b", 1, "c", 2, "d", 2),
        YamlFiles.parse("a: &x 1\nb: *x\nc: &x 2\nd: *x\n"));
  }

  /**
   * An anchor defined inside a merge key's value keeps its value after the merge removes the
   * key (it was read as null, or failed with a NullPointerException, until the review of
   * 2026-12-02).
   */
  @Test
  void anAnchorInsideAMergedValueKeepsItsValue() throws Exception {
    assertEquals(Map.of("base", Map.of("lr", 0.1, "x", 1), "other", Map.of("lr", 0.1)),
        YamlFiles.parse("base: {<<: &c {lr: 0.1}, x: 1}\nother: *c\n"));
    assertEquals(Map.of("m", Map.of("lr", 0.1), "y", 0.1),
        YamlFiles.parse("m: {<<: {lr: &r 0.1}}\ny: *r\n"));
    // Defined again after the merge: the newer definition wins.
    assertEquals(Map.of("m", Map.of("lr", 0.1), "z", 2, "y", 2),
        YamlFiles.parse("m: {<<: {lr: &r 0.1}}\nz: &r 2\ny: *r\n"));
  }

  @Test
  void aMergeKeyAddsTheKeysTheMapDoesNotGive() throws Exception {
    String written = KAFKA + "race:\n"
        + "  - {name: a, optimizer: {name: Adam, lr: 0.01}, model: {type: logistic_regression}}\n"
        + "  - {name: b, optimizer: {name: Adam, lr: 0.01}, model: {type: logistic_regression}}\n"
        + "  - {name: c, optimizer: {name: Adagrad, lr: 0.01},"
        + " model: {type: logistic_regression}}\n";
    String merged = KAFKA + "race:\n"
        + "  - &a {name: a, optimizer: &adam {name: Adam, lr: 0.01},"
        + " model: {type: logistic_regression}}\n"
        + "  - <<: *a\n    name: b\n"
        + "  - {<<: [{optimizer: {name: Adagrad, lr: 0.01}}, *a], name: c}\n";
    assertEquals(TrainConfig.fromYaml(written).candidates(),
        TrainConfig.fromYaml(merged).candidates());
    assertEquals(Map.of("x", 1, "y", 3),
        ((Map<?, ?>) YamlFiles.parse("b: &b {x: 1, y: 2}\nm: {<<: *b, y: 3}\n")).get("m"));
  }

  @Test
  void anAliasToAMapWhereANumberIsWantedNamesTheKey() {
    String m = refused(KAFKA + "model: &m {type: logistic_regression}\n"
        + "optimizer: {name: Adam, lr: *m}\n");
    assertTrue(m.startsWith("optimizer.lr must be a number"), m);
  }

  @Test
  void mistakesNameTheKeyAndNoAliasName() {
    assertEquals("optimizer.lr is an alias (line 2, column 29) to an anchor that is not defined"
        + " before it; define the anchor (&name) first, or quote a value that starts with *",
        refused(KAFKA + "optimizer: {name: Adam, lr: *hunter2}\n"));
    assertEquals("race[0].<< must be a map or a list of maps (<<: *base, or <<: [*a, *b]), but"
        + " was a single value", refused(KAFKA + "x: &x 3\nrace:\n  - {<<: *x, name: a}\n"));
    assertEquals("l[1] is an alias (line 1, column 11) inside the value it refers to; a value"
        + " cannot contain itself", assertThrows(ConfigException.class,
            () -> YamlFiles.parse("l: &a [1, *a]\n")).getMessage());
    StringBuilder bomb = new StringBuilder("a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n");
    for (char c = 'b'; c <= 'f'; c++) {
      bomb.append(c).append(": &").append(c).append(" [");
      for (int i = 0; i < 10; i++) {
        bomb.append(i == 0 ? "" : ", ").append('*').append((char) (c - 1));
      }
      bomb.append("]\n");
    }
    String m = assertThrows(ConfigException.class, () -> YamlFiles.parse(bomb.toString()))
        .getMessage();
    assertTrue(m.startsWith("the aliases of the configuration expand to more than 100000"
        + " values"), m);
    assertFalse(m.contains("hunter2"), m);
  }

  @Test
  void aQuotedStarIsAValue() {
    assertEquals(Map.of("p", "*x", "q", "<<"), YamlFiles.parse("p: '*x'\nq: <<\n"));
  }
}
