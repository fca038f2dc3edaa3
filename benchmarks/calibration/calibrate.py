#!/usr/bin/env python3
"""Calibration study of the main job's uncertainty: are its sigmas what they say?

Runs the 2-D proxy (examples/05_proxy2d) on many pseudo-experiments -- independent real-data seeds,
each its own set of events drawn at the truth -- and collects, per parameter, the pull
(estimate - truth) / sigma of the GAN (sigma: the spread of the ensemble's bootstrap members) and of
the maximum-likelihood fit of the same events (sigma: from its Hessian), the reference. A calibrated
method has pulls with mean 0 and standard deviation 1. Also per parameter: the mean of
(GAN - MLE) / sigma over the experiments, the method's own shift; paired on the same events, it is
measured about twice as precisely as a pull mean and says whether a pull mean is the method or the
data's luck.

    benchmarks/calibration/calibrate.py                      # docs/results.md's study: 20 x 4000 steps
    benchmarks/calibration/calibrate.py --experiments 40 --steps 6000 --out cal-40
    benchmarks/calibration/calibrate.py --out cal-sliced -- --objective sliced --lr-generator 1e-3

The method is named after proxy2d's --objective (after --; the GAN when none is given). The JSON keeps
the keys gan_* for the method's columns whatever the objective, with "method" naming it.

Resumable: an experiment whose summary.json exists is not run again (re-run to continue, or to
re-plot). Writes OUT/calibration.json and OUT/pulls.png and prints the table. Not part of the tests:
it takes about 80 minutes on 2 cores (docs/results.md gives the figures and the command).
"""
import argparse
import json
import math
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "benchmarks", "common"))
from run_job import run_logged  # noqa: E402
TRUTH = [0.5, 3.0, 0.3, 4.0, 0.75]  # Proxy2D::truth()
GOALS = {"mean": 0.5, "std": (0.6, 1.5)}


def run_one(args, seed, folder, extra):
    rc, wall = run_logged(args.ranks, os.path.join(args.build, "examples/05_proxy2d/proxy2d"),
                          ["--real-events", str(args.real_events), "--steps", str(args.steps),
                           "--param-samples", str(args.param_samples), "--data-seed", str(seed), "--seed", str(seed),
                           "--checkpoint-every", "0", "--output", folder] + extra, folder)
    if rc != 0:
        sys.exit(f"calibrate: experiment {seed} failed (rc {rc}); see {folder}/log.txt")
    return wall


