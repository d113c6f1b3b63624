#!/usr/bin/env bash
# trace-step.sh: what holds the memory of one training step — runs the memory probe (the child process `memory` starts
# for each measurement) once for CONFIG at length T and batch B, with two diagnoses of its measured step:
#   OUT/census.tsv    the native heap at its peak in the step, by training phase and block size (alloc_trace.c, preloaded;
#                     compiled with the system's C compiler into OUT);
#   OUT/resident.tsv  the resident set, glibc's arena / in-use / mmapped bytes and the managed heap at every change of
#                     training phase, and the sample of the highest resident set (SEQ2SEQREV_RESIDENT_TRACE).
# The probe's own peak (JSON) is printed too; the census slows the step several times. Build first (./seq2seqrev --version).
#   scripts/alloc-trace/trace-step.sh CONFIG T B OUT [key=value ...: not supported; write a config]
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 CONFIG T B OUT" >&2; exit 2; }
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
config="$(realpath "$1")"; t="$2"; b="$3"; out="$4"
dll="$ROOT/artifacts/bin/Seq2SeqRev.Train/release/Seq2SeqRev.Train.dll"
[ -f "$dll" ] || { echo "trace-step.sh: $dll missing: run ./seq2seqrev --version first" >&2; exit 2; }
mkdir -p "$out"; out="$(realpath "$out")"
cc -O2 -shared -fPIC -o "$out/alloc_trace.so" "$ROOT/scripts/alloc-trace/alloc_trace.c" -lpthread
run() { MALLOC_MMAP_THRESHOLD_=65536 OMP_NUM_THREADS=1 "$@" dotnet "$dll" memory-probe --config "$config" --seq-len "$t" --batch "$b" --steps 1; }
echo "resident trace:" >&2
run env SEQ2SEQREV_RESIDENT_TRACE="$out/resident.tsv"
echo "native census (slow):" >&2
run env LD_PRELOAD="$out/alloc_trace.so" SEQ2SEQREV_ALLOC_TRACE_LIB="$out/alloc_trace.so" SEQ2SEQREV_ALLOC_TRACE="$out/census.tsv"
head -1 "$out/resident.tsv"; head -12 "$out/census.tsv"
