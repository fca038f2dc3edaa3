#!/usr/bin/env python3
"""Reads meson's testlog.json and prints one line: "N passed, N failed" (exit 1 if any failed or
none ran). Expected failures count as passed; timeouts, errors and unexpected passes as failed;
skipped tests are named separately."""
import json
import sys

passed = failed = skipped = 0
names = []
with open(sys.argv[1]) as f:
    for line in f:
        if not line.strip():
            continue
        result = json.loads(line)["result"]
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
            names.append(json.loads(line)["name"])
if names:
    print("failed: " + ", ".join(names))
print(f"{passed} passed, {failed} failed" + (f" ({skipped} skipped)" if skipped else ""))
sys.exit(0 if failed == 0 and passed > 0 else 1)
