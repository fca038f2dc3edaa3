#!/usr/bin/env python3
"""The cost of carving a model into data sets: examples/09_global_dis on the same ranks and the same
events per step, as one data set (--ranks R,0,0: every rank the 140 GeV proton), as three data sets in
one fit (the default plan) and as three independent labels (--per-label). The runs alternate, each
--repeats times; the table gives the median seconds per step of each and its ratio to the single data
set's. Writes OUT/overhead.json. Not part of the tests.

    benchmarks/data_sets/overhead.py                      # 3 ranks, 300 steps, 3 repeats
    benchmarks/data_sets/overhead.py --ranks 6 --steps 500

(--per-label needs the ranks to be a multiple of 3; the data sets' events per step are the same in
every mode: --param-samples sets of --events-per-sample events per rank.)
"""
import argparse
import json
import os
import statistics
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "benchmarks", "common"))
from run_job import run_logged  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ranks", type=int, default=3)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--real-events", type=int, default=100000)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--out", default="data-sets-overhead")
    args = ap.parse_args()
    program = os.path.join(args.build, "examples/09_global_dis/global_dis")
    modes = {"one data set": ["--ranks", f"{args.ranks},0,0"], "three data sets": [], "three labels": ["--per-label"]}
    common = ["--steps", str(args.steps), "--real-events", str(args.real_events), "--checkpoint-every", "0",
              "--no-fit"]
    times = {m: [] for m in modes}
    for r in range(args.repeats):
        for mode, extra in modes.items():
            folder = os.path.join(args.out, mode.replace(" ", "-"), str(r))
            rc, _ = run_logged(args.ranks, program, common + extra + ["--output", folder], folder)
            if rc != 0:
                sys.exit(f"overhead: {mode} failed (rc {rc}); see {folder}/log.txt")
            if mode == "three labels":
                with open(os.path.join(folder, "labels.json")) as f:
                    labels = json.load(f)["labels"]
                times[mode].append(max(l["seconds_per_step"] for l in labels))  # the slowest label sets the pace
            else:
                with open(os.path.join(folder, "summary.json")) as f:
                    times[mode].append(json.load(f)["seconds_per_step"])
    base = statistics.median(times["one data set"])
    print(f"{'mode':<16} {'s/step (median)':>16} {'ratio':>8}   runs")
    record = {"command": sys.argv, "ranks": args.ranks, "steps": args.steps, "real_events": args.real_events,
              "modes": {}}
    for mode, t in times.items():
        m = statistics.median(t)
        print(f"{mode:<16} {m:>16.5f} {m / base:>8.3f}   " + " ".join(f"{x:.5f}" for x in t))
        record["modes"][mode] = {"seconds_per_step": t, "median": m, "ratio": m / base}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "overhead.json"), "w") as f:
        json.dump(record, f, indent=2)
    print(f"written: {args.out}/overhead.json")


if __name__ == "__main__":
    main()
