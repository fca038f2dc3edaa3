#!/usr/bin/env python3
"""Runs the scaling driver (scaling_driver.so) on simulated ranks with SimGrid's smpirun.

    smpi_run.py --driver build/benchmarks/scaling/scaling_driver.so --ranks 64 [--platform polaris]
                [--selector default|rab_rdb|ompi] -- --strategy async-ring --steps 4 ...
    smpi_run.py --driver ... --quick      every strategy on 16 ranks, 2 steps, each result checked (a test)

Platforms: polaris (platforms/polaris.xml: nodes of 4 ranks), flat (platforms/flat.xml: one rank per
node), calib:BW:LAT (two single-rank nodes joined by one link of BW bytes/s and LAT seconds, for the
calibration against real ranks), or a path to a platform file (one rank per host). The settings that
make the simulation mean what docs/scaling.md says are here, in SMPI_CONFIG. sweep.py imports run().
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# Hosts named node-0 .. node-(count-1); ranks per node as on the modelled machine.
PLATFORMS = {
    "polaris": {"file": os.path.join(HERE, "platforms", "polaris.xml"), "nodes": 128, "ranks_per_node": 4},
    "flat": {"file": os.path.join(HERE, "platforms", "flat.xml"), "nodes": 512, "ranks_per_node": 1},
}

# What every simulation runs with:
SMPI_CONFIG = [
    # Only injected compute counts: host time (the Kokkos sums, the copies, a loaded machine) never
    # enters the simulated clock, so results do not depend on the machine that simulates.
    "smpi/simulate-computation:no",
    # smpi_execute(t) runs t x host-speed flops on a host of the platform: with the platforms' 1 Gf, t.
    "smpi/host-speed:1Gf",
    # The platform's numbers are the model: no correction factors for small or large messages.
    "smpi/bw-factor:0:1",  # (message size from which):(factor)
    "smpi/lat-factor:0:1",
    # A failed MPI_Test / MPI_Iprobe costs 1 us (SMPI's default 100 us, meant to break busy loops,
    # would charge every poll of the trainer's cadence), and never grows.
    "smpi/test:1e-6",
    "smpi/iprobe:1e-6",
    "smpi/grow-injected-times:no",
    # Each message costs its sender and its receiver 0.3 us of software overhead (0 in SMPI by default):
    # about one core's MPI message rate, ~3 million small messages a second (OSU's osu_mbw_mr on
    # current HPC networks). Without it a scheme of many small messages would look free.
    "smpi/os:0:3e-7:0",  # (message size from which):(seconds):(seconds per byte)
    "smpi/ois:0:3e-7:0",
    "smpi/or:0:3e-7:0",
]

# MPI_Allreduce's algorithm: SMPI's own default, recursive halving/doubling (Rabenseifner), or the
# choice Open MPI's tuned module would make.
SELECTORS = {
    "default": [],
    "rab_rdb": ["smpi/allreduce:rab_rdb"],
    "ompi": ["smpi/coll-selector:ompi"],
}


def kokkos_libs(driver):
    """The Kokkos shared libraries the driver loads: each simulated rank needs a private copy."""
    out = subprocess.run(["ldd", driver], capture_output=True, text=True, check=True).stdout
    return sorted({os.path.basename(m) for m in re.findall(r"=>\s*(\S*kokkos\S*\.so[.\d]*)", out)})


def run_group(cmd, timeout, env):
    """Runs cmd in a session of its own, so that a timeout ends smpirun's simulator (smpimain) too."""
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                          start_new_session=True) as p:
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            raise
    return subprocess.CompletedProcess(cmd, p.returncode, out, err)


def smpi_env(tmpdir):
    """smpirun puts its per-rank copies of the program in $TMPDIR (its -tmpdir flag is broken in 3.32)."""
    return dict(os.environ, TMPDIR=tmpdir)


def platform_file(name, tmpdir):
    if name in PLATFORMS:
        return PLATFORMS[name]["file"], PLATFORMS[name]["nodes"], PLATFORMS[name]["ranks_per_node"]
    if name.startswith("calib:"):
        _, bw, lat = name.split(":")
        path = os.path.join(tmpdir, "calib.xml")
        with open(path, "w") as f:
            f.write(calibration_platform(float(bw), float(lat)))
        return path, 2, 1
    with open(name) as f:
        hosts = len(re.findall(r"<host\b", f.read()))
    return name, hosts, 1


def calibration_platform(bw, lat):
    """Two single-rank nodes on one link: a two-rank run on this machine, bandwidth and latency fitted."""
    return f"""<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<!-- two ranks joined by one full-duplex link: {bw:.4g} B/s, {lat:.4g} s (fitted to real runs) -->
<platform version="4.1">
  <zone id="calib" routing="Full">
    <host id="node-0" speed="1Gf"/>
    <host id="node-1" speed="1Gf"/>
    <link id="wire" bandwidth="{bw}Bps" latency="{lat}s" sharing_policy="SPLITDUPLEX"/>
    <route src="node-0" dst="node-1"><link_ctn id="wire" direction="UP"/></route>
  </zone>
</platform>
"""


