package io.gradflow.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradflow.config.ScheduleConfig;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Schedules against PyTorch's {@code torch.optim.lr_scheduler}, stepped once per tick (see
 * golden/generate.py). PyTorch computes most of them recursively in float64 while Gradflow uses
 * closed forms, so they agree to rounding: the tolerance is 1e-12 absolute plus 1e-9 relative.
 */
class ScheduleGoldenTest {
  @TestFactory
  Stream<DynamicTest> everyScheduleMatchesPytorch() throws Exception {
    JsonNode golden;
    try (InputStream in = getClass().getResourceAsStream("/golden/schedules.json")) {
      golden = new ObjectMapper().readTree(in);
    }
    ObjectMapper mapper = new ObjectMapper();
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode c : golden.get("cases")) {
      tests.add(DynamicTest.dynamicTest(c.get("schedule").toString(), () -> {
        @SuppressWarnings("unchecked")
        Map<String, Object> map = mapper.convertValue(c.get("schedule"), Map.class);
        ScheduleConfig.Parsed parsed = ScheduleConfig.fromMap("schedule", map);
        assertEquals(ScheduleClock.MODEL_STEP, parsed.clock());
        Schedule schedule = parsed.spec().create(c.get("base_lr").asDouble());
        JsonNode expected = c.get("expected");
        for (int t = 0; t < expected.size(); t++) {
          double want = expected.get(t).asDouble();
          assertEquals(want, schedule.learningRate(t), 1e-12 + 1e-9 * Math.abs(want), "t=" + t);
        }
      }));
    }
    return tests.stream();
  }
}
