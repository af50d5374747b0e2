package io.gradflow.jobs.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradflow.jobs.cli.Main;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code gradflow demo --model mlp} and {@code --model wide_and_deep} with a fixed number of
 * examples learn the tabular stream: the prequential log loss is well below the base rate's, and
 * the last window's is below the prequential one (the loss falls as the model learns).
 */
class DemoModelsITCase {
  @ParameterizedTest
  @ValueSource(strings = {"mlp", "wide_and_deep"})
  void aDeepModelLearnsTheTabularStream(String model) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = Main.run(new String[] {"demo", "--examples", "40000", "--model", model},
        new ByteArrayInputStream(new byte[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    String text = out.toString(StandardCharsets.UTF_8);
    System.out.println("demo --model " + model + ":\n" + text.substring(text.lastIndexOf('\r')
        + 1));
    assertEquals(0, exit, text + err.toString(StandardCharsets.UTF_8));
    assertTrue(text.contains("produced 40,000 synthetic tabular examples"), text);
    Matcher summary = Pattern.compile("prequential log loss (\\d+\\.\\d+), base rate log loss"
        + " (\\d+\\.\\d+)").matcher(text);
    assertTrue(summary.find(), text);
    double prequential = Double.parseDouble(summary.group(1));
    double base = Double.parseDouble(summary.group(2));
    Matcher window = Pattern.compile("last window: log loss (\\d+\\.\\d+)").matcher(text);
    assertTrue(window.find(), text);
    double last = Double.parseDouble(window.group(1));
    assertTrue(prequential < 0.9 * base, "10% below the base rate: " + summary.group());
    assertTrue(last < prequential, "last window " + last + ", prequential " + prequential);
  }
}
