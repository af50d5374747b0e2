#!/usr/bin/env bash
# Runs docker-compose.yml for real and checks it: Kafka, the Flink session cluster with the train
# job submitted, the ctr producer and Prometheus come up on free host ports; the job's
# predictions and metrics records appear on Kafka; Prometheus scrapes Gradflow's metrics, and
# every expression of the Grafana dashboard (deploy/grafana/dashboards/gradflow.json) returns
# data. Then the stack is torn down (volumes included) and what this script started is stopped.
#
# It installs Debian's docker.io and docker-compose and starts dockerd when needed
# (deploy/docker/engine.sh), builds local stand-ins of images that are absent (no registry is
# reachable on the build machines: deploy/docker/build-local-images.sh) and the Gradflow image
# (deploy/docker/build-gradflow-image.sh; its Maven step takes the build lock). Grafana has no
# stand-in: where its image is absent the other services run and the test says so. Where no
# Docker engine can run, it says why and exits 0.
#
# Usage: deploy/compose-test.sh   (KEEP_STACK=1 leaves the stack running for a look)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=docker/engine.sh
. "$here/docker/engine.sh"
# shellcheck source=docker/images.env
. "$here/docker/images.env"
export KAFKA_IMAGE FLINK_IMAGE PROMETHEUS_IMAGE GRAFANA_IMAGE GRADFLOW_IMAGE
started=$(date +%s)
say() { echo "compose-test [$(( $(date +%s) - started ))s]: $*" >&2; }

if ! engine_install || ! engine_start; then
  say "SKIPPED: no Docker engine can run here (reason above)"
  exit 0
fi
we_started_engine=false
[ -f "$ENGINE_STATE/dockerd.pid" ] && we_started_engine=true

"$here/docker/build-local-images.sh"
"$here/docker/build-gradflow-image.sh"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("",0)); print(s.getsockname()[1])'; }
KAFKA_PORT=$(free_port) FLINK_UI_PORT=$(free_port) PROMETHEUS_PORT=$(free_port) \
  GRAFANA_PORT=$(free_port)
export KAFKA_PORT FLINK_UI_PORT PROMETHEUS_PORT GRAFANA_PORT
project=gradflow-test-$$
compose=(docker-compose -p "$project" -f "$root/docker-compose.yml")
services=(kafka jobmanager taskmanager submit producer prometheus)
if "$DOCKER" image inspect "$GRAFANA_IMAGE" >/dev/null 2>&1; then
  services+=(grafana)
else
  say "no $GRAFANA_IMAGE image (Grafana has no local stand-in): running without grafana"
fi

teardown() {
  local rc=$?
  if [ $rc != 0 ]; then
    say "FAILED; the services' last log lines:"
    "${compose[@]}" logs --no-color --tail 30 >&2 2>&1 || true
  fi
  if [ "${KEEP_STACK:-}" = 1 ]; then
    say "KEEP_STACK=1: the stack $project stays up (${compose[*]} down -v)"
  else
    "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
    if $we_started_engine; then
      engine_stop
    fi
  fi
  exit $rc
}
trap teardown EXIT

say "starting ${services[*]} (Flink UI :$FLINK_UI_PORT, Prometheus :$PROMETHEUS_PORT)"
"${compose[@]}" up -d --no-build "${services[@]}" >/dev/null

# Polls "$@" every 3 s until it succeeds, for at most $timeout seconds.
await() {
  local what=$1 timeout=$2
  shift 2
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      say "timed out after ${timeout}s waiting for $what"
      return 1
    fi
    sleep 3
  done
  say "$what"
}

job_running() {
  curl -sf "http://localhost:$FLINK_UI_PORT/jobs/overview" \
    | grep -q '"name":"gradflow-compose"[^}]*"state":"RUNNING"'
}
await "the train job runs on the Flink cluster" 180 job_running

