"""Startup: whole-process `jitwasm run` (cold and warm) beside wasmtime-py, and compile speed.

For a small module (default examples/hello.wasm) and for the largest module in
../shared/wasi-testsuite (or --large), each of these is timed as a fresh process:

- `python -c pass`: the interpreter's own start, the floor for every row;
- `cold lazy`: `jitwasm run --no-cache` (decode, validate, compile each function at its first
  call, run);
- `cold eager`: `jitwasm run --no-cache --compile=eager`;
- `first run`: `jitwasm run` with an emptied code cache (compiles up front and stores);
- `warm`: `jitwasm run` with the entry in the cache;
- `wasmtime-py`: `python -c` with wasmtime-py (Engine, Module.from_file, Linker.define_wasi,
  instantiate, `_start`; Cranelift compiles), the issue's peer.

The rows run interleaved, round-robin, `--repeat` times (default 10) after one untimed warm-up
each, so that load from other work on a shared machine falls on all rows alike; the table gives
the median wall time (and the median CPU time, user + system, which load disturbs less). Every
run of a module must print the same stdout and exit with the same status as wasmtime-py's,
else the script says so and exits with 1. A wasi-testsuite program's "root" directory (from
its JSON spec) is copied and preopened as "/" for both engines.

Python's bytecode cache is on for the children (PYTHONDONTWRITEBYTECODE removed, the cache in a
temporary PYTHONPYCACHEPREFIX, filled by the warm-up), as on an installed system where pip
compiles the .pyc files; wasmtime-py ships its own. `--no-bytecode-cache` keeps the environment.

Last, the eager compile throughput of the large module in this process: KB of code section
per second, median of `--compile-repeat` compiles.

Usage: python bench/startup.py [--repeat 10] [--small FILE] [--large FILE] [--json OUT]
"""

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WASI_SUITE = ROOT.parent / "shared" / "wasi-testsuite"
WASMTIME = """import sys, wasmtime
e = wasmtime.Engine(); s = wasmtime.Store(e); l = wasmtime.Linker(e); l.define_wasi()
c = wasmtime.WasiConfig(); c.argv = [sys.argv[1]]
c.inherit_stdout(); c.inherit_stderr()
if len(sys.argv) > 2:
    c.preopen_dir(sys.argv[2], "/")
s.set_wasi(c)
m = wasmtime.Module.from_file(e, sys.argv[1])
try:
    l.instantiate(s, m).exports(s)["_start"](s)
except wasmtime.ExitTrap as t:
    sys.exit(t.code)
"""
ROWS = ("python -c pass", "cold lazy", "cold eager", "first run", "warm", "wasmtime-py")


def largest_wasi_module() -> Path:
    return max(WASI_SUITE.rglob("*.wasm"), key=lambda p: p.stat().st_size)


def jitwasm_command() -> list:
    """The console script beside this interpreter, else `python -m jitwasm`."""
    script = Path(sys.executable).parent / "jitwasm"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "jitwasm"]


def preopened_root(module: Path, workdir: str) -> list:
    """A wasi-testsuite program's "root" (its JSON spec beside it) copied into `workdir`, the
    copy to preopen as "/"; [] when it has none."""
    spec = module.with_suffix(".json")
    root = json.loads(spec.read_text()).get("root") if spec.is_file() else None
    if not root:
        return []
    copy = Path(workdir) / "root"
    shutil.copytree(module.parent / root, copy)
    return [str(copy)]


def commands(module: Path, root: list) -> dict:
    run = [*jitwasm_command(), "run", f"--argv0={module}", *(f"--dir={d}::/" for d in root)]
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "cold lazy": [*run, "--no-cache", "--compile=lazy", str(module)],
        "cold eager": [*run, "--no-cache", "--compile=eager", str(module)],
        "first run": [*run, str(module)],
        "warm": [*run, str(module)],
        "wasmtime-py": [sys.executable, "-c", WASMTIME, str(module), *root],
    }


