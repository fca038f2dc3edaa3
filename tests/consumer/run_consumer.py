#!/usr/bin/env python3
"""Install sagips into a staging folder, check the flags its pkg-config files carry, and build a
separate project against it with -Wall -Wextra -Werror, two ways: with the compiler and
`pkg-config --cflags --libs sagips-native` (the native instruction set, where Eigen's vector code
lives), and as a Meson project using `dependency('sagips')`. Both programs then run under mpirun
on 2 ranks. Two examples are built the same way, as a user who copied them would: the resonance
(examples/04_resonance: a theory and a detector stage of the user's own) with pkg-config and with
Meson, the torus (examples/06_torus: a user's exchange strategy) with Meson; each trains a few steps;
example 4's weighted program (a weighting stage of the user's own: a weighted pipeline) trains through
App on events from a .npy file (Meson and CMake), and the resonance trains as 2 models of a 2-rank
asynchronous ring on 4 ranks (CMake).
Third, the same project with CMake: `find_package(sagips)` from the installed tree moved elsewhere (the
package is relocatable), the consumer with `sagips::native`, both examples with `sagips::sagips`; a
request for a version it is not (`find_package(sagips 0.0 ...)`) must be refused.

    run_consumer.py BUILD_DIR PROJECT_DIR EXAMPLES_DIR MESON MPIRUN CMAKE COMPILER...

The flags checked: every include and library directory exists (Trilinos' CMake package once put
-I/usr/lib/include there), only sagips's own include directory is a plain -I (those of Kokkos,
MPI, Eigen, CLI11 and nlohmann/json are -isystem, or their headers warn in the user's build), every
library is a shared one (no .a, no -l that only a static archive answers), and sagips-native adds
the compiler's native-ISA flag.
"""
import json
import os
import pathlib
import shlex
import shutil
import subprocess
import sys
import tempfile


