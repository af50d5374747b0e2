package io.gradflow.drift;

import java.util.ArrayList;
import java.util.List;

/** Runs detectors over streams for the drift tests. */
final class DriftTesting {
  private DriftTesting() {}

  /** The indices at which {@code detector} signals a change over {@code stream}. */
  static List<Integer> detections(DriftDetector detector, double[] stream) {
    return detections(detector, stream, 0, stream.length);
  }

  static List<Integer> detections(DriftDetector detector, double[] stream, int from, int to) {
    List<Integer> found = new ArrayList<>();
    for (int i = from; i < to; i++) {
      if (detector.update(stream[i])) {
        found.add(i);
      }
    }
    return found;
  }
}
