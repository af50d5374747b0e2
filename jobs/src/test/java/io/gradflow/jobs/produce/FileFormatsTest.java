package io.gradflow.jobs.produce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import java.io.BufferedReader;
import java.io.StringReader;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FileFormatsTest {

  static FileReplay replay(LineFormat f, String text, FileReplay.OnError onError) {
    return new FileReplay(new BufferedReader(new StringReader(text)), f, "in.txt", onError);
  }

  static List<Example> all(FileReplay r) {
    List<Example> out = new ArrayList<>();
    r.forEachRemaining(out::add);
    return out;
  }

  static CsvFormat csv() {
    return new CsvFormat(new CsvFormat.Columns("clicked", List.of("price", "age"),
        List.of("country", "device"), "ts", "id", null, null, ','), null, 0, 1);
  }

  @Test
  void csvWithColumnMapping() {
    String text = """
        id,ts,country,price,device,age,clicked,ignored
        a1,1700000000000,DE,9.5,"mobile, ios",31,1,x
        a2,2024-01-31T12:00:00Z,,1e3,desktop,40,,y
        """;
    List<Example> ex = all(replay(csv(), text, FileReplay.OnError.FAIL));
    assertEquals(2, ex.size());
    Example a = ex.get(0);
    assertEquals("a1", a.getExampleId());
    assertEquals(Instant.ofEpochMilli(1700000000000L), a.getEventTime());
    assertEquals(List.of(9.5f, 31f), a.getDense());
    assertEquals(List.of(new Feature("country", "DE", null, 1f),
        new Feature("device", "mobile, ios", null, 1f)), a.getFeatures());
    assertEquals(1f, a.getLabel());
    Example b = ex.get(1);
    assertEquals(Instant.parse("2024-01-31T12:00:00Z"), b.getEventTime());
    assertEquals(List.of(new Feature("device", "desktop", null, 1f)), b.getFeatures(),
        "an empty category is no feature");
    assertNull(b.getLabel(), "an empty label is no label");
  }

  @Test
  void malformedLinesAreSkippedWithTheirLineNumbers() {
    String text = """
        id,ts,country,price,device,age,clicked,ignored
        a1,1,DE,9.5,m,31,1,x
        a2,2,DE,cheap,m,31,1,x
        a3,3,DE,1,m,31
        a4,4,DE,1,m,31,0,x
        a5,"5,DE,1,m,31,0,x
        a6,soon,DE,1,m,31,0,x
        """;
    FileReplay r = replay(csv(), text, FileReplay.OnError.SKIP);
    List<Example> ex = all(r);
    assertEquals(List.of("a1", "a4"), ex.stream().map(Example::getExampleId).toList());
    assertEquals(4, r.skipped());
    assertEquals(List.of(
        "in.txt, line 3: column price 'cheap' is not a number",
        "in.txt, line 4: expected 8 columns as in the header, but found 6",
        "in.txt, line 6: unterminated quote",
        "in.txt, line 7: timestamp 'soon' is neither epoch milliseconds nor an ISO-8601 instant"),
        r.errors());
    FileReplay failing = replay(csv(), text, FileReplay.OnError.FAIL);
    FileReplay.MalformedInputException e = assertThrows(FileReplay.MalformedInputException.class,
        () -> all(failing));
    assertEquals("in.txt, line 3: column price 'cheap' is not a number", e.getMessage());
  }

  @Test
  void csvMappingThatDoesNotFitTheHeaderFails() {
    CsvFormat f = new CsvFormat(new CsvFormat.Columns("y", List.of("nope"), null, null, null,
        null, null, ','), null, 0, 1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> all(replay(f, "y,x\n1,2\n", FileReplay.OnError.SKIP)));
    assertEquals("the CSV header (line 1) has no column 'nope'; it has [x, y]", e.getMessage());
  }

  @Test
  void libSvm() {
    String text = """
        # a comment
        +1 qid:3 1:0.5 7:2 # trailing
        -1 3:1

        1 x:1
        0 4:abc
        1 5
        """;
    FileReplay r = replay(new LibSvmFormat("f", true, "m", 0, 1), text,
        FileReplay.OnError.SKIP);
    List<Example> ex = all(r);
    assertEquals(2, ex.size());
    assertEquals(List.of(new Feature("f", null, 1L, 0.5f), new Feature("f", null, 7L, 2f)),
        ex.get(0).getFeatures());
    assertEquals(1f, ex.get(0).getLabel());
    assertEquals(0f, ex.get(1).getLabel(), "binary labels: -1 becomes 0");
    assertEquals("in.txt:2", ex.get(0).getExampleId());
    assertEquals("m", ex.get(0).getModelKey());
    assertEquals(List.of("in.txt, line 5: feature index 'x' is not an integer",
        "in.txt, line 6: value of feature 4 'abc' is not a number",
        "in.txt, line 7: expected index:value, but found '5'"), r.errors());
  }

  @Test
  void vowpalWabbit() {
    String text = """
        1 2.5 'ex1|user id=7 age:0.5 |ad:2 a1 a2:3
        -1 |user id=8
        | f1 f2
        |user id=9
        x |user id=1
        1 |user :3
        1 'tag extra|user a
        """;
    FileReplay r = replay(new VwFormat(true, null, 0, 1), text, FileReplay.OnError.SKIP);
    List<Example> ex = all(r);
    assertEquals(4, ex.size());
    Example a = ex.get(0);
    assertEquals("ex1", a.getExampleId());
    assertEquals(1f, a.getLabel());
    assertEquals(2.5f, a.getWeight());
    assertEquals(List.of(new Feature("user", "id=7", null, 1f),
        new Feature("user", "age", null, 0.5f), new Feature("ad", "a1", null, 2f),
        new Feature("ad", "a2", null, 6f)), a.getFeatures());
    assertEquals(0f, ex.get(1).getLabel());
    assertEquals(List.of(new Feature("default", "f1", null, 1f),
        new Feature("default", "f2", null, 1f)), ex.get(2).getFeatures());
    assertNull(ex.get(2).getLabel());
    assertNull(ex.get(3).getLabel());
    assertEquals(List.of("in.txt, line 5: label 'x' is not a number",
        "in.txt, line 6: expected feature[:value], but found ':3'",
        "in.txt, line 7: unexpected 'extra' before the first '|'"), r.errors());
  }
}
