#!/usr/bin/env bash
# Builds the bench module (offline when the local repository has everything) and runs a Java main
# class of it on its full class path, from the project root:
#   bench/java.sh io.gradflow.bench.TrainerThroughput ARGS...
# BENCH_JAVA_OPTS is split at spaces (one JVM option per word); BENCH_KAFKA_PROPERTIES is passed
# whole as -Dgradflow.bench.kafka.properties (YAML flow-map entries, which have spaces).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
./mvnw -q -o -DskipTests -pl bench -am install 2>/dev/null || ./mvnw -q -DskipTests -pl bench -am install
./mvnw -q -o -pl bench dependency:build-classpath -Dmdep.outputFile="$root/bench/target/classpath.txt"
exec java ${BENCH_JAVA_OPTS:-} \
  ${BENCH_KAFKA_PROPERTIES:+"-Dgradflow.bench.kafka.properties=$BENCH_KAFKA_PROPERTIES"} -Xmx6g -cp "bench/target/classes:$(cat "$root/bench/target/classpath.txt")" "$@"
