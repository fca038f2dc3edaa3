#!/usr/bin/env python3
"""Checks that a sagips program's --help shows the program's own help only, while Kokkos' flags
still reach Kokkos.

    check_help.py PROGRAM --expect=OPTION [--expect=OPTION ...] [--run=ARGS]

- `PROGRAM --help` and `PROGRAM -h` exit 0, list every --expect option, and print nothing of
  Kokkos' help (Kokkos answers a bare --help with its own banner unless it is kept from it);
- with --run ARGS (a short run of the program): `PROGRAM --kokkos-help ARGS` prints Kokkos' help
  and exits 0, and `PROGRAM --kokkos-disable-warnings ARGS` exits 0, which it only does when Kokkos
  took the flag out of argv before the program's own parser, which refuses unknown options, saw it.
"""
import argparse
import shlex
import subprocess
import sys

# Lines of Kokkos' help (3.x and 4.x); none of them belongs in a program's own help.
KOKKOS_HELP_MARKERS = ("Kokkos command line arguments", "--kokkos-help", "--kokkos-disable-warnings")


def run(cmd):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          errors="replace", timeout=120)
    print(f"$ {shlex.join(cmd)}  (exit {proc.returncode})\n{proc.stdout}")
    return proc.returncode, proc.stdout


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("program")
    parser.add_argument("--expect", action="append", default=[])
    parser.add_argument("--run", default=None, help="arguments of a short run of the program")
    args = parser.parse_args()
    problems = []
    for flag in ("--help", "-h"):
        rc, out = run([args.program, flag])
        if rc != 0:
            problems.append(f"{flag}: exit {rc}, expected 0")
        for option in args.expect:
            if option not in out:
                problems.append(f"{flag}: the program's option {option} is not in the help")
        for marker in KOKKOS_HELP_MARKERS:
            if marker in out:
                problems.append(f"{flag}: Kokkos' own help is printed ({marker!r})")
    if args.run is not None:
        run_args = shlex.split(args.run)
        rc, out = run([args.program, "--kokkos-help"] + run_args)
        if rc != 0:
            problems.append(f"--kokkos-help: exit {rc}, expected 0")
        if "--kokkos-help" not in out:
            problems.append("--kokkos-help: Kokkos' help is not printed")
        rc, out = run([args.program, "--kokkos-disable-warnings"] + run_args)
        if rc != 0:
            problems.append(f"--kokkos-disable-warnings: exit {rc}, expected 0 (did the flag reach "
                            "the program's parser instead of Kokkos?)")
    for p in problems:
        print("FAIL:", p)
    if not problems:
        print("help OK")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
