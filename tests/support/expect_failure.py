#!/usr/bin/env python3
"""Run a command that must fail: non-zero exit, within a time bound, with given text in its output.

    expect_failure.py --timeout 60 --contains "did not arrive" [--contains ...] -- cmd args...

Exit 0 when all of that holds; 1 (with the reason and the command's output) otherwise.
Used to test that bad input and deadlocks end in a clear error instead of a hang or a crash.
"""
import argparse
import subprocess
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--contains", action="append", default=[])
    parser.add_argument("--exit-code", type=int, default=None, help="the exact exit code expected")
    parser.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    if not cmd:
        parser.error("no command given")

    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=args.timeout, text=True, errors="replace")
    except subprocess.TimeoutExpired as e:
        out = e.stdout if isinstance(e.stdout, str) else (e.stdout or b"").decode(errors="replace")
        print(out)
        print(f"FAIL: the command did not finish within {args.timeout:.0f} s: {' '.join(cmd)}")
        return 1
    elapsed = time.monotonic() - start
    print(proc.stdout)
    problems = []
    if proc.returncode == 0:
        problems.append("it exited with 0, a failure was expected")
    if args.exit_code is not None and proc.returncode != args.exit_code:
        problems.append(f"exit code {proc.returncode}, expected {args.exit_code}")
    for text in args.contains:
        if text not in proc.stdout:
            problems.append(f"its output lacks {text!r}")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"OK: failed as expected (exit {proc.returncode}) in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
