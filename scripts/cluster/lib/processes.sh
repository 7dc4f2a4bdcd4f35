# Sourced by scripts/cluster/cluster.sh (not run on its own): the host processes of the cluster:
# start detached with a marker in their environment, find, stop, wait for.
# shellcheck shell=bash

pidfile() { echo "$RUN/$1.pid"; }

running_pid() {  # prints the pid if the component runs (pid file + live process of ours)
  local f pid
  f=$(pidfile "$1")
  [[ -f "$f" ]] || return 1
  pid=$(cat "$f")
  [[ -n "$pid" && -d "/proc/$pid" ]] || return 1
  # guard against pid reuse: the process must have been started with our marker
  { tr '\0' '\n' <"/proc/$pid/environ"; } 2>/dev/null | grep -qx "KUBEPROOF_CLUSTER_COMPONENT=$1" || return 1
  echo "$pid"
}

start_component() {  # name cmd... ; started detached, oom_score_adj 0, logs appended
  local name=$1; shift
  if pid=$(running_pid "$name"); then log "$name already running (pid $pid)"; return 0; fi
  mkdir -p "$RUN" "$LOGS"
  printf '\n===== %s starting %s\n' "$(date -Is)" "$name" >>"$LOGS/$name.log"
  KUBEPROOF_CLUSTER_COMPONENT=$name setsid bash -c 'echo 0 >/proc/self/oom_score_adj 2>/dev/null || true; exec "$@"' "$name" "$@" \
    >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$(pidfile "$name")"
  log "started $name (pid $!, log $LOGS/$name.log)"
}

stop_component() {
  local name=$1 pid i
  if pid=$(running_pid "$name"); then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do [[ -d /proc/$pid ]] || break; sleep 0.2; done
    if [[ -d /proc/$pid ]]; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; fi
    log "stopped $name (pid $pid)"
  fi
  rm -f "$(pidfile "$name")"
}

log_tail() { echo "----- last lines of $LOGS/$1.log -----" >&2; tail -n "${2:-30}" "$LOGS/$1.log" >&2 2>/dev/null || true; }

wait_for() {  # component timeout-seconds description cmd...
  local comp=$1 timeout=$2 what=$3; shift 3
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    if ! running_pid "$comp" >/dev/null; then log_tail "$comp"; die "$comp exited while waiting for $what"; fi
    if (( $(date +%s) > deadline )); then log_tail "$comp"; die "$comp: $what not reached within ${timeout}s"; fi
    sleep 0.5
  done
}
