#!/usr/bin/env python3
"""Runs an example with its defaults on 2 ranks in OUTDIR, then checks the summary it wrote.
    run_and_check.py MPIRUN EXAMPLE CHECK_SUMMARY OUTDIR SUMMARY_FOLDER BOUNDS"""
import os
import subprocess
import sys

mpirun, exe, check, out, folder, bounds = sys.argv[1:7]
os.makedirs(out, exist_ok=True)
# "No flags": the example's defaults; its output folder is relative to the working directory.
subprocess.run([mpirun, "--oversubscribe", "--bind-to", "none", "-np", "2", exe], cwd=out, check=True)
sys.exit(subprocess.run([sys.executable, check, os.path.join(out, folder, "summary.json"), bounds]).returncode)
