#!/usr/bin/env python3
"""Example 4 end to end: NumPy writes the events, the example trains on 2 ranks from the file, and
the estimates are checked against the truth make_data.py used.
    run_and_check.py MPIRUN RESONANCE OUTDIR [example options...]"""
import json
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
mpirun, exe, out = sys.argv[1:4]
os.makedirs(out, exist_ok=True)
data = os.path.join(out, "events.npy")
subprocess.run([sys.executable, os.path.join(here, "make_data.py"), data, "100000", "11"], check=True)
subprocess.run([mpirun, "--oversubscribe", "--bind-to", "none", "-np", "2", exe, "--data", data,
                "--output", os.path.join(out, "resonance-out")] + sys.argv[4:], check=True)
summary = json.load(open(os.path.join(out, "resonance-out", "summary.json")))
ok = True
# The file's events went through the detector stages, which the fit does not fold in: off by default.
if "--fit" not in sys.argv[4:]:
    skipped = "mle" not in summary and "detector stages" in summary.get("mle_skipped", "")
    ok &= skipped
    print(f"maximum-likelihood fit off by default on detector-level data: {'ok' if skipped else 'FAIL'}")
for name, estimate, truth, bound in zip(summary["parameters"]["names"], summary["parameters"]["estimate"],
                                        summary["parameters"]["truth"], [0.01, 0.10, 0.05]):
    good = abs(estimate - truth) <= bound * truth
    ok &= good
    print(f"{name}: {estimate:.4f} (truth {truth}, bound {100 * bound:.0f}%) {'ok' if good else 'FAIL'}")
sys.exit(0 if ok else 1)
