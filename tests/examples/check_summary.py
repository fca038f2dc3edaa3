#!/usr/bin/env python3
"""Checks an example's summary.json: |residual| of the GAN's parameter means within per-parameter
bounds, and the maximum-likelihood fit within 3 sigma of the truth.
    check_summary.py SUMMARY_JSON BOUND0,BOUND1,...   (one relative bound per parameter)"""
import json
import sys


def main() -> int:
    s = json.load(open(sys.argv[1]))
    bounds = [float(b) for b in sys.argv[2].split(",")]
    names, res = s["parameters"]["names"], s["parameters"]["residual"]
    if len(bounds) != len(names):
        print(f"{len(bounds)} bounds for {len(names)} parameters")
        return 1
    ok = True
    for name, r, b in zip(names, res, bounds):
        good = abs(r) <= b
        ok &= good
        print(f"{name}: residual {100 * r:+.2f}% (bound {100 * b:.1f}%) {'ok' if good else 'FAIL'}")
    if "mle" in s:
        for j, name in enumerate(names):
            v, sig, t = s["mle"]["value"][j], s["mle"]["sigma"][j], s["parameters"]["truth"][j]
            good = sig > 0 and abs(v - t) <= 3 * sig
            ok &= good
            print(f"{name}: MLE {v:.4f} +- {sig:.4f}, truth {t} ({(v - t) / sig:+.1f} sigma) {'ok' if good else 'FAIL'}")
    print("summary OK" if ok else "summary FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
