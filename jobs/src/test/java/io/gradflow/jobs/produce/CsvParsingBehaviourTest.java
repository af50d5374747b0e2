package io.gradflow.jobs.produce;

import static io.gradflow.jobs.produce.FileFormatsTest.all;
import static io.gradflow.jobs.produce.FileFormatsTest.cat;
import static io.gradflow.jobs.produce.FileFormatsTest.csv;
import static io.gradflow.jobs.produce.FileFormatsTest.replay;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gradflow.schema.Example;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What {@link CsvFormat} reads where CSV parsers disagree, as Apache Commons CSV reads it today:
 * the cases that kept produce from moving to FastCSV 4.0.0 (which rejects blanks after a closing
 * quote, strips blanks before an opening one when told to accept the former, reads an unterminated
 * quote to the end of the file without an error, and reports no character position). A parser
 * change must keep these, or change them knowingly. Also the numeric cells that take the fast path
 * or the lookup of missing values.
 */
class CsvParsingBehaviourTest {

  @Test
  void blanksAfterAClosingQuoteAreDropped() {
    String text = "y,c\n1,\"b\" \t\n0,d\n";
    FileReplay r = replay(csv("y", null, List.of("c")), text, FileReplay.OnError.FAIL);
    List<Example> ex = all(r);
    assertEquals(List.of(cat("c", "b")), ex.get(0).getFeatures());
    assertEquals(List.of(cat("c", "d")), ex.get(1).getFeatures());
    assertEquals(3, r.lines());
  }

  @Test
  void blanksBeforeAnOpeningQuoteKeepTheFieldAsWritten() {
    String kept = "y,c\n1, \"b\"\n";
    List<Example> ex = all(replay(csv("y", null, List.of("c")), kept, FileReplay.OnError.FAIL));
    assertEquals(List.of(cat("c", " \"b\"")), ex.get(0).getFeatures());
  }

  /**
   * {@code 1, "b, c"}: the blank makes the quote text, so the comma inside splits the cell and the
   * row is refused for its width, with a hint; what is accepted is unchanged.
   */
  @Test
  void aQuoteAfterABlankSplitsTheCellAndTheRefusalSaysWhy() {
    String text = "y,c\n1, \"b, c\"\n0,d\n1,\"e, f\"\n1,g,h\n";
    FileReplay r = replay(csv("y", null, List.of("c")), text, FileReplay.OnError.SKIP);
    List<Example> ex = all(r);
    assertEquals(List.of(List.of(cat("c", "d")), List.of(cat("c", "e, f"))),
        ex.stream().map(Example::getFeatures).toList());
    assertEquals(List.of("in.txt, line 2: expected 2 columns as in the header, but found 3; cell 2"
        + " starts with a space then a quote, and a quote after a space is not a quoted cell in"
        + " CSV (a delimiter inside it splits the cell): remove the space before the quote",
        "in.txt, line 5: expected 2 columns as in the header, but found 3"), r.errors());
  }

  @Test
  void charactersAfterAClosingQuoteEndTheInputWithTheirPosition() {
    assertEndsTheInput("y,c\n1,\"b\n\"x\n0,d\n", "in.txt, line 2: not CSV: Invalid character"
        + " between encapsulated token and delimiter at line: 3, position: 11; nothing after it"
        + " can be read as CSV");
  }

  @Test
  void anUnterminatedQuoteOnTheLastLineIsAnError() {
    assertEndsTheInput("y,c\n1,a\n0,\"b", "in.txt, line 3: a quoted field starting on this"
        + " line is never closed (unterminated quote); nothing after it can be read as CSV");
  }

  /** Reading {@code text} while skipping malformed lines stops with {@code message}. */
  private static void assertEndsTheInput(String text, String message) {
    FileReplay r = replay(csv("y", null, List.of("c")), text, FileReplay.OnError.SKIP);
    FileReplay.MalformedInputException e = assertThrows(FileReplay.MalformedInputException.class,
        () -> all(r));
    assertEquals(message, e.getMessage());
  }

  @Test
  void numericCellsFastSlowMissingAndMalformed() {
    String text = "y,x\n1,2\n1, 0.25 \n1,NA\n1,nan\n1,\n1,\"?\"\n1,0.123456789\n1,1e-30\n"
        + "1,-0\n1,Infinity\n1,1f\n1,1e39\n";
    FileReplay r = replay(csv("y", List.of("x"), null), text, FileReplay.OnError.SKIP);
    List<Example> ex = all(r);
    List<List<Float>> dense = ex.stream().map(Example::getDense).toList();
    float mean = (2f + 0.25f) / 2;
    assertEquals(List.of(List.of(2f), List.of(0.25f), List.of(mean), List.of(mean),
        List.of(mean), List.of(mean), List.of(0.123456789f), List.of(1e-30f), List.of(-0f)),
        dense);
    assertEquals(List.of(), ex.get(1).getFeatures());
    assertEquals(List.of(cat("x", "missing")), ex.get(2).getFeatures());
    assertEquals(List.of(cat("x", "missing")), ex.get(5).getFeatures());
    assertEquals(List.of(
        "in.txt, line 11: column x 'Infinity' is not finite",
        "in.txt, line 12: column x '1f' is not a number",
        "in.txt, line 13: column x '1e39' is too large for a float"), r.errors());
  }
}
