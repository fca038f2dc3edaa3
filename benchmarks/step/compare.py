#!/usr/bin/env python3
"""bench_step against the PyTorch peer (torch_step.py) on the same cores, size by size, in one run.

    benchmarks/step/compare.py [--build build] [--events 10000,100000,1000000] [--threads 1] [--json out.json]

Both run one rank / one process with the given threads (OMP/OpenBLAS/MKL threads pinned to it).
Prints a table of ms per step and the ratio torch / sagips; writes both JSON records and the ratios.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("--events", default="10000,100000,1000000")
    ap.add_argument("--param-samples", type=int, default=100)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu", help="torch device (cuda for the GPU comparison)")
    ap.add_argument("--python", default="/usr/bin/python3", help="the python that has torch")
    ap.add_argument("--json", default="")
    args = ap.parse_args()
    sizes = [int(s) for s in args.events.split(",")]
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        ours_json = os.path.join(tmp, "ours.json")
        subprocess.run([os.path.join(args.build, "benchmarks", "step", "bench_step"), "--events", args.events,
                        "--param-samples", str(args.param_samples), "--json", ours_json], env=env, check=True)
        with open(ours_json) as f:
            ours = json.load(f)
        peers = []
        for n in sizes:
            peer_json = os.path.join(tmp, f"torch{n}.json")
            repeats = max(3, min(20, int(2e6 / n)))
            subprocess.run([args.python, os.path.join(HERE, "torch_step.py"), "--events", str(n), "--param-samples",
                            str(args.param_samples), "--threads", str(args.threads), "--repeats", str(repeats),
                            "--device", args.device, "--json", peer_json], env=env, check=True)
            with open(peer_json) as f:
                peers.append(json.load(f))
    rows = []
    print(f"\n{'events':>8}  {'sagips ms':>10}  {'torch ms':>10}  {'torch/sagips':>12}")
    for r, p in zip(ours["results"], peers):
        ratio = p["median_s"] / r["step"]["median_s"]
        rows.append({"events": r["events"], "sagips_s": r["step"]["median_s"], "torch_s": p["median_s"],
                     "ratio": ratio})
        print(f"{r['events']:>8}  {r['step']['median_s'] * 1e3:>10.2f}  {p['median_s'] * 1e3:>10.2f}  {ratio:>12.2f}")
    if peers and not any("openblas" in b or "mkl" in b for b in peers[0].get("blas", [])) and args.device == "cpu":
        print("note: torch did not load OpenBLAS or MKL; the peer is slow for that reason alone "
              "(apt-get install libopenblas0-pthread)", file=sys.stderr)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"name": "bench_step_vs_torch", "threads": args.threads, "sagips": ours, "torch": peers,
                       "ratios": rows}, f, indent=2)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
