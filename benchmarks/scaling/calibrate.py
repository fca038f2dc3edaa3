#!/usr/bin/env python3
"""Calibration: real two-rank exchanges on this machine against their simulation.

    mpirun -np 2 build/benchmarks/exchange/bench_exchange --json real_np2.json      (the real runs)
    calibrate.py --driver build/benchmarks/scaling/scaling_driver.so real_np2.json [--json out.json]

The two-rank platform is fitted to the real MPI_Allreduce times alone: t(bytes) = latency + bytes /
bandwidth (least squares on relative error; two ranks exchange their buffers once), and MPI_Allreduce is
simulated with Open MPI's algorithm choice (--cfg=smpi/coll-selector:ompi), as the real one ran. Then every strategy bench_exchange measured is simulated
on that platform at the same sizes, with the same layout (groups of 2: step 1 is the inner exchange of
the grouped strategies) and nothing to overlap, and the two times are set side by side: the ratio says
how far the network model alone is from the real exchange (what the simulation leaves out: the sums
and copies on the host, MPI's software path, the load of the machine).
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smpi_run  # noqa: E402

# bench_exchange's names (two JSON layouts: the current one, and the older one of docs/data) -> the
# driver's strategy.
OLD_KEYS = {"iallreduce": "iallreduce", "sync_ring": "sync-ring", "async_ring_inner": "async-ring",
            "ensemble": "ensemble"}
SIMULATED = ["allreduce", "iallreduce", "sync-ring", "async-ring", "ensemble", "hierarchical", "async-doubling"]


def real_times(path):
    """{kib: {"MPI_Allreduce": s, strategy: s}} (medians of the slowest rank) and the machine."""
    with open(path) as f:
        j = json.load(f)
    out = {}
    for size in j["results"]:
        row = {}
        if "strategies" in size:
            row["MPI_Allreduce"] = size["mpi_allreduce"]["median_s"]
            for name, v in size["strategies"].items():
                row[name] = v["exchange"]["median_s"]
        else:  # the older layout: "allreduce" was MPI_Allreduce's own time
            row["MPI_Allreduce"] = size["allreduce"]["median_s"]
            for key, name in OLD_KEYS.items():
                if key in size:
                    row[name] = size[key]["median_s"]
        out[size["kib"]] = row
    return out, j.get("machine", {}), j.get("ranks")


def fit(points):
    """latency, bandwidth minimizing the relative error of latency + bytes / bandwidth."""
    # Weighted least squares on t = a + b * x with weights 1 / t^2.
    sw = swx = swy = swxx = swxy = 0.0
    for x, t in points:
        w = 1.0 / (t * t)
        sw += w
        swx += w * x
        swy += w * t
        swxx += w * x * x
        swxy += w * x * t
    det = sw * swxx - swx * swx
    a = (swy * swxx - swx * swxy) / det
    b = (sw * swxy - swx * swy) / det
    return max(a, 1e-8), 1.0 / max(b, 1e-15)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("real", help="bench_exchange's JSON from two real ranks")
    ap.add_argument("--driver", required=True)
    ap.add_argument("--smpirun", default="smpirun")
    ap.add_argument("--json", help="write the comparison here")
    a = ap.parse_args()
    real, machine, ranks = real_times(a.real)
    if ranks != 2:
        print(f"error: {a.real} has {ranks} ranks; the calibration platform has 2")
        return 1
    lat, bw = fit([(kib * 1024, row["MPI_Allreduce"]) for kib, row in real.items()])
    platform = f"calib:{bw:.6g}:{lat:.6g}"
    print(f"fitted to MPI_Allreduce on 2 real ranks: latency {lat * 1e6:.2f} us, bandwidth {bw / 1e9:.2f} GB/s")
    rows = []
    for kib, row in sorted(real.items()):
        floats = kib * 1024 // 4
        for name in ["MPI_Allreduce"] + SIMULATED:
            # The ensemble of bench_exchange's records is an all-reduce inside one model of both ranks.
            strategy = "allreduce" if name in ("MPI_Allreduce", "ensemble") else name
            if name not in row and name not in ("hierarchical", "async-doubling"):
                continue
            # MPI_Allreduce as the real library (Open MPI) chooses it: with its selector.
            selector = "ompi" if name == "MPI_Allreduce" else "default"
            r = smpi_run.run(a.driver, 2, ["--strategy", strategy, "--floats", str(floats), "--steps", "1",
                                           "--group-size", "2"], platform, selector, smpirun=a.smpirun)
            sim = r["step_s"]
            measured = row.get(name)
            rows.append({"kib": kib, "strategy": name, "real_s": measured, "simulated_s": sim,
                         "real_over_simulated": measured / sim if measured else None, "verified": r["verified"]})
            ratio = f"{measured / sim:6.2f}" if measured else "     -"
            real_ms = f"{measured * 1e3:9.4f}" if measured else "        -"
            print(f"{kib:6d} KiB  {name:16s} real {real_ms} ms  simulated {sim * 1e3:9.4f} ms  real/sim {ratio}")
    out = {"real": a.real, "machine": machine, "latency_s": lat, "bandwidth_Bps": bw, "platform": platform,
           "smpi_config": smpi_run.SMPI_CONFIG, "rows": rows}
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
