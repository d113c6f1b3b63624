#!/usr/bin/env bash
# Trains the runs of docs/RESULTS.md into RUNS_DIR, two at a time, each with one torch thread (OMP_NUM_THREADS=1)
# at the lowest priority (nice 19, and the trainer's session group too where the kernel has autogroup), in this order:
#   the 12 seed runs   configs/results/{gru,revgru,lstm,revlstm}.yaml x seeds 1, 2, 3 (GRU and RevGRU first),
#                      folders RUNS_DIR/<model>-seed<N>;
#   the 9 cross-section runs   configs/results/cross/*.yaml (RevGRU, attention x forgetting limit, 6 epochs, seed 1),
#                      folders RUNS_DIR/cross-<config name>.
# Rerunnable and safe to stop at any time: a run whose folder has last.ckpt is resumed (`train --resume`; a finished
# run ends at once), a folder without one is started afresh; SIGINT/SIGTERM to this script are passed on to the
# trainers, which finish their batch, save last.ckpt and stop. Each run holds RUNS_DIR/<run>/.lock while it trains, so
# a second copy of this script (or a trainer left over from a killed one) never trains the same run twice: such a
# run is skipped and named at the end. Output of each trainer: RUNS_DIR/logs/<run>.log (appended); the run's own
# train.log and metrics.jsonl are in its folder.
#
# usage: scripts/results.sh [--check] [--only NAME[,NAME...]] [--jobs N] [--plan FILE] RUNS_DIR [key=value ...]
#   --check      parse every config with its seed and check the corpus files (`train --dry-run`), train nothing
#   --only       only these runs (folder names, e.g. gru-seed1,cross-revgru-emb-3bit)
#   --jobs N     runs at a time (default 2)
#   --plan FILE  other runs instead: one "NAME CONFIG SEED" a line (CONFIG relative to the repository), # comments
#   key=value    config overrides for the runs started afresh (a resumed run keeps its checkpoint's config)
# The corpus is found as by `train` (SEQ2SEQREV_CORPORA, data.corpora_dir, or the download cache).
# Afterwards: ./seq2seqrev report --runs RUNS_DIR ... (docs/RESULTS.md, "How to reproduce").
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
S2S="$ROOT/seq2seqrev"
die() { printf 'results.sh: error: %s\n' "$*" >&2; exit 2; }
say() { printf '%s results.sh: %s\n' "$(date '+%F %T')" "$*" >&2; }

check=0 only="" jobs=2 runs_dir="" plan_file="" overrides=()
while [ $# -gt 0 ]; do
  case "$1" in
    --check) check=1 ;;
    --only) [ $# -ge 2 ] || die "--only needs a list of run names"; only="$2"; shift ;;
    --jobs) [ $# -ge 2 ] && [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "--jobs needs a whole number >= 1"; jobs="$2"; shift ;;
    --plan) [ $# -ge 2 ] || die "--plan needs a file"; plan_file="$2"; shift ;;
    -h|--help) sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option '$1' (scripts/results.sh --help)" ;;
    *=*) overrides+=("$1") ;;
    *) [ -z "$runs_dir" ] || die "one RUNS_DIR only (got '$runs_dir' and '$1')"; runs_dir="$1" ;;
  esac
  shift
done
[ -n "$runs_dir" ] || die "usage: scripts/results.sh [--check] [--only NAMES] [--jobs N] [--plan FILE] RUNS_DIR [key=value ...]"
mkdir -p "$runs_dir" || die "$runs_dir: cannot create"
runs_dir="$(cd "$runs_dir" && pwd -P)"
case "$runs_dir/" in "$(cd "$ROOT" && pwd -P)/"*) die "$runs_dir is inside the repository; give a folder outside it" ;; esac

# name|config|seed, in training order
plan=()
for pair in gru:revgru lstm:revlstm; do
  for seed in 1 2 3; do
    for model in ${pair%%:*} ${pair##*:}; do plan+=("$model-seed$seed|configs/results/$model.yaml|$seed"); done
  done
done
for att in 20h 100h 300h emb emb+20h; do plan+=("cross-revgru-$att-3bit|configs/results/cross/revgru-$att-3bit.yaml|1"); done
for bits in 1bit 2bit 5bit nolimit; do plan+=("cross-revgru-emb+20h-$bits|configs/results/cross/revgru-emb+20h-$bits.yaml|1"); done
if [ -n "$plan_file" ]; then
  [ -f "$plan_file" ] || die "--plan: $plan_file: no such file"
  plan=() n=0
  while read -r name config seed extra; do
    n=$((n + 1))
    case "$name" in ''|'#'*) continue ;; esac
    [[ -n "$seed" && -z "$extra" && "$seed" =~ ^[0-9]+$ && "$name" =~ ^[A-Za-z0-9][A-Za-z0-9._+-]*$ ]] \
      || die "$plan_file:$n: expected NAME CONFIG SEED (a folder name, a config file, a whole number)"
    [ -f "$ROOT/$config" ] || die "$plan_file:$n: $config: no such config in the repository"
    plan+=("$name|$config|$seed")
  done < "$plan_file"
  [ "${#plan[@]}" -gt 0 ] || die "--plan: $plan_file names no run"
