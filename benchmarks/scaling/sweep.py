#!/usr/bin/env python3
"""The scaling sweep: every built-in strategy, and MPI_Allreduce under three algorithm selectors, from 4
to 512 simulated ranks, for each step profile and buffer size; weak-scaling efficiency T(4)/T(N).

    sweep.py run  --driver build/benchmarks/scaling/scaling_driver.so --out OUT [--ranks 4,8,...,512]
                  [--platform polaris] [--profiles gpu5,gpu1,cpu] [--sizes generator,10MiB] [--series a,b]
    sweep.py plot OUT/results.json [-o OUT/scaling.png]
    sweep.py table OUT/results.json          (markdown, as in docs/scaling.md)
    sweep.py goals OUT/results.json          (the sagips exchanges against the best tuned MPI_Allreduce)

Every simulation is one smpirun (smpi_run.py) whose result the driver has verified against the true
mean; its host wall time is recorded beside it. results.json is rewritten after each simulation and a
rerun skips what it already holds, so a sweep can be stopped and resumed. A point whose memory estimate
exceeds --max-gib is left out and listed as such (SMPI keeps every rank's buffers in one process).

Step profiles (compute injected as simulated time, see scaling_driver.cpp):
  cpu   bench_step's measured phases on this machine (--bench-step JSON, the --cpu-events row): before
        start() the generator, the pipeline and half the discriminator (the fake half); between start()
        and finish() the other half (the real half), polled 2 * ceil(events / 1024) times as the
        trainer's row blocks do; after, the optimizer.
  gpu5  a 5 ms step in the same proportions, polled twice (a device backend polls after the real
        half's forward and after its backward);
  gpu1  the same at 1 ms;
  gpu5-layers, gpu1-layers   the same, polled as the trainer does with --poll-each-layer (after each of
        the discriminator's 5 layers, forward and backward: 10 polls).
"""
import argparse
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smpi_run  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GENERATOR = "generator"  # the driver's default buffer: the default generator's parameter count
SIZES = {GENERATOR: None, "10MiB": 10 * 1024 * 1024 // 4}
PASS_ALONG_BELOW = 65536  # exchange::Config::chunk_threshold's default

# Each series: the strategy and its options, the MPI_Allreduce selector, and its memory estimate in
# bytes for N ranks and n floats (the buffers SMPI holds for all ranks at once).
SERIES = {
    "allreduce (SMPI default)": (["--strategy", "allreduce"], "default"),
    "allreduce (rab_rdb)": (["--strategy", "allreduce"], "rab_rdb"),
    "allreduce (Open MPI rules)": (["--strategy", "allreduce"], "ompi"),
    "iallreduce": (["--strategy", "iallreduce"], "default"),
    "sync-ring": (["--strategy", "sync-ring"], "default"),
    "sync-ring chunked": (["--strategy", "sync-ring", "--chunk-threshold", "1"], "default"),
    "async-ring weak": (["--strategy", "async-ring", "--mode", "weak"], "default"),
    "async-ring strong": (["--strategy", "async-ring", "--mode", "strong"], "default"),
    "async-ring strong chunked": (["--strategy", "async-ring", "--mode", "strong", "--chunk-threshold", "1"], "default"),
    "parameter-server": (["--strategy", "parameter-server"], "default"),
    "ensemble": (["--strategy", "allreduce", "--models", "GROUPS"], "default"),  # models of a node's ranks
    "local": (["--strategy", "local", "--models", "0"], "default"),
    "hierarchical": (["--strategy", "hierarchical"], "default"),
    "async-doubling weak": (["--strategy", "async-doubling", "--mode", "weak"], "default"),
}


# Steps per simulation: two (an inner and an outer step of the grouped rings; the others are the same at
# every step), four for a parameter server, whose master's backlog builds up from step to step.
STEPS = {"parameter-server": 4}


def memory_bytes(series, ranks, floats, per_node):
    """What the simulation holds, roughly: every rank's gradient plus what the series adds per rank: MPI's
    temporary buffer (MPI_Allreduce), the pass-along rings' N buffers per member, SMPI's MPI_Iallreduce
    (a naive all-to-all: N receive buffers) and an ensemble's (the same in groups), the schedules'
    scratch space, a parameter server's four buffers."""
    b = 4 * floats
    g = min(per_node, 4, ranks)
    grads = ranks * b
    pass_along = floats < PASS_ALONG_BELOW and "chunked" not in series
    if series in ("sync-ring", "async-ring strong") and pass_along:
        return grads + ranks * ranks * b
    if series == "async-ring weak" and pass_along:
        leaders = ranks // g
        return grads + ranks * g * b + leaders * leaders * b
    if series == "iallreduce":
        return grads + ranks * ranks * b
    if series == "ensemble":
        return grads + ranks * g * b
    if series == "parameter-server":
        return grads * 4
    if series == "hierarchical":
        return grads + grads * (g - 1) // g + grads // g
    if series == "async-doubling weak":
        return grads * 2
    if series.startswith("allreduce"):
        return grads * 2
    return grads + grads // 10  # the chunked rings' one chunk, Local's nothing


def profiles(bench_step, cpu_events):
    """The step profiles: before/overlap/after in ms and the polls, from bench_step's JSON."""
    with open(bench_step) as f:
        j = json.load(f)
    rows = j.get("sagips", j)["results"]
    row = min(rows, key=lambda r: abs(r["events"] - cpu_events))
    ph = row["mean_phase_s"]
    before = ph["generator"] + ph["pipeline"] + ph["discriminator"] / 2
    overlap = ph["discriminator"] / 2
    after = ph["optimizer"]
    total = before + overlap + after
    cpu = {"before": before * 1e3, "overlap": overlap * 1e3, "after": after * 1e3,
           "polls": 2 * math.ceil(row["events"] / 1024), "source": f"bench_step, {row['events']} events"}
    out = {"cpu": cpu}
    # The discriminator (D, --disc layers) polls after each of its layers with --poll-each-layer: on a
    # device, layers - 1 times between layers and once at the end, in the forward and the backward.
    layers = 5  # DefaultDiscriminator: 2 -> 4 x 128 -> 1
    for name, ms in (("gpu5", 5.0), ("gpu1", 1.0)):
        for suffix, polls, how in (("", 2, "polled twice"), ("-layers", 2 * layers, "polled after each layer")):
            out[name + suffix] = {"before": ms * before / total, "overlap": ms * overlap / total,
                                  "after": ms * after / total, "polls": polls,
                                  "source": f"{ms:g} ms in bench_step's proportions, {how}"}
    return out


def key(r):
    return (r["platform"], r["profile"], r["size"], r["series"], r["ranks"])


def load(path):
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return {"runs": [], "skipped": []}


def save(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, path)


def cmd_run(a):
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "results.json")
    data = load(path)
    profs = profiles(a.bench_step, a.cpu_events)
    data["profiles"] = profs
    data["smpi_config"] = smpi_run.SMPI_CONFIG
    # What this invocation covers is decided again (a point left out for memory under a lower --max-gib,
    # or a failed one, is tried again); points outside it keep their records.
    series = a.series.split(",") if a.series else list(SERIES)
    ranks = [int(x) for x in a.ranks.split(",")]
    covered = {(a.platform, p, z, s, n) for p in a.profiles.split(",") for z in a.sizes.split(",") for s in series
               for n in ranks}
    data["skipped"] = [p for p in data["skipped"] if key(p) not in covered]
    done = {key(r) for r in data["runs"]}
    per_node = smpi_run.PLATFORMS.get(a.platform, {}).get("ranks_per_node", 1)
    for profile in a.profiles.split(","):
        p = profs[profile]
        for size in a.sizes.split(","):
            for name in series:
                strategy_args, selector = SERIES[name]
                for n in ranks:
                    point = {"platform": a.platform, "profile": profile, "size": size, "series": name, "ranks": n}
                    if key(point) in done:
                        continue
                    floats = SIZES[size]
                    if name.endswith(" chunked") and (floats or 0) >= PASS_ALONG_BELOW:
                        continue  # the same run as the series without " chunked": its ring is chunked already
                    mem = memory_bytes(name, n, floats or 51589, per_node)
                    if mem > a.max_gib * 2**30:
                        point["reason"] = f"memory estimate {mem / 2**30:.1f} GiB > {a.max_gib} GiB"
                        data["skipped"].append(point)
                        print(f"skip {point}")
                        save(path, data)
                        continue
                    groups = str(max(1, n // min(per_node, 4, n)))  # the ensemble: one model per node (<= 4 ranks)
                    args = [groups if x == "GROUPS" else x for x in strategy_args] + ["--steps", str(STEPS.get(name, a.steps)),
                                            "--before-ms", f"{p['before']:.6g}", "--overlap-ms", f"{p['overlap']:.6g}",
                                            "--after-ms", f"{p['after']:.6g}", "--polls", str(p["polls"])]
                    if floats:
                        args += ["--floats", str(floats)]
                    t0 = time.time()
                    try:
                        r = smpi_run.run(a.driver, n, args, a.platform, selector, a.smpirun, timeout=a.timeout)
                    except Exception as e:  # a failed point is recorded, the sweep goes on
                        point["reason"] = f"failed after {time.time() - t0:.0f} s: {str(e)[-400:]}"
                        data["skipped"].append(point)
                        save(path, data)
                        print(f"FAILED {point}")
                        continue
                    r.update(point)
                    data["runs"].append(r)
                    save(path, data)
                    print(f"{a.platform} {profile} {size} {name:28s} {n:4d} ranks: step {r['step_s'] * 1e3:8.3f} ms "
                          f"verified {r['verified']}  ({r['wall_s']:.1f} s host)", flush=True)
    return 0


def efficiencies(data):
    """{(platform, profile, size, series): {ranks: (step_s, efficiency, wall_s)}}, efficiency T(4)/T(N)."""
    out = {}
    for r in data["runs"]:
        out.setdefault((r["platform"], r["profile"], r["size"], r["series"]), {})[r["ranks"]] = r
    eff = {}
    for k, pts in out.items():
        base = pts.get(min(pts))
        eff[k] = {n: (r["step_s"], base["step_s"] / r["step_s"] if base else float("nan"), r["wall_s"], r["verified"],
                      min(pts)) for n, r in sorted(pts.items())}
    return eff


def cmd_table(a):
    data = load(a.results)
    eff = efficiencies(data)
    groups = sorted({k[:3] for k in eff})
    if a.only:
        groups = [g for g in groups if f"{g[1]}/{g[2]}" in a.only.split(",") or f"{g[0]}/{g[1]}/{g[2]}" in a.only.split(",")]
    for g in groups:
        names = [s for s in SERIES if (*g, s) in eff]
        ranks = sorted({n for s in names for n in eff[(*g, s)]})
        top = ranks[-1]
        what = "T(4)/T(N)" + ("" if a.compact else " (step time in ms)")
        print(f"\n{g[0]}, {g[1]} step, {g[2]} buffer: weak-scaling efficiency {what}\n")
        extra = [f"T({top}) ms", f"host s ({top})"] if a.compact else []
        print("| series | " + " | ".join(str(n) for n in ranks + extra) + " |")
        print("|---|" + "---:|" * (len(ranks) + len(extra)))
        for s in names:
            cells = []
            pts = eff[(*g, s)]
            for n in ranks:
                v = pts.get(n)
                if v is None:
                    cells.append("—")
                    continue
                mark = "" if v[3] else " WRONG"
                cells.append((f"{v[1]:.3f}" if a.compact else f"{v[1]:.2f} ({v[0] * 1e3:.2f})") + mark)
            if a.compact:
                last = pts.get(top)
                cells += [f"{last[0] * 1e3:.3f}", f"{last[2]:.0f}"] if last else ["—", "—"]
            print(f"| {s} | " + " | ".join(cells) + " |")
    walls = [r["wall_s"] for r in data["runs"]]
    if walls:
        print(f"\n{len(walls)} simulations, host wall time {sum(walls) / 3600:.2f} h in all, longest "
              f"{max(walls):.0f} s; {len(data['skipped'])} points left out:")
        for p in data["skipped"]:
            print(f"  {p['platform']} {p['profile']} {p['size']} {p['series']} {p['ranks']}: {p['reason']}")
    return 0

# The goal of docs/scaling.md: at the largest rank count, sagips's exact (hierarchical) and grouped
# (async-doubling weak, and SAGIPS's own async-ring weak) exchanges against the best tuned MPI_Allreduce.
GOAL_SERIES = ["hierarchical", "async-doubling weak", "async-ring weak"]
TUNED = ["allreduce (rab_rdb)", "allreduce (Open MPI rules)"]


def cmd_goals(a):
    eff = efficiencies(load(a.results))
    groups = sorted({(k[0], k[1].replace("-layers", ""), k[2]) for k in eff})
    print("| platform | step | buffer | ranks | best tuned MPI_Allreduce | "
          + " | ".join(f"{s} (polls: trainer / each layer)" for s in GOAL_SERIES) + " |")
    print("|---|---|---|---:|---:|" + "---|" * len(GOAL_SERIES))
    for plat, prof, size in groups:
        tuned = {n: v[1] for s in TUNED for n, v in eff.get((plat, prof, size, s), {}).items()}
        for s in TUNED:  # the best of the two selectors at each rank count
            for n, v in eff.get((plat, prof, size, s), {}).items():
                tuned[n] = max(tuned[n], v[1])
        if not tuned:
            continue
        top = max(tuned)
        cells = []
        for s in GOAL_SERIES:
            vals = [eff.get((plat, p, size, s), {}).get(top) for p in (prof, prof + "-layers")]
            txt = " / ".join("—" if v is None else f"{v[1]:.3f}" for v in vals)
            best = max((v[1] for v in vals if v is not None), default=None)
            verdict = "" if best is None else (" **ahead**" if best > tuned[top] + 5e-4 else
                                              " level" if best >= tuned[top] - 5e-4 else " behind")
            cells.append(txt + verdict)
        print(f"| {plat} | {prof} | {size} | {top} | {tuned[top]:.3f} | " + " | ".join(cells) + " |")
    return 0


def cmd_plot(a):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = load(a.results)
    eff = efficiencies(data)
    groups = sorted({k[:3] for k in eff})
    if a.only:
        groups = [g for g in groups if f"{g[1]}/{g[2]}" in a.only.split(",")]
    cols = min(3, len(groups))
    rows = math.ceil(len(groups) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 4.0 * rows), squeeze=False)
    palette = ["#1f77b4", "#7f7f7f", "#000000", "#ff7f0e", "#2ca02c", "#98df8a", "#d62728", "#ff9896", "#9467bd",
               "#8c564b", "#17becf", "#bcbd22", "#e6007e", "#00a0a0"]
    colors = {s: palette[i % len(palette)] for i, s in enumerate(SERIES)}
    handles = {}
    for i, g in enumerate(groups):
        ax = axes[i // cols][i % cols]
        for s in SERIES:
            pts = eff.get((*g, s))
            if not pts:
                continue
            ns = sorted(pts)
            mine = s in ("hierarchical", "async-doubling weak")
            (line,) = ax.plot(ns, [pts[n][1] for n in ns], "--" if s.startswith("allreduce") else "-", marker="o",
                              ms=3, lw=2.2 if mine else 1.2, color=colors[s], label=s)
            handles[s] = line
        ax.set_xscale("log", base=2)
        ax.set_ylim(a.ymin, 1.005 if a.ymin > 0.5 else 1.05)
        ax.set_title(f"{g[0]}, {g[1]} step, {g[2]} buffer", fontsize=9)
        ax.set_xlabel("ranks")
        ax.set_ylabel("efficiency T(4)/T(N)")
        ax.grid(alpha=0.3)
    for j in range(len(groups), rows * cols):
        axes[j // cols][j % cols].axis("off")
    names = [s for s in SERIES if s in handles]
    fig.legend([handles[s] for s in names], names, loc="lower center", ncol=5, fontsize=8)
    fig.tight_layout(rect=(0, 0.07 + 0.02 * (len(names) > 10), 1, 1))
    fig.savefig(a.output, dpi=100)
    print(f"wrote {a.output}")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--driver", required=True)
    r.add_argument("--smpirun", default="smpirun")
    r.add_argument("--out", required=True)
    r.add_argument("--platform", default="polaris")
    r.add_argument("--ranks", default="4,8,16,32,64,128,256,512")
    r.add_argument("--profiles", default="gpu5,gpu1,cpu")
    r.add_argument("--sizes", default="generator,10MiB")
    r.add_argument("--series", default="", help="comma-separated names (default: all): " + ", ".join(SERIES))
    r.add_argument("--steps", type=int, default=2, help="training steps per simulation (k = 2: an inner and an outer)")
    r.add_argument("--bench-step", default=os.path.join(ROOT, "docs", "data", "bench_step_vs_torch_cpu.json"))
    r.add_argument("--cpu-events", type=int, default=10000)
    r.add_argument("--max-gib", type=float, default=8.0, help="leave out points whose memory estimate exceeds this")
    r.add_argument("--timeout", type=float, default=3600, help="seconds one simulation may take")
    t = sub.add_parser("table")
    t.add_argument("results")
    t.add_argument("--compact", action="store_true", help="efficiencies only, plus the largest run's times")
    t.add_argument("--only", default="", help="groups to print: profile/size[,...] (e.g. gpu5/generator)")
    p = sub.add_parser("plot")
    p.add_argument("results")
    p.add_argument("-o", "--output", default="scaling.png")
    p.add_argument("--ymin", type=float, default=0.0, help="lower end of the efficiency axis")
    p.add_argument("--only", default="", help="groups to draw: profile/size[,...]")
    g = sub.add_parser("goals", help="the sagips exchanges against the best tuned MPI_Allreduce at the most ranks")
    g.add_argument("results")
    a = ap.parse_args()
    return {"run": cmd_run, "table": cmd_table, "plot": cmd_plot, "goals": cmd_goals}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
