#!/usr/bin/env python3
"""Writes a .npy of real events with one defect and checks that the main job refuses it at load,
naming the file, the row and the value, with a non-zero exit on every rank (within a time bound).

    refuse_data.py OUT_DIR KIND EXPECTED -- mpirun ... proxy2d ...
KIND: nan, inf or outside (an event at x = 5, beyond the detector's reach).
"""
import subprocess
import sys
from pathlib import Path

import numpy as np


def main() -> int:
    out_dir, kind, expected = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    cmd = sys.argv[5:] if sys.argv[4] == "--" else sys.argv[4:]
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(5)
    events = rng.beta(1.5, 4.0, size=(4000, 2)).astype(np.float32)
    events[123, 1] = {"nan": np.nan, "inf": np.inf, "outside": 5.0}[kind]
    path = out_dir / f"events-{kind}.npy"
    np.save(path, events)
    try:
        proc = subprocess.run(cmd + ["--data", str(path), "--output", str(out_dir / "run")], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, errors="replace", timeout=300)
    except subprocess.TimeoutExpired:
        print("FAIL: the run did not end within 300 s")
        return 1
    print(proc.stdout)
    problems = []
    if proc.returncode == 0:
        problems.append("it exited with 0")
    for text in (str(path), "row 123, column 1", expected):
        if text not in proc.stdout:
            problems.append(f"the output does not contain {text!r}")
    if "Training" in proc.stdout or "step 1/" in proc.stdout:
        problems.append("training started")
    for p in problems:
        print("FAIL: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
