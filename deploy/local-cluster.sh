#!/usr/bin/env bash
# A Flink 2.2.1 session cluster of separate JVMs on this machine, without Docker and without
# Flink's distribution archive: one JobManager and N TaskManagers started from the Flink jars of
# Maven Central that the jobs module's build copies to jobs/target/lib (the Gradflow job jar,
# jobs/target/gradflow-jobs-*-flink.jar, brings Kafka, Avro and Gradflow itself, as on a real
# cluster). The same way FlinkRunITCase runs its cluster (LocalFlinkCluster.java).
#
#   deploy/local-cluster.sh start [--taskmanagers N] [--slots S]
#   deploy/local-cluster.sh submit --config job.yaml [more train flags]   # flink run -d; waits for the tasks
#   deploy/local-cluster.sh stop-job [JOB_ID] [DIR]    # flink stop: a savepoint, then the job ends
#   deploy/local-cluster.sh savepoint [JOB_ID] [DIR]   # the job keeps running (a copy, a backup)
#   deploy/local-cluster.sh cancel [JOB_ID]
#   deploy/local-cluster.sh status
#   deploy/local-cluster.sh stop
#
# JOB_ID defaults to the job submitted last. To move a job (rescale, upgrade, another
# configuration), stop-job it and submit from its savepoint: a job started from a savepoint
# taken with `savepoint` writes again what the running job committed after it, so cancelling
# after `savepoint` repeats that stretch's predictions. The Flink client's own log goes to
# log/client.log; the job's start-up lines and refusals are printed.
# Environment (defaults in brackets):
#   GRADFLOW_CLUSTER_DIR  where conf/, log/, pids, savepoints go [target/local-cluster]
#   REST_PORT [8081], RPC_PORT [6123]; TASKMANAGERS [1], SLOTS [2] (start's flags win)
#   TM_MEMORY [1600m], JM_MEMORY [768m]: Flink's process sizes
#   JAVA_HOME: the JDK 17 to use [java on the PATH]
#   GRADFLOW_JAR: the job jar [jobs/target/gradflow-jobs-*-flink.jar]
# Kafka secrets given as ${env:VAR} in the job's kafka.properties are resolved by each Kafka
# client in the JVM that creates it: export VAR before `start` (the TaskManagers' readers and
# sinks, the JobManager's enumerators) and before `submit` (its start-up check).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${GRADFLOW_CLUSTER_DIR:-$root/target/local-cluster}"
rest_port="${REST_PORT:-8081}"
rpc_port="${RPC_PORT:-6123}"
taskmanagers="${TASKMANAGERS:-1}"
slots="${SLOTS:-2}"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
lib="$root/jobs/target/lib"

# What Flink's start scripts pass to every JVM (env.java.default-opts.all).
java_opts=(
  --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
  --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.text=ALL-UNNAMED
  --add-opens=java.base/java.time=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED
)

die() { echo "local-cluster: $*" >&2; exit 1; }
# "1 slot", "2 slots": a count and its noun, plural with an s unless the count is 1.
count() { if [[ "$1" == 1 ]]; then echo "$1 $2"; else echo "$1 $2s"; fi; }

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit 2
}

job_jar() {
  if [[ -n "${GRADFLOW_JAR:-}" ]]; then echo "$GRADFLOW_JAR"; return; fi
  local jar
  jar="$(ls "$root"/jobs/target/gradflow-jobs-*-flink.jar 2>/dev/null | head -1 || true)"
  [[ -n "$jar" ]] || die "no job jar in jobs/target: build it with ./mvnw -q -DskipTests -pl jobs -am package"
  echo "$jar"
}

