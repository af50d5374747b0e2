#!/usr/bin/env bash
# The training job end to end through Kafka (io.gradflow.bench.KafkaJobThroughput): an in-process
# broker, N synthetic examples produced into it, then the job reading them to the end at
# parallelism 1 with exactly-once outputs. Run on an otherwise idle machine.
#   bench/run-kafka-job.sh [examples]        (default 2,000,000)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
./mvnw -q -o -DskipTests -pl bench -am install 2>/dev/null || ./mvnw -q -DskipTests -pl bench -am install
./mvnw -q -o -pl bench dependency:build-classpath -Dmdep.outputFile="$root/bench/target/classpath.txt"
cp="$(cat "$root/bench/target/classpath.txt")"
java -Xmx6g -cp "bench/target/classes:$cp" io.gradflow.bench.KafkaJobThroughput "${1:-2000000}"
