#!/usr/bin/env python3
"""Install sagips into a staging folder and build a separate project against it, two ways:
with the compiler and `pkg-config --cflags --libs sagips`, and as a Meson project using
`dependency('sagips')`. Both programs then run under mpirun on 2 ranks.

    run_consumer.py BUILD_DIR PROJECT_DIR MESON MPIRUN COMPILER...
"""
import os
import pathlib
import shlex
import subprocess
import sys
import tempfile


def run(cmd, **kw):
    print("+", " ".join(shlex.quote(str(c)) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kw)


def main() -> int:
    build_dir, project_dir, meson, mpirun = (pathlib.Path(a) for a in sys.argv[1:5])
    compiler = sys.argv[5:]
    with tempfile.TemporaryDirectory(prefix="sagips-consumer-") as tmp:
        tmp = pathlib.Path(tmp)
        stage = tmp / "stage"
        run([meson, "install", "-C", build_dir, "--no-rebuild", "--destdir", stage, "--quiet"])
        pcs = list(stage.rglob("sagips.pc"))
        if len(pcs) != 1:
            print(f"FAIL: expected one installed sagips.pc, found {pcs}")
            return 1
        headers = list(stage.rglob("sagips/sagips.hpp"))
        if len(headers) != 1:
            print("FAIL: the umbrella header sagips/sagips.hpp was not installed")
            return 1
        env = dict(os.environ, PKG_CONFIG_PATH=str(pcs[0].parent))
        print(pcs[0].read_text())

        # 1. Plain compiler + pkg-config.
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "sagips"], env=env, check=True,
                               capture_output=True, text=True).stdout.split()
        exe_pc = tmp / "consumer_pkgconfig"
        run(compiler + ["-std=c++17", str(project_dir / "main.cpp"), "-o", str(exe_pc)] + flags, env=env)
        run([mpirun, "--oversubscribe", "-np", "2", exe_pc], env=env)

        # 2. A Meson project with dependency('sagips').
        build = tmp / "build"
        run([meson, "setup", build, project_dir, f"-Dpkg_config_path={pcs[0].parent}"], env=env)
        run([meson, "compile", "-C", build], env=env)
        run([mpirun, "--oversubscribe", "-np", "2", build / "consumer"], env=env)
    print("consumer OK: built against the installed headers via pkg-config and via Meson")
    return 0


if __name__ == "__main__":
    sys.exit(main())