def stats(xs):
    n = len(xs)
    if n == 0:
        return float("nan"), float("nan")
    mean = sum(xs) / n
    std = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1)) if n > 1 else float("nan")
    return mean, std


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--experiments", type=int, default=20)
    ap.add_argument("--first-seed", type=int, default=1001)
    ap.add_argument("--ranks", type=int, default=8, help="ranks = ensemble members (one model per rank)")
    ap.add_argument("--real-events", type=int, default=100000)
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--param-samples", type=int, default=8)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--out", default="calibration-out")
    ap.add_argument("extra", nargs="*", help="after --: more proxy2d options")
    args = ap.parse_args()

    rows, walls = [], []
    for i in range(args.experiments):
        seed = args.first_seed + i
        folder = os.path.join(args.out, f"exp-{seed}")
        summary = os.path.join(folder, "summary.json")
        if not os.path.exists(summary):
            wall = run_one(args, seed, folder, args.extra)
            print(f"experiment {i + 1}/{args.experiments} (seed {seed}): {wall:.0f} s", flush=True)
        with open(summary) as f:
            s = json.load(f)
        wf = os.path.join(folder, "wall_seconds")
        walls.append(float(open(wf).read()) if os.path.exists(wf) else float("nan"))
        rows.append({"seed": seed, "estimate": s["parameters"]["estimate"], "sigma": s["parameters"]["sigma"],
                     "members": s["members"],
                     "mle": s["mle"]["value"], "mle_sigma": s["mle"]["sigma"], "mle_status": s["mle"]["status"]})

    names = ["p0", "p1", "p2", "p3", "p4"]
    objective = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    objective.add_argument("--objective", default="gan")
    chosen = objective.parse_known_args(args.extra)[0].objective
    method = "GAN" if chosen == "gan" else chosen
    table = []
    print(f"\n{len(rows)} pseudo-experiments, {args.real_events} events each, {args.ranks} bootstrap members, "
          f"{args.steps} steps; pull = (estimate - truth) / sigma")
    print(f"{'':4} {method + ' pull mean':>14} {'std':>6} {'|pull|<1':>9} {'MLE pull mean':>14} {'std':>6}"
          f" {method + ' sigma/MLE sigma':>20} {'(' + method + '-MLE)/sigma':>16}  verdict")
    ok_all = True
    for j, name in enumerate(names):
        # A sigma of 0 (a fit held at a bound or not determined; a single-member GAN) is no measurement:
        # those experiments leave the pulls that would divide by it, and are counted.
        with_gan = [r for r in rows if r["sigma"][j] and r["sigma"][j] > 0]
        with_mle = [r for r in rows if r["mle_sigma"][j] > 0]
        both = [r for r in with_gan if r["mle_sigma"][j] > 0]
        if len(with_gan) < len(rows) or len(with_mle) < len(rows):
            print(f"{name}: {len(rows) - len(with_gan)} experiment(s) without a {method} sigma, "
                  f"{len(rows) - len(with_mle)} without an MLE sigma (left out of those pulls)")
        gan = [(r["estimate"][j] - TRUTH[j]) / r["sigma"][j] for r in with_gan]
        mle = [(r["mle"][j] - TRUTH[j]) / r["mle_sigma"][j] for r in with_mle]
        ratio = sum(r["sigma"][j] / r["mle_sigma"][j] for r in both) / len(both) if both else float("nan")
        gm, gs = stats(gan)
        mm, ms = stats(mle)
        inside = sum(abs(p) < 1 for p in gan) / len(gan) if gan else float("nan")
        # The method's own shift: the GAN's estimate minus the MLE's of the same events, in the GAN's
        # sigma. Paired, so the events' fluctuation cancels: its mean is known far better than a pull's.
        shift = [(r["estimate"][j] - r["mle"][j]) / r["sigma"][j] for r in with_gan]
        sm, ss = stats(shift)
        se = ss / math.sqrt(len(shift)) if len(shift) > 1 else float("nan")
        ok = abs(gm) <= GOALS["mean"] and GOALS["std"][0] <= gs <= GOALS["std"][1]
        ok_all &= ok
        table.append({"parameter": name, "gan_pulls": gan, "mle_pulls": mle, "gan_mean": gm, "gan_std": gs,
                      "gan_within_1": inside, "mle_mean": mm, "mle_std": ms, "sigma_ratio": ratio,
                      "shift_from_mle": sm, "shift_from_mle_se": se, "meets_goal": ok})
        print(f"{name:4} {gm:+14.2f} {gs:6.2f} {inside:9.0%} {mm:+14.2f} {ms:6.2f} {ratio:20.2f} "
              f"{sm:+9.2f} +- {se:.2f}  {'ok' if ok else 'MISSES'}")
    print(f"goal: pull mean within +-{GOALS['mean']}, std in [{GOALS['std'][0]}, {GOALS['std'][1]}]: "
          f"{'met' if ok_all else 'not met'}; mean wall time per experiment "
          f"{sum(walls) / len(walls):.0f} s")

    out = {"config": {k: v for k, v in vars(args).items() if k != "build"}, "method": method, "truth": TRUTH,
           "experiments": rows, "wall_seconds": walls, "table": table, "goal_met": ok_all}
    with open(os.path.join(args.out, "calibration.json"), "w") as f:
        json.dump(out, f, indent=1)
    print(f"wrote {args.out}/calibration.json")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not available: no plot")
        return 0
    fig, axes = plt.subplots(1, 5, figsize=(17, 3.4), sharey=True)
    bins = [x / 2 for x in range(-8, 9)]
    xs = [x / 20 for x in range(-80, 81)]
    for ax, t in zip(axes, table):
        ax.hist([max(-3.99, min(3.99, p)) for p in t["gan_pulls"]], bins=bins, alpha=0.6, label=method)
        ax.hist([max(-3.99, min(3.99, p)) for p in t["mle_pulls"]], bins=bins, histtype="step", lw=2, label="MLE")
        n = len(t["gan_pulls"])
        ax.plot(xs, [n * 0.5 * math.exp(-x * x / 2) / math.sqrt(2 * math.pi) for x in xs], "k--", lw=1,
                label="N(0,1)")
        ax.set_title(f"{t['parameter']}: {method} {t['gan_mean']:+.2f} / {t['gan_std']:.2f}", fontsize=10)
        ax.set_xlabel("pull")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, "pulls.png"), dpi=110)
    print(f"wrote {args.out}/pulls.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