taskmanager=$("${compose[@]}" ps -q taskmanager)
# Prints the records of a topic as JSON lines (read_committed: what the job committed).
consume() {
  "$DOCKER" exec "$taskmanager" gradflow consume --bootstrap-servers kafka:9092 --topic "$1" \
    --from-beginning --max "$2" --timeout 30s 2>/dev/null
}
has_records() {
  [ "$(consume "$1" "$2" | grep -c "\"type\":\"$3\"")" -ge "$2" ]
}
await "predictions appear on Kafka" 180 has_records predictions 100 Prediction
await "metrics records appear on Kafka" 120 has_records metrics 1 MetricsReport
consume metrics 1 | head -1 | cut -c1-300 >&2

prom="http://localhost:$PROMETHEUS_PORT/api/v1/query"
# Succeeds when the PromQL expression $1 returns at least one sample (and, with $2, its first
# sample's value satisfies the Python comparison "value $2").
prom_has() {
  curl -sf --get "$prom" --data-urlencode "query=$1" | python3 -c '
import json, math, sys
r = json.load(sys.stdin)["data"]["result"]
ok = len(r) > 0
if ok and len(sys.argv) > 1:
    v = float(r[0]["value"][1])
    ok = not math.isnan(v) and eval("v " + sys.argv[1])
sys.exit(0 if ok else 1)' ${2:+"$2"}
}
op=flink_taskmanager_job_task_operator_
await "Prometheus: examples per second > 0" 120 prom_has "sum(${op}examplesPerSecond)" "> 0"
await "Prometheus: log loss in (0, 1)" 60 prom_has "${op}logLoss" "> 0 and v < 1"
await "Prometheus: AUC in (0.5, 1]" 60 prom_has "${op}auc" "> 0.5 and v <= 1"
await "Prometheus: live rows > 0" 60 prom_has "sum(${op}rowsLive)" "> 0"
await "Prometheus: cache hit rate in [0, 1]" 60 prom_has "avg(${op}cacheHitRate)" ">= 0 and v <= 1"
# Every panel of the Grafana dashboard has data.
python3 -c '
import json, sys
for p in json.load(open(sys.argv[1]))["panels"]:
    print(p["targets"][0]["expr"])' "$root/deploy/grafana/dashboards/gradflow.json" \
  | while IFS= read -r expr; do
      await "dashboard query has data: $expr" 90 prom_has "$expr"
    done

# Stop with a savepoint on the flink-data volume, then submit again from it, as the README says.
jobmanager=$("${compose[@]}" ps -q jobmanager)
job_id() {
  curl -sf "http://localhost:$FLINK_UI_PORT/jobs/overview" | python3 -c '
import json, sys
print(" ".join(j["jid"] for j in json.load(sys.stdin)["jobs"] if j["state"] == "RUNNING"))'
}
first=$(job_id)
stopped=$("$DOCKER" exec "$jobmanager" flink stop -m localhost:8081 "$first" 2>&1)
savepoint=$(echo "$stopped" | sed -n 's/^Savepoint completed\. Path: //p')
[ -n "$savepoint" ] || { echo "$stopped" >&2; say "flink stop wrote no savepoint"; exit 1; }
say "stopped job $first with savepoint $savepoint"
"${compose[@]}" run --rm -e GRADFLOW_SAVEPOINT="$savepoint" submit >/dev/null 2>&1
restored_from_savepoint() {
  local id
  id=$(job_id)
  [ -n "$id" ] && [ "$id" != "$first" ] && curl -sf \
    "http://localhost:$FLINK_UI_PORT/jobs/$id/checkpoints" | grep -q "\"restored\":{[^}]*${savepoint##*/}"
}
await "the job runs again, restored from the savepoint" 120 restored_from_savepoint
checkpoint_after_restart() {
  curl -sf "http://localhost:$FLINK_UI_PORT/jobs/$(job_id)/checkpoints" \
    | grep -q '"counts":{[^}]*"completed":[1-9]'
}
await "the restarted job completes a checkpoint" 60 checkpoint_after_restart

if [[ " ${services[*]} " == *" grafana "* ]]; then
  await "Grafana serves the provisioned dashboard" 90 \
    curl -sf "http://localhost:$GRAFANA_PORT/api/dashboards/uid/gradflow"
fi
say "PASSED"
