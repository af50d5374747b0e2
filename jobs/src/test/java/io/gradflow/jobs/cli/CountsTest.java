package io.gradflow.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Count phrases: singular for one, plural otherwise, grouped digits; lists joined. */
class CountsTest {
  @Test
  void oneIsSingularEveryOtherCountPlural() {
    assertEquals("1 invalid example", Counts.of(1, "invalid example"));
    assertEquals("0 invalid examples", Counts.of(0, "invalid example"));
    assertEquals("20,000 examples", Counts.of(20_000, "example"));
    assertEquals("1 entry", Counts.of(1, "entry", "entries"));
    assertEquals("2 entries", Counts.of(2, "entry", "entries"));
    assertEquals("1 drift", Counts.of(1.0, "drift"));
    assertEquals("1,500 drifts", Counts.of(1500.0, "drift"));
    assertEquals("1 drift", Counts.of(0.6, "drift"), "rounded first, then the plural chosen");
  }

  @Test
  void listsReadAsWritten() {
    assertEquals("", Counts.list(List.of()));
    assertEquals("a", Counts.list(List.of("a")));
    assertEquals("a and b", Counts.list(List.of("a", "b")));
    assertEquals("a, b and c", Counts.list(List.of("a", "b", "c")));
  }
}