fi
if [ -n "$only" ]; then
  selected=()
  IFS=',' read -r -a wanted <<<"$only"
  for w in "${wanted[@]}"; do
    found=0
    for entry in "${plan[@]}"; do [ "${entry%%|*}" = "$w" ] && { selected+=("$entry"); found=1; }; done
    [ "$found" = 1 ] || die "--only: no run named '$w' (names: $(printf '%s ' "${plan[@]%%|*}"))"
  done
  plan=("${selected[@]}")
fi

"$S2S" setup || die "build failed"

if [ "$check" = 1 ]; then
  failed=0
  for entry in "${plan[@]}"; do
    IFS='|' read -r name config seed <<<"$entry"
    dir="$runs_dir/$name"
    if [ -f "$dir/last.ckpt" ]; then args=(--run-dir "$dir" --resume --dry-run)
    else args=(--config "$ROOT/$config" --run-dir "$dir" --dry-run "seed=$seed" ${overrides[@]+"${overrides[@]}"}); fi
    if out="$("$S2S" train "${args[@]}" 2>&1 >/dev/null)"; then say "$name: $out"
    else say "$name: FAILED: $out"; failed=1; fi
  done
  exit "$failed"
fi

mkdir -p "$runs_dir/logs"
declare -A running=()     # pid -> run name
stopping=0
done_runs=() failed_runs=() busy_runs=() stopped_runs=()

stop_all() {
  stopping=1
  say "stopping: SIGTERM to ${#running[@]} trainer(s); each saves last.ckpt after its batch"
  local pid; for pid in "${!running[@]}"; do kill -TERM "$pid" 2>/dev/null; done
}
trap stop_all INT TERM

start() { # name config seed: starts one trainer in the background (its own session, so a Ctrl-C reaches only this
          # script, which passes on one SIGTERM), holding the run's lock for as long as it trains
  local name="$1" config="$2" seed="$3" dir="$runs_dir/$1"
  mkdir -p "$dir"
  (
    exec 9>"$dir/.lock"
    flock -n 9 || exit 75
    if [ -f "$dir/last.ckpt" ]; then
      args=(--run-dir "$dir" --resume)
    else
      # a folder without last.ckpt holds no training worth keeping (stopped before its first checkpoint): start afresh
      find "$dir" -mindepth 1 -maxdepth 1 ! -name .lock -exec rm -rf {} +
      args=(--config "$ROOT/$config" --run-dir "$dir" "seed=$seed" ${overrides[@]+"${overrides[@]}"})
    fi
    printf '\n%s results.sh: OMP_NUM_THREADS=1 nice -n 19 ./seq2seqrev train %s\n' "$(date '+%F %T')" "${args[*]}"
    # setsid gives the trainer a session of its own, and where the kernel schedules sessions as groups (autogroup),
    # nice acts only inside the group: the group itself is set to nice 19, or the trainers would take a full share
    # of the cores from every other session's work.
    exec setsid bash -c '{ [ -w /proc/self/autogroup ] && echo 19 > /proc/self/autogroup; } 2>/dev/null
      exec env OMP_NUM_THREADS=1 nice -n 19 "$0" train "$@"' "$S2S" "${args[@]}"
  ) >>"$runs_dir/logs/$name.log" 2>&1 &
  running[$!]="$name"
  say "$name: started (pid $!; $config, seed $seed)"
}

finish() { # pid status
  local name="${running[$1]}" status="$2"
  unset 'running[$1]'
  case "$status" in
    0) done_runs+=("$name"); say "$name: done" ;;
    75) busy_runs+=("$name"); say "$name: skipped, another process holds $runs_dir/$name/.lock" ;;
    130|143) stopped_runs+=("$name"); say "$name: stopped (resume by rerunning this script)" ;;
    *) failed_runs+=("$name"); say "$name: FAILED (exit $status), see $runs_dir/logs/$name.log" ;;
  esac
}

wait_one() {
  local pid status
  while :; do
    pid=""
    wait -n -p pid; status=$?
    if [ -n "${pid:-}" ] && [ -n "${running[$pid]+x}" ]; then finish "$pid" "$status"; return; fi
    [ "${#running[@]}" -gt 0 ] || return   # a signal interrupted the wait: go on waiting
  done
}

say "runs: ${#plan[@]} into $runs_dir, $jobs at a time"
for entry in "${plan[@]}"; do
  [ "$stopping" = 0 ] || break
  while [ "${#running[@]}" -ge "$jobs" ]; do wait_one; done
  [ "$stopping" = 0 ] || break
  IFS='|' read -r name config seed <<<"$entry"
  start "$name" "$config" "$seed"
done
while [ "${#running[@]}" -gt 0 ]; do wait_one; done

say "finished: ${#done_runs[@]} done, ${#stopped_runs[@]} stopped, ${#busy_runs[@]} busy elsewhere, ${#failed_runs[@]} failed"
[ "${#busy_runs[@]}" = 0 ] || say "busy elsewhere: ${busy_runs[*]}"
[ "${#failed_runs[@]}" = 0 ] || { say "failed: ${failed_runs[*]}"; exit 1; }
[ "$stopping" = 0 ] || exit 130
exit 0
