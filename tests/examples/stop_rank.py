#!/usr/bin/env python3
"""Stops one rank of a running MPI job (SIGSTOP, as a stuck node or a debugger would) and checks that
the other ranks' stall watchdog names it and ends the job with a non-zero exit within a time bound,
instead of hanging.

    stop_rank.py RANK DELAY_S TIMEOUT_S -- mpirun ... program ...
The rank (its OMPI_COMM_WORLD_RANK) is stopped DELAY_S seconds after all ranks have started.
"""
import os
import signal
import subprocess
import sys
import time


def ranks_of(root_pid):
    """{world rank: pid} of the descendants of root_pid that are MPI ranks."""
    children = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(pid))
        except (OSError, IndexError, ValueError):
            pass
    found, todo = {}, [root_pid]
    while todo:
        p = todo.pop()
        for c in children.get(p, []):
            todo.append(c)
            try:
                with open(f"/proc/{c}/environ", "rb") as f:
                    env = dict(kv.split(b"=", 1) for kv in f.read().split(b"\0") if b"=" in kv)
            except OSError:
                continue
            if b"OMPI_COMM_WORLD_RANK" in env:
                found[int(env[b"OMPI_COMM_WORLD_RANK"])] = c
    return found


def main() -> int:
    rank, delay, limit = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
    cmd = sys.argv[5:] if sys.argv[4] == "--" else sys.argv[4:]
    nranks = int(cmd[cmd.index("-np") + 1])
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    start = time.monotonic()
    ranks = {}
    while len(ranks) < nranks and time.monotonic() - start < 60 and proc.poll() is None:
        ranks = ranks_of(proc.pid)
        time.sleep(0.05)
    if rank not in ranks:
        proc.kill()
        print(proc.communicate()[0])
        print(f"FAIL: rank {rank} never appeared")
        return 1
    time.sleep(delay)
    os.kill(ranks[rank], signal.SIGSTOP)
    stopped = time.monotonic()
    try:
        out, _ = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        for pid in ranks.values():
            for sig in (signal.SIGCONT, signal.SIGKILL):
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass
        proc.kill()
        print(proc.communicate()[0])
        print(f"FAIL: the job still ran {limit:.0f} s after rank {rank} was stopped")
        return 1
    finally:
        for pid in ranks.values():  # never leave a stopped process behind
            try:
                os.kill(pid, signal.SIGCONT)
            except OSError:
                pass
    print(out)
    problems = []
    if proc.returncode == 0:
        problems.append("it exited with 0")
    if f"rank(s) {rank} did not arrive" not in out:
        problems.append(f"the output does not name rank {rank} as missing")
    for p in problems:
        print("FAIL: " + p)
    print(f"the job ended {time.monotonic() - stopped:.1f} s after rank {rank} was stopped")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
