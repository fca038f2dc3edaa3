#!/usr/bin/env python3
"""The objectives side by side on the 2-D proxy: the same real events, the same steps, ranks and seeds
for each --objective; per parameter the residual, sigma (the spread of the independent models, one
per rank), sigma / sigma_MLE (the maximum-likelihood fit of the same events) and the pull; per
objective the time per step and the wall time to the answer. Prints the table, writes OUT/objectives.json.

    benchmarks/objectives/compare.py                                    # gan energy mmd mmd-imq sliced
    benchmarks/objectives/compare.py --objectives gan,energy --steps 2500 --ranks 8 --real-events 1000000

Resumable: an objective whose summary.json exists is read, not run again. Not part of the tests.
"""
import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "benchmarks", "common"))
from run_job import run_logged  # noqa: E402


def run(args, objective, folder):
    summary = os.path.join(folder, "summary.json")
    if not os.path.exists(summary):
        program = args.program or os.path.join(args.build, "examples/05_proxy2d/proxy2d")
        rc, _ = run_logged(args.ranks, program,
                           ["--objective", objective, "--steps", str(args.steps), "--real-events", str(args.real_events),
                            "--checkpoint-every", "0", "--output", folder] + args.extra, folder)
        if rc != 0:
            sys.exit(f"compare: --objective {objective} failed (rc {rc}); see {folder}/log.txt")
    with open(summary) as f:
        s = json.load(f)
    with open(os.path.join(folder, "wall_seconds")) as f:
        wall = float(f.read())
    return s, wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--objectives", default="gan,energy,mmd,mmd-imq,sliced")
    ap.add_argument("--ranks", type=int, default=4)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--real-events", type=int, default=100000)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--out", default="objectives-out")
    ap.add_argument("--program", default="", help="another build of the main job (default: BUILD/examples/05_proxy2d/proxy2d)")
    ap.add_argument("extra", nargs="*", help="after --: more proxy2d options")
    args = ap.parse_args()
    rows, record = [], {"command": sys.argv, "ranks": args.ranks, "steps": args.steps,
                        "real_events": args.real_events, "objectives": {}}
    for objective in args.objectives.split(","):
        s, wall = run(args, objective, os.path.join(args.out, objective))
        mle = s.get("mle", {})
        entry = {"seconds_per_step": s["seconds_per_step"], "wall_seconds": wall, "parameters": []}
        p = s["parameters"]
        for j, name in enumerate(p["names"]):
            sigma, truth, estimate = p["sigma"][j], p["truth"][j], p["estimate"][j]
            mle_sigma = mle["sigma"][j] if mle else None
            e = {"name": name, "truth": truth, "estimate": estimate, "sigma": sigma,
                 "residual": estimate / truth - 1,
                 "pull": (estimate - truth) / sigma if sigma else None,
                 "mle": mle["value"][j] if mle else None, "mle_sigma": mle_sigma,
                 "sigma_over_mle": sigma / mle_sigma if sigma and mle_sigma else None}
            entry["parameters"].append(e)
            rows.append((objective, e))
        record["objectives"][objective] = entry
    print(f"{'objective':10} {'param':6} {'residual':>9} {'sigma':>8} {'sigma/MLE':>9} {'pull':>6}")
    for objective, e in rows:
        ratio = f"{e['sigma_over_mle']:.2f}" if e["sigma_over_mle"] else "-"
        pull = f"{e['pull']:+.2f}" if e["pull"] is not None else "-"
        print(f"{objective:10} {e['name']:6} {100 * e['residual']:+8.2f}% {e['sigma'] or 0:8.4f} {ratio:>9} {pull:>6}")
    for objective, entry in record["objectives"].items():
        print(f"{objective:10} {entry['seconds_per_step']:.4f} s/step, {entry['wall_seconds']:.0f} s to the answer")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "objectives.json"), "w") as f:
        json.dump(record, f, indent=2)
    print(f"wrote {os.path.join(args.out, 'objectives.json')}")


if __name__ == "__main__":
    main()
