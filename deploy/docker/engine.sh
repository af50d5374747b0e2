# Sourced by build-local-images.sh and ../compose-test.sh: a Docker engine on a machine without
# systemd. Debian's docker.io (20.10) and docker-compose (v1, 1.29.2) are installed when missing;
# dockerd is started when no engine answers and stopped again by engine_stop (only if we started
# it). A newer docker client without the compose plugin may come first on the PATH, hence
# /usr/bin/docker.

DOCKER=${DOCKER:-/usr/bin/docker}
ENGINE_STATE=${ENGINE_STATE:-/tmp/gradflow-dockerd}

# Installs docker.io, docker-compose and debootstrap with apt-get when one is missing. Returns 1
# (with the reason on stderr) when they are missing and cannot be installed.
engine_install() {
  local missing=()
  [ -x /usr/bin/docker ] && command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  # compose-test.sh asks Prometheus and Flink's REST API with curl and reads JSON with python3.
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "missing ${missing[*]} and no apt-get as root to install them" >&2
    return 1
  fi
  echo "installing ${missing[*]} (apt-get)" >&2
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    "${missing[@]}" >/dev/null || { echo "apt-get could not install ${missing[*]}" >&2; return 1; }
}

# Starts dockerd unless an engine already answers; waits up to 60 s for its socket. Returns 1
# (with the reason) when no engine can run here.
engine_start() {
  if "$DOCKER" info >/dev/null 2>&1; then
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "no Docker engine answers and dockerd needs root" >&2
    return 1
  fi
  mkdir -p "$ENGINE_STATE"
  echo "starting dockerd (log: $ENGINE_STATE/dockerd.log)" >&2
  # dockerd outlives this script, so it gets none of the caller's descriptors above 2: a lock
  # held around this script (flock(1) passes its descriptor on) would otherwise stay held for as
  # long as dockerd runs.
  (
    for fd in /proc/self/fd/*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
    done
    exec dockerd >"$ENGINE_STATE/dockerd.log" 2>&1
  ) &
  echo $! >"$ENGINE_STATE/dockerd.pid"
  local i
  for i in $(seq 60); do
    if "$DOCKER" info >/dev/null 2>&1; then
      return 0
    fi
    if ! kill -0 "$(cat "$ENGINE_STATE/dockerd.pid")" 2>/dev/null; then
      echo "dockerd exited: $(tail -3 "$ENGINE_STATE/dockerd.log")" >&2
      rm -f "$ENGINE_STATE/dockerd.pid"
      return 1
    fi
    sleep 1
  done
  echo "dockerd did not answer in 60 s: $(tail -3 "$ENGINE_STATE/dockerd.log")" >&2
  return 1
}

# Stops the dockerd that engine_start started (by its pid), if any.
engine_stop() {
  local pid
  [ -f "$ENGINE_STATE/dockerd.pid" ] || return 0
  pid=$(cat "$ENGINE_STATE/dockerd.pid")
  rm -f "$ENGINE_STATE/dockerd.pid"
  # A stale file's pid may have been reused: stop it only if it is a dockerd.
  case "$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)" in
    dockerd*|*/dockerd*) ;;
    *) return 0 ;;
  esac
  kill "$pid" 2>/dev/null || return 0
  local i
  for i in $(seq 30); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 1
  done
  kill -9 "$pid" 2>/dev/null || true
}

# Runs a Maven command ("$@", from the repository root) under Gradflow's build lock
# (GRADFLOW_BUILD_LOCK, /tmp/gradflow-build.lock; "none" runs it without, for a caller that
# holds the lock already: flock on the same file from a child would wait for ever).
locked_build() {
  local lock=${GRADFLOW_BUILD_LOCK:-/tmp/gradflow-build.lock}
  if [ "$lock" = none ]; then
    "$@"
  else
    flock "$lock" "$@"
  fi
}
