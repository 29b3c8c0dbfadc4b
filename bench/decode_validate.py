"""Decode + validate throughput, in MB/s of code section (the sum of function body sizes).

Runs on the largest .wasm of the WASI testsuite (`$JITWASM_WASI_TESTSUITE` or
../shared/wasi-testsuite) unless --module is given, and reports the median and the best of
several runs, decode and validate timed separately.

Wall-clock numbers swing with machine load, so two deterministic measures of interpreter work
are offered as well, both normalised per Wasm instruction of the code section:

- `--bytecodes`: CPython bytecodes executed per decode+validate (opcode tracing); cheap, but
  blind to the cost of C calls (slicing, list growth, builtins).
- `--ir`: machine instructions (valgrind callgrind "Ir") per decode+validate, counted over
  `--ir-runs` runs after a warm-up, without start-up and imports. Needs valgrind; takes
  about 2 s per run.

`--profile` prints the top of a cProfile run instead.

    python bench/decode_validate.py [--runs 21] [--module FILE.wasm] [--bytecodes] [--ir]
"""

import argparse
import itertools
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from jitwasm.binary import decode_module
from jitwasm.binary import opcodes as op
from jitwasm.binary.leb128 import read_u32
from jitwasm.validation import validate_module
from jitwasm.wast.paths import WASI_TESTSUITE_HINT, wasi_testsuite_dir


def largest_module(root: Path) -> Path | None:
    modules = list(root.rglob("*.wasm"))
    return max(modules, key=lambda p: p.stat().st_size) if modules else None


def code_section_bytes(info) -> int:
    """Sum of the declared body sizes (locals declarations and instructions)."""
    return sum(read_u32(info.data, body.offset)[0] for body in info.codes)


def instruction_count(info) -> int:
    """Wasm instructions in all function bodies (the unit of the deterministic measures)."""
    data = info.data
    count = 0
    for body in info.codes:
        pos = body.code_start
        while pos < body.end:
            opcode, pos = op.read_opcode(data, pos)
            pos = op.skip_immediates(data, pos, opcode)
            count += 1
    return count


def decode_and_validate(data: bytes) -> None:
    validate_module(decode_module(data))


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


def count_bytecodes(data: bytes) -> int:
    """CPython bytecodes executed by one decode+validate (after one warm-up run)."""
    decode_and_validate(data)
    count = 0

    def tracer(frame, event, arg):
        nonlocal count
        if event == "call":
            frame.f_trace_opcodes = True
            frame.f_trace_lines = False
        elif event == "opcode":
            count += 1
        return tracer

    sys.settrace(tracer)
    try:
        decode_and_validate(data)
    finally:
        sys.settrace(None)
    return count


def callgrind_ir(script_args: list, runs: int) -> float:
    """Machine instructions per run of a benchmark script started as `python SCRIPT_ARGS...`
    with `--bare RUNS` (it must do its `runs` measured runs, and nothing else, inside an
    `itertools.starmap` iterator): valgrind callgrind counts only there, so start-up, imports
    and warm-up runs are left out."""
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
           "--collect-atstart=no", "--toggle-collect=starmap_next",
           sys.executable, *script_args, "--bare", str(runs)]
    env = dict(os.environ, PYTHONHASHSEED="0")
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    match = re.search(r"Collected\s*:\s*(\d+)", out.stderr)
    if match is None:
        raise RuntimeError("no callgrind total in:\n" + out.stderr[-2000:])
    return int(match.group(1)) / runs


def count_ir(path: Path, runs: int) -> float:
    """Machine instructions per decode+validate of the module at `path`."""
    return callgrind_ir([__file__, "--module", str(path)], runs)


def profile(data: bytes, runs: int, top: int) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        decode_and_validate(data)
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
    parser.add_argument("--bytecodes", action="store_true",
                        help="also count CPython bytecodes per Wasm instruction")
    parser.add_argument("--ir", action="store_true",
                        help="also count machine instructions per Wasm instruction (valgrind)")
    parser.add_argument("--ir-runs", type=int, default=5,
                        help="decode+validate runs of the measured callgrind process")
    parser.add_argument("--bare", type=int, metavar="N", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    path = args.module or largest_module(wasi_testsuite_dir())
    if path is None:
        print(f"no .wasm under {wasi_testsuite_dir()}: {WASI_TESTSUITE_HINT}", file=sys.stderr)
        return 2
    data = path.read_bytes()
    if args.bare is not None:  # the measured process of --ir: warm-up plus N runs, no output
        decode_and_validate(data)
        for _ in itertools.starmap(decode_and_validate, [(data,)] * args.bare):
            pass
        return 0
    if args.profile:
        profile(data, args.runs, args.top)
        return 0

    info = decode_module(data)
    code = code_section_bytes(info)
    instructions = instruction_count(info)
    print(f"{path}: {len(data)} bytes, {len(info.codes)} functions, {code} bytes of code, "
          f"{instructions} instructions")
    print(f"median of {args.runs} runs (best in parentheses):")
    for label, samples in time_runs(data, args.runs).items():
        median, best = statistics.median(samples), min(samples)
        print(f"{label:>16}: {median * 1e3:7.1f} ms {code / 1e6 / median:7.2f} MB/s"
              f"   ({best * 1e3:.1f} ms {code / 1e6 / best:.2f} MB/s)")
    if args.bytecodes:
        n = count_bytecodes(data)
        print(f"bytecodes: {n} per decode+validate, {n / instructions:.1f} per instruction")
    if args.ir:
        ir = count_ir(path, args.ir_runs)
        print(f"callgrind: {ir / 1e6:.2f} M Ir per decode+validate, "
              f"{ir / instructions:.0f} Ir per instruction")
    return 0


if __name__ == "__main__":
    sys.exit(main())
