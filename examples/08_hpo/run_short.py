#!/usr/bin/env python3
"""The search example's test, on 3 ranks (a coordinator and two blocks of one rank):

1. 4 trials with successive halving over 20 and 60 steps: every trial has a finite score at 20 steps,
   the first is the defaults, and the best of the first rung went on to 60 steps (at most one more);
2. the same search resumed to 6 trials: the first four trials' results are kept as they were (not run
   again) and two more are added;
3. a world that does not split into a coordinator and blocks (4 ranks, blocks of 2) is refused with a
   message, non-zero.

    run_short.py MPIRUN HPO OUTPUT_DIR
"""
import json
import os
import shutil
import subprocess
import sys


def main() -> int:
    mpirun, exe, out = sys.argv[1:4]
    shutil.rmtree(out, ignore_errors=True)
    base = [mpirun, "--oversubscribe", "--bind-to", "none", "-np", "3", exe, "--min-steps", "20", "--max-steps", "60",
            "--eta", "3", "--events", "4000", "--held-out", "400", "--output", out, "--initial-random", "2"]
    subprocess.run(base + ["--trials", "4"], check=True)
    first = json.load(open(os.path.join(out, "results.json")))
    bad = []
    trials = first["trials"]
    if len(trials) != 4:
        bad.append(f"{len(trials)} trials, 4 asked for")
    for t in trials:
        r0 = t["results"][0]
        if r0["rung"] != 0 or r0["status"] != "ok" or r0["score"] is None:
            bad.append(f"trial {t['id']}: rung 0 result {r0}")
    if trials[0]["point"] != {"lr_generator": 2e-4, "lr_discriminator": 1e-3, "beta1": 0.5}:
        bad.append(f"the first trial is not the defaults: {trials[0]['point']}")
    promoted = [t["id"] for t in trials if any(r["rung"] == 1 for r in t["results"])]
    rung0 = sorted((t["results"][0]["score"], t["id"]) for t in trials)
    # Asynchronous halving promotes the best third of what has finished when a block asks for work: the
    # best of all four always goes on, and at most one other (the best of the first three, if another).
    if rung0[0][1] not in promoted or len(promoted) > 2:
        bad.append(f"promoted {promoted}; the best of rung 0 is trial {rung0[0][1]}")

    subprocess.run(base + ["--trials", "6", "--resume"], check=True)
    second = json.load(open(os.path.join(out, "results.json")))
    if len(second["trials"]) != 6:
        bad.append(f"resumed: {len(second['trials'])} trials, 6 asked for")
    for a, b in zip(trials, second["trials"][:4]):
        if a["results"][0] != b["results"][0]:
            bad.append(f"trial {a['id']} was run again after the resume")

    wrong = subprocess.run([mpirun, "--oversubscribe", "--bind-to", "none", "-np", "4", exe, "--block-size", "2",
                            "--output", out + "-wrong"], capture_output=True, text=True)
    if wrong.returncode == 0 or "do not make one coordinator and blocks of 2" not in wrong.stdout + wrong.stderr:
        bad.append(f"4 ranks with blocks of 2: exit {wrong.returncode}, output {wrong.stdout[-300:]} {wrong.stderr[-300:]}")
    for b in bad:
        print("FAIL:", b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
