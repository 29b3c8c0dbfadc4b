"""Whole-process startup: `jitwasm run MODULE` beside wasmtime-py running it with its own WASI.

Each command is a fresh process (what a user waits for: interpreter start, imports, decode,
validate, compile, instantiate, run, exit), timed `--repeat` times (default 10) after one
untimed warm-up; the table gives median, min and max in ms. Rows:

- `python -c pass`: the interpreter's own start, the floor for both;
- `wasmtime-py`: `python -c` with wasmtime-py: Engine, Module, Linker.define_wasi, instantiate,
  `_start`, stdio inherited (Cranelift compiles the module);
- `jitwasm run`: the console script beside this interpreter (else `python -c` calling the CLI).

Every run gets the same stdin (`--input`, default: this file) and must print the same stdout
and exit with the same status; a mismatch is reported and the exit status is 1.

Python's bytecode cache is on for the children (PYTHONDONTWRITEBYTECODE removed, the cache kept
in a temporary PYTHONPYCACHEPREFIX, filled by the warm-up), as on an installed system; pass
`--no-bytecode-cache` to keep the environment as it is.

Usage: python bench/startup_run.py [--module examples/wc.wasm] [--repeat 10] [--json OUT]
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WASMTIME_SCRIPT = """
import sys, wasmtime
engine = wasmtime.Engine()
store = wasmtime.Store(engine)
config = wasmtime.WasiConfig()
config.argv = [sys.argv[1]]
config.inherit_stdin(); config.inherit_stdout(); config.inherit_stderr()
store.set_wasi(config)
linker = wasmtime.Linker(engine)
linker.define_wasi()
instance = linker.instantiate(store, wasmtime.Module.from_file(engine, sys.argv[1]))
try:
    instance.exports(store)["_start"](store)
except wasmtime.ExitTrap as exit_:
    sys.exit(exit_.code)
"""


def jitwasm_command() -> list:
    script = Path(sys.executable).parent / "jitwasm"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from jitwasm.cli import main; main()"]


def commands(module: Path) -> dict:
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "wasmtime-py": [sys.executable, "-c", WASMTIME_SCRIPT, str(module)],
        "jitwasm run": [*jitwasm_command(), "run", str(module)],
    }


def time_once(argv: list, stdin: bytes, env: dict) -> tuple:
    start = time.perf_counter()
    proc = subprocess.run(argv, input=stdin, capture_output=True, env=env)
    return time.perf_counter() - start, proc


def child_env(bytecode_cache: bool, cache_dir: str) -> dict:
    env = os.environ.copy()
    if bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = cache_dir
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", type=Path, default=ROOT / "examples" / "wc.wasm")
    parser.add_argument("--input", type=Path, default=Path(__file__),
                        help="stdin of every run (default: this file)")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--no-bytecode-cache", action="store_true")
    parser.add_argument("--json", type=Path, help="write every sample here")
    args = parser.parse_args()

    stdin = args.input.read_bytes()
    status = 0
    results = {}
    with tempfile.TemporaryDirectory(prefix="jitwasm-pyc-") as cache_dir:
        env = child_env(not args.no_bytecode_cache, cache_dir)
        reference = None
        for name, argv in commands(args.module).items():
            _, warm = time_once(argv, stdin, env)
            outcome = (warm.returncode, warm.stdout)
            if name != "python -c pass":
                if reference is None:
                    reference = (name, outcome)
                elif outcome != reference[1]:
                    print(f"{name}: output or status differs from {reference[0]}: "
                          f"{outcome!r} != {reference[1]!r}; stderr: {warm.stderr!r}")
                    status = 1
            samples = []
            for _ in range(args.repeat):
                elapsed, proc = time_once(argv, stdin, env)
                if (proc.returncode, proc.stdout) != outcome:
                    print(f"{name}: a timed run differs from its warm-up: {proc.stderr!r}")
                    status = 1
                samples.append(elapsed)
            results[name] = samples

    module = args.module.relative_to(ROOT) if args.module.is_relative_to(ROOT) else args.module
    print(f"{module} ({args.module.stat().st_size} bytes), stdin {len(stdin)} bytes, "
          f"medians of {args.repeat} whole-process runs")
    print(f"{'command':<16} {'median ms':>10} {'min ms':>8} {'max ms':>8}")
    for name, samples in results.items():
        print(f"{name:<16} {statistics.median(samples) * 1e3:>10.1f} "
              f"{min(samples) * 1e3:>8.1f} {max(samples) * 1e3:>8.1f}")
    ratio = statistics.median(results["jitwasm run"]) / statistics.median(results["wasmtime-py"])
    print(f"jitwasm run / wasmtime-py: {ratio:.2f}")
    if args.json:
        args.json.write_text(json.dumps({
            "module": str(module), "repeat": args.repeat, "samples_s": results,
            "bytecode_cache": not args.no_bytecode_cache, "python": sys.version.split()[0],
            "machine": platform.platform(), "load": os.getloadavg()}, indent=1) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
