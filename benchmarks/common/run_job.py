"""One run of a sagips program under mpirun, as the benchmark drivers make it (calibration/calibrate.py,
objectives/compare.py): progress as lines, oversubscription allowed (more ranks than cores), root
allowed, output to FOLDER/log.txt, the wall time to FOLDER/wall_seconds."""
import os
import subprocess
import time


def mpi_env():
    env = dict(os.environ, SAGIPS_PROGRESS="lines", OMPI_MCA_rmaps_base_oversubscribe="1",
               OMPI_MCA_mpi_yield_when_idle="1", OMPI_MCA_btl_vader_single_copy_mechanism="none")
    if os.geteuid() == 0:
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    return env


def run_logged(ranks, program, args, folder):
    """Runs `mpirun -np RANKS PROGRAM ARGS` with its output in FOLDER/log.txt; returns (rc, wall seconds),
    the wall time also written to FOLDER/wall_seconds when the run succeeded."""
    os.makedirs(folder, exist_ok=True)
    start = time.time()
    with open(os.path.join(folder, "log.txt"), "w") as log:
        rc = subprocess.call(["mpirun", "-np", str(ranks), program] + list(args), stdout=log,
                             stderr=subprocess.STDOUT, env=mpi_env())
    wall = time.time() - start
    if rc == 0:
        with open(os.path.join(folder, "wall_seconds"), "w") as f:
            f.write(f"{wall:.1f}\n")
    return rc, wall
