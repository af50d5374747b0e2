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
 * Replays optimizer cases: for each, one parameter row (or a table of rows), its initial weights
 * and a sequence of gradients, and returns the weights after every step.
 *
 * <p>Input: {@code {"cases":[{"optimizer":NAME,"hyperparameters":{...},"initial":[...],
 * "gradients":[[...], null, ...]}]}}. NAME is PyTorch's class name (SGD, Adagrad, RMSprop,
 * Adadelta, Adam, AdamW) or Ftrl; hyper-parameters use PyTorch's names. A {@code null} gradient is
 * a step the row skips, as a parameter whose {@code .grad} is None: its state does not advance
 * and its weights repeat. Other keys (such as "expected") are ignored.
 *
 * <p>A table of rows, as an embedding table under a sparse optimizer: {@code "initial"} holds
 * one array per row, {@code [[...], [...], ...]}, and each step of {@code "gradients"} holds one
 * entry per row, the row's gradient or {@code null} for a row absent from the step's sparse
 * gradient (its state is untouched), or is {@code null} as a whole (the table has no gradient:
 * nothing advances). Every other step is one step of the model: its count is the model step that
 * Adam's {@code bias_correction: global} uses (for a single row, the steps that are not null).
 *
 * <p>Output: {@code {"cases":[{"trajectory":[[...], ...]}]}}, one entry per input case in order;
 * for a table each point is one array per row. A case that cannot run gets
 * {@code {"error":"..."}} instead, and the others still run. A step whose gradient is not finite,
 * or whose result would not be finite, is refused and left out of the row's history, as the
 * trainer does; its index is listed under {@code "refused"} ({@code [step, row]} for a table).
 * Weights are written as the exact decimal of their float32 value. Stateless and thread-safe.
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

    JsonNode initialNode = c.get("initial");
    boolean table = initialNode != null && initialNode.isArray() && initialNode.size() > 0
        && initialNode.get(0).isArray();
    float[][] initial;
    if (table) {
      initial = new float[initialNode.size()][];
      for (int r = 0; r < initial.length; r++) {
        initial[r] = floats(initialNode.get(r), "initial[" + r + "]",
            r == 0 ? -1 : initial[0].length);
      }
    } else {
      initial = new float[][] {floats(initialNode, "initial", -1)};
    }
    if (initial[0].length == 0) {
      throw new IllegalArgumentException("\"initial\" must hold at least one weight");
    }
    JsonNode gradients = c.get("gradients");
    if (gradients == null || !gradients.isArray()) {
      throw new IllegalArgumentException("\"gradients\" must be an array of arrays");
    }
    int rows = initial.length;
    int width = initial[0].length;
    float[][][] steps = new float[gradients.size()][][];
    for (int s = 0; s < steps.length; s++) {
      JsonNode g = gradients.get(s);
      if (g.isNull()) {
        continue;
      }
      String at = "gradients[" + s + "]";
      if (!table) {
        steps[s] = new float[][] {floats(g, at, width)};
        continue;
      }
      if (!g.isArray() || g.size() != rows) {
        throw new IllegalArgumentException("\"" + at + "\" must be null or an array of " + rows
            + " entries, one per row of \"initial\" (a gradient or null), but was " + g);
      }
      steps[s] = new float[rows][];
      for (int r = 0; r < rows; r++) {
        JsonNode rowGradient = g.get(r);
        steps[s][r] =
            rowGradient.isNull() ? null : floats(rowGradient, at + "[" + r + "]", width);
      }
    }

    RowUpdater updater = new RowUpdater(parsed.spec(), new GradientSpec(0, 0, parsed.maximize()));
    RowLayout layout = updater.layout(width);
    float[][] rowArrays = new float[rows][layout.size()];
    for (int r = 0; r < rows; r++) {
      layout.setWeights(rowArrays[r], 0, initial[r], 0);
      updater.initialize(rowArrays[r], 0, width);
    }
    double learningRate = parsed.spec().learningRate();

    ObjectNode result = JSON.objectNode();
    ArrayNode trajectory = result.putArray("trajectory");
    ArrayNode refused = JSON.arrayNode();
    float[] weights = new float[width];
    long modelStep = 0;
    for (int s = 0; s < steps.length; s++) {
      if (steps[s] != null) {
        modelStep++;
        for (int r = 0; r < rows; r++) {
          float[] g = steps[s][r];
          if (g != null && !updater.update(rowArrays[r], 0, width, g, 0, modelStep, learningRate)) {
            if (table) {
              refused.addArray().add(s).add(r);
            } else {
              refused.add(s);
            }
          }
        }
      }
      ArrayNode point = trajectory.addArray();
      for (int r = 0; r < rows; r++) {
        layout.copyWeights(rowArrays[r], 0, weights, 0);
        ArrayNode out = table ? point.addArray() : point;
        for (float w : weights) {
          out.add((double) w);
        }
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
