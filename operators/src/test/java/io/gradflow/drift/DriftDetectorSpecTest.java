package io.gradflow.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gradflow.config.ConfigException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class DriftDetectorSpecTest {

  private static void refused(String key, String message, Executable construction) {
    ConfigException e = assertThrows(ConfigException.class, construction);
    assertEquals(key, e.key());
    assertEquals(message, e.getMessage());
  }

  @Test
  void adwinNamesTheRefusedKey() {
    refused("drift.delta", "drift.delta must be in (0, 1), but was 2.0",
        () -> new AdwinSpec(2.0, 32, 5, 5));
    refused("drift.delta", "drift.delta must be in (0, 1), but was 0.0",
        () -> AdwinSpec.withDelta(0));
    refused("drift.delta", "drift.delta must be a finite number, but was NaN",
        () -> AdwinSpec.withDelta(Double.NaN));
    refused("drift.clock", "drift.clock must be >= 1, but was 0",
        () -> new AdwinSpec(0.002, 0, 5, 5));
    refused("drift.max_buckets", "drift.max_buckets must be >= 1, but was 0",
        () -> new AdwinSpec(0.002, 32, 0, 5));
    refused("drift.min_window_length", "drift.min_window_length must be >= 1, but was -1",
        () -> new AdwinSpec(0.002, 32, 5, -1));
  }

  @Test
  void pageHinkleyNamesTheRefusedKey() {
    refused("drift.min_instances", "drift.min_instances must be >= 1, but was 0",
        () -> new PageHinkleySpec(0, 0.005, 50, 0.9999));
    refused("drift.delta", "drift.delta must be >= 0, but was -0.1",
        () -> new PageHinkleySpec(30, -0.1, 50, 0.9999));
    refused("drift.threshold", "drift.threshold must be > 0, but was 0.0",
        () -> new PageHinkleySpec(30, 0.005, 0, 0.9999));
    refused("drift.alpha", "drift.alpha must be in (0, 1], but was 1.5",
        () -> new PageHinkleySpec(30, 0.005, 50, 1.5));
    refused("drift.alpha", "drift.alpha must be in (0, 1], but was 0.0",
        () -> new PageHinkleySpec(30, 0.005, 50, 0));
  }

  @Test
  void ddmNamesTheRefusedKey() {
    refused("drift.warm_start", "drift.warm_start must be >= 1, but was 0",
        () -> new DdmSpec(0, 2, 3));
    refused("drift.warning_threshold", "drift.warning_threshold must be > 0, but was -2.0",
        () -> new DdmSpec(30, -2, 3));
    refused("drift.drift_threshold", "drift.drift_threshold conflicts with"
        + " drift.warning_threshold: a change must need at least the deviation of a warning,"
        + " but 1.5 < 2.0", () -> new DdmSpec(30, 2, 1.5));
  }

  @Test
  void defaultsAndParameters() {
    assertEquals(new AdwinSpec(0.002, 32, 5, 5), AdwinSpec.defaults());
    assertEquals(new PageHinkleySpec(30, 0.005, 50, 1 - 0.0001), PageHinkleySpec.defaults());
    assertEquals(Map.of("delta", 0.002, "clock", 32, "max_buckets", 5, "min_window_length", 5),
        AdwinSpec.defaults().parameters());
    assertEquals(List.of("min_instances", "delta", "threshold", "alpha"),
        List.copyOf(PageHinkleySpec.defaults().parameters().keySet()));
    assertEquals(new DdmSpec(30, 2, 3), DdmSpec.defaults());
    for (DriftDetectorSpec spec : List.of(AdwinSpec.defaults(), PageHinkleySpec.defaults(),
        DdmSpec.defaults())) {
      DriftDetector detector = spec.create();
      assertEquals(spec, detector.spec());
      assertEquals(0, detector.observations());
      assertEquals(0, detector.estimate(), 0);
    }
    assertEquals("adwin", AdwinSpec.defaults().configName());
    assertEquals("page_hinkley", PageHinkleySpec.defaults().configName());
    assertEquals("ddm", DdmSpec.defaults().configName());
  }
}
