#!/bin/bash
# The official Flink image's entry point, for a session cluster: jobmanager or taskmanager, with
# FLINK_PROPERTIES (YAML lines) appended to conf/config.yaml; anything else is run as a command.
set -euo pipefail
conf=/opt/flink/conf
cp="/opt/flink/lib/*"
# What Flink's start scripts pass to every JVM (env.java.default-opts.all).
java_opts="--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED
--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED
--add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
--add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
--add-opens=java.base/java.text=ALL-UNNAMED --add-opens=java.base/java.time=ALL-UNNAMED
--add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED"
echo $java_opts > "$conf/.java-opts"

# Sets one flat key of conf/config.yaml, replacing its earlier value (YAML refuses repeated keys).
set_config_option() {
  local key=$1 value=$2 escaped
  escaped=$(printf '%s' "$key" | sed 's/[.[\*^$/]/\\&/g')
  sed -i "/^${escaped}:/d" "$conf/config.yaml"
  printf '%s: %s\n' "$key" "$value" >> "$conf/config.yaml"
}

prepare_configuration() {
  if [ -n "${JOB_MANAGER_RPC_ADDRESS:-}" ]; then
    set_config_option jobmanager.rpc.address "$JOB_MANAGER_RPC_ADDRESS"
  fi
  if [ -n "${FLINK_PROPERTIES:-}" ]; then
    local line
    while IFS= read -r line; do
      [[ "$line" =~ ^([^:#[:space:]]+):[[:space:]]*(.*)$ ]] || continue
      set_config_option "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
    done <<< "$FLINK_PROPERTIES"
  fi
}

case "${1:-help}" in
  jobmanager)
    shift
    prepare_configuration
    exec java $java_opts -Xmx${JOBMANAGER_HEAP:-768m} -cp "$cp" \
      org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint \
      --configDir "$conf" "$@"
    ;;
  taskmanager)
    shift
    prepare_configuration
    # JVM flags and dynamic settings as Flink's taskmanager.sh gets them from BashJavaUtils.
    params=$(java -cp "$cp" org.apache.flink.runtime.util.bash.BashJavaUtils \
      GET_TM_RESOURCE_PARAMS --configDir "$conf" | grep '^BASH_JAVA_UTILS_EXEC_RESULT:' \
      | sed 's/^BASH_JAVA_UTILS_EXEC_RESULT://')
    jvm=$(echo "$params" | sed -n 1p)
    dynamic=$(echo "$params" | sed -n 2p)
    exec java $java_opts $jvm -cp "$cp" org.apache.flink.runtime.taskexecutor.TaskManagerRunner \
      --configDir "$conf" $dynamic "$@"
    ;;
  help)
    echo "usage: jobmanager | taskmanager | COMMAND [ARGS...]"
    ;;
  *)
    prepare_configuration
    exec "$@"
    ;;
esac
