#!/usr/bin/env python3
"""Plots a sagips training run: parameter estimates over steps with the truth, and the answer: an
ensemble's members with its estimate +- sigma (or, for one model, its generator's draws) beside the
maximum-likelihood fit's +-1 sigma band.

    plot.py OUTPUT_DIR            (reads metrics.csv, summary.json, samples.csv; writes training.png)
"""
import csv
import json
import pathlib
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main() -> int:
    out = pathlib.Path(sys.argv[1])
    summary = json.loads((out / "summary.json").read_text())
    names = summary["parameters"]["names"]
    truth = summary["parameters"].get("truth")
    fit = summary.get("mle")
    with open(out / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    with open(out / "samples.csv") as f:
        samples = list(csv.DictReader(f))
    steps = [int(r["step"]) for r in rows]

    n = len(names)
    fig, axes = plt.subplots(2, n, figsize=(3.2 * n, 6.0), squeeze=False)
    for j, name in enumerate(names):
        ax = axes[0][j]
        mean = [float(r[f"mean_{name}"]) for r in rows]
        std = [float(r[f"std_{name}"]) for r in rows]
        ax.plot(steps, mean, color="C0", label="rank 0's generator mean")
        ax.fill_between(steps, [m - s for m, s in zip(mean, std)], [m + s for m, s in zip(mean, std)],
                        color="C0", alpha=0.25, label="generator spread")
        if truth:
            ax.axhline(truth[j], color="k", ls="--", lw=1, label="truth")
        ax.set_title(name)
        ax.set_xlabel("step")
        if j == 0:
            ax.legend(fontsize=7)

        ax = axes[1][j]
        members = summary.get("member_estimates") or []
        if len(members) > 1:  # the members' estimates and the ensemble's estimate +- sigma
            est, sig = summary["parameters"]["estimate"][j], summary["parameters"]["sigma"][j]
            values = [m[j] for m in members]
            ax.plot(values, [0.2 + 0.6 * k / (len(values) - 1) for k in range(len(values))], "o", color="C0",
                    ms=4, label="members")
            ax.axvspan(est - sig, est + sig, ymin=0.0, ymax=0.5, color="C0", alpha=0.3, label="estimate ±σ")
            ax.axvline(est, ymax=0.5, color="C0", lw=1.5)
            ax.set_yticks([])
            ax.set_ylim(0, 1)
        else:  # one model: its generator's draws (their spread is not an uncertainty)
            values = [float(s[name]) for s in samples]
            ax.hist(values, bins=40, color="C0", alpha=0.7, density=True, label="generator")
        if fit:
            v, s = fit["value"][j], fit["sigma"][j]
            ax.axvspan(v - s, v + s, ymin=0.5 if len(members) > 1 else 0, color="C1", alpha=0.35, label="MLE ±1σ")
            ax.axvline(v, ymin=0.5 if len(members) > 1 else 0, color="C1", lw=1)
        if truth:
            ax.axvline(truth[j], color="k", ls="--", lw=1, label="truth")
        ax.set_xlabel(name)
        if j == 0:
            ax.legend(fontsize=7)
    fig.suptitle(f"sagips: {summary['problem']} — {summary['ranks']} ranks, {summary['strategy']}, "
                 f"{summary['steps']} steps")
    fig.tight_layout()
    path = out / "training.png"
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