# Flink's jars: the jobs module's runtime dependencies without what the job jar brings itself.
classpath() {
  [[ -d "$lib" ]] || die "no $lib: build it with ./mvnw -q -DskipTests -pl jobs -am package"
  local entries=() jar name
  for jar in "$lib"/*.jar; do
    name="$(basename "$jar")"
    case "$name" in
      gradflow-*|kafka*|avro-*|flink-connector-kafka-*|flink-avro-*|scala-*|jackson-dataformat-*|snakeyaml-[0-9]*) ;;
      *) entries+=("$jar") ;;
    esac
  done
  local IFS=:
  echo "${entries[*]}"
}

http_get() {
  if command -v curl >/dev/null; then
    curl -fsS --max-time 5 "http://localhost:$rest_port$1" 2>/dev/null || true
  else
    # No curl: HTTP/1.0 over bash's /dev/tcp (the server closes the connection).
    { exec 3<>"/dev/tcp/localhost/$rest_port" \
        && printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$1" >&3 \
        && sed '1,/^\r$/d' <&3; exec 3>&-; } 2>/dev/null || true
  fi
}

# Whether a pid file names a live process of this cluster: its command line holds the cluster's
# configuration directory, so a stale file whose pid was reused by another process is not ours.
alive() {
  [[ -f "$1" ]] || return 1
  local pid
  pid="$(cat "$1")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
    && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/conf"
}

write_conf() {
  mkdir -p "$dir/conf" "$dir/log" "$dir/savepoints" "$dir/checkpoints"
  cat > "$dir/conf/config.yaml" <<EOF
jobmanager.rpc.address: localhost
jobmanager.rpc.port: $rpc_port
jobmanager.bind-host: localhost
jobmanager.memory.process.size: ${JM_MEMORY:-768m}
taskmanager.bind-host: localhost
taskmanager.host: localhost
taskmanager.numberOfTaskSlots: $slots
taskmanager.memory.process.size: ${TM_MEMORY:-1600m}
rest.address: localhost
rest.bind-address: localhost
rest.port: $rest_port
parallelism.default: 1
# ND4J is in lib/ (from jobs/target/lib): load it parent-first, so its native libraries are
# extracted and loaded once per TaskManager instead of once per job (Nd4jClusterITCase).
classloader.parent-first-patterns.additional: [org.nd4j., org.bytedeco.]
execution.checkpointing.dir: file://$dir/checkpoints
execution.checkpointing.savepoint-dir: file://$dir/savepoints
EOF
}

start() {
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --taskmanagers) taskmanagers="$2"; shift 2 ;;
      --slots) slots="$2"; shift 2 ;;
      *) die "start: unknown flag $1 (--taskmanagers N, --slots S)" ;;
    esac
  done
  [[ "$taskmanagers" =~ ^[1-9][0-9]*$ ]] || die "--taskmanagers must be a positive integer, but was $taskmanagers"
  [[ "$slots" =~ ^[1-9][0-9]*$ ]] || die "--slots must be a positive integer, but was $slots"
  alive "$dir/jobmanager.pid" && die "a cluster already runs from $dir (stop it first)"
  # Leftovers of a cluster that died (a TaskManager without its JobManager, stale pid files).
  stop >/dev/null
  local cp
  cp="$(classpath)"
  write_conf
  nohup "$java" "${java_opts[@]}" -Xmx512m -cp "$cp" \
    org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint \
    --configDir "$dir/conf" > "$dir/log/jobmanager.log" 2>&1 &
  echo $! > "$dir/jobmanager.pid"

  # The TaskManager's JVM flags and dynamic settings, as Flink's own start scripts get them.
  local out jvm dynamic i
  out="$("$java" -cp "$cp" org.apache.flink.runtime.util.bash.BashJavaUtils \
    GET_TM_RESOURCE_PARAMS --configDir "$dir/conf" 2>&1)" \
    || { stop >/dev/null; die "BashJavaUtils failed: $out"; }
  jvm="$(grep '^BASH_JAVA_UTILS_EXEC_RESULT:' <<<"$out" | sed -n 1p | cut -d: -f2-)"
  dynamic="$(grep '^BASH_JAVA_UTILS_EXEC_RESULT:' <<<"$out" | sed -n 2p | cut -d: -f2-)"
  for ((i = 1; i <= taskmanagers; i++)); do
    # shellcheck disable=SC2086 # the flags are words
    nohup "$java" "${java_opts[@]}" $jvm -cp "$cp" \
      org.apache.flink.runtime.taskexecutor.TaskManagerRunner \
      --configDir "$dir/conf" $dynamic > "$dir/log/taskmanager-$i.log" 2>&1 &
    echo $! > "$dir/taskmanager-$i.pid"
  done

  local want=$((taskmanagers * slots)) deadline=$((SECONDS + 90)) overview=""
  while ((SECONDS < deadline)); do
    for pid in "$dir"/*.pid; do
      alive "$pid" || { stop >/dev/null; die "$(basename "$pid" .pid) exited; see $dir/log/"; }
    done
    overview="$(http_get /overview)"
    if [[ "$overview" == *"\"slots-total\":$want"* ]]; then
      echo "local-cluster: JobManager and $(count "$taskmanagers" TaskManager)," \
        "$(count "$want" slot);" \
        "Flink UI http://localhost:$rest_port; logs in $dir/log"
      return 0
    fi
    sleep 1
  done
  stop >/dev/null
  die "the cluster did not offer $want slots within 90 s (last answer: $overview); see $dir/log/"
}

stop() {
  local pid found=0
  for pid in "$dir"/taskmanager-*.pid "$dir"/jobmanager.pid; do
    [[ -f "$pid" ]] || continue
    found=1
    if alive "$pid"; then kill "$(cat "$pid")" 2>/dev/null || true; fi
  done
  for pid in "$dir"/taskmanager-*.pid "$dir"/jobmanager.pid; do
    [[ -f "$pid" ]] || continue
    local waited=0
    while alive "$pid" && ((waited < 20)); do sleep 1; waited=$((waited + 1)); done
    if alive "$pid"; then kill -9 "$(cat "$pid")" 2>/dev/null || true; fi
    rm -f "$pid"
  done
  ((found)) && echo "local-cluster: stopped" || echo "local-cluster: no cluster runs from $dir"
}

flink() {
  alive "$dir/jobmanager.pid" || die "no cluster runs from $dir: start one first"
  # The client logs through slf4j-simple: to a file, as Flink's bin/flink does, so what the
  # job's main prints (its start-up lines, a refusal) is not buried in client INFO lines.
  FLINK_CONF_DIR="$dir/conf" "$java" "${java_opts[@]}" \
    -Dorg.slf4j.simpleLogger.logFile="$dir/log/client.log" \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=info -Dorg.slf4j.simpleLogger.showDateTime=true \
    -cp "$(classpath)" org.apache.flink.client.cli.CliFrontend "$@"
}

job_id() {
  if [[ -n "${1:-}" ]]; then echo "$1"; return; fi
  [[ -f "$dir/last-job" ]] || die "give a JOB_ID (no job was submitted from this script)"
  cat "$dir/last-job"
}

submit() {
  [[ $# -gt 0 ]] || die "submit takes the job's flags, for example: submit --config job.yaml"
  local out id
  out="$(flink run -d "$(job_jar)" "$@" 2>&1)" || { echo "$out" >&2; die "submit failed"; }
  echo "$out"
  id="$(grep -o 'JobID [0-9a-f]\{32\}' <<<"$out" | tail -1 | cut -d' ' -f2)"
  [[ -n "$id" ]] || die "submit: no JobID in the output above"
  echo "$id" > "$dir/last-job"
  echo "local-cluster: job $id submitted; waiting until its tasks run"
  await_running "$id"
}

# Waits until every task of the job runs (its state restored), or says why it failed: a
# detached flink run returns once the job is accepted, before a savepoint is restored, so a
# restore the trainer refuses (another model's savepoint) would otherwise show only in the UI.
await_running() {
  local id="$1" deadline=$((SECONDS + 90)) job="" state="" trace cause
  while ((SECONDS < deadline)); do
    job="$(http_get "/jobs/$id")"
    state="$(grep -o '"state":"[A-Z]*"' <<<"$job" | head -1 | cut -d'"' -f4 || true)"
    case "$state" in
      FAILED|CANCELED|FINISHED) break ;;
      RUNNING)
        # Every vertex and every subtask: a vertex reads RUNNING while some subtasks deploy.
        # The job's "timestamps" map has the same state names with times as values: left out,
        # or its "CREATED":<time> would read as created tasks and the wait would never end.
        if ! sed 's/"timestamps":{[^}]*}//g' <<<"$job" | grep -qE '"status":"(CREATED|SCHEDULED|DEPLOYING|INITIALIZING)"|"(CREATED|SCHEDULED|DEPLOYING|INITIALIZING)":[1-9]'; then
          echo "local-cluster: job $id runs (Flink UI http://localhost:$rest_port/#/job/running)"
          return 0
        fi ;;
    esac
    sleep 1
  done
  if [[ "$state" == FAILED ]]; then
    # The innermost cause of the newest failure, from the job's exception history.
    # (|| true: set -o pipefail would end the script silently where grep finds nothing.)
    trace="$(http_get "/jobs/$id/exceptions" | grep -o '"stacktrace":"\([^"\\]\|\\.\)*' \
      | head -1 || true)"
    cause="$(sed 's/\\n/\n/g; s/\\t/ /g; s/\\"/"/g' <<<"$trace" | grep '^Caused by: ' \
      | tail -1 | sed 's/^Caused by: [A-Za-z0-9_.$]*: //' || true)"
    die "job $id failed: ${cause:-see http://localhost:$rest_port/#/job/completed}"
  fi
  echo "local-cluster: job $id is ${state:-not known to the REST API} after 90 s (not every task runs yet; see http://localhost:$rest_port)"
}

savepoint() {
  local id target out path
  id="$(job_id "${1:-}")"
  target="${2:-$dir/savepoints}"
  out="$(flink savepoint "$id" "$target" 2>&1)" || { echo "$out" >&2; die "savepoint of $id failed"; }
  path="$(grep -o 'Path: .*' <<<"$out" | tail -1 | cut -d' ' -f2-)"
  [[ -n "$path" ]] || { echo "$out" >&2; die "savepoint: no path in Flink's answer"; }
  echo "local-cluster: savepoint $path (the job runs on; to move a job use stop-job, see the usage)"
}

stop_job() {
  local id target out path
  id="$(job_id "${1:-}")"
  target="${2:-$dir/savepoints}"
  out="$(flink stop --savepointPath "$target" "$id" 2>&1)" \
    || { echo "$out" >&2; die "stop of $id with a savepoint failed (the job runs on; see $dir/log/client.log)"; }
  path="$(grep -o 'Path: .*' <<<"$out" | tail -1 | cut -d' ' -f2-)"
  [[ -n "$path" ]] || { echo "$out" >&2; die "stop-job: no savepoint path in Flink's answer"; }
  echo "local-cluster: stopped $id with savepoint $path (go on from it: submit --config job.yaml --savepoint $path)"
}

cancel() {
  local id out
  id="$(job_id "${1:-}")"
  out="$(flink cancel "$id" 2>&1)" || { echo "$out" >&2; die "cancel of $id failed"; }
  echo "local-cluster: cancelled $id"
}

status() {
  alive "$dir/jobmanager.pid" || { echo "local-cluster: no cluster runs from $dir"; return 3; }
  echo "overview: $(http_get /overview)"
  echo "jobs: $(http_get /jobs/overview)"
}

command="${1:-}"
[[ -n "$command" ]] || usage
shift
case "$command" in
  start) start "$@" ;;
  stop) stop ;;
  submit) submit "$@" ;;
  stop-job) stop_job "$@" ;;
  savepoint) savepoint "$@" ;;
  cancel) cancel "$@" ;;
  status) status ;;
  -h|--help|help) usage ;;
  *) echo "local-cluster: unknown command $command" >&2; usage ;;
esac
