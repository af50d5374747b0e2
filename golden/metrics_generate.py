#!/usr/bin/python3
"""Golden values for Gradflow's prequential metrics, computed by scikit-learn.

Each case is a seeded stream of (prediction, label, weight) records and what
sklearn.metrics computes on it: log_loss, roc_auc_score (with tied scores) and
mean_squared_error, each with sample_weight where the case has weights. Three views of each case:

  full    every record (the windowed view when nothing was reported),
  tail    the last `window` records (the AUC ring; the windowed view after a report),
  fading  every record weighted by weight * alpha^age, age 0 for the newest (Gama et al. 2013's
          fading factor); its AUC only over the last `window` records, as Gradflow keeps them.

The output file is committed; the build never runs this script. To regenerate (Debian 12):
    apt-get install python3-sklearn && /usr/bin/python3 golden/metrics_generate.py
Inputs come from a fixed seed, so a rerun with the same numpy reproduces metrics.json.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.metrics import log_loss, mean_squared_error, roc_auc_score

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261201)


def binary_case(name, n, window, alpha, decimals=None, weighted=False, extremes=False):
    # A noisy but informative score: the label is drawn from a probability near the score.
    scores = rng.uniform(0.0, 1.0, n)
    if decimals is not None:
        scores = np.round(scores, decimals)  # many exact ties
    truth = np.clip(scores + rng.normal(0.0, 0.25, n), 0.0, 1.0)
    labels = (rng.uniform(0.0, 1.0, n) < truth).astype(np.float64)
    if extremes:
        # Exact 0 and 1 predictions, including confident mistakes: checks the clipping.
        scores[:4] = [0.0, 1.0, 0.0, 1.0]
        labels[:4] = [1.0, 0.0, 0.0, 1.0]
    weights = rng.uniform(0.1, 3.0, n) if weighted else np.ones(n)
    return case(name, "binary", scores, labels, weights, window, alpha, weighted)


def regression_case(name, n, window, alpha, weighted=False):
    labels = rng.normal(3.0, 2.0, n)
    predictions = labels + rng.normal(0.2, 1.0, n)
    weights = rng.uniform(0.1, 3.0, n) if weighted else np.ones(n)
    return case(name, "regression", predictions, labels, weights, window, alpha, weighted)


def metrics(kind, p, y, w):
    out = {
        "mse": float(mean_squared_error(y, p, sample_weight=w)),
        "mean_prediction": float(np.average(p, weights=w)),
        "mean_label": float(np.average(y, weights=w)),
    }
    if kind == "binary":
        out["log_loss"] = float(log_loss(y, p, sample_weight=w, labels=[0.0, 1.0]))
        out["roc_auc"] = float(roc_auc_score(y, p, sample_weight=w))
    return out


def case(name, kind, p, y, w, window, alpha, weighted):
    n = len(p)
    age = np.arange(n - 1, -1, -1, dtype=np.float64)
    faded = w * alpha ** age
    fading = metrics(kind, p, y, faded)
    if kind == "binary":
        fading["roc_auc"] = float(roc_auc_score(y[-window:], p[-window:],
                                                sample_weight=faded[-window:]))
    return {
        "name": name,
        "kind": kind,
        "window": window,
        "alpha": alpha,
        "predictions": [float(v) for v in p],
        "labels": [float(v) for v in y],
        "weights": [float(v) for v in w] if weighted else None,
        "full": metrics(kind, p, y, w),
        "tail": metrics(kind, p[-window:], y[-window:], w[-window:]),
        "fading": fading,
    }


cases = [
    binary_case("binary-continuous", 600, 250, 0.99),
    binary_case("binary-ties", 500, 200, 0.995, decimals=1),
    binary_case("binary-weighted-ties", 700, 300, 0.98, decimals=2, weighted=True),
    binary_case("binary-extremes", 300, 120, 0.97, decimals=2, extremes=True),
    regression_case("regression", 500, 200, 0.99),
    regression_case("regression-weighted", 400, 150, 0.95, weighted=True),
]
with open(os.path.join(HERE, "metrics.json"), "w") as f:
    json.dump({"generator": "golden/metrics_generate.py",
               "sklearn": sklearn.__version__,
               "numpy": np.__version__,
               "cases": cases}, f, indent=1)
    f.write("\n")
print("wrote", len(cases), "cases to metrics.json")
