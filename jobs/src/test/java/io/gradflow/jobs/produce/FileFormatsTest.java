package io.gradflow.jobs.produce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.schema.Entity;
import io.gradflow.schema.Example;
import io.gradflow.schema.Feature;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FileFormatsTest {
  static final String BOM = "\uFEFF";

  static FileReplay replay(FileFormat f, String text, FileReplay.OnError onError) {
    return FileReplay.of(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), f,
        "in.txt", onError);
  }

  /** A case file of ../shared/cases, copied into the test resources. */
  static FileReplay replayCase(FileFormat f, String name) {
    InputStream in = FileFormatsTest.class.getResourceAsStream("/cases/" + name);
    return FileReplay.of(in, f, name, FileReplay.OnError.FAIL);
  }

  static List<Example> all(FileReplay r) {
    List<Example> out = new ArrayList<>();
    r.forEachRemaining(out::add);
    return out;
  }

  static CsvFormat csv(String label, List<String> numeric, List<String> categorical) {
    return csv(new CsvFormat.Columns(label, numeric, categorical, null, null, null, null, null,
        ','), LabelMapping.asWritten());
  }

  static CsvFormat csv(CsvFormat.Columns columns, LabelMapping labels) {
    return new CsvFormat(columns, labels, Timestamps.common(), null, 0, 1);
  }

  static CsvFormat csv() {
    return csv(new CsvFormat.Columns("clicked", List.of("price", "age"),
        List.of("country", "device"), null, "ts", "id", null, null, ','), LabelMapping.asWritten());
  }

  static Feature cat(String namespace, String name) {
    return new Feature(namespace, name, null, 1f);
  }

  static Feature num(String namespace, String name, float value) {
    return new Feature(namespace, name, null, value);
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
    assertEquals(List.of(cat("country", "DE"), cat("device", "mobile, ios")), a.getFeatures());
    assertEquals(1f, a.getLabel());
    Example b = ex.get(1);
    assertEquals(Instant.parse("2024-01-31T12:00:00Z"), b.getEventTime());
    assertEquals(List.of(cat("device", "desktop")), b.getFeatures(),
        "an empty category is no feature");
    assertNull(b.getLabel(), "an empty label is no label");
  }

  @Test
  void caseCsvWithByteOrderMarkAndCrlf() {
    // ../shared/cases/csv-bom-crlf.csv: 2 examples, (1, x 0.5) and (0, x 1.5).
    List<Example> ex = all(replayCase(csv("label", List.of("x"), null), "csv-bom-crlf.csv"));
    assertEquals(2, ex.size());
    assertEquals(1f, ex.get(0).getLabel());
    assertEquals(List.of(0.5f), ex.get(0).getDense());
    assertEquals(0f, ex.get(1).getLabel());
    assertEquals(List.of(1.5f), ex.get(1).getDense());
    assertEquals(List.of(), ex.get(0).getFeatures());
  }

  @Test
  void caseCsvWithALineBreakInsideQuotes() {
    // ../shared/cases/csv-quoted-newline.csv: (1, city "line one\n0,paris", x 2), (0, rome, 3).
    FileReplay r = replayCase(csv("label", List.of("x"), List.of("city")),
        "csv-quoted-newline.csv");
    List<Example> ex = all(r);
    assertEquals(2, ex.size());
    assertEquals(1f, ex.get(0).getLabel());
    assertEquals(List.of(cat("city", "line one\n0,paris")), ex.get(0).getFeatures());
    assertEquals(List.of(2f), ex.get(0).getDense());
    assertEquals("csv-quoted-newline.csv:2", ex.get(0).getExampleId(), "starts on line 2");
    assertEquals(0f, ex.get(1).getLabel());
    assertEquals(List.of(cat("city", "rome")), ex.get(1).getFeatures());
    assertEquals(List.of(3f), ex.get(1).getDense());
    assertEquals("csv-quoted-newline.csv:4", ex.get(1).getExampleId(), "starts on line 4");
    assertEquals(0, r.skipped());
  }

  @Test
  void csvQuotingAsRfc4180() {
    String text = "y,x,c\r\n1,1,\"a \"\"quoted\"\" word, with a comma\"\r\n0,\"2\",\"two\r\nlines\"\r\n"
        + "1,oops,\"spans\nthree\nlines\"\n1,3,last";
    FileReplay r = replay(csv("y", List.of("x"), List.of("c")), text, FileReplay.OnError.SKIP);
    List<Example> ex = all(r);
    assertEquals(List.of(cat("c", "a \"quoted\" word, with a comma")), ex.get(0).getFeatures());
    assertEquals(List.of(cat("c", "two\r\nlines")), ex.get(1).getFeatures());
    assertEquals(List.of(2f), ex.get(1).getDense(), "a quoted number is a number");
    assertEquals(List.of(cat("c", "last")), ex.get(2).getFeatures());
    assertEquals("in.txt:8", ex.get(2).getExampleId());
    assertEquals(List.of("in.txt, line 5: column x 'oops' is not a number"), r.errors(),
        "a record spanning lines is named by the line it starts on");
    assertEquals(8, r.lines(), "the last line has no line break");
  }

  @Test
  void malformedLinesAreSkippedWithTheirLineNumbers() {
    String text = """
        id,ts,country,price,device,age,clicked,ignored
        a1,1,DE,9.5,m,31,1,x
        a2,2,DE,cheap,m,31,1,x
        a3,3,DE,1,m,31
        a4,4,DE,1,m,31,0,x
        a6,soon,DE,1,m,31,0,x
        a7,7,DE,1,m,31,0,x
        """;
    FileReplay r = replay(csv(), text, FileReplay.OnError.SKIP);
    List<Example> ex = all(r);
    assertEquals(List.of("a1", "a4", "a7"), ex.stream().map(Example::getExampleId).toList());
    assertEquals(3, r.skipped());
    assertEquals(List.of(
        "in.txt, line 3: column price 'cheap' is not a number",
        "in.txt, line 4: expected 8 columns as in the header, but found 6",
        "in.txt, line 6: timestamp 'soon' is not a time: expected epoch milliseconds, an ISO-8601"
            + " date-time (2001-01-01T01:14:00Z, 2001-01-01 01:14:00) or a date (2001-01-01);"
            + " --csv-timestamp-format sets another form"),
        r.errors());
    FileReplay failing = replay(csv(), text, FileReplay.OnError.FAIL);
    FileReplay.MalformedInputException e = assertThrows(FileReplay.MalformedInputException.class,
        () -> all(failing));
    assertEquals("in.txt, line 3: column price 'cheap' is not a number", e.getMessage());
  }

  @Test
  void aHeaderOfOneColumnHoldingAnotherDelimiterNamesTheFlag() {
    CsvFormat f = new CsvFormat(new CsvFormat.Columns("label", List.of("x"), List.of(), null,
        null, null, null, null, ','), LabelMapping.asWritten(), Timestamps.common(), null, 0, 1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> replay(f, "label;x\n1;2\n", FileReplay.OnError.SKIP));
    assertEquals("the CSV header (in.txt, line 1) has no column 'label' (--csv-label), no column"
        + " 'x' (--csv-numeric); its columns are: label;x (one column: if the file is separated"
        + " by ';', give --csv-delimiter ';')", e.getMessage());
    IllegalArgumentException tabs = assertThrows(IllegalArgumentException.class,
        () -> replay(f, "label\tx\n1\t2\n", FileReplay.OnError.SKIP));
    assertTrue(tabs.getMessage().endsWith("(one column: if the file is separated by '\\t', give"
        + " --csv-delimiter '\\t')"), tabs.getMessage());
  }

  @Test
  void anUnterminatedQuoteEndsTheInputEvenWhenSkipping() {
    String text = "y,x\n1,1\n0,\"2\n1,3\n0,4\n";
    FileReplay r = replay(csv("y", List.of("x"), null), text, FileReplay.OnError.SKIP);
    assertTrue(r.hasNext());
    r.next();
    FileReplay.MalformedInputException e = assertThrows(FileReplay.MalformedInputException.class,
        r::hasNext);
    assertEquals("in.txt, line 3: a quoted field starting on this line is never closed"
        + " (unterminated quote); nothing after it can be read as CSV", e.getMessage());
  }

  @Test
  void csvMappingThatDoesNotFitTheHeaderListsTheColumnsInFileOrder() {
    CsvFormat f = new CsvFormat(new CsvFormat.Columns("y", List.of("nope", "x"), List.of("cty"),
        null, null, null, null, null, ','), LabelMapping.asWritten(), Timestamps.common(), null,
        0, 1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> replay(f, "y,x,zeta,city,alpha\n1,2,3,4,5\n", FileReplay.OnError.SKIP));
    assertEquals("the CSV header (in.txt, line 1) has no column 'nope' (--csv-numeric), no column"
        + " 'cty' (--csv-categorical); its columns are: y, x, zeta, city, alpha", e.getMessage());
  }

  @Test
  void missingNumericValuesAreImputedWithTheRunningMeanAndAnIndicator() {
    String text = """
        y,a,b,c
        1,,10,red
        0,2,NA,
        1,4,N/A,blue
        ?,NaN,20,NA
        0,null,?,green
        """;
    List<Example> ex = all(replay(csv("y", List.of("a", "b"), List.of("c")), text,
        FileReplay.OnError.FAIL));
    assertEquals(5, ex.size());
    assertEquals(List.of(0f, 10f), ex.get(0).getDense(), "no earlier value: 0");
    assertEquals(List.of(cat("c", "red"), cat("a", "missing")), ex.get(0).getFeatures());
    assertEquals(List.of(2f, 10f), ex.get(1).getDense(), "b: the mean of 10");
    assertEquals(List.of(cat("b", "missing")), ex.get(1).getFeatures(),
        "an empty category is no feature");
    assertEquals(List.of(4f, 10f), ex.get(2).getDense());
    assertEquals(List.of(3f, 20f), ex.get(3).getDense(), "a: the mean of 2 and 4");
    assertEquals(List.of(cat("c", "NA"), cat("a", "missing")), ex.get(3).getFeatures(),
        "NA in a categorical column is its text");
    assertNull(ex.get(3).getLabel(), "a missing label: unlabeled");
    assertEquals(List.of(3f, 15f), ex.get(4).getDense(), "b: the mean of 10 and 20");
    assertEquals(List.of(cat("c", "green"), cat("a", "missing"), cat("b", "missing")),
        ex.get(4).getFeatures());
  }

  @Test
  void timestampsInCommonForms() {
    String text = """
        t,x
        978311640000
        2001-01-01T01:14:00Z
        2001-01-01T02:14:00+01:00
        2001-01-01 01:14:00
        2001-01-01T01:14:00
        2001-01-01 01:14
        2001-01-01 01:14:00.000
        2001-01-01
        01/01/2001
        ,
        """.replace("\n", ",1\n").replace("t,x,1", "t,x").replace(",,1", ",1");
    FileReplay r = replay(csv(new CsvFormat.Columns(null, List.of("x"), null, null, "t", null,
        null, null, ','), LabelMapping.asWritten()), text, FileReplay.OnError.SKIP);
    List<Example> ex = all(r);
    long t = Instant.parse("2001-01-01T01:14:00Z").toEpochMilli();
    assertEquals(List.of(t, t, t, t, t, t, t, Instant.parse("2001-01-01T00:00:00Z").toEpochMilli()),
        ex.stream().map(e -> e.getEventTime().toEpochMilli()).toList());
    assertEquals(2, r.skipped());
    assertTrue(r.errors().get(0).startsWith("in.txt, line 10: timestamp '01/01/2001' is not a"
        + " time"), r.errors().get(0));
    assertEquals("in.txt, line 11: timestamp is empty", r.errors().get(1));
  }

  @Test
  void timestampPatternsAndZones() {
    Timestamps paris = new Timestamps(null, ZoneId.of("Europe/Paris"));
    assertEquals(Instant.parse("2001-01-01T00:14:00Z").toEpochMilli(),
        paris.parse("2001-01-01 01:14:00"));
    assertEquals(Instant.parse("2001-01-01T01:14:00Z").toEpochMilli(),
        paris.parse("2001-01-01T01:14:00Z"), "an explicit offset wins over the zone");
    Timestamps pattern = new Timestamps("dd/MM/yyyy HH:mm", ZoneId.of("UTC"));
    assertEquals(Instant.parse("2001-01-31T01:14:00Z").toEpochMilli(),
        pattern.parse("31/01/2001 01:14"));
    assertEquals("timestamp '2001-01-31' does not match --csv-timestamp-format 'dd/MM/yyyy"
        + " HH:mm'", assertThrows(IllegalArgumentException.class,
            () -> pattern.parse("2001-01-31")).getMessage());
    assertEquals(Instant.parse("2001-01-31T00:00:00Z").toEpochMilli(),
        new Timestamps("dd/MM/yyyy", ZoneId.of("UTC")).parse("31/01/2001"));
    Timestamps seconds = new Timestamps(Timestamps.EPOCH_SECONDS, ZoneId.of("UTC"));
    assertEquals(964982703000L, seconds.parse("964982703"));
    assertEquals(964982703500L, seconds.parse("964982703.5"));
    assertThrows(IllegalArgumentException.class, () -> new Timestamps("yyyy-MM-dd qqqqqq",
        ZoneId.of("UTC")));
  }

  @Test
  void labelMappings() {
    String text = "y,x\n2.5,1\n-1,1\n0,1\n";
    CsvFormat.Columns columns = new CsvFormat.Columns("y", List.of("x"), null, null, null, null,
        null, null, ',');
    assertEquals(List.of(1f, 0f, 0f), all(replay(csv(columns, LabelMapping.threshold(0)), text,
        FileReplay.OnError.FAIL)).stream().map(Example::getLabel).toList());
    assertEquals(List.of(1f, 0f, 1f), all(replay(csv(columns, LabelMapping.threshold(-0.5)),
        text, FileReplay.OnError.FAIL)).stream().map(Example::getLabel).toList());
    String loans = "Class,x\ngood,1\nbad,1\n GOOD ,1\nexcellent,1\n";
    assertEquals(List.of(1f, 0f, 0f, 1f), all(replay(csv(columns.label().equals("y")
        ? new CsvFormat.Columns("Class", List.of("x"), null, null, null, null, null, null, ',')
        : columns, LabelMapping.positive(List.of("good", "excellent"))), loans,
        FileReplay.OnError.FAIL)).stream().map(Example::getLabel).toList());
    FileReplay unmapped = replay(csv(new CsvFormat.Columns("Class", List.of("x"), null, null,
        null, null, null, null, ','), LabelMapping.asWritten()), loans, FileReplay.OnError.SKIP);
    assertEquals(List.of(), all(unmapped));
    assertEquals("in.txt, line 2: label 'good' is not a number; text labels need --csv-positive"
        + " VALUE[,VALUE...] (the values that are the positive class, 1)",
        unmapped.errors().get(0));
    FileReplay huge = replay(csv(columns, LabelMapping.threshold(0)), "y,x\n1e40,1\n",
        FileReplay.OnError.SKIP);
    assertEquals(List.of(), all(huge));
    assertEquals("in.txt, line 2: label '1e40' is too large for a float", huge.errors().get(0));
  }

  @Test
  void entitiesFromColumnsKeepRawIds() {
    Map<String, String> entities = new LinkedHashMap<>();
    entities.put("user", "userId");
    entities.put("item", "movieId");
    String text = "userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n7,1029,3.0,1260759179\n"
        + ",1,3.0,1260759182\n";
    FileReplay r = replay(new CsvFormat(new CsvFormat.Columns("rating", null, null, entities,
        "timestamp", null, null, null, ','), LabelMapping.asWritten(),
        new Timestamps(Timestamps.EPOCH_SECONDS, ZoneId.of("UTC")), null, 0, 1), text,
        FileReplay.OnError.SKIP);
    List<Example> ex = all(r);
    assertEquals(2, ex.size());
    assertEquals(List.of(new Entity("user", "1"), new Entity("item", "31")),
        ex.get(0).getEntities());
    assertEquals(List.of(new Entity("user", "7"), new Entity("item", "1029")),
        ex.get(1).getEntities());
    assertEquals(Instant.ofEpochSecond(1260759144), ex.get(0).getEventTime());
    assertEquals(List.of("in.txt, line 4: entity user (column userId) is empty"), r.errors());
  }

  @Test
  void libSvm() {
    String text = BOM + """
        # a comment
        +1 qid:3 1:0.5 7:2 # trailing
        -1 3:1

        1 x:1
        0 4:abc
        1 5
        1 2:1 -3:1.0
        1 -0:1
        """;
    FileReplay r = replay(new LibSvmFormat("f", true, "m", 0, 1), text,
        FileReplay.OnError.SKIP);
    List<Example> ex = all(r);
    assertEquals(2, r.blank(), "the comment line and the empty line");
    assertEquals(9, r.lines());
    assertEquals(r.lines(), ex.size() + r.skipped() + r.blank(), "every line is counted once");
    assertEquals(3, ex.size());
    assertEquals(List.of(new Feature("f", null, 1L, 0.5f), new Feature("f", null, 7L, 2f)),
        ex.get(0).getFeatures());
    assertEquals(List.of(new Feature("f", null, 0L, 1f)), ex.get(2).getFeatures(), "-0 is 0");
    assertEquals(1f, ex.get(0).getLabel());
    assertEquals(0f, ex.get(1).getLabel(), "binary labels: -1 becomes 0");
    assertEquals("in.txt:2", ex.get(0).getExampleId());
    assertEquals("m", ex.get(0).getModelKey());
    assertEquals(List.of("in.txt, line 5: feature index 'x' is not an integer",
        "in.txt, line 6: value of feature 4 'abc' is not a number",
        "in.txt, line 7: expected index:value, but found '5'",
        "in.txt, line 8: feature index '-3' is negative; LibSVM indices are 0 or more"),
        r.errors());
  }

  @Test
  void libSvmWithAByteOrderMarkBeforeALabel() {
    List<Example> ex = all(replay(new LibSvmFormat("f", false, null, 0, 1), BOM + "3 1:1\n",
        FileReplay.OnError.FAIL));
    assertEquals(3f, ex.get(0).getLabel());
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
        1 2 3 |user a
        1 |user a:1f
        """;
    FileReplay r = replay(new VwFormat(true, null, 0, 1), text, FileReplay.OnError.SKIP);
    List<Example> ex = all(r);
    assertEquals(5, ex.size());
    Example a = ex.get(0);
    assertEquals("ex1", a.getExampleId());
    assertEquals(1f, a.getLabel());
    assertEquals(2.5f, a.getWeight());
    assertEquals(List.of(cat("user", "id=7"), num("user", "age", 0.5f), num("ad", "a1", 2f),
        num("ad", "a2", 6f)), a.getFeatures());
    assertEquals(0f, ex.get(1).getLabel());
    assertEquals(List.of(cat("default", "f1"), cat("default", "f2")), ex.get(2).getFeatures());
    assertNull(ex.get(2).getLabel());
    assertNull(ex.get(3).getLabel());
    assertEquals(List.of(cat("user", "a=1f")), ex.get(4).getFeatures(),
        "1f is no decimal number: a string value");
    assertEquals(List.of("in.txt, line 5: label 'x' is not a number",
        "in.txt, line 6: expected feature[:value], but found ':3'",
        "in.txt, line 7: importance ''tag' is not a number",
        "in.txt, line 8: unexpected '3' before the first '|' (after label and importance only a"
            + " tag may follow; VW's initial prediction is not supported)"), r.errors());
  }

  @Test
  void caseVwTagTouchingTheBarAndNamespaceWeight() {
    // ../shared/cases/vw-tag-touching-bar.vw: line 1: label 1, importance 0.5, tag row7,
    // namespace m: h = 3.0, w = 4.0; line 2: label 0, tag row8, m: h = 1.
    List<Example> ex = all(replayCase(new VwFormat(false, null, 0, 1), "vw-tag-touching-bar.vw"));
    assertEquals(2, ex.size());
    assertEquals(1f, ex.get(0).getLabel());
    assertEquals(0.5f, ex.get(0).getWeight());
    assertEquals("row7", ex.get(0).getExampleId());
    assertEquals(List.of(num("m", "h", 3.0f), num("m", "w", 4.0f)), ex.get(0).getFeatures());
    assertEquals(0f, ex.get(1).getLabel());
    assertEquals(1f, ex.get(1).getWeight());
    assertEquals("row8", ex.get(1).getExampleId());
    assertEquals(List.of(num("m", "h", 1f)), ex.get(1).getFeatures());
    List<Example> quoted = all(replay(new VwFormat(false, null, 0, 1), "1 0.5 'tag|ns a\n",
        FileReplay.OnError.FAIL));
    assertEquals("tag", quoted.get(0).getExampleId());
    assertEquals(0.5f, quoted.get(0).getWeight());
    assertEquals(List.of(cat("ns", "a")), quoted.get(0).getFeatures());
  }

  @Test
  void caseVwStringValues() {
    // ../shared/cases/vw-string-value.vw: line 1: one feature, city with value paris (hashed
    // together, value 1); line 2: city rome (value 1) and n = 2.
    List<Example> ex = all(replayCase(new VwFormat(false, null, 0, 1), "vw-string-value.vw"));
    assertEquals(List.of(cat("geo", "city=paris")), ex.get(0).getFeatures());
    assertEquals(List.of(cat("geo", "city=rome"), num("geo", "n", 2f)), ex.get(1).getFeatures());
    List<Example> scaled = all(replay(new VwFormat(false, null, 0, 1), "1 |geo:0.5 city:oslo\n",
        FileReplay.OnError.FAIL));
    assertEquals(List.of(num("geo", "city=oslo", 0.5f)), scaled.get(0).getFeatures());
  }

  @Test
  void caseVwByteOrderMark() {
    // ../shared/cases/vw-bom.vw: 2 examples, (1, f a) and (0, f b).
    List<Example> ex = all(replayCase(new VwFormat(false, null, 0, 1), "vw-bom.vw"));
    assertEquals(2, ex.size());
    assertEquals(1f, ex.get(0).getLabel());
    assertEquals(List.of(cat("f", "a")), ex.get(0).getFeatures());
    assertEquals(0f, ex.get(1).getLabel());
    assertEquals(List.of(cat("f", "b")), ex.get(1).getFeatures());
  }

  @Test
  void caseVwImportanceZeroIsKept() {
    // ../shared/cases/vw-importance-zero.vw: 3 examples; the second has importance weight 0
    // (score, do not learn: the job's side).
    List<Example> ex = all(replayCase(new VwFormat(false, null, 0, 1), "vw-importance-zero.vw"));
    assertEquals(3, ex.size());
    assertEquals(List.of(1f, 0f, 1f), ex.stream().map(Example::getWeight).toList());
    assertEquals(List.of(cat("f", "a"), cat("f", "c")), ex.get(1).getFeatures());
  }

  @Test
  void aMappedColumnNamedTwiceInTheHeaderIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> replay(csv("y", List.of("x"), null), "y,x,z,x\n1,2,3,4\n", FileReplay.OnError.SKIP));
    assertEquals("the CSV header (in.txt, line 1) names column 'x' twice (columns 2 and 4);"
        + " rename one", e.getMessage());
    assertEquals(1, all(replay(csv("y", List.of("x"), null), "y,x,z,z\n1,2,3,4\n",
        FileReplay.OnError.FAIL)).size(), "an unmapped column named twice is no problem");
  }

  @Test
  void idModelKeyAndWeightColumns() {
    String text = "id,m,w,x\nr1,tenant-a,0.5,1\n,,0,2\nr3,b,,3\nr4,b,-1,4\n";
    FileReplay r = replay(new CsvFormat(new CsvFormat.Columns(null, List.of("x"), null, null,
        null, "id", "m", "w", ','), LabelMapping.asWritten(), Timestamps.common(), "dflt", 1000,
        10), text, FileReplay.OnError.SKIP);
    List<Example> ex = all(r);
    assertEquals(2, ex.size());
    assertEquals("r1", ex.get(0).getExampleId());
    assertEquals("tenant-a", ex.get(0).getModelKey());
    assertEquals(0.5f, ex.get(0).getWeight());
    assertEquals(Instant.ofEpochMilli(1000), ex.get(0).getEventTime());
    assertEquals("in.txt:3", ex.get(1).getExampleId(), "an empty id: source:line");
    assertEquals("dflt", ex.get(1).getModelKey());
    assertEquals(0f, ex.get(1).getWeight(), "weight 0 is kept");
    assertEquals(Instant.ofEpochMilli(1010), ex.get(1).getEventTime(), "start + index * interval");
    assertEquals(List.of("in.txt, line 4: weight is empty", "in.txt, line 5: weight -1 is"
        + " negative"), r.errors());
  }

  @Test
  void bytesThatAreNotUtf8EndTheReplayWithAWayOut() {
    byte[] latin1 = "y,city,x\n1,K\u00f6ln,1\n".getBytes(StandardCharsets.ISO_8859_1);
    // Decoding reads ahead, so the message can name an earlier line ("at or after").
    FileReplay.MalformedInputException e = assertThrows(FileReplay.MalformedInputException.class,
        () -> FileReplay.of(new ByteArrayInputStream(latin1), csv("y", List.of("x"),
            List.of("city")), "cities.csv", FileReplay.OnError.SKIP).hasNext());
    assertEquals("cities.csv, line 1: bytes that are not UTF-8 at or after this line; convert the"
        + " file, for example with iconv -f ISO-8859-1 -t UTF-8 cities.csv > cities.utf8.csv",
        e.getMessage());
    FileReplay vw = FileReplay.of(new ByteArrayInputStream("1 |f K\u00f6ln\n".getBytes(
        StandardCharsets.ISO_8859_1)), new VwFormat(false, null, 0, 1), "stdin",
        FileReplay.OnError.SKIP);
    assertEquals("stdin, line 1: bytes that are not UTF-8 at or after this line; convert the file,"
        + " for example with iconv -f ISO-8859-1 -t UTF-8", assertThrows(
            FileReplay.MalformedInputException.class, vw::hasNext).getMessage());
  }

  @Test
  void crlfLineEndsInLineFormats() {
    List<Example> ex = all(replay(new VwFormat(false, null, 0, 1), "1 |f a\r\n0 |f b:2\r\n",
        FileReplay.OnError.FAIL));
    assertEquals(List.of(cat("f", "a")), ex.get(0).getFeatures());
    assertEquals(List.of(num("f", "b", 2f)), ex.get(1).getFeatures());
    List<Example> svm = all(replay(new LibSvmFormat("f", false, null, 0, 1), "1 3:1\r\n",
        FileReplay.OnError.FAIL));
    assertEquals(List.of(new Feature("f", null, 3L, 1f)), svm.get(0).getFeatures());
  }
}
