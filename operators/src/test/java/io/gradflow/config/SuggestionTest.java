package io.gradflow.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

class SuggestionTest {
  private static final List<String> KEYS = List.of("job", "kafka", "model", "optimizer", "lr",
      "label-threshold", "labels", "race", "max");

  @Test
  void aNearNameIsSuggested() {
    assertEquals("model", Suggestion.closest("modle", KEYS));
    assertEquals("label-threshold", Suggestion.closest("label-treshold", KEYS));
    assertEquals("optimizer", Suggestion.closest("Optimiser", KEYS));
    assertEquals("lr", Suggestion.closest("lt", KEYS));
  }

  @Test
  void aFarNameIsNot() {
    assertNull(Suggestion.closest("colour", KEYS));
    assertNull(Suggestion.closest("xx", KEYS), "two edits of a two-letter name is no match");
    assertNull(Suggestion.closest("optimization", KEYS));
    // Short names are one edit from many others: two edits of one is no match (review 22 M2).
    assertNull(Suggestion.closest("log", KEYS));
    assertNull(Suggestion.closest("foo", KEYS));
    assertNull(Suggestion.closest("ram", KEYS));
    assertNull(Suggestion.closest("xx", KEYS));
    assertEquals("job", Suggestion.closest("jod", KEYS));
  }

  @Test
  void theNearestWinsAndTiesGoToTheFirst() {
    assertEquals("labels", Suggestion.closest("label", KEYS));
    assertEquals("abd", Suggestion.closest("abx", List.of("abd", "abe")));
  }

  /** Values get one edit below eight letters: Adamax is PyTorch's own, not a misspelt AdamW. */
  @Test
  void aValueSuggestsOnlyWhatIsNearerThanAKey() {
    List<String> optimizers = List.of("SGD", "Adagrad", "Adam", "AdamW", "Ftrl");
    assertNull(Suggestion.closestValue("Adamax", optimizers));
    assertEquals("Adagrad", Suggestion.closestValue("adagrd", optimizers));
    assertEquals("factorization_machine", Suggestion.closestValue("factorisation_machine",
        List.of("logistic_regression", "factorization_machine")));
  }
}
