#!/usr/bin/env bash
# busy-machine.sh: runs a command while every core (or -n N of them) is kept busy by a spinning process, to measure how
# a setting behaves on a shared machine. The busy loops are bounded by a timeout (-t SECONDS, default 900) and are
# stopped, by their process ids, as soon as the command ends. The command's exit status is returned.
#   scripts/busy-machine.sh [-n N] [-t SECONDS] -- COMMAND [ARGS...]
set -euo pipefail
n="$(getconf _NPROCESSORS_ONLN)"; limit=900   # not nproc: it honours OMP_NUM_THREADS
while [ $# -gt 0 ]; do
  case "$1" in
    -n) n="$2"; shift 2 ;;
    -t) limit="$2"; shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: $0 [-n N] [-t SECONDS] -- COMMAND [ARGS...]" >&2; exit 2; }
[[ "$n" =~ ^[0-9]+$ && "$limit" =~ ^[0-9]+$ ]] || { echo "busy-machine.sh: -n and -t take whole numbers" >&2; exit 2; }
pids=()
stop() { local p; for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap stop EXIT
for ((i = 0; i < n; i++)); do
  timeout "$limit" yes > /dev/null &
  pids+=("$!")
done
echo "busy-machine.sh: $n busy process(es) (pids ${pids[*]}), at most ${limit} s" >&2
set +e; "$@"; rc=$?; set -e
exit "$rc"
