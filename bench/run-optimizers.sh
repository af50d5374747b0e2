#!/usr/bin/env bash
# Runs OptimizerBench (every optimizer at widths 1, 16, 64) and SparseAdamBench with settings
# short enough for a 2-core machine, writes the JMH results to bench/results/optimizers.csv and
# prints them as Markdown tables (io.gradflow.bench.ReportOptimizers).
#
# Usage, from anywhere, after ./mvnw -pl bench -am package -DskipTests:
#   bench/run-optimizers.sh                    # everything: 50 forks, about 8 minutes
#   bench/run-optimizers.sh -p optimizer=Adam  # extra arguments go to JMH
#
# One fork per benchmark, 3 x 1 s warm-up, 5 x 1 s measurement. Run it on an otherwise idle
# machine: the scores are single-threaded, and a parallel build on the other core skews them.
# Ends with one line: RESULT dense_vs_bare_median=<x> dense_vs_bare_max=<x> sparse_vs_bare_median=<x>
# (Gradflow's time over the bare loop's).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
jar="$root/bench/target/benchmarks.jar"
results="$root/bench/results/optimizers.csv"

if [[ ! -f "$jar" ]]; then
  echo "no $jar: build it first with ./mvnw -pl bench -am package -DskipTests" >&2
  exit 1
fi
mkdir -p "$(dirname "$results")"

java -jar "$jar" 'io\.gradflow\.bench\.(OptimizerBench|SparseAdamBench)\.' \
  -f 1 -wi 3 -w 1s -i 5 -r 1s -rf csv -rff "$results" "$@"

echo
java -cp "$jar" io.gradflow.bench.ReportOptimizers "$results"
