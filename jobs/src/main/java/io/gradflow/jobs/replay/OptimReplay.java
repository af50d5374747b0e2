package io.gradflow.jobs.replay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradflow.config.OptimizerConfig;
import io.gradflow.optim.GradientSpec;
import io.gradflow.optim.RowLayout;
import io.gradflow.optim.RowUpdater;
import java.util.Map;

/**
 * Replays optimizer cases: for each, one parameter row, its initial weights and a sequence of
 * gradients, and returns the row's weights after every step.
 *
 * <p>Input: {@code {"cases":[{"optimizer":NAME,"hyperparameters":{...},"initial":[...],
 * "gradients":[[...], null, ...]}]}}. NAME is PyTorch's class name (SGD, Adagrad, RMSprop,
 * Adadelta, Adam, AdamW) or Ftrl; hyper-parameters use PyTorch's names. A {@code null} gradient is
 * a step the row skips, as a parameter whose {@code .grad} is None: its state does not advance
 * and its weights repeat. Other keys (such as "expected") are ignored.
 *
 * <p>Output: {@code {"cases":[{"trajectory":[[...], ...]}]}}, one entry per input case in order.
 * A case that cannot run gets {@code {"error":"..."}} instead, and the others still run. A step
 * whose gradient is not finite is refused and left out of the row's history, as the trainer does;
 * its index is listed under {@code "refused"}. Weights are written as the exact decimal of their
 * float32 value. Stateless and thread-safe.
 */
public final class OptimReplay {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private OptimReplay() {}

  /** Replays every case of {@code input} (the whole document). */
  public static ObjectNode replay(JsonNode input) {
    JsonNode cases = input == null ? null : input.get("cases");
    if (cases == null || !cases.isArray()) {
      throw new IllegalArgumentException(
          "the input must be a JSON object with an array \"cases\", for example "
              + "{\"cases\":[{\"optimizer\":\"Adam\",\"hyperparameters\":{\"lr\":0.01},"
              + "\"initial\":[0.5],\"gradients\":[[0.1]]}]}");
    }
    ObjectNode out = JSON.objectNode();
    ArrayNode results = out.putArray("cases");
    for (int i = 0; i < cases.size(); i++) {
      results.add(replayCase(cases.get(i), "cases[" + i + "]"));
    }
    return out;
  }

  /** Replays one case; never throws for a bad case, returns {@code {"error": ...}} instead. */
  public static ObjectNode replayCase(JsonNode c, String where) {
    try {
      return run(c, where);
    } catch (IllegalArgumentException e) {
      ObjectNode error = JSON.objectNode();
      error.put("error", where + ": " + e.getMessage());
      return error;
    }
  }

  private static ObjectNode run(JsonNode c, String where) {
    if (c == null || !c.isObject()) {
      throw new IllegalArgumentException("a case must be a JSON object");
    }
    JsonNode name = c.get("optimizer");
    if (name == null || !name.isTextual()) {
      throw new IllegalArgumentException("\"optimizer\" must be a string naming one of "
          + String.join(", ", OptimizerConfig.NAMES));
    }
    JsonNode hp = c.get("hyperparameters");
    if (hp != null && !hp.isNull() && !hp.isObject()) {
      throw new IllegalArgumentException("\"hyperparameters\" must be a JSON object");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> hyperParameters =
        hp == null || hp.isNull() ? Map.of() : MAPPER.convertValue(hp, Map.class);
    OptimizerConfig.Parsed parsed =
        OptimizerConfig.fromPytorch("optimizer", name.asText(), hyperParameters);

    float[] initial = floats(c.get("initial"), "initial", -1);
    if (initial.length == 0) {
      throw new IllegalArgumentException("\"initial\" must hold at least one weight");
    }
    JsonNode gradients = c.get("gradients");
    if (gradients == null || !gradients.isArray()) {
      throw new IllegalArgumentException("\"gradients\" must be an array of arrays");
    }
    int width = initial.length;
    float[][] steps = new float[gradients.size()][];
    for (int s = 0; s < steps.length; s++) {
      JsonNode g = gradients.get(s);
      steps[s] = g.isNull() ? null : floats(g, "gradients[" + s + "]", width);
    }

    RowUpdater updater = new RowUpdater(parsed.spec(), new GradientSpec(0, 0, parsed.maximize()));
    RowLayout layout = updater.layout(width);
    float[] row = new float[layout.size()];
    layout.setWeights(row, 0, initial, 0);
    updater.initialize(row, 0, width);
    double learningRate = parsed.spec().learningRate();

    ObjectNode result = JSON.objectNode();
    ArrayNode trajectory = result.putArray("trajectory");
    ArrayNode refused = JSON.arrayNode();
    float[] weights = new float[width];
    for (int s = 0; s < steps.length; s++) {
      if (steps[s] != null && !updater.update(row, 0, width, steps[s], 0, learningRate)) {
        refused.add(s);
      }
      layout.copyWeights(row, 0, weights, 0);
      ArrayNode point = trajectory.addArray();
      for (float w : weights) {
        point.add((double) w);
      }
    }
    if (!refused.isEmpty()) {
      result.set("refused", refused);
    }
    return result;
  }

  private static float[] floats(JsonNode node, String name, int expectedLength) {
    if (node == null || !node.isArray()) {
      throw new IllegalArgumentException("\"" + name + "\" must be an array of numbers");
    }
    if (expectedLength >= 0 && node.size() != expectedLength) {
      throw new IllegalArgumentException("\"" + name + "\" has " + node.size()
          + " values, but \"initial\" has " + expectedLength);
    }
    float[] values = new float[node.size()];
    for (int i = 0; i < values.length; i++) {
      JsonNode v = node.get(i);
      if (v.isNumber()) {
        values[i] = (float) v.asDouble();
      } else if (v.isTextual() && nonFinite(v.asText()) != null) {
        values[i] = nonFinite(v.asText());
      } else {
        throw new IllegalArgumentException(
            "\"" + name + "\"[" + i + "] must be a number, but was " + v);
      }
    }
    return values;
  }

  /** JSON has no NaN or infinity; the strings "NaN", "Infinity", "-Infinity" (or "inf") stand in. */
  private static Float nonFinite(String s) {
    return switch (s) {
      case "NaN", "nan" -> Float.NaN;
      case "Infinity", "inf", "Inf" -> Float.POSITIVE_INFINITY;
      case "-Infinity", "-inf", "-Inf" -> Float.NEGATIVE_INFINITY;
      default -> null;
    };
  }
}
