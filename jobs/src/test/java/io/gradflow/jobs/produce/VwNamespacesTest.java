package io.gradflow.jobs.produce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.gradflow.schema.Feature;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/**
 * {@link VwFormat} reuses a namespace's string from line to line while the line's chars at that
 * section match it (so its cached hash code serves {@code FeatureHashing}'s seed table), and
 * makes a new one whenever they differ: the examples are those of fresh substrings.
 */
class VwNamespacesTest {
  private final VwFormat format = new VwFormat(LabelMapping.asWritten(), "m", 0, 1);
  private long lineNumber;

  private List<Feature> features(String line) throws MalformedLineException {
    return format.parse(line, ++lineNumber, "in.vw").getFeatures();
  }

  private static String namespace(List<Feature> features, int i) {
    return features.get(i).getNamespace();
  }

  @Test
  void aRepeatedNamespaceIsTheSameStringLineAfterLine() throws MalformedLineException {
    List<Feature> first = features("1 |user a b |ad:2 x |geo city:oslo");
    List<Feature> second = features("0 |user c |ad:0.5 y z |geo n:3");
    List<Feature> third = features("1 'tag|user d |ad w |geo v");
    assertEquals(List.of("user", "user", "ad", "geo"), first.stream()
        .map(Feature::getNamespace).toList());
    for (List<Feature> later : List.of(second, third)) {
      assertSame(namespace(first, 0), namespace(later, 0), "user");
      assertSame(namespace(first, 2), namespace(later, 1), "ad");
      assertSame(namespace(first, 3), namespace(later, later.size() - 1), "geo");
    }
    assertSame(namespace(first, 0), namespace(first, 1), "within a section");
    assertEquals(List.of(new Feature("ad", "y", null, 0.5f), new Feature("ad", "z", null, 0.5f),
        new Feature("geo", "n", null, 3f)), second.subList(1, 4), "the scale is each line's own");
  }

  @Test
  void aChangedNamespaceIsANewString() throws MalformedLineException {
    List<Feature> first = features("1 |user a |ad x");
    String user = namespace(first, 0);
    String ad = namespace(first, 1);
    // Same length, other chars; a prefix; a longer name; a scale after the same chars.
    String[][] changed = {{"1 |usex a |ad x", "usex"}, {"1 |use a |ad x", "use"},
        {"1 |users a |ad x", "users"}, {"1 |usera:2 a |ad x", "usera"}, {"1 |é a |ad x", "é"},
        {"1 |User a |ad x", "User"}};
    String previous = user;
    for (String[] c : changed) {
      List<Feature> f = features(c[0]);
      assertEquals(c[1], namespace(f, 0), c[0]);
      assertNotSame(previous, namespace(f, 0), c[0]);
      assertSame(ad, namespace(f, 1), "the unchanged section's namespace, in " + c[0]);
      previous = namespace(f, 0);
    }
    List<Feature> back = features("0 |user b |ad y");
    assertEquals("user", namespace(back, 0));
    assertNotSame(user, namespace(back, 0), "only the last namespace of a section is kept");
    assertSame(namespace(back, 0), namespace(features("0 |user:1 c |ad z"), 0),
        "the namespace of a scaled section ends at the colon");
  }

  @Test
  void namespacesMovingToOtherSectionsAndTheDefaultNamespace() throws MalformedLineException {
    List<Feature> first = features("1 |a x |b y");
    List<Feature> swapped = features("1 |b y |a x");
    assertEquals(List.of("b", "a"), List.of(namespace(swapped, 0), namespace(swapped, 1)));
    List<Feature> unnamed = features("1 | x |a y");
    assertEquals(List.of("default", "a"), List.of(namespace(unnamed, 0), namespace(unnamed, 1)));
    assertSame(namespace(swapped, 1), namespace(unnamed, 1), "a default section keeps nothing");
    List<Feature> again = features("1 |b y |a x");
    assertSame(namespace(swapped, 0), namespace(again, 0),
        "a default section leaves the namespace read there before");
    assertEquals(List.of(new Feature("a", "x", null, 1f), new Feature("b", "y", null, 1f)),
        first);
  }

  @Test
  void sectionsBeyondTheCachedOnesParseAlike() throws MalformedLineException {
    StringBuilder line = new StringBuilder("1");
    int sections = VwFormat.CACHED_SECTIONS + 3;
    for (int k = 0; k < sections; k++) {
      line.append(" |n").append(k).append(" f");
    }
    List<Feature> first = features(line.toString());
    List<Feature> second = features(line.toString());
    assertEquals(sections, second.size());
    for (int k = 0; k < sections; k++) {
      assertEquals("n" + k, namespace(second, k));
    }
    assertSame(namespace(first, VwFormat.CACHED_SECTIONS - 1),
        namespace(second, VwFormat.CACHED_SECTIONS - 1));
    assertNotSame(namespace(first, VwFormat.CACHED_SECTIONS),
        namespace(second, VwFormat.CACHED_SECTIONS), "not kept");
  }

  @Test
  void eachParsingThreadKeepsItsOwnNamespaces() throws Exception {
    ExecutorService a = Executors.newSingleThreadExecutor();
    ExecutorService b = Executors.newSingleThreadExecutor();
    try {
      String left = a.submit(() -> features("1 |left x")).get().get(0).getNamespace();
      String right = b.submit(() -> features("1 |right x")).get().get(0).getNamespace();
      assertEquals("right", right);
      assertSame(left, a.submit(() -> features("0 |left y")).get().get(0).getNamespace(),
          "another thread's line left this thread's namespace");
      assertSame(right, b.submit(() -> features("0 |right y")).get().get(0).getNamespace());
    } finally {
      a.shutdownNow();
      b.shutdownNow();
    }
  }
}
