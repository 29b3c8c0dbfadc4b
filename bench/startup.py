"""Startup: `jitwasm run` cold (no cache; lazy and eager), warm (code cache), and wasmtime-py.

Medians of `--repeat` (default 10) whole-process runs after one untimed warm-up, for a small
module and for the largest module in ../shared/wasi-testsuite, plus the eager compile
throughput (KB of code section per second, in process). The cache lives in a temporary
JITWASM_CACHE_DIR; "warm" runs after the warm-up filled it.

Usage: python bench/startup.py [--repeat 10] [--small examples/hello.wasm] [--large PATH]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WASI_SUITE = ROOT.parent / "shared" / "wasi-testsuite"
JITWASM = [sys.executable, "-c", "from jitwasm.cli import main; main()", "run"]
WASMTIME = """import sys, wasmtime
e = wasmtime.Engine(); s = wasmtime.Store(e); l = wasmtime.Linker(e); l.define_wasi()
c = wasmtime.WasiConfig(); c.inherit_stdout(); c.inherit_stderr(); s.set_wasi(c)
m = wasmtime.Module.from_file(e, sys.argv[1])
try:
    l.instantiate(s, m).exports(s)["_start"](s)
except wasmtime.ExitTrap as t:
    sys.exit(t.code)
"""


def largest_wasi_module() -> Path:
    return max(WASI_SUITE.rglob("*.wasm"), key=lambda p: p.stat().st_size)


def median_ms(cmd: list, env: dict, repeat: int) -> float:
    subprocess.run(cmd, env=env, capture_output=True, stdin=subprocess.DEVNULL)  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, stdin=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def compile_throughput(path: Path) -> tuple:
    """(code section bytes, seconds) of an eager compile, best of 3."""
    from jitwasm.binary import decode_module
    from jitwasm.compiler import compile_module
    from jitwasm.validation import validate_module

    info = decode_module(path.read_bytes())
    validate_module(info)
    size = sum(b.end - b.offset for b in info.codes)
    best = min(_timed(compile_module, info) for _ in range(3))
    return size, best


def _timed(fn, arg) -> float:
    start = time.perf_counter()
    fn(arg)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--small", type=Path, default=ROOT / "examples" / "hello.wasm")
    parser.add_argument("--large", type=Path, default=None)
    args = parser.parse_args()
    large = args.large or largest_wasi_module()
    print(f"{'module':<28} {'KB':>6} {'cold lazy':>10} {'cold eager':>10} {'warm':>8} "
          f"{'wasmtime-py':>11}  (ms, medians of {args.repeat})")
    for path in (args.small, large):
        with tempfile.TemporaryDirectory() as cache:
            env = dict(os.environ, JITWASM_CACHE_DIR=cache)
            row = [median_ms(JITWASM + ["--no-cache", "--compile=lazy", str(path)], env,
                             args.repeat),
                   median_ms(JITWASM + ["--no-cache", "--compile=eager", str(path)], env,
                             args.repeat),
                   median_ms(JITWASM + [str(path)], env, args.repeat),
                   median_ms([sys.executable, "-c", WASMTIME, str(path)], env, args.repeat)]
        print(f"{path.name:<28} {path.stat().st_size / 1024:>6.0f} "
              + " ".join(f"{v:>10.0f}" for v in row[:2]) + f" {row[2]:>8.0f} {row[3]:>11.0f}")
    size, seconds = compile_throughput(large)
    print(f"eager compile of {large.name}: {size / 1024:.0f} KB code section in "
          f"{1000 * seconds:.0f} ms = {size / seconds / 1e6:.2f} MB/s")


if __name__ == "__main__":
    main()
