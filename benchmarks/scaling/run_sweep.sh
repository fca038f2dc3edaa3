#!/usr/bin/env bash
# The sweep of docs/scaling.md, stage by stage in order of importance (each stage resumes where a
# previous run stopped).   benchmarks/scaling/run_sweep.sh OUT [DRIVER]
# DRIVER defaults to build/benchmarks/scaling/scaling_driver.so (or $SAGIPS_BUILD_DIR's). Several hours
# of host time on a loaded 2-core machine, about two on a quiet one; peaks near 11 GiB of memory.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$1"
driver="${2:-${SAGIPS_BUILD_DIR:-$root/build}/benchmarks/scaling/scaling_driver.so}"
ranks=4,8,16,32,64,128,256,512
# The series a denser polling can change (the others are blocking, or not simulated past 128 ranks).
overlap="allreduce (rab_rdb),allreduce (Open MPI rules),iallreduce,async-ring weak,parameter-server,ensemble,local,hierarchical,async-doubling weak"
run() { nice -n 19 python3 "$root/benchmarks/scaling/sweep.py" run --driver "$driver" --out "$out" --ranks $ranks "$@"; }
run --profiles gpu5 --sizes generator
run --profiles gpu5-layers --sizes generator --series "$overlap"
run --profiles gpu1 --sizes generator
run --profiles gpu1-layers --sizes generator --series "$overlap"
run --profiles gpu5 --sizes 10MiB --max-gib 11
run --profiles gpu1 --sizes 10MiB --max-gib 11
run --profiles gpu5-layers,gpu1-layers --sizes 10MiB --max-gib 11 --series "$overlap"
run --profiles cpu --sizes generator
run --platform flat --profiles gpu5,gpu5-layers --sizes generator \
    --series "allreduce (SMPI default),allreduce (rab_rdb),allreduce (Open MPI rules),sync-ring chunked,async-ring weak,parameter-server,hierarchical,async-doubling weak"
python3 "$root/benchmarks/scaling/sweep.py" table "$out/results.json" --compact | tee "$out/tables.md"
/usr/bin/python3 "$root/benchmarks/scaling/sweep.py" plot "$out/results.json" -o "$out/scaling.png" || true
