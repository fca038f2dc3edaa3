#!/usr/bin/env python3
"""The DIS example's test: a short run on 2 ranks with the maximum-likelihood fit, then plot.py. It
checks what a short run can show: the fit recovers the truth within 4 of its sigmas on 2e4 events
(the down-quark shape may sit at a bound: a proton target barely determines it),
the GAN's models stay inside the parameter bounds, and plot.py's densities obey the sum rules'
normalisation (x u_v integrates to 2, x d_v to 1, over dx / x); summary.json places the estimate and
the truth in the likelihood (-ln L above the fit's minimum, not below it). A training grid other than 64 or 256
is refused with its reason and a non-zero exit.

    run_short.py MPIRUN DIS PLOT OUTPUT_DIR
"""
import json
import math
import os
import subprocess
import sys


def main() -> int:
    mpirun, exe, plot, out = sys.argv[1:5]
    cmd = [mpirun, "--oversubscribe", "--bind-to", "none", "-np", "2", exe, "--steps", "40", "--param-samples", "8",
           "--events-per-sample", "64", "--real-events", "20000", "--eval-samples", "100", "--checkpoint-every", "0",
           "--output", out]
    subprocess.run(cmd, check=True)
    s = json.load(open(os.path.join(out, "summary.json")))
    truth, fit = s["parameters"]["truth"], s["mle"]
    bad = []
    for j, name in enumerate(s["parameters"]["names"]):
        sigma = fit["sigma"][j]
        if sigma == 0:  # held at a bound: the d shape is weakly determined by a proton target (docs/results.md)
            print(f"{name}: MLE {fit['value'][j]:.4f} held at a bound")
            if j < 2:
                bad.append(f"{name}: the up-quark shape's fit is held at a bound")
            continue
        pull = (fit["value"][j] - truth[j]) / sigma
        print(f"{name}: MLE {fit['value'][j]:.4f} +- {sigma:.4f}, truth {truth[j]}, pull {pull:+.2f}")
        if not abs(pull) < 4:
            bad.append(f"{name}: the fit's pull {pull:+.2f}")
    # Where the answer lies in the likelihood: -ln L above the minimum, never below it (beyond the
    # minimiser's tolerance), and the joint regions of four parameters (half the chi2_4 quantiles).
    lr = fit.get("likelihood_ratio") or {}
    for key in ("estimate", "truth"):
        v = lr.get(key)
        print(f"-ln L above the minimum at the {key}: {v}")
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > -1e-3):
            bad.append(f"the likelihood ratio at the {key} is {v}")
    if not (lr.get("parameters") == 4 and abs(lr.get("region68", 0) - 2.3597) < 1e-3
            and abs(lr.get("region95", 0) - 4.7439) < 1e-3):
        bad.append(f"the likelihood regions are {lr}")
    lo, hi = [0.4, 1.5, 0.3, 2.5], [1.1, 5.0, 1.0, 6.5]
    for m in s["member_estimates"]:
        for j, v in enumerate(m):
            if not lo[j] <= v <= hi[j]:
                bad.append(f"a model's parameter {j} = {v} is outside [{lo[j]}, {hi[j]}]")
    subprocess.run([sys.executable, plot, out], check=True)
    d = json.load(open(os.path.join(out, "densities.json")))
    xs = d["x"]
    for name, expected in (("x_uv", 2.0), ("x_dv", 1.0)):
        t = d[name]["truth"]
        # int q dx = int (x q) d ln x, trapezoids on the plot's log grid (from x = 1e-3; the rest is small)
        integral = sum(0.5 * (t[i] + t[i + 1]) * (math.log(xs[i + 1]) - math.log(xs[i])) for i in range(len(xs) - 1))
        print(f"{name}: integral over [1e-3, 0.999] {integral:.4f} (all x: {expected})")
        if not expected * 0.93 < integral <= expected:
            bad.append(f"{name}: its integral {integral:.4f} does not approach {expected}")
    refused = subprocess.run([exe, "--sampler-grid", "100", "--output", out + "-refused"], capture_output=True,
                             text=True)
    if refused.returncode == 0 or "the grid is 64 or 256, not 100" not in refused.stdout + refused.stderr:
        bad.append(f"--sampler-grid 100 was not refused (exit {refused.returncode}): {refused.stderr.strip()}")
    for b in bad:
        print("FAILED:", b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
