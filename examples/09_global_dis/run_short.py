#!/usr/bin/env python3
"""The global DIS example's test. A short run on 3 ranks (one per data set) with the maximum-likelihood
fits: the joint fit recovers all five parameters within 4 of its sigmas, and it is tighter on the
down-quark shape than the proton data alone (which see 4 u_v + d_v); the ranks record their data set in
the configuration; the models stay inside the bounds. Then the 140 GeV proton data alone (2,0,0 on 2
ranks: the other data sets not in the run), and plans that do not fit, refused with a message and a
non-zero exit; and --per-label, each data set its own generator at once, reported per label.

    run_short.py MPIRUN GLOBAL_DIS OUTPUT_DIR
"""
import json
import os
import subprocess
import sys

SHORT = ["--steps", "40", "--param-samples", "8", "--events-per-sample", "64", "--real-events", "50000",
         "--eval-samples", "100", "--checkpoint-every", "0"]


def run(mpirun, exe, ranks, args, out):
    cmd = [mpirun, "--oversubscribe", "--bind-to", "none", "-np", str(ranks), exe] + SHORT + args + ["--output", out]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def main() -> int:
    mpirun, exe, out = sys.argv[1:4]
    bad = []
    p = run(mpirun, exe, 3, [], out)
    print(p.stdout)
    if p.returncode != 0:
        print(p.stderr)
        return 1
    s = json.load(open(os.path.join(out, "summary.json")))
    names, truth = s["parameters"]["names"], s["parameters"]["truth"]
    if names != ["lambda_u", "K_u", "lambda_d", "K_d", "h_D[2]"]:
        bad.append(f"parameter names {names}")
    joint = s["mle"]["joint"]
    for j, name in enumerate(names):
        sigma = joint["sigma"][j]
        if not sigma > 0:
            bad.append(f"{name}: the joint fit holds it at a bound ({joint['status']})")
            continue
        pull = (joint["value"][j] - truth[j]) / sigma
        print(f"{name}: joint MLE {joint['value'][j]:.4f} +- {sigma:.4f}, truth {truth[j]}, pull {pull:+.2f}")
        if not abs(pull) < 4:
            bad.append(f"{name}: the joint fit's pull {pull:+.2f}")
    proton = s["mle"]["alone"][0]
    for j in (2, 3):  # lambda_d, K_d: the proton alone sees them only through d_v / 9
        alone = proton["sigma"][j]
        print(f"{names[j]}: sigma alone (proton 140) {alone:.4f}, joint {joint['sigma'][j]:.4f}")
        if alone > 0 and not joint["sigma"][j] < alone:
            bad.append(f"{names[j]}: the joint fit ({joint['sigma'][j]}) is not tighter than the proton alone ({alone})")
    ds = s["configuration"].get("data_set")
    if not ds or ds["count"] != 3 or ds["ranks"] != 1 or abs(ds["share"] - 1 / 3) > 1e-12:
        bad.append(f"the configuration's data set record: {ds}")
    lo, hi = [0.4, 1.5, 0.3, 2.5, -0.8], [1.1, 5.0, 1.0, 6.5, 1.6]
    for m in s["member_estimates"]:
        for j, v in enumerate(m):
            if not lo[j] <= v <= hi[j]:
                bad.append(f"a model's parameter {j} = {v} is outside [{lo[j]}, {hi[j]}]")

    # One data set alone: the plan leaves the others out.
    p = run(mpirun, exe, 2, ["--ranks", "2,0,0"], out + "-alone")
    print(p.stdout)
    if p.returncode != 0:
        bad.append("the proton-alone run failed: " + p.stderr[-2000:])
    else:
        a = json.load(open(os.path.join(out + "-alone", "summary.json")))
        if "joint" in a["mle"] or a["mle"]["alone"][1] is not None:
            bad.append("the proton-alone run fitted data sets that are not in it")
        if a["configuration"]["data_set"]["share"] != 1.0:
            bad.append(f"the proton-alone run's share: {a['configuration']['data_set']}")

    # Each data set its own generator, at once: three labels, each reported with its loss history.
    p = run(mpirun, exe, 3, ["--per-label", "--no-fit"], out + "-labels")
    print(p.stdout)
    if p.returncode != 0:
        bad.append("the per-label run failed: " + p.stderr[-2000:])
    else:
        labels = json.load(open(os.path.join(out + "-labels", "labels.json")))["labels"]
        if [l["label"] for l in labels] != [0, 1, 2] or any(len(l["history"]["loss_g"]) == 0 for l in labels):
            bad.append("labels.json does not hold the three labels with their histories")
        elif any(l["configuration"]["data_set"]["ranks"] != 1 for l in labels):
            bad.append("a label's data set record: " + str([l["configuration"]["data_set"] for l in labels]))

    # Plans that do not fit: every rank says why, and the run fails.
    for ranks, args, expect in ((3, ["--ranks", "2,1,1"], "do not fit"),
                                (3, ["--weights", "1,-1,1"], "not a positive number"),
                                (2, ["--ranks", "1,1"], "give three sizes")):
        p = run(mpirun, exe, ranks, args + ["--no-fit"], out + "-bad")
        said = p.stdout + p.stderr
        print(f"{args}: exit {p.returncode}; says {expect!r}: {said.count(expect)} time(s)")
        if p.returncode == 0 or expect not in said:
            bad.append(f"{args}: exit {p.returncode}, output:\n{said[-1500:]}")
    for b in bad:
        print("FAILED:", b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