def run(cmd, **kw):
    print("+", " ".join(shlex.quote(str(c)) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kw)


def pkg_config(env, *args):
    return subprocess.run(["pkg-config", *args], env=env, check=True, capture_output=True,
                          text=True).stdout.split()


def linker_dirs(compiler):
    """The directories the compiler's linker searches by default."""
    out = subprocess.run(compiler + ["-print-search-dirs"], check=True, capture_output=True,
                         text=True).stdout
    for line in out.splitlines():
        if line.startswith("libraries:"):
            return [pathlib.Path(d) for d in line.split("=", 1)[1].split(":") if d]
    return []


def flag_problems(env, module, staged_include, compiler):
    """What is wrong with the flags `pkg-config` gives for module; empty when nothing is."""
    problems = []
    cflags = pkg_config(env, "--cflags", module)
    for f in cflags:
        if f in ("-I", "-isystem"):
            problems.append(f"{module}: '{f}' with its directory as a separate word")
            continue
        for prefix in ("-I", "-isystem"):
            if f.startswith(prefix):
                d = pathlib.Path(f[len(prefix):])
                if not d.is_dir():
                    problems.append(f"{module}: include directory {d} does not exist")
                elif prefix == "-I" and d.resolve() != staged_include.resolve():
                    problems.append(f"{module}: {d} is -I, so its headers' warnings reach the user; "
                                    "it should be -isystem")
                break
    libs = pkg_config(env, "--libs", module)
    lib_dirs = [pathlib.Path(f[2:]) for f in libs if f.startswith("-L")] + linker_dirs(compiler)
    for f in libs:
        if f.startswith("-L") and not pathlib.Path(f[2:]).is_dir():
            problems.append(f"{module}: library directory {f[2:]} does not exist")
        elif f.endswith(".a"):
            problems.append(f"{module}: static archive {f}")
        elif f.startswith("-l"):
            name = f"lib{f[2:]}.so"
            if not any((d / name).exists() for d in lib_dirs):
                problems.append(f"{module}: {f} has no shared library {name} (only a static archive "
                                "or nothing answers it)")
        elif not f.startswith("-") and not pathlib.Path(f).exists():
            problems.append(f"{module}: library {f} does not exist")
    return problems


def main() -> int:
    build_dir, project_dir, examples_dir, meson, mpirun, cmake = (pathlib.Path(a) for a in sys.argv[1:7])
    compiler = sys.argv[7:]
    brief = ["--steps", "4", "--param-samples", "4", "--events-per-sample", "32", "--real-events", "4000",
             "--eval-samples", "50", "--checkpoint-every", "0", "--no-fit"]
    with tempfile.TemporaryDirectory(prefix="sagips-consumer-") as tmp:
        tmp = pathlib.Path(tmp)
        stage = tmp / "stage"
        run([meson, "install", "-C", build_dir, "--no-rebuild", "--destdir", stage, "--quiet"])
        pcs = {p.name: p for p in stage.rglob("*.pc")}
        if "sagips.pc" not in pcs:
            print(f"FAIL: sagips.pc was not installed (found {sorted(pcs)})")
            return 1
        headers = list(stage.rglob("sagips/sagips.hpp"))
        if len(headers) != 1:
            print("FAIL: the umbrella header sagips/sagips.hpp was not installed")
            return 1
        staged_include = headers[0].parent.parent
        pc_dir = pcs["sagips.pc"].parent
        env = dict(os.environ, PKG_CONFIG_PATH=str(pc_dir))
        for p in pcs.values():
            print(f"--- {p.name}\n{p.read_text()}")

        problems = flag_problems(env, "sagips", staged_include, compiler)
        if "sagips-native.pc" not in pcs:
            problems.append(f"sagips-native.pc was not installed (found {sorted(pcs)})")
        else:
            problems += flag_problems(env, "sagips-native", staged_include, compiler)
            native = set(pkg_config(env, "--cflags", "sagips-native")) - set(pkg_config(env, "--cflags", "sagips"))
            if not native & {"-march=native", "-mcpu=native"}:
                problems.append(f"sagips-native adds {sorted(native)}, not -march=native or -mcpu=native")
        for p in problems:
            print("FAIL:", p)
        if problems:
            return 1

        # 1. Plain compiler + pkg-config, as docs/getting-started.md shows it.
        flags = pkg_config(env, "--cflags", "--libs", "sagips-native")
        exe_pc = tmp / "consumer_pkgconfig"
        run(compiler + ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Werror", project_dir / "main.cpp",
                        "-o", exe_pc] + flags, env=env)
        run([mpirun, "--oversubscribe", "-np", "2", exe_pc], env=env)
        resonance_pc = tmp / "resonance_pkgconfig"
        run(compiler + ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Werror",
                        examples_dir / "04_resonance" / "resonance.cpp", "-o", resonance_pc] + flags, env=env)
        run([mpirun, "--oversubscribe", "-np", "2", resonance_pc, *brief, "--output", tmp / "out-rp"], env=env)

        # 2. A Meson project with dependency('sagips'), warnings as errors (see its meson.build), with
        # the two examples copied in beside its own program.
        project = tmp / "project"
        shutil.copytree(project_dir, project)
        shutil.copytree(examples_dir / "04_resonance", project / "resonance")
        shutil.copytree(examples_dir / "06_torus", project / "torus")
        build = tmp / "build"
        run([meson, "setup", build, project, f"-Dpkg_config_path={pc_dir}"], env=env)
        run([meson, "compile", "-C", build], env=env)
        run([mpirun, "--oversubscribe", "-np", "2", build / "consumer"], env=env)
        run([mpirun, "--oversubscribe", "-np", "2", build / "resonance", *brief, "--output", tmp / "out-rm"], env=env)
        run([mpirun, "--oversubscribe", "-np", "2", build / "torus", *brief, "--output", tmp / "out-tm"], env=env)
        # A weighted pipeline (the user's own weighting stage) through App, on events from a file.
        events = tmp / "events.npy"
        run([sys.executable, examples_dir / "04_resonance" / "make_data.py", events, "4000", "3"])
        from_file = [a for a in brief if a not in ("--real-events", "4000")]
        run([mpirun, "--oversubscribe", "-np", "2", build / "resonance_weighted", *from_file, "--data", events,
             "--output", tmp / "out-wm"], env=env)

        # 3. The same project with CMake, against the installed tree moved to another folder.
        configs = list(stage.rglob("sagipsConfig.cmake"))
        if len(configs) != 1:
            print(f"FAIL: sagipsConfig.cmake was not installed (found {configs})")
            return 1
        moved = tmp / "moved"
        shutil.move(str(staged_include.parent), moved)  # the install prefix (stage/usr/local)
        prefix_args = [f"-DCMAKE_PREFIX_PATH={moved}", f"-DCMAKE_CXX_COMPILER={compiler[-1]}"]
        if len(compiler) > 1:
            prefix_args.append(f"-DCMAKE_CXX_COMPILER_LAUNCHER={';'.join(compiler[:-1])}")
        cbuild = tmp / "build-cmake"
        run([cmake, "-S", project, "-B", cbuild, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release", *prefix_args])
        run([cmake, "--build", cbuild])
        run([mpirun, "--oversubscribe", "-np", "2", cbuild / "consumer"])
        run([mpirun, "--oversubscribe", "-np", "2", cbuild / "resonance", *brief, "--output", tmp / "out-rc"])
        run([mpirun, "--oversubscribe", "-np", "2", cbuild / "torus", *brief, "--output", tmp / "out-tc"])
        run([mpirun, "--oversubscribe", "-np", "2", cbuild / "resonance_weighted", *from_file, "--data", events,
             "--output", tmp / "out-wc"])
        # 2 independent models of a 2-rank asynchronous ring, the uncertainty from their bootstrap spread.
        run([mpirun, "--oversubscribe", "-np", "4", cbuild / "resonance", *brief, "--models", "2",
             "--strategy", "async-ring", "--output", tmp / "out-models"])
        summary = json.loads((tmp / "out-models" / "summary.json").read_text())
        sigmas = summary["parameters"].get("sigma") or []
        if (summary["members"] != 2 or summary["strategy"] != "async-ring" or summary["configuration"]["models"] != 2
                or len(sigmas) != 3 or not all(isinstance(s, (int, float)) and s > 0 for s in sigmas)):
            print(f"FAIL: --models 2 --strategy async-ring on 4 ranks: members {summary['members']}, strategy "
                  f"{summary['strategy']}, models {summary['configuration'].get('models')}, sigmas {sigmas}")
            return 1
        wrong = tmp / "wrong-version"
        wrong.mkdir()
        (wrong / "CMakeLists.txt").write_text("cmake_minimum_required(VERSION 3.16)\nproject(w LANGUAGES CXX)\n"
                                               "find_package(sagips 0.0 REQUIRED)\n")
        refused = subprocess.run([str(cmake), "-S", str(wrong), "-B", str(tmp / "build-wrong"), *prefix_args],
                                 capture_output=True, text=True)
        if refused.returncode == 0 or "0.1.0" not in refused.stderr:
            print("FAIL: find_package(sagips 0.0) was not refused naming the installed version 0.1.0:\n"
                  + refused.stderr)
            return 1
    print("consumer OK: flags checked; the consumer and examples 04 and 06 built with -Werror against the "
          "installed headers via pkg-config (sagips-native), via Meson (sagips) and via CMake "
          "(find_package: sagips::native, sagips::sagips; relocated), and ran on 2 ranks; 2 models x 2 ranks of "
          "async-ring on 4 ranks gave a bootstrap sigma; a weighted pipeline trained through App --data")
    return 0


if __name__ == "__main__":
    sys.exit(main())
