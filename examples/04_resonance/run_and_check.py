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
for name, estimate, truth, bound in zip(summary["parameters"]["names"], summary["parameters"]["estimate"],
                                        summary["parameters"]["truth"], [0.01, 0.10, 0.05]):
    good = abs(estimate - truth) <= bound * truth
    ok &= good
    print(f"{name}: {estimate:.4f} (truth {truth}, bound {100 * bound:.0f}%) {'ok' if good else 'FAIL'}")
sys.exit(0 if ok else 1)
