#!/usr/bin/env bash
# The training job end to end through Kafka (io.gradflow.bench.KafkaJobThroughput): an in-process
# broker, N synthetic examples produced into it, then the job reading them to the end at
# parallelism 1 with exactly-once outputs. Run on an otherwise idle machine.
#   bench/run-kafka-job.sh [examples]        (default 2,000,000)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
exec bench/java.sh io.gradflow.bench.KafkaJobThroughput "${1:-2000000}"
