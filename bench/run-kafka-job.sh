#!/usr/bin/env bash
# The training job end to end through Kafka (io.gradflow.bench.KafkaJobThroughput): a broker in a
# JVM of its own, N synthetic examples produced into it (next to the same generator's bare Avro
# encoding), then the job reading them to the end at parallelism 1 with exactly-once outputs, once
# per decode parallelism, next to the bare loop's time per example. Run on an otherwise idle
# machine (or under the build lock: flock /tmp/gradflow-build.lock bench/run-kafka-job.sh).
# Ends with one line: RESULT examples_per_second=<n> cpu_per_example_vs_bare=<x> ... for the last
# job, then each job's examples_per_second_decode<p>=<n> cpu_per_example_vs_bare_decode<p>=<x>
# jit_share_of_cpu_decode<p>=<x> (the JIT compilers' share of the job JVM's CPU; a parallelism
# given again is named decode<p>_run2, ...); cpu_per_example_vs_bare_without_jit leaves the JIT
# compilers' time out (the job once warm; start-up's compilation is fixed, not per example).
# After the jobs, the Kafka clients' floor on the same topic (KafkaClientsPeer: a plain consumer,
# read_committed, the job's decode, the flat bare loop, a transactional producer writing the
# job's prediction records and committing with the offsets every checkpoint interval; one thread,
# no Flink), measured as the job is: kafka_clients_peer_examples_per_second=<n>
# kafka_clients_peer_cpu_per_example_vs_bare=<x> (its second half, as _steady of a job) and
# _without_jit, _whole (start included), job_steady_cpu_per_example_vs_clients_peer=<x> (what the
# last job adds over the clients), kafka_clients_peer_predictions_equal_job=true|false (checksums
# of the peer's predictions, computed and committed, against the first job's). The job's JVM
# has a fixed, pre-touched heap (-Xms6g -XX:+AlwaysPreTouch, with java.sh's -Xmx6g) unless
# BENCH_JAVA_OPTS is set, and the peer runs in a fresh JVM of its own with the job JVM's options
# (-Dgradflow.bench.peer.jvm=same: after the jobs in their warm JVM, as before session 17); the
# RESULT line says so: job_heap_initial_mb=<n> job_heap_max_mb=<n> job_heap_pre_touched=<b>
# clients_peer_jvm=fresh|same kafka_clients_peer_heap_initial_mb=<n> ... Then the JIT's part:
# jit_share_of_cpu_steady=<x> (the last job's second half), jit_share_of_cpu_q<k>=<x>
# jit_compilations_q<k>=<n> per quarter k of its examples (q1 includes start-up; compilations
# from HotSpot's sun.ci.totalCompiles counter), kafka_clients_peer_jit_share_of_cpu_steady=<x>.
# The settled job, the last quarter of the last job's examples and of the peer's (a 1M run's
# second half still holds the JIT compilers' backlog of late-hot code; 8,000,000 settle it):
# examples_per_second_q4=<n> cpu_per_example_vs_bare_q4=<x>
# cpu_per_example_vs_bare_q4_without_jit=<x>
# jit_us_per_example_steady=<x> jit_us_per_example_q4=<x> (the JIT compilers' CPU per example, us)
# kafka_clients_peer_examples_per_second_q4=<n> kafka_clients_peer_cpu_per_example_vs_bare_q4=<x>
# kafka_clients_peer_cpu_per_example_vs_bare_q4_without_jit=<x>
# kafka_clients_peer_jit_us_per_example_q4=<x> job_q4_cpu_per_example_vs_clients_peer_q4=<x>:
#   bench/run-kafka-job.sh 8000000 2
# Which methods are compiled, made not entrant and trapped in which quarter (HotSpot's
# compilation log, time-stamped in JVM uptime, which each quarter's line prints; the peer's JVM
# writes its own file through %p):
#   BENCH_JAVA_OPTS="-Xms6g -XX:+AlwaysPreTouch -XX:+UnlockDiagnosticVMOptions
#     -XX:+LogCompilation -XX:LogFile=/tmp/comp-%p.log" bench/run-kafka-job.sh 3000000 2
#   bench/run-kafka-job.sh [examples [decode parallelisms]]   (default 2,000,000 1,2)
# Where each job's CPU went (per thread of the job's JVM, the broker JVM, GC, bytes allocated per
# thread), printed after each job and after the clients' peer: BENCH_JAVA_OPTS=-Dgradflow.bench.threads=true. A parallelism
# given twice ("2,2") runs that job again in the warm JVM. The second half alone, profiled by
# async-profiler (collapsed stacks per thread in /tmp/gradflow-kafka-job-<run>.collapsed):
#   BENCH_JAVA_OPTS=-Dgradflow.bench.profile=/path/to/libasyncProfiler.so
# Kafka client properties for the job (its kafka.properties, as YAML flow-map entries):
#   BENCH_KAFKA_PROPERTIES='linger.ms: 20, batch.size: 262144' bench/run-kafka-job.sh
# (not through BENCH_JAVA_OPTS, which bench/java.sh splits at its spaces)
# The file replay instead (gradflow produce --file against bare Avro encoding of the same records):
#   bench/run-kafka-job.sh files [examples [formats]]   (default 300,000 csv,libsvm,vw), ending
#   RESULT file_replay_vs_bare_encoding_csv=<x> file_replay_vs_bare_encoding_libsvm=<x> ...
#   bench/run-kafka-job.sh files EXAMPLES FORMATS 0,1,2 runs each format once per
#   --parse-threads value, ending RESULT ..._libsvm_parse0=<x> ..._libsvm_parse1=<x> ...
# The producer alone (gradflow produce --generator ctr against bare Avro encoding of the same
# generator, in one run):
#   bench/run-kafka-job.sh produce [examples]   (default 1,000,000), ending
#   RESULT producer_examples_per_second=<n> bare_encoding_examples_per_second=<n>
#   producer_vs_bare_encoding=<x>
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [[ "${1:-}" == files ]]; then
  exec bench/java.sh io.gradflow.bench.KafkaJobThroughput files "${2:-300000}" "${3:-csv,libsvm,vw}" \
    ${4:+"$4"}
fi
if [[ "${1:-}" == produce ]]; then
  exec bench/java.sh io.gradflow.bench.KafkaJobThroughput produce "${2:-1000000}"
fi
# The job's JVM with a fixed, pre-touched heap, as a TaskManager's that has run a while (Flink
# starts a TaskManager with -Xms = -Xmx), and the trainer bench's pre-touch (bench/run-trainer.sh),
# unless BENCH_JAVA_OPTS is set; the clients' peer runs in a fresh JVM with the same options.
export BENCH_JAVA_OPTS="${BENCH_JAVA_OPTS:--Xms6g -XX:+AlwaysPreTouch}"
exec bench/java.sh io.gradflow.bench.KafkaJobThroughput "${1:-2000000}" "${2:-1,2}"
