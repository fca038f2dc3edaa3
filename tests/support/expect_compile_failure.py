#!/usr/bin/env python3
"""Asks ninja to build a target that must not compile; passes when the build fails and its output
contains the expected message (the static_assert's text).
    expect_compile_failure.py NINJA BUILD_DIR TARGET MESSAGE"""
import subprocess
import sys

ninja, build, target, message = sys.argv[1:5]
r = subprocess.run([ninja, "-C", build, target], capture_output=True, text=True)
out = r.stdout + r.stderr
if r.returncode == 0:
    print(f"FAIL: {target} compiled; it must not")
    sys.exit(1)
if message not in out:
    print(out[-4000:])
    print(f"FAIL: the compiler's output lacks {message!r}")
    sys.exit(1)
print(f"ok: {target} does not compile, with: {message}")
