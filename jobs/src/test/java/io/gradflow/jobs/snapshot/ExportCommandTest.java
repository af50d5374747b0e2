package io.gradflow.jobs.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.flink.ModelMeta;
import io.gradflow.jobs.cli.UserException;
import io.gradflow.schema.ModelSnapshot;
import io.gradflow.schema.SnapshotRow;
import io.gradflow.state.PageFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What export makes of a savepoint's state without a cluster: rows decoded from direct and hashed
 * pages in both formats, weights told from Adam's slots by the signature's row layout, and an old
 * savepoint (no provenance, no offsets, or no signature) exported with what it lacks listed, or
 * refused when the weights cannot be told apart.
 */
class ExportCommandTest {
  /** Adam on a linear model: a weight, two slots, two floats of step count. */
  private static final int ROW = 5;
  private static final Map<String, String> SIGNATURE = Map.of("race", "none",
      "row layout", "1 weight, 2 slots per weight, 5 floats per row", "state.page_bits", "10");

  /** Page 0 (direct, format 2) with row r = [r, 100 + r, 200 + r, 0, 0], stamp r % 3. */
  private static float[] directPage() {
    float[] page = new float[PageFormat.directPageFloats(ROW, 1)];
    page[0] = PageFormat.directMarker(1);
    for (int r = 0; r < PageFormat.DIRECT_ROWS; r++) {
      int at = PageFormat.directOffset(r, ROW);
      page[at] = r;
      page[at + 1] = 100 + r;
      page[at + 2] = 200 + r;
      page[PageFormat.directStampOffset(r, ROW)] = r % 3;
    }
    return page;
  }

  /** A hashed page (format 1) of two entity rows. */
  private static float[] hashedPage(long a, long b) {
    float[] page = new float[PageFormat.HEADER + 2 * PageFormat.recordSize(ROW, 0)];
    PageFormat.setRowCount(page, 2, 0);
    PageFormat.writeId(page, PageFormat.recordOffset(0, ROW, 0), a);
    PageFormat.writeId(page, PageFormat.recordOffset(1, ROW, 0), b);
    page[PageFormat.rowOffset(0, ROW, 0)] = -1f;
    page[PageFormat.rowOffset(1, ROW, 0)] = -2f;
    page[PageFormat.rowOffset(1, ROW, 0) + 3] = 7f; // step count
    return page;
  }

  private static SavepointModels.Read read(Map<String, String> signature,
      Map<String, String> provenance, Map<String, Map<String, Long>> offsets) {
    long a = (1L << 45) + 1;
    long b = (1L << 45) + 2;
    ModelMeta meta = new ModelMeta();
    meta.step = 42;
    ModelState m = new ModelState("m", meta,
        new long[] {0, PageFormat.hashedPage(3), PageFormat.BOOK_PAGE},
        new float[][] {directPage(), hashedPage(a, b), new float[] {1, 2, 3}});
    return new SavepointModels.Read(Map.of("m", m), signature, provenance, offsets);
  }

  @Test
  void rowsWithSlotsAreWholeAndListWhatTheSavepointLacks() {
    ModelSnapshot s = ExportCommand.snapshots(read(SIGNATURE, Map.of(), Map.of()), "sp", true)
        .get(0);
    assertEquals(PageFormat.DIRECT_ROWS + 2, s.getRows().size());
    SnapshotRow r7 = s.getRows().get(7);
    assertEquals(7L, r7.getRowId());
    assertEquals(List.of(7f, 107f, 207f, 0f, 0f), r7.getValues());
    assertEquals(1f, r7.getStamp());
    SnapshotRow entity = s.getRows().get(PageFormat.DIRECT_ROWS + 1);
    assertEquals((1L << 45) + 2, entity.getRowId());
    assertEquals(List.of(-2f, 0f, 0f, 7f, 0f), entity.getValues());
    assertEquals(List.of(1f, 2f, 3f), s.getBook());
    assertEquals(42L, s.getSession().getStep());
    assertEquals(42L, s.getModelStep());
    for (String entry : Provenance.ENTRIES) {
      assertTrue(s.getMissing().stream().anyMatch(m -> m.contains("provenance.v1 " + entry)),
          s.getMissing().toString());
    }
    assertTrue(s.getMissing().stream().anyMatch(m -> m.contains("input offsets")));
  }

  @Test
  void weightsAloneSkipTheSlots() {
    ModelSnapshot s = ExportCommand.snapshots(read(SIGNATURE, Map.of(),
        Map.of("examples-source.v1", Map.of("ex:0", 3000L))), "sp", false).get(0);
    assertEquals(List.of(7f), s.getRows().get(7).getValues());
    assertEquals(List.of(-1f), s.getRows().get(PageFormat.DIRECT_ROWS).getValues());
    assertEquals(null, s.getSession());
    assertEquals(List.of(), s.getBook());
    assertEquals(3000L, s.getDataOffsets().get(0).getOffset());
    assertEquals("ex", s.getDataOffsets().get(0).getTopic());
  }

  /** A savepoint whose signature says {@code 2 slot(s)} (before counts were words) exports too. */
  @Test
  void weightsAloneOfASavepointWithTheOldLayoutWords() {
    Map<String, String> old = new java.util.HashMap<>(SIGNATURE);
    old.put("row layout", "1 weight, 2 slot(s) per weight, 5 floats per row");
    ModelSnapshot s = ExportCommand.snapshots(read(old, Map.of(), Map.of()), "sp", false).get(0);
    assertEquals(List.of(7f), s.getRows().get(7).getValues());
  }

  @Test
  void withoutASignatureOnlyWholeRowsCanBeExported() {
    UserException e = assertThrows(UserException.class,
        () -> ExportCommand.snapshots(read(Map.of(), Map.of(), Map.of()), "sp", false));
    assertTrue(e.getMessage().contains("export it --with-slots"), e.getMessage());
    ModelSnapshot s = ExportCommand.snapshots(read(Map.of(), Map.of(), Map.of()), "sp", true)
        .get(0);
    assertTrue(s.getMissing().get(0).startsWith("signature.v1"), s.getMissing().toString());
  }
}
