#!/usr/bin/env python3
"""Plots bench_exchange results: time per exchange against buffer size per strategy, one panel per
rank count, and the ratio to MPI_Allreduce.   plot_exchange.py A.json [B.json ...] -o out.png"""
import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

STRATEGIES = ["allreduce", "iallreduce", "sync_ring", "async_ring_inner", "async_ring_outer", "ensemble"]
COLORS = {s: f"C{i}" for i, s in enumerate(STRATEGIES)}  # the same colour for a strategy in every panel


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+")
    ap.add_argument("-o", "--output", default="exchange.png")
    args = ap.parse_args()
    runs = [json.load(open(f)) for f in args.files]
    runs.sort(key=lambda r: r["ranks"])
    fig, axes = plt.subplots(2, len(runs), figsize=(4.5 * len(runs), 7), squeeze=False)
    for k, run in enumerate(runs):
        kib = [r["kib"] for r in run["results"]]
        ax = axes[0][k]
        for s in STRATEGIES:
            ax.loglog(kib, [r[s]["median_s"] * 1e3 for r in run["results"]], marker="o", ms=3, label=s,
                      color=COLORS[s])
        ax.set_title(f"{run['ranks']} ranks" + (" (oversubscribed)" if run.get("oversubscribed") else ""))
        ax.set_xlabel("buffer (KiB)")
        ax.set_ylabel("ms per exchange (slowest rank, median)")
        if k == 0:
            ax.legend(fontsize=7)
        ax = axes[1][k]
        for s in STRATEGIES[1:]:
            ax.semilogx(kib, [r["ratio_to_allreduce"][s] for r in run["results"]], marker="o", ms=3, label=s,
                        color=COLORS[s])
        ax.axhline(1.0, color="k", lw=0.8)
        ax.set_xlabel("buffer (KiB)")
        ax.set_ylabel("time / MPI_Allreduce")
    fig.tight_layout()
    fig.savefig(args.output, dpi=110)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