def run(driver, ranks, driver_args, platform="polaris", selector="default", smpirun="smpirun", extra_cfg=(),
        timeout=None):
    """One simulation. Returns the driver's JSON result plus the platform, selector and host wall time."""
    with tempfile.TemporaryDirectory(prefix="sagips-smpi-") as tmp:
        xml, nodes, per_node = platform_file(platform, tmp)
        if ranks > nodes * per_node:
            raise ValueError(f"{ranks} ranks do not fit on {platform} ({nodes} nodes x {per_node})")
        hostfile = os.path.join(tmp, "hosts")
        with open(hostfile, "w") as f:
            for r in range(ranks):
                f.write(f"node-{r // per_node}\n")
        result = os.path.join(tmp, "result.json")
        cfg = SMPI_CONFIG + SELECTORS[selector] + list(extra_cfg)
        libs = kokkos_libs(driver)
        if libs:
            cfg.append("smpi/privatize-libs:" + ";".join(libs))
        cmd = [smpirun, "-np", str(ranks), "-platform", xml, "-hostfile", hostfile]
        cmd += [f"--cfg={c}" for c in cfg]
        cmd += ["--log=root.thres:warning", driver] + list(driver_args) + ["--json", result]
        t0 = time.time()
        p = run_group(cmd, timeout, smpi_env(tmp))
        wall = time.time() - t0
        if p.returncode != 0 or not os.path.exists(result):
            raise RuntimeError(f"smpirun failed ({p.returncode}): {' '.join(cmd)}\n{p.stdout[-3000:]}{p.stderr[-3000:]}")
        with open(result) as f:
            out = json.load(f)
    out.update({"platform": platform, "selector": selector, "wall_s": wall, "smpi_config": cfg})
    return out


def strategies(driver, smpirun="smpirun"):
    """The driver's built-in strategies (asked of the driver itself, on one simulated rank)."""
    with tempfile.TemporaryDirectory(prefix="sagips-smpi-") as tmp:
        hostfile = os.path.join(tmp, "hosts")
        with open(hostfile, "w") as f:
            f.write("node-0\n")
        cmd = [smpirun, "-np", "1", "-platform", PLATFORMS["flat"]["file"], "-hostfile", hostfile,
               "--log=root.thres:warning"]
        libs = kokkos_libs(driver)
        if libs:
            cmd.append("--cfg=smpi/privatize-libs:" + ";".join(libs))
        p = subprocess.run(cmd + [driver, "--list-strategies"], capture_output=True, text=True, check=True,
                           env=smpi_env(tmp))
        return [line.strip() for line in p.stdout.splitlines() if re.fullmatch(r"[a-z0-9-]+", line.strip())]


def quick(driver, smpirun):
    """Every strategy on 16 ranks (4 Polaris-like nodes), 2 steps at a 1 ms step, polled twice, with the
    finiteness vote: each must verify (the driver checks every element against the true mean)."""
    names = strategies(driver, smpirun)
    if len(names) < 2:
        print(f"error: the driver lists {names} as its strategies")
        return 1
    failed = 0
    # 3000 floats: the pass-along rings; 262144 (1 MiB): the chunked rings, and the size from which
    # SimGrid's in-place MPI_Iallreduce crashes.
    # Local exchanges nothing, so its models are single ranks (--models 0); and once, 4 independent
    # models of 4 ranks with an all-reduce inside each (what the ensemble strategy was).
    runs = [(name, floats, ["--models", "0"] if name == "local" else []) for floats in (3000, 262144) for name in names]
    runs.append(("allreduce", 3000, ["--models", "4"]))
    for name, floats, extra in runs:
        args = ["--strategy", name, "--steps", "2", "--before-ms", "0.6", "--overlap-ms", "0.4", "--polls", "2",
                "--vote", "--floats", str(floats)] + extra
        try:
            r = run(driver, 16, args, smpirun=smpirun, timeout=120)
            ok = r["verified"] and r["ranks"] == 16 and r["step_s"] >= 1e-3
            print(f"{name + (' ' + ' '.join(extra) if extra else ''):18s} {floats:7d} floats {'ok' if ok else 'WRONG'}  step {r['step_s'] * 1e3:.3f} ms "
                  f"(simulated), {r['checked_results']} results checked, {r['wall_s']:.1f} s of host time")
            failed += not ok
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            print(f"{name + (' ' + ' '.join(extra) if extra else ''):18s} {floats:7d} floats FAILED: {e}")
            failed += 1
    print(f"{len(runs) - failed} of {len(runs)} runs verified on 16 simulated ranks")
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--driver", required=True)
    ap.add_argument("--smpirun", default="smpirun")
    ap.add_argument("--ranks", type=int, default=16)
    ap.add_argument("--platform", default="polaris")
    ap.add_argument("--selector", choices=sorted(SELECTORS), default="default")
    ap.add_argument("--cfg", action="append", default=[], help="more SimGrid settings (smpi/...:value)")
    ap.add_argument("--quick", action="store_true", help="the test: every strategy on 16 ranks")
    ap.add_argument("driver_args", nargs="*")
    a = ap.parse_args()
    if a.quick:
        return quick(a.driver, a.smpirun)
    r = run(a.driver, a.ranks, a.driver_args, a.platform, a.selector, a.smpirun, a.cfg)
    print(json.dumps(r, indent=2))
    return 0 if r["verified"] else 1


if __name__ == "__main__":
    sys.exit(main())
