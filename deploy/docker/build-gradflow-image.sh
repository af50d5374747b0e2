#!/usr/bin/env bash
# Builds the Gradflow image ($GRADFLOW_IMAGE, gradflow/gradflow-flink:0.1.0-SNAPSHOT) on top of
# $FLINK_IMAGE: packages the jobs module (through the build lock that Gradflow's builds share)
# unless its job jar is newer than every source and pom, fetches flink-metrics-prometheus 2.2.1 from Maven Central once, and runs docker build.
# Usage: deploy/docker/build-gradflow-image.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=engine.sh
. "$here/engine.sh"
# shellcheck source=images.env
. "$here/images.env"
version=0.1.0-SNAPSHOT
prom=flink-metrics-prometheus-2.2.1.jar
mkdir -p "$here/target"
jar="$root/jobs/target/gradflow-jobs-$version-flink.jar"
if [ ! -f "$jar" ] || [ -n "$(find "$root/pom.xml" "$root/schemas" "$root/operators" "$root/jobs" \
    \( -path '*/target' -prune \) -o \( -type f -newer "$jar" -print \) | head -1)" ]; then
  echo "packaging the jobs module (under the build lock)" >&2
  # Debian's Maven 3.8.7 (Jansi 2.4) wrote ESC[0m to stdout even with -B -q; the project's
  # .mvn/jvm.config sets -Djansi.noreset=true, which stops it.
  (cd "$root" && locked_build ./mvnw -q -pl jobs -am package -DskipTests)
fi
cp "$jar" "$here/target/gradflow-jobs-flink.jar"
cache=${GRADFLOW_DOCKER_CACHE:-$HOME/.cache/gradflow-docker}
if [ ! -s "$cache/$prom" ]; then
  (cd "$root" && locked_build ./mvnw -q dependency:copy \
    -Dartifact=org.apache.flink:flink-metrics-prometheus:2.2.1 -DoutputDirectory="$cache")
fi
cp "$cache/$prom" "$here/target/$prom"
"$DOCKER" build -q --build-arg FLINK_IMAGE="$FLINK_IMAGE" -t "$GRADFLOW_IMAGE" "$here" >/dev/null
echo "built $GRADFLOW_IMAGE on $FLINK_IMAGE" >&2
