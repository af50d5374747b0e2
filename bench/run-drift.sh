#!/usr/bin/env bash
# The drift benchmark (io.gradflow.bench.DriftBench): the producer's click-through stream
# (stationary, abrupt, gradual, recurring) and MOA's SEA and hyperplane streams through MOA's
# ConceptDriftStream (abrupt and gradual), written as CSV files; on each, Gradflow's evaluate
# (a race of AdaGrad, Adam and FTRL, without drift handling and with each drift policy) and MOA's
# SGD and Hoeffding Adaptive Tree under prequential evaluation, in one JVM. Writes
# bench/results/drift.md, drift.csv and drift.png and prints the verdict. About 10 minutes on the
# 2-core build machine at the default length.
# Ends with one line: RESULT runs=<n> failures=<n> gradflow_best_mean_log_loss=<x> gradflow_best=<o/p>
# moa_best_mean_log_loss=<x> moa_best=<learner>.
#   bench/run-drift.sh [examples [variants]]   (default 60000 none,reset_slots,decay_slots,boost_lr,slot_decay,none-inv,restart_schedule)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bench/java.sh io.gradflow.bench.DriftBench "${1:-60000}" bench/results \
  "${2:-none,reset_slots,decay_slots,boost_lr,slot_decay,none-inv,restart_schedule}"
