#!/usr/bin/env python3
"""Plots bench_exchange results: milliseconds per exchange against buffer size for every strategy
(top), and the time relative to MPI_Allreduce in the same run (bottom), one column per rank count.
A strategy keeps its colour in every panel; its compressed rows (name+bf16, name+fp16) share the
colour, dashed and dotted.      plot_exchange.py A.json [B.json ...] -o out.png"""
import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

STYLE = {"": "-", "bf16": "--", "fp16": ":"}


def split(row_name):
    base, _, fmt = row_name.partition("+")
    return base, fmt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+")
    ap.add_argument("-o", "--output", default="exchange.png")
    ap.add_argument("--no-compression", action="store_true", help="leave out the compressed rows")
    args = ap.parse_args()
    runs = [json.load(open(f)) for f in args.files]
    for f, run in zip(args.files, runs):
        if not run.get("results") or "strategies" not in run["results"][0]:
            raise SystemExit(f"plot_exchange: {f} is not a bench_exchange JSON of this version "
                             "(each result needs 'strategies'); run bench_exchange again")
    runs.sort(key=lambda r: r["ranks"])
    names = sorted({n for run in runs for res in run["results"] for n in res["strategies"]})
    if args.no_compression:
        names = [n for n in names if not split(n)[1]]
    bases = sorted({split(n)[0] for n in names})
    colour = {b: f"C{i % 10}" for i, b in enumerate(bases)}
    fig, axes = plt.subplots(2, len(runs), figsize=(5 * len(runs), 8), squeeze=False)
    for k, run in enumerate(runs):
        res = run["results"]
        kib = [r["kib"] for r in res]
        top, bottom = axes[0][k], axes[1][k]
        top.loglog(kib, [r["mpi_allreduce"]["median_s"] * 1e3 for r in res], color="k", lw=2, label="MPI_Allreduce")
        for n in names:
            pts = [(r["kib"], r["strategies"][n]) for r in res if n in r["strategies"]]
            if not pts:
                continue
            base, fmt = split(n)
            style = dict(color=colour[base], ls=STYLE.get(fmt, "-."), marker="o", ms=3, label=n)
            top.loglog([p[0] for p in pts], [p[1]["exchange"]["median_s"] * 1e3 for p in pts], **style)
            bottom.semilogx([p[0] for p in pts], [p[1]["ratio_to_mpi_allreduce"] for p in pts], **style)
        title = f"{run['ranks']} ranks, groups of {run.get('group_size', '?')}"
        top.set_title(title + (" (oversubscribed)" if run.get("oversubscribed") else ""))
        top.set_xlabel("buffer (KiB)")
        top.set_ylabel("ms per exchange (slowest rank, median)")
        bottom.axhline(1.0, color="k", lw=0.8)
        bottom.set_yscale("log")
        bottom.set_xlabel("buffer (KiB)")
        bottom.set_ylabel("time / MPI_Allreduce")
        if k == 0:
            top.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(args.output, dpi=110)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
