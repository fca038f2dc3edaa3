#!/usr/bin/env python3
"""Writes "measured" events for example 4 with NumPy: a Breit-Wigner of mass 1.0 and width 0.1 (70%)
on a flat background (30%) over [0.5, 1.5], kept with probability 1 - (m - 0.5) / 2, smeared by 0.01.
Saved as a 1-D float32 array (N,): sagips reads it as N events of dimension 1.

    make_data.py OUT.npy [EVENTS] [SEED]
"""
import sys

import numpy as np


def main() -> int:
    path = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200000
    rng = np.random.default_rng(int(sys.argv[3]) if len(sys.argv) > 3 else 7)
    mass, width, fraction, lo, hi = 1.0, 0.1, 0.7, 0.5, 1.5
    h = width / 2
    kept = np.empty(0)
    while kept.size < n:
        k = 2 * n
        signal = rng.random(k) < fraction
        # The Breit-Wigner truncated to [lo, hi] by its inverse CDF; the background flat.
        a, b = np.arctan((lo - mass) / h), np.arctan((hi - mass) / h)
        m = np.where(signal, mass + h * np.tan(a + rng.random(k) * (b - a)), lo + (hi - lo) * rng.random(k))
        m = m[rng.random(k) < 1 - (m - lo) / 2]
        kept = np.concatenate([kept, m + 0.01 * rng.standard_normal(m.size)])
    np.save(path, kept[:n].astype(np.float32))
    print(f"wrote {n} events to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
