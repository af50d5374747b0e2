package io.gradflow.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.drift.AdwinSpec;
import io.gradflow.drift.DdmSpec;
import io.gradflow.drift.DriftAction;
import io.gradflow.drift.DriftPolicy;
import io.gradflow.drift.PageHinkleySpec;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DriftConfigTest {
  private static DriftPolicy read(Map<String, ?> map) {
    return DriftConfig.read("drift", map, true, new ConfigReport());
  }

  private static String refusal(Map<String, ?> map, boolean probabilities) {
    return assertThrows(ConfigException.class,
        () -> DriftConfig.read("drift", map, probabilities, null)).getMessage();
  }

  @Test
  void noSectionIsNoDetector() {
    assertSame(DriftPolicy.NONE, DriftConfig.read("drift", null, true, null));
    assertNull(read(Map.of()).detector());
  }

  @Test
  void eachDetectorHasItsOwnDefaultsAndParameters() {
    DriftPolicy adwin = read(Map.of("detector", "adwin", "actions",
        List.of("boost_lr", "restart_schedule")));
    assertEquals(AdwinSpec.defaults(), adwin.detector());
    assertEquals(EnumSet.of(DriftAction.RESTART_SCHEDULE, DriftAction.BOOST_LR),
        adwin.actions());
    assertEquals("restart_schedule+boost_lr", adwin.actionName());
    assertEquals(new PageHinkleySpec(30, 0.005, 20, 0.9999),
        read(Map.of("detector", "page_hinkley", "threshold", 20)).detector(),
        "Page-Hinkley's delta defaults to its own 0.005, not ADWIN's 0.002");
    assertEquals(new AdwinSpec(0.01, 32, 5, 5),
        read(Map.of("detector", "adwin", "delta", 0.01)).detector());
    assertEquals(DdmSpec.defaults(),
        read(Map.of("detector", "ddm", "watch", "error")).detector());
    DriftPolicy single = read(Map.of("detector", "ph", "actions", "reset_slots", "decay", 0.5));
    assertEquals(EnumSet.of(DriftAction.RESET_SLOTS), single.actions(), "one action, no list");
    assertEquals(0.5, single.decay());
    assertEquals(DriftPolicy.Direction.INCREASE, single.direction(), "rises only, by default");
    assertEquals(DriftPolicy.Direction.BOTH,
        read(Map.of("detector", "adwin", "direction", "both")).direction());
  }

  @Test
  void theParametersReadBackEqual() {
    DriftPolicy p = read(Map.of("detector", "page_hinkley", "threshold", 25.0, "actions",
        List.of("decay_slots", "boost_lr"), "boost", 2.0, "boost_half_life", 300,
        "slot_decay", 0.999, "decay", 0.3));
    Map<String, Object> params = p.parameters();
    assertEquals("page_hinkley", params.get("detector"));
    assertEquals(List.of("decay_slots", "boost_lr"), params.get("actions"));
    Map<String, Object> again = new java.util.LinkedHashMap<>(params);
    assertEquals(p, read(again));
  }

  @Test
  void mistakesNameTheKey() {
    assertTrue(refusal(Map.of("detector", "adwn"), true).startsWith(
        "drift.detector must be one of none, adwin, page_hinkley, ddm, but was 'adwn'"));
    assertTrue(refusal(Map.of("detector", "adwin", "threshold", 3), true).contains(
        "drift.threshold is not a setting"), "a Page-Hinkley key under ADWIN");
    String unknown = refusal(Map.of("detector", "adwin", "thershold", 3), true);
    assertTrue(unknown.endsWith("is not a setting of adwin; accepted: detector, watch,"
        + " direction, actions, decay, boost, boost_half_life, slot_decay, delta, clock,"
        + " max_buckets, min_window_length"), unknown);
    assertTrue(refusal(Map.of("detector", "adwin", "actions", List.of("reboot")), true)
        .equals("drift.actions must be one of restart_schedule, reset_slots,"
            + " decay_slots, boost_lr, but was 'reboot'"));
    assertTrue(refusal(Map.of("detector", "adwin", "delta", 2), true)
        .startsWith("drift.delta must be in (0, 1), but was 2"));
    assertTrue(refusal(Map.of("actions", List.of("boost_lr")), true)
        .startsWith("drift.actions needs a drift.detector"));
    assertTrue(refusal(Map.of("detector", "ddm"), true)
        .startsWith("drift.watch must be error with drift.detector: ddm"));
    assertTrue(refusal(Map.of("detector", "adwin", "watch", "error"), false)
        .startsWith("drift.watch must be loss for a model that does not predict"
            + " probabilities"));
    assertTrue(refusal(Map.of("slot_decay", 0), true)
        .startsWith("drift.slot_decay must be in (0, 1], but was 0"));
    assertTrue(refusal(Map.of("detector", "adwin", "actions",
        List.of("boost_lr", "boost_lr")), true).contains("lists boost_lr twice"));
  }
}
