#!/usr/bin/env python3
"""App --fit-profile end to end on 2 ranks: summary.json's mle.profile has, per parameter, a 68% interval
around the fit's value inside a 95% interval inside the fit's box, the truth within the 95% interval,
and the estimate's place in sigmas; the printed table says the same. With --no-fit the flag is refused
with its reason and a non-zero exit.

    fit_profile.py OUT_DIR -- mpirun ... custom_theory [options]
"""
import json
import subprocess
import sys
from pathlib import Path


def main() -> int:
    out = Path(sys.argv[1])
    cmd = sys.argv[3:] if sys.argv[2] == "--" else sys.argv[2:]
    problems = []
    proc = subprocess.run(cmd + ["--fit-profile", "--output", str(out / "run")], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, errors="replace", timeout=420)
    print(proc.stdout)
    if proc.returncode != 0:
        print(f"FAIL: the run exited with {proc.returncode}")
        return 1
    s = json.load(open(out / "run" / "summary.json"))
    mle, names, truth = s["mle"], s["parameters"]["names"], s["parameters"]["truth"]
    profile = mle.get("profile")
    if not isinstance(profile, list) or len(profile) != len(names):
        print(f"FAIL: mle.profile is {profile!r}")
        return 1
    for j, (name, p) in enumerate(zip(names, profile)):
        i68, i95, v = p["interval68"], p["interval95"], mle["value"][j]
        if not isinstance(p["estimate_sigmas"], (int, float)):  # NaN is written as null
            problems.append(f"{name}: the estimate's place is {p['estimate_sigmas']!r}")
            continue
        print(f"{name}: fit {v:.4f}, 68% [{i68['lower']:.4f}, {i68['upper']:.4f}], "
              f"95% [{i95['lower']:.4f}, {i95['upper']:.4f}], truth {truth[j]}, estimate at {p['estimate_sigmas']:+.2f}")
        if not i95["lower"] <= i68["lower"] < v < i68["upper"] <= i95["upper"]:
            problems.append(f"{name}: the intervals are not nested around the fit's value")
        if i68["lower_at_box"] or i68["upper_at_box"] or i95["lower_at_wall"] or i95["upper_at_wall"]:
            problems.append(f"{name}: an end reached the box or a wall on events that fix it")
        if not i95["lower"] <= truth[j] <= i95["upper"]:
            problems.append(f"{name}: the truth is outside the 95% interval")
        if mle["sigma"][j] > 0:  # 10^5 events: the profile is nearly a parabola, the 68% half-width ~ sigma
            half = 0.5 * (i68["upper"] - i68["lower"])
            if not 0.8 < half / mle["sigma"][j] < 1.25:
                problems.append(f"{name}: 68% half-width {half:.4g} against the Hessian's sigma {mle['sigma'][j]:.4g}")
        if f"{name:<10s} 68% [" not in proc.stdout:
            problems.append(f"{name}: no profile line in the printed table")
    refused = subprocess.run(cmd + ["--fit-profile", "--no-fit", "--output", str(out / "refused")],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
                             timeout=120)
    if refused.returncode == 0 or "drop --no-fit" not in refused.stdout:
        problems.append(f"--fit-profile --no-fit was not refused (exit {refused.returncode}): {refused.stdout[-400:]}")
    for p in problems:
        print("FAIL: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
