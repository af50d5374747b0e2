#!/usr/bin/env bash
# End-to-end trainer throughput (io.gradflow.bench.TrainerThroughput): the bare loop, then the
# trainer on a local MiniCluster with the heap and the RocksDB state backends, checkpoints every
# 2 s, in one JVM; then the hand-written PyTorch loop on the same stream if python3-torch is
# installed. Run on an otherwise idle machine. Ends with one line:
# RESULT heap_vs_bare=<x> rocksdb_vs_bare=<x> ... (medians of the per-round ratios to the bare loop;
# a Flink run's second half ends at its last prediction; the *_to_job_end fields end it when the
# job has finished, as the figures recorded before 2026-12-01's last session did).
# The *_cpu_vs_bare fields are the same comparison by CPU time instead of wall clock (medians of
# per-round ratios: the reference's thread CPU per example over the run's one thread's, the chained
# task thread running source, trainer and sink): not moved by the other processes of a shared
# machine preempting the thread; bare_cpu_us is the reference's CPU per example.
#   bench/run-trainer.sh [examples [runs [rounds]]]   (default 3,000,000 hashed,paged,hashmap,rocksdb 3)
# The hashmap and rocksdb runs chain the trainer to its input, as the job does at parallelism 1;
# the run hashmap-keyed (not a default) puts the keyed exchange before it, as above parallelism 1
# (RESULT ... heap_keyed_vs_bare=<x> ...): bench/run-trainer.sh 2000000 hashmap,hashmap-keyed 3
# Any Flink option as -Dflink.KEY=VALUE in BENCH_JAVA_OPTS (keep the two defaults below), e.g. the
# network buffers' size the README's "Trainer end to end" measured (session 14):
#   BENCH_JAVA_OPTS="-Xms6g -XX:+AlwaysPreTouch -Dflink.taskmanager.memory.segment-size=128kb" \
#     bench/run-trainer.sh 2000000 hashmap,rocksdb 2
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# A fixed, pre-touched heap (as a TaskManager's that has run a while): in a fresh JVM the first use
# of young-generation memory page-faults on each example's row ids and swamps a round's figures.
export BENCH_JAVA_OPTS="${BENCH_JAVA_OPTS:--Xms6g -XX:+AlwaysPreTouch}"
bench/java.sh io.gradflow.bench.TrainerThroughput "${1:-3000000}" bench/results "${2:-hashed,paged,hashmap,rocksdb}" "${3:-3}" | tee "$log"
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  /usr/bin/python3 bench/pytorch_loop.py bench/results/stream.bin
else
  echo "(python3-torch is not installed: skipping the PyTorch loop; apt-get install python3-torch)"
fi
# The RESULT line last, after the PyTorch loop.
grep '^RESULT ' "$log" | tail -1
