#!/usr/bin/env bash
# Runs bench_exchange for each rank count given and plots the results.
#   benchmarks/exchange/run.sh OUTDIR [RANKS...]        (default ranks: 2 4 8)
# Uses build/ (or $SAGIPS_BUILD_DIR); writes OUTDIR/exchange_npN.json, .txt and exchange.png.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${SAGIPS_BUILD_DIR:-$root/build}"
out="$1"; shift
ranks=("${@:-2 4 8}")
[ $# -eq 0 ] && ranks=(2 4 8)
mkdir -p "$out"
. "$root/scripts/mpi-env"
for n in "${ranks[@]}"; do
  mpirun -np "$n" "$build/benchmarks/exchange/bench_exchange" --json "$out/exchange_np$n.json" | tee "$out/exchange_np$n.txt"
done
/usr/bin/python3 "$root/benchmarks/exchange/plot_exchange.py" "$out"/exchange_np*.json -o "$out/exchange.png" || \
  python3 "$root/benchmarks/exchange/plot_exchange.py" "$out"/exchange_np*.json -o "$out/exchange.png"
