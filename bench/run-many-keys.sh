#!/usr/bin/env bash
# Many model keys on one trainer subtask (io.gradflow.flink.ManyKeysBench, in Flink's operator
# test harness with the heap state backend): the same examples as N tenants and as one key; heap
# and checkpoint bytes per key, the rate against one key, and a restore from half way checked bit
# for bit. Run on an otherwise idle machine.
#   bench/run-many-keys.sh [keys [examples [rounds [cache_pages [passes]]]]]
#   (default 10,000 100,000 7 4096 8; a round times `passes` alternating pairs of passes)
# Ends with: RESULT keys=<n> heap_bytes_per_key=<n> checkpoint_bytes_per_key=<n> rate_vs_one_key=<x> cpu_rate_vs_one_key=<x>
#   cpu_us_per_example=<x> one_key_cpu_us_per_example=<x> (the operator thread's CPU per example)
#   blocked_rate_vs_one_key=<x> blocked_cpu_rate_vs_one_key=<x> (passes of one kind in blocks)
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
exec java -Xms1g ${BENCH_JAVA_OPTS:-} -Xmx8g -cp \
  "operators/target/test-classes:operators/target/classes:$(cat "$root/operators/target/test-classpath.txt")" \
  io.gradflow.flink.ManyKeysBench "${1:-10000}" "${2:-100000}" "${3:-7}" "${4:-4096}" "${5:-8}"
