"""Decode + validate throughput, in MB/s of code section (the sum of function body sizes).

Runs on the largest .wasm of the WASI testsuite (`$JITWASM_WASI_TESTSUITE` or
../shared/wasi-testsuite) unless --module is given, and reports the median of several runs,
decode and validate timed separately. `--profile` prints the top of a cProfile run instead.

    python bench/decode_validate.py [--runs 21] [--module FILE.wasm] [--profile]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

from jitwasm.binary import decode_module
from jitwasm.binary.leb128 import read_u32
from jitwasm.validation import validate_module
from jitwasm.wast.paths import WASI_TESTSUITE_HINT, wasi_testsuite_dir


def largest_module(root: Path) -> Path | None:
    modules = list(root.rglob("*.wasm"))
    return max(modules, key=lambda p: p.stat().st_size) if modules else None


def code_section_bytes(info) -> int:
    """Sum of the declared body sizes (locals declarations and instructions)."""
    return sum(read_u32(info.data, body.offset)[0] for body in info.codes)


def time_runs(data: bytes, runs: int) -> dict:
    """Seconds per run of decode, validate and the two together, over `runs` runs."""
    times = {"decode": [], "validate": [], "decode+validate": []}
    for _ in range(runs):
        t0 = time.perf_counter()
        info = decode_module(data)
        t1 = time.perf_counter()
        validate_module(info)
        t2 = time.perf_counter()
        times["decode"].append(t1 - t0)
        times["validate"].append(t2 - t1)
        times["decode+validate"].append(t2 - t0)
    return times


def profile(data: bytes, runs: int, top: int) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        validate_module(decode_module(data))
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", type=Path,
                        help="module to measure (default: the largest WASI test)")
    parser.add_argument("--runs", type=int, default=21,
                        help="runs to take the median of (or to profile)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile top instead")
    parser.add_argument("--top", type=int, default=25, help="rows of the profile to print")
    args = parser.parse_args(argv)

    path = args.module or largest_module(wasi_testsuite_dir())
    if path is None:
        print(f"no .wasm under {wasi_testsuite_dir()}: {WASI_TESTSUITE_HINT}", file=sys.stderr)
        return 2
    data = path.read_bytes()
    if args.profile:
        profile(data, args.runs, args.top)
        return 0

    info = decode_module(data)
    code = code_section_bytes(info)
    print(f"{path}: {len(data)} bytes, {len(info.codes)} functions, {code} bytes of code")
    print(f"median of {args.runs} runs (best in parentheses):")
    for label, samples in time_runs(data, args.runs).items():
        median, best = statistics.median(samples), min(samples)
        print(f"{label:>16}: {median * 1e3:7.1f} ms {code / 1e6 / median:7.2f} MB/s"
              f"   ({best * 1e3:.1f} ms {code / 1e6 / best:.2f} MB/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
