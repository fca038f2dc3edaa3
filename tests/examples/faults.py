#!/usr/bin/env python3
"""Faults a user on a shared cluster meets, played against the main job (proxy2d) on real ranks:

    faults.py SCENARIO --program PROXY2D --work DIR [--shim LIB.so] -- MPIRUN ARGS...

Scenarios (each exits 0 when the behaviour holds, 1 with the reasons otherwise):
  signal-mpirun   SIGTERM, SIGINT, SIGHUP to mpirun, as a scheduler or a terminal sends them: the job ends
                  after its step with "interrupted by ... at step N; ... continue with --resume", a
                  checkpoint of step N, and --resume ends with the uninterrupted run's metrics and samples
  signal-ranks    SIGUSR1 and SIGTERM to the ranks themselves (Slurm's --signal, srun): the same, and the
                  job's exit code is 75
  shared-output   a second run on the folder of a running one is refused naming the holder; the first
                  ends as if alone
  resume-refusals --resume with another --resolution, --real-events, --data or a --steps below the
                  checkpoint is refused naming what differs
  non-utf8        --output and --data with a byte that is not UTF-8: the run ends with the table and a
                  valid summary.json
  hang-init       a rank hangs in MPI_Init (--shim: tests/support/stop_in_mpi.cpp): the job ends, saying so
  hang-finalize   a rank hangs in MPI_Finalize: the job ends, saying so
  samples-fail    samples.csv cannot be written (--shim: fault_inject): the table is printed and summary.json
                  written first, then the job fails naming samples.csv
  kokkos-help     --kokkos-help prints Kokkos' help once and starts no run
  version         --version prints sagips's, Kokkos' and MPI's versions; summary.json records them
  config-summary  --config summary.json, and a TOML file written from its configuration ([exchange] and
                  [program] sections), run the same configuration again
  diverged        --lr-generator 1e10: every rank stops at the step the generator's weights diverged
  dangling-output --output naming a dangling symbolic link is refused saying so
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

JOB = ["--steps", "6", "--param-samples", "4", "--events-per-sample", "32", "--eval-samples", "50",
       "--metrics-every", "2", "--checkpoint-every", "3", "--real-events", "4000", "--no-fit"]
# A longer job to interrupt: rows and checkpoints at every step, so any step can be the last one saved.
LONG = ["--steps", "400", "--param-samples", "4", "--events-per-sample", "32", "--eval-samples", "50",
        "--metrics-every", "1", "--checkpoint-every", "50", "--real-events", "4000", "--no-fit"]
TIMING_COLUMNS = 2  # steps_per_s and events_per_s: the only columns that differ between runs


def run(cmd, timeout=300, env=None):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
                          timeout=timeout, env=env)
    return proc.returncode, proc.stdout


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def without_timing(metrics):
    return [",".join(line.split(",")[:-TIMING_COLUMNS]) for line in metrics.splitlines()]


def rank_pids(root_pid):
    """The pids of the MPI ranks below root_pid (processes whose environment names a world rank)."""
    children = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(pid))
        except (OSError, IndexError, ValueError):
            pass
    found, todo = [], [root_pid]
    while todo:
        for c in children.get(todo.pop(), []):
            todo.append(c)
            try:
                with open(f"/proc/{c}/environ", "rb") as f:
                    if b"OMPI_COMM_WORLD_RANK=" in f.read():
                        found.append(c)
            except OSError:
                pass
    return found


class Scenario:
    def __init__(self, args, mpirun):
        self.args, self.mpirun, self.work = args, mpirun, args.work
        self.problems = []

    def job(self, extra, timeout=300, env=None):
        return run(self.mpirun + [self.args.program] + extra, timeout=timeout, env=env)

    def expect(self, condition, problem):
        if not condition:
            self.problems.append(problem)

    # -- stop signals ---------------------------------------------------------------------------------
    def interrupted(self, name, deliver, expect_code):
        """Starts the long job, waits for its first rows, delivers a signal, checks the stop and the resume."""
        whole, cut = os.path.join(self.work, "whole"), os.path.join(self.work, name)
        if not os.path.exists(os.path.join(whole, "summary.json")):
            rc, out = self.job(LONG + ["--output", whole])
            if rc != 0:
                print(out)
                self.problems.append(f"the uninterrupted run exited with {rc}")
                return
        proc = subprocess.Popen(self.mpirun + [self.args.program] + LONG + ["--output", cut], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, errors="replace")
        metrics = os.path.join(cut, "metrics.csv")
        start = time.monotonic()
        while time.monotonic() - start < 120 and proc.poll() is None:
            if os.path.exists(metrics) and read(metrics).count("\n") > 10:  # training: ten rows written
                break
            time.sleep(0.05)
        deliver(proc)
        try:
            out, _ = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            out = proc.communicate()[0]
            self.problems.append(f"{name}: the job did not end within 120 s of the signal")
        print(out)
        found = re.search(r"interrupted by (SIG\w+) at step (\d+); checkpoint saved in (\S+); continue with --resume", out)
        if not found:
            self.problems.append(f"{name}: no 'interrupted by ... at step N; ... continue with --resume' line")
            return
        step = int(found.group(2))
        if expect_code is not None:
            self.expect(proc.returncode == expect_code, f"{name}: exit code {proc.returncode}, expected {expect_code}")
        else:
            self.expect(proc.returncode != 0, f"{name}: exit code 0 after a stop signal")
        latest = os.path.join(cut, "checkpoints", "latest")
        self.expect(os.path.exists(latest) and read(latest).strip() == f"step-{step:08d}",
                    f"{name}: `latest` does not name the checkpoint of step {step}")
        self.expect(step < 400, f"{name}: the signal came after the last step")
        rc, out = self.job(LONG + ["--output", cut, "--resume"])
        self.expect(rc == 0 and f"resuming after step {step}" in out, f"{name}: --resume did not continue after step {step}")
        self.expect(without_timing(read(os.path.join(whole, "metrics.csv"))) == without_timing(read(metrics)),
                    f"{name}: metrics.csv after the resume differs from the uninterrupted run's")
        self.expect(read(os.path.join(whole, "samples.csv")) == read(os.path.join(cut, "samples.csv")),
                    f"{name}: samples.csv after the resume differs from the uninterrupted run's")

    def signal_mpirun(self):
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            self.interrupted("mpirun-" + sig.name, lambda p, s=sig: p.send_signal(s), None)

    def signal_ranks(self):
        for sig in (signal.SIGUSR1, signal.SIGTERM):
            def deliver(p, s=sig):
                for pid in rank_pids(p.pid):
                    os.kill(pid, s)
            self.interrupted("ranks-" + sig.name, deliver, 75)

    # -- one folder, two runs -------------------------------------------------------------------------
    def shared_output(self):
        out_dir = os.path.join(self.work, "shared")
        first = subprocess.Popen(self.mpirun + [self.args.program] + LONG + ["--output", out_dir],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
        metrics = os.path.join(out_dir, "metrics.csv")
        start = time.monotonic()
        while time.monotonic() - start < 120 and first.poll() is None and not os.path.exists(metrics):
            time.sleep(0.05)
        rc, out = self.job(JOB + ["--output", out_dir])
        print(out)
        self.expect(rc != 0, "the second run on a folder in use exited with 0")
        self.expect(re.search(r"cannot use the output folder '.*shared': another run holds it \(host \S+, pid \d+", out),
                    "the refusal does not name the folder and the holder (host, pid)")
        out1, _ = first.communicate(timeout=300)
        self.expect(first.returncode == 0, f"the first run exited with {first.returncode}:\n{out1}")
        rows = read(metrics).splitlines()
        self.expect(len(rows) == 401 and rows[-1].startswith("400,"), "the first run's metrics.csv lost rows")
        self.expect(json.loads(read(os.path.join(out_dir, "summary.json")))["steps"] == 400,
                    "the first run's summary.json is not its own")
        # Its lock went with it: the folder takes a new run.
        rc, out = self.job(JOB + ["--output", out_dir])
        self.expect(rc == 0, "the folder of a finished run refused a new one:\n" + out)

    # -- resume on something else ---------------------------------------------------------------------
    def resume_refusals(self):
        out_dir = os.path.join(self.work, "refusals")
        data = os.path.join(self.work, "events.npy")
        rc, out = self.job(JOB + ["--output", out_dir])
        if rc != 0:
            print(out)
            self.problems.append("the first run failed")
            return
        import numpy as np
        np.save(data, np.random.default_rng(3).uniform(0.1, 0.9, size=(4000, 2)).astype(np.float32))
        cases = [(["--resolution", "0.02"], "program.resolution: checkpoint \"0.01\", this run \"0.02\""),
                 (["--real-events", "5000"], "program.real_events: checkpoint \"4000\", this run \"5000\""),
                 (["--data", data], "data.checksum: checkpoint"),
                 (["--steps", "3"], "is at step 6, past --steps 3: give --steps 6 or more")]
        for extra, expected in cases:
            args = [a for a in JOB if a not in ("--steps", "6")] if "--steps" in extra else list(JOB)
            if "--real-events" in extra or "--data" in extra:
                i = args.index("--real-events")
                del args[i:i + 2]
            rc, out = self.job(args + extra + ["--output", out_dir, "--resume"])
            self.expect(rc != 0 and expected in out, f"--resume {' '.join(extra)}: not refused with '{expected}':\n{out}")
        rc, out = self.job(JOB + ["--output", out_dir, "--resume"])
        self.expect(rc == 0, "the same settings no longer resume:\n" + out)

    # -- paths that are not UTF-8 ---------------------------------------------------------------------
    def non_utf8(self):
        import numpy as np
        work = os.fsencode(self.work)
        out_dir = os.path.join(work, b"out-\xff")
        data = os.path.join(work, b"events-\xfe.npy")
        with open(data, "wb") as f:
            pipe_data = np.random.default_rng(4).uniform(0.05, 0.95, size=(4000, 2)).astype(np.float32)
            np.save(f, pipe_data)
        args = [os.fsencode(a) for a in self.mpirun + [self.args.program] + JOB] + [b"--output", out_dir, b"--data", data]
        args = [a for a in args if a not in (b"--real-events", b"4000")]
        proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        out = proc.stdout.decode("utf-8", "replace")
        print(out)
        self.expect(proc.returncode == 0, f"exit code {proc.returncode}")
        self.expect("estimate +- sigma" in out, "no table printed")
        try:
            with open(os.path.join(out_dir, b"summary.json"), "rb") as f:
                summary = json.loads(f.read().decode("utf-8"))
            self.expect(summary["configuration"]["output_dir"].endswith("out-\\xff"), "output_dir not written as out-\\xff")
            self.expect(summary["data"]["file"].endswith("events-\\xfe.npy"), "the data file not written as events-\\xfe.npy")
        except (OSError, ValueError, KeyError) as e:
            self.problems.append(f"summary.json is missing or not valid UTF-8 JSON: {e}")

    # -- a rank that hangs at the start or the end ----------------------------------------------------
    def hang(self, where):
        env = dict(os.environ)
        fault = ["-x", "LD_PRELOAD=" + self.args.shim, "-x", "SAGIPS_STOP_AT=" + where, "-x", "SAGIPS_STOP_RANK=1",
                 "-x", "SAGIPS_INIT_TIMEOUT=5"]
        start = time.monotonic()
        try:
            rc, out = run(self.mpirun + fault + [self.args.program] + JOB +
                          ["--output", os.path.join(self.work, "hang-" + where), "--stall-timeout", "5"], timeout=90, env=env)
        except subprocess.TimeoutExpired:
            subprocess.run(["pkill", "-9", "-f", "SAGIPS_STOP_AT"], check=False)
            self.problems.append(f"the job still ran 90 s after a rank hung in MPI_{where.capitalize()}")
            return
        print(out)
        call = "MPI_Init" if where == "init" else "MPI_Finalize"
        self.expect(rc != 0, "exit code 0")
        self.expect(f"{call} has not returned after" in out, f"no '{call} has not returned' message")
        print(f"the job ended after {time.monotonic() - start:.1f} s")

    def hang_init(self):
        self.hang("init")

    def hang_finalize(self):
        self.hang("finalize")

    # -- the answer before secondary files ------------------------------------------------------------
    def samples_fail(self):
        out_dir = os.path.join(self.work, "samples-fail")
        fault = ["-x", "LD_PRELOAD=" + self.args.shim, "-x", "SAGIPS_FAULT_PATH=samples.csv", "-x",
                 "SAGIPS_FAULT_OP=write", "-x", "SAGIPS_FAULT_ERRNO=ENOSPC"]
        rc, out = run(self.mpirun + fault + [self.args.program] + JOB + ["--output", out_dir])
        print(out)
        self.expect(rc != 0, "exit code 0 although samples.csv could not be written")
        self.expect("estimate +- sigma" in out, "the table was not printed")
        self.expect(os.path.exists(os.path.join(out_dir, "summary.json")), "summary.json was not written")
        self.expect(re.search(r"cannot write \S*samples\.csv: No space left on device", out), "the failure does not name samples.csv")
        self.expect(out.find("estimate +- sigma") < out.find("samples.csv"), "the failure came before the table")

    # -- help and versions ----------------------------------------------------------------------------
    def kokkos_help(self):
        rc, out = self.job(["--kokkos-help"] + JOB + ["--output", os.path.join(self.work, "kokkos-help")])
        print(out)
        self.expect(rc == 0, f"exit code {rc}")
        self.expect(out.count("Kokkos command line arguments") == 1, "Kokkos' help not printed exactly once")
        self.expect("real events" not in out and "step " not in out, "a run started after the help")

    def version(self):
        rc, out = self.job(["--version"])
        print(out)
        self.expect(rc == 0, f"--version: exit code {rc}")
        lines = [l for l in out.splitlines() if re.match(r"^sagips \d+\.\d+\.\d+; kokkos \d+\.\d+\.\d+ \w+; mpi .+$", l)]
        self.expect(len(lines) == 1, "--version does not print 'sagips X.Y.Z; kokkos ...; mpi ...' once")
        out_dir = os.path.join(self.work, "version")
        rc, out = self.job(JOB + ["--output", out_dir])
        versions = json.loads(read(os.path.join(out_dir, "summary.json"))).get("versions", {})
        self.expect(set(versions) == {"sagips", "kokkos", "mpi"}, f"summary.json's versions: {versions}")

    # -- a finished run's configuration, again --------------------------------------------------------
    def config_summary(self):
        first = os.path.join(self.work, "config-first")
        rc, out = self.job(JOB + ["--output", first, "--strategy", "async-ring", "--group-size", "1", "--seed", "7"])
        if rc != 0:
            print(out)
            self.problems.append("the first run failed")
            return
        summary = json.loads(read(os.path.join(first, "summary.json")))
        config = summary["configuration"]
        toml = os.path.join(self.work, "from-summary.toml")
        with open(toml, "w") as f:
            sections = {k: v for k, v in config.items() if isinstance(v, dict)}
            for k, v in config.items():
                if not isinstance(v, dict):
                    f.write(f"{k} = {json.dumps(v)}\n")
            for name in ("exchange", "program"):
                f.write(f"[{name}]\n")
                for k, v in sections.get(name, {}).items():
                    f.write(f"{k} = {json.dumps(v)}\n")
        for source in (os.path.join(first, "summary.json"), toml):
            again = os.path.join(self.work, "config-again-" + os.path.basename(source))
            rc, out = run(self.mpirun + [self.args.program, "--no-fit", "--config", source, "--output", again])
            print(out)
            if rc != 0:
                self.problems.append(f"--config {source} was refused")
                continue
            config2 = json.loads(read(os.path.join(again, "summary.json")))["configuration"]
            for c in (config, config2):
                c.pop("output_dir", None)
            self.expect(config == config2, f"--config {source}: another configuration:\n{config}\n{config2}")

    # -- a generator that diverges --------------------------------------------------------------------
    def diverged(self):
        rc, out = self.job(JOB + ["--lr-generator", "1e10", "--output", os.path.join(self.work, "diverged")])
        print(out)
        self.expect(rc == 1, f"exit code {rc}, expected 1 (a collective error, not an abort)")
        self.expect(re.search(r"error: the generator proposed non-finite parameters at step \d+: its weights have diverged", out),
                    "no collective message naming the step")
        self.expect("MPI_ABORT" not in out, "the job was aborted from one rank")

    def dangling_output(self):
        link = os.path.join(self.work, "dangling")
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(os.path.join(self.work, "no-such-folder"), link)
        rc, out = self.job(JOB + ["--output", link])
        print(out)
        self.expect(rc != 0, "exit code 0")
        self.expect("is a symbolic link to" in out and "which does not exist" in out, "the dangling link is not named")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario")
    parser.add_argument("--program", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--shim", default="")
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:cut])
    mpirun = argv[cut + 1:]
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    s = Scenario(args, mpirun)
    getattr(s, args.scenario.replace("-", "_"))()
    for p in s.problems:
        print("FAIL: " + p)
    return 1 if s.problems else 0


if __name__ == "__main__":
    sys.exit(main())