def timed(argv: list, env: dict) -> tuple:
    """(wall s, CPU s, CompletedProcess) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), proc


def measure_module(module: Path, repeat: int, env: dict) -> tuple:
    """{row: (wall samples, cpu samples)} and the list of output mismatches."""
    workdir = tempfile.mkdtemp(prefix="jitwasm-startup-")
    cache_dir = os.path.join(workdir, "cache")
    try:
        env = dict(env, JITWASM_CACHE_DIR=cache_dir)
        argvs = commands(module, preopened_root(module, workdir))
        samples = {row: ([], []) for row in ROWS}
        expected = None
        problems = []
        for iteration in range(repeat + 1):          # iteration 0: the untimed warm-up
            for row in ROWS:
                if row == "first run":
                    shutil.rmtree(cache_dir, ignore_errors=True)
                wall, cpu, proc = timed(argvs[row], env)
                if row != "python -c pass":
                    outcome = (proc.returncode, proc.stdout)
                    if row == "wasmtime-py" and expected is None:
                        expected = outcome
                    elif expected is not None and outcome != expected:
                        problems.append(f"{module.name} {row}: {outcome!r} != wasmtime-py's "
                                        f"{expected!r}; stderr {proc.stderr[-300:]!r}")
                if iteration:
                    samples[row][0].append(wall)
                    samples[row][1].append(cpu)
        return samples, problems
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def compile_throughput(path: Path, repeat: int) -> tuple:
    """(code section bytes, median seconds) of eager compiles of the module at `path` in this
    process, measured as compile_speed.py does (one process, after a warm-up)."""
    from compile_speed import load, time_runs
    from decode_validate import code_section_bytes

    info = load(path)
    (samples,) = time_runs(info, repeat, [1])
    return code_section_bytes(info), statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--compile-repeat", type=int, default=11)
    parser.add_argument("--small", type=Path, default=ROOT / "examples" / "hello.wasm")
    parser.add_argument("--large", type=Path, default=None)
    parser.add_argument("--no-bytecode-cache", action="store_true")
    parser.add_argument("--json", type=Path, help="write every sample here")
    args = parser.parse_args()
    modules = [args.small, args.large or largest_wasi_module()]

    env = os.environ.copy()
    report = {"repeat": args.repeat, "python": sys.version.split()[0],
              "machine": platform.platform(), "modules": {}}
    problems = []
    with tempfile.TemporaryDirectory(prefix="jitwasm-pyc-") as pyc:
        if not args.no_bytecode_cache:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = pyc
        print(f"medians of {args.repeat} interleaved whole-process runs; wall ms (CPU ms)")
        print(f"{'module':<14} {'KB':>5} " + " ".join(f"{row:>15}" for row in ROWS))
        for module in modules:
            samples, found = measure_module(module, args.repeat, env)
            problems += found
            medians = {row: (1000 * statistics.median(w), 1000 * statistics.median(c))
                       for row, (w, c) in samples.items()}
            print(f"{module.name:<14} {module.stat().st_size / 1024:>5.0f} "
                  + " ".join(f"{w:>7.0f} ({c:>5.0f})" for w, c in medians.values()))
            peer = medians["wasmtime-py"][0]
            print(f"{'':<20} / wasmtime-py: cold lazy {medians['cold lazy'][0] / peer:.2f}, "
                  f"first run {medians['first run'][0] / peer:.2f}, "
                  f"warm {medians['warm'][0] / peer:.2f}")
            report["modules"][module.name] = {"bytes": module.stat().st_size,
                                              "samples_s": samples, "medians_ms": medians}
    size, seconds = compile_throughput(modules[1], args.compile_repeat)
    print(f"eager compile of {modules[1].name}: {size / 1024:.0f} KB code section in "
          f"{1000 * seconds:.0f} ms = {size / seconds / 1e6:.2f} MB/s "
          f"(median of {args.compile_repeat})")
    report["compile"] = {"module": modules[1].name, "code_bytes": size, "median_s": seconds}
    report["load"] = os.getloadavg()
    for problem in problems:
        print("MISMATCH:", problem)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
