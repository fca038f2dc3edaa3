#!/usr/bin/env python3
"""The main job on a disk that fills up (with the fault-injection library tests/support/fault_inject.cpp
preloaded into the ranks), then resumed on a disk with room again:

    disk_full.py --scenario latest|metrics --program PROXY2D --shim LIBFAULT.so --work DIR -- MPIRUN ARGS...

  latest   the disk is full when `latest` is written for the second checkpoint (step 6);
  metrics  one write of metrics.csv fails (a transient ENOSPC) in the middle of the row of step 6.

Either way the run must exit non-zero with a message naming the file and "No space left on device",
the checkpoint of step 3 and `latest` must be intact, and a --resume run without the fault must go on
from step 3 (not step 1), finish, and write the metrics and samples of an uninterrupted run.
Exit 0 when all of that holds; 1 with the reasons otherwise.
"""
import argparse
import os
import shutil
import subprocess
import sys

# Metrics rows on the checkpoint steps (3 and 6): a row's losses are means since the previous row, which
# a resumed run can only reproduce when that row was at its checkpoint.
JOB = ["--steps", "6", "--param-samples", "4", "--events-per-sample", "32", "--eval-samples", "50",
       "--metrics-every", "3", "--checkpoint-every", "3", "--real-events", "4000", "--no-fit"]
TIMING_COLUMNS = 2  # steps_per_s and events_per_s: the only columns that differ between runs


def run(cmd, timeout=300):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
                          timeout=timeout)
    return proc.returncode, proc.stdout


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def without_timing(metrics):
    return [",".join(line.split(",")[:-TIMING_COLUMNS]) for line in metrics.splitlines()]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario", choices=["latest", "metrics"], required=True)
    parser.add_argument("--program", required=True)
    parser.add_argument("--shim", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("mpirun", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    mpirun = args.mpirun[1:] if args.mpirun and args.mpirun[0] == "--" else args.mpirun
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    whole, broken = os.path.join(args.work, "whole"), os.path.join(args.work, "broken")
    problems = []

    # The uninterrupted run: what the interrupted one must end up with.
    rc, out = run(mpirun + [args.program] + JOB + ["--output", whole])
    if rc != 0:
        print(out)
        print(f"FAIL: the uninterrupted run exited with {rc}")
        return 1

    if args.scenario == "latest":
        target = os.path.join(broken, "checkpoints", "latest")
        room = len("step-00000003\n")  # the first checkpoint's `latest` fits, the second's does not
        times = 0
    else:
        target = os.path.join(broken, "metrics.csv")
        header, row3 = read(os.path.join(whole, "metrics.csv")).splitlines(keepends=True)[:2]
        room = len(header) + len(row3) + 10  # the header and step 3's row fit; step 6's is cut
        times = 1
    fault = ["-x", "LD_PRELOAD=" + args.shim, "-x", "SAGIPS_FAULT_PATH=" + target, "-x", "SAGIPS_FAULT_OP=write",
             "-x", f"SAGIPS_FAULT_AFTER={room}", "-x", f"SAGIPS_FAULT_TIMES={times}", "-x", "SAGIPS_FAULT_ERRNO=ENOSPC"]
    rc, out = run(mpirun + fault + [args.program] + JOB + ["--output", broken])
    print(out)
    if rc == 0:
        problems.append(f"the run on a full disk exited with 0 (writing {target})")
    for text in (target, "No space left on device"):
        if text not in out:
            problems.append(f"its output lacks {text!r}")

    checkpoints = os.path.join(broken, "checkpoints")
    latest = os.path.join(checkpoints, "latest")
    if not os.path.isfile(latest) or read(latest) != "step-00000003\n":
        problems.append(f"{latest} does not name step-00000003 after the failure")
    step3 = os.path.join(checkpoints, "step-00000003")
    if not os.path.isdir(step3) or not any(n.startswith("rank-") for n in os.listdir(step3)):
        problems.append(f"{step3} is missing or empty after the failure")
    leftovers = [n for n in os.listdir(checkpoints) if n.endswith(".partial") or n.endswith(".tmp")] \
        if os.path.isdir(checkpoints) else []
    if leftovers:
        problems.append(f"left behind in {checkpoints}: {leftovers}")

    # Room again: the resumed run goes on from step 3 and ends as the uninterrupted run did.
    rc, out = run(mpirun + [args.program] + JOB + ["--output", broken, "--resume"])
    print(out)
    if rc != 0:
        problems.append(f"the resumed run exited with {rc}")
    if "resuming after step 3" not in out:
        problems.append("the resumed run did not resume after step 3")
    else:
        if without_timing(read(os.path.join(broken, "metrics.csv"))) != \
                without_timing(read(os.path.join(whole, "metrics.csv"))):
            problems.append("metrics.csv of the resumed run differs from the uninterrupted run's")
        if read(os.path.join(broken, "samples.csv")) != read(os.path.join(whole, "samples.csv")):
            problems.append("samples.csv of the resumed run differs from the uninterrupted run's")
        if read(latest) != "step-00000006\n":
            problems.append(f"{latest} does not name step-00000006 after the resumed run")

    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"OK: the {args.scenario} write failed cleanly and the resumed run finished as if uninterrupted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
