#!/usr/bin/env bash
# Builds local stand-ins for the official images docker-compose.yml uses, for machines where no
# image can be pulled, and tags them with the official names so the compose file runs unchanged:
#   apache/kafka    Kafka's KRaft broker from its Maven Central jars
#   flink           Flink 2.2.1 from its Maven Central jars (no distribution archive needed)
#   prom/prometheus Debian's prometheus package
# Grafana is neither in Debian nor on Maven Central: no stand-in is built (the compose file keeps
# it; deploy/compose-test.sh brings up the other services where it is missing).
#
# Installs Debian's docker.io, docker-compose and debootstrap when missing and starts dockerd when
# no engine answers (and leaves it running: deploy/compose-test.sh stops what it started). The
# base image (debootstrap --variant=minbase bookworm with a Java 17 runtime, docker import) and
# every image already present are kept: a second run only checks. --rebuild builds them again.
#
# Usage: deploy/docker/build-local-images.sh [--rebuild]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=engine.sh
. "$here/engine.sh"
# shellcheck source=images.env
. "$here/images.env"
BASE_IMAGE=gradflow-local/debian-java17:bookworm
cache=${GRADFLOW_DOCKER_CACHE:-$HOME/.cache/gradflow-docker}
rebuild=false
[ "${1:-}" = --rebuild ] && rebuild=true

engine_install
engine_start

has_image() { ! $rebuild && "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

# The base: Debian bookworm (minbase) with a Java 17 runtime; the root file system's tarball is
# cached so that a lost image is re-imported without debootstrap.
if ! has_image "$BASE_IMAGE"; then
  mkdir -p "$cache"
  if $rebuild || [ ! -s "$cache/bookworm-java17.tar" ]; then
    echo "debootstrap: Debian bookworm with openjdk-17-jre-headless (about a minute)" >&2
    rootfs=$(mktemp -d /tmp/gradflow-rootfs.XXXXXX)
    debootstrap --variant=minbase \
      --include=openjdk-17-jre-headless,ca-certificates,curl,procps,netcat-openbsd \
      bookworm "$rootfs" http://deb.debian.org/debian >"$cache/debootstrap.log" 2>&1 \
      || { tail -20 "$cache/debootstrap.log" >&2; exit 1; }
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -cf "$cache/bookworm-java17.tar.part" .
    mv "$cache/bookworm-java17.tar.part" "$cache/bookworm-java17.tar"
    rm -rf "$rootfs"
  fi
  "$DOCKER" import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' --change 'CMD ["/bin/bash"]' \
    "$cache/bookworm-java17.tar" "$BASE_IMAGE" >/dev/null
fi

# Kafka's and Flink's jars: what the jobs module resolves from Maven Central (its target/lib),
# plus Flink's web UI, which the jobs module does not need.
jars="$root/jobs/target/lib"
need_jars=false
has_image "$KAFKA_IMAGE" || need_jars=true
has_image "$FLINK_IMAGE" || need_jars=true
if $need_jars; then
  if [ ! -f "$jars/kafka_2.13-4.2.0.jar" ] || [ ! -f "$jars/flink-runtime-2.2.1.jar" ]; then
    echo "building the jobs module for its dependency jars (under the build lock)" >&2
    (cd "$root" && locked_build ./mvnw -q -pl jobs -am package -DskipTests)
  fi
  web="$cache/flink-runtime-web-2.2.1.jar"
  if [ ! -s "$web" ]; then
    (cd "$root" && locked_build ./mvnw -q dependency:copy \
      -Dartifact=org.apache.flink:flink-runtime-web:2.2.1 -DoutputDirectory="$cache")
  fi
fi

context=$(mktemp -d /tmp/gradflow-image.XXXXXX)
trap 'rm -rf "$context"' EXIT

if ! has_image "$KAFKA_IMAGE"; then
  echo "building $KAFKA_IMAGE (stand-in)" >&2
  mkdir -p "$context/kafka/libs"
  cp "$here/local/kafka/"* "$context/kafka/"
  # The broker's class path: everything but Flink, Gradflow and what only the job uses.
  find "$jars" -name '*.jar' ! -name 'flink-*' ! -name 'gradflow-*' ! -name 'frocksdbjni-*' \
    ! -name 'jfreechart-*' ! -name 'org.jfree.*' ! -name 'avro-*' ! -name 'kryo-*' \
    ! -name 'async-profiler-*' ! -name 'kafka-test-common-*' -exec cp {} "$context/kafka/libs/" \;
  "$DOCKER" build -q --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$KAFKA_IMAGE" "$context/kafka" >/dev/null
fi

if ! has_image "$FLINK_IMAGE"; then
  echo "building $FLINK_IMAGE (stand-in)" >&2
  mkdir -p "$context/flink/lib"
  cp "$here/local/flink/"* "$context/flink/"
  # What a Flink distribution's lib/ holds, as in jobs' LocalFlinkCluster: no Kafka, Avro, Scala,
  # Gradflow, ND4J or YAML binding of the job's own (a job jar brings those itself).
  find "$jars" -name '*.jar' ! -name 'gradflow-*' ! -name 'kafka*' ! -name 'avro-*' \
    ! -name 'flink-connector-kafka-*' ! -name 'scala-*' ! -name 'jackson-dataformat-*' \
    ! -name 'snakeyaml-2*' ! -name 'flink-state-processor-api-*' ! -name 'async-profiler-*' \
    ! -name 'nd4j-*' ! -name 'javacpp-*' ! -name 'openblas-*' ! -name 'flatbuffers-java-*' \
    ! -name '*-1.0.0-M2.1.jar' -exec cp {} "$context/flink/lib/" \;
  cp "$cache/flink-runtime-web-2.2.1.jar" "$context/flink/lib/"
  "$DOCKER" build -q --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$FLINK_IMAGE" "$context/flink" >/dev/null
fi

if ! has_image "$PROMETHEUS_IMAGE"; then
  echo "building $PROMETHEUS_IMAGE (stand-in, Debian's prometheus)" >&2
  "$DOCKER" build -q --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$PROMETHEUS_IMAGE" \
    "$here/local/prometheus" >/dev/null
fi

if ! "$DOCKER" image inspect "$GRAFANA_IMAGE" >/dev/null 2>&1; then
  echo "no $GRAFANA_IMAGE: Grafana is not in Debian and cannot be built here; pull it where a" \
    "registry is reachable (docker-compose.yml keeps the service)" >&2
fi
"$DOCKER" images --format '{{.Repository}}:{{.Tag}} {{.Size}}' \
  | grep -E "^($BASE_IMAGE|$KAFKA_IMAGE|$FLINK_IMAGE|$PROMETHEUS_IMAGE|$GRAFANA_IMAGE) " >&2 || true
