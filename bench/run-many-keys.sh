#!/usr/bin/env bash
# Many model keys on one trainer subtask (io.gradflow.flink.ManyKeysBench, in Flink's operator
# test harness with the heap state backend): the same examples as N tenants and as one key; heap
# and checkpoint bytes per key, the rate against one key, and a restore from half way checked bit
# for bit. Run on an otherwise idle machine.
#   bench/run-many-keys.sh [keys [examples [rounds [cache_pages|default [passes]]]]]
#   (default 10,000 100,000 7 default 8; a round times `passes` alternating pairs of passes;
#   `default` is the declared default cache, state.cache_memory's share of this JVM's heap, 8 GB
#   unless BENCH_JAVA_OPTS gives another -Xmx (at least the -Xms of 1g); the bench prints the
#   pages in effect)
# Ends with: RESULT keys=<n> heap_bytes_per_key=<n> checkpoint_bytes_per_key=<n> rate_vs_one_key=<x> cpu_rate_vs_one_key=<x>
#   cpu_us_per_example=<x> one_key_cpu_us_per_example=<x> (the operator thread's CPU per example)
#   blocked_rate_vs_one_key=<x> blocked_cpu_rate_vs_one_key=<x> (passes of one kind in blocks)
#   steady_rate_vs_one_key=<x> steady_cpu_rate_vs_one_key=<x> steady_cpu_us_per_example=<x>
#   steady_one_key_cpu_us_per_example=<x> (a steady stream: one kept operator fed further passes of
#   new examples of the same keys, no end of input, against one key fed the same way)
#   steady_checkpoint_ms=<x> steady_one_key_checkpoint_ms=<x> steady_checkpoint_cpu_us_per_example=<x>
#   steady_one_key_checkpoint_cpu_us_per_example=<x> steady_with_checkpoints_cpu_rate_vs_one_key=<x>
#   (a checkpoint every 10 passes, 1,000,000 examples: its time, its CPU spread over those examples)
# BENCH_JAVA_OPTS: -Dmanykeys.steady=only (the steady stream alone), =false (without it);
#   -Dmanykeys.checkpoint_passes=N (the steady stream's checkpoint cadence in passes);
#   -Dmanykeys.profile=steady|steady-one (steady passes of one kind alone, for a profiler).
#   steady_heap_bytes_per_key=<n> steady_checkpoint_bytes_per_key=<n> (both operators' heap after
#   the timed rounds, and the last checkpoint's bytes, per key)
# With the steady stream, its floor: the same passes through bare loops (one flat float[] model
# per tenant behind a HashMap of keys, no Gradflow, no Flink; BareModels), many keys against one
# key: bare_steady_rate_many_vs_one=<x> bare_steady_cpu_rate_many_vs_one=<x>
#   bare_steady_cpu_us_per_example=<x> bare_steady_one_key_cpu_us_per_example=<x>
#   bare_heap_bytes_per_key=<n> bare_array_bytes_per_key=<n> bare_rows_per_key=<x>
#   steady_cpu_vs_bare_many=<x> steady_one_key_cpu_vs_bare_one_key=<x> (the trainer's thread CPU
#   per example over the bare loop's) bare_matches_trainer=true|false (the first two passes
#   predicted bit for bit as the trainer)
# The steady stream's tenants grow to about 95 rows, each one small page weighing its memory (0.7
# of a page of the cache): a cache of 4,096 pages (the default until state.cache_memory) holds
# about 5,760 of the 10,000, and its steady rate is partly the eviction's; the default cache on
# an 8 GB heap (0.1 of it: 101,000 pages) or on a 1 GB heap (12,685) holds them all.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
./mvnw -q -o -DskipTests -pl operators -am install 2>/dev/null \
  || ./mvnw -q -DskipTests -pl operators -am install
./mvnw -q -o -pl operators test-compile
./mvnw -q -o -pl operators dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$root/operators/target/test-classpath.txt"
# -Xms1g: a fixed initial heap, as a Flink TaskManager's (-Xms = -Xmx). With the default, the
# collection before each pass gave heap back and the next pass grew it again: a one-key pass
# after a many-keys pass ran 3 times slower than in a block, flattering rate_vs_one_key.
exec java -Xms1g -Xmx8g ${BENCH_JAVA_OPTS:-} -cp \
  "operators/target/test-classes:operators/target/classes:$(cat "$root/operators/target/test-classpath.txt")" \
  io.gradflow.flink.ManyKeysBench "${1:-10000}" "${2:-100000}" "${3:-7}" "${4:-default}" "${5:-8}"
