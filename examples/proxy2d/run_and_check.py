#!/usr/bin/env python3
"""Runs proxy2d with its defaults on 2 ranks into OUTDIR, then checks its summary.
    run_and_check.py MPIRUN PROXY2D CHECK_SUMMARY OUTDIR"""
import os
import subprocess
import sys

mpirun, exe, check, out = sys.argv[1:5]
os.makedirs(out, exist_ok=True)
# "No flags": the example's defaults; the output folder is the working directory's default.
subprocess.run([mpirun, "--oversubscribe", "--bind-to", "none", "-np", "2", exe], cwd=out, check=True)
sys.exit(subprocess.run([sys.executable, check, os.path.join(out, "sagips-out", "summary.json"), "0.10", "0.40"]).returncode)
