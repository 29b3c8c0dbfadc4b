"""Eager compile throughput, in MB/s of code section (the sum of function body sizes).

Times `jitwasm.compiler.compile_module` alone (the module is decoded and validated once,
beforehand) on the largest .wasm of the WASI testsuite unless modules are given, and reports
the median and the best of several runs; with several modules, also their total. Each module
is measured compiled by this process alone and, where the compiler would use worker processes
(compiler/parallel.py), as it would by default; the runs of the two alternate.

Wall-clock numbers swing with machine load; `--ir` adds a deterministic measure: machine
instructions (valgrind callgrind "Ir") per compile, counted over `--ir-runs` runs after a
warm-up, without start-up and imports (as in decode_validate.py). `--profile` prints the top
of a cProfile run instead.

    python bench/compile_speed.py [--runs 21] [--ir] [--workers N] [FILE.wasm ...]
    python bench/compile_speed.py bench/kernels/*.wasm
"""

import argparse
import itertools
import statistics
import sys
import time
from pathlib import Path

from decode_validate import callgrind_ir, code_section_bytes, instruction_count, largest_module
from jitwasm.binary import decode_module
from jitwasm.compiler import compile_module
from jitwasm.compiler.parallel import worker_count
from jitwasm.validation import validate_module
from jitwasm.wast.paths import WASI_TESTSUITE_HINT, wasi_testsuite_dir


def load(path: Path):
    info = decode_module(path.read_bytes())
    validate_module(info)
    return info


def compile_only(info, workers: int = 1) -> None:
    compile_module(info, workers=workers).code.free()


def time_runs(info, runs: int, worker_counts: list) -> list:
    """Seconds per compile for each of `worker_counts`, their runs interleaved."""
    for workers in worker_counts:
        compile_only(info, workers)  # warm-up
    times = [[] for _ in worker_counts]
    for _ in range(runs):
        for workers, samples in zip(worker_counts, times):
            t0 = time.perf_counter()
            compiled = compile_module(info, workers=workers)
            samples.append(time.perf_counter() - t0)
            compiled.code.free()
    return times


def count_ir(paths: list, runs: int) -> float:
    """Machine instructions per compile of all `paths` together (see callgrind_ir)."""
    return callgrind_ir([__file__, *map(str, paths)], runs)


def profile(infos: list, runs: int, top: int) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        for info in infos:
            compile_only(info)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def print_row(name: str, workers: int, code: int, median: float, best: float) -> None:
    processes = f"{workers} process{'es' if workers > 1 else ''}"
    print(f"{name:>24} {processes:>12}: {code:7d} B {median * 1e3:7.1f} ms "
          f"{code / 1e6 / median:6.2f} MB/s   ({best * 1e3:.1f} ms {code / 1e6 / best:.2f} MB/s)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", type=Path,
                        help="modules to measure (default: the largest WASI test)")
    parser.add_argument("--runs", type=int, default=21, help="runs to take the median of")
    parser.add_argument("--profile", action="store_true", help="print a cProfile top instead")
    parser.add_argument("--top", type=int, default=30, help="rows of the profile to print")
    parser.add_argument("--ir", action="store_true",
                        help="also count machine instructions per compile (valgrind)")
    parser.add_argument("--ir-runs", type=int, default=3,
                        help="compiles of the measured callgrind process")
    parser.add_argument("--workers", type=int,
                        help="processes to compile with (default: this one alone, and what the "
                             "compiler chooses by itself where that is more)")
    parser.add_argument("--bare", type=int, metavar="N", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    paths = args.modules
    if not paths:
        path = largest_module(wasi_testsuite_dir())
        if path is None:
            print(f"no .wasm under {wasi_testsuite_dir()}: {WASI_TESTSUITE_HINT}",
                  file=sys.stderr)
            return 2
        paths = [path]
    infos = [load(p) for p in paths]
    if args.bare is not None:  # the measured process of --ir: warm-up plus N runs, no output
        for info in infos:
            compile_only(info)
        for _ in itertools.starmap(compile_only, [(info,) for info in infos] * args.bare):
            pass
        return 0
    if args.profile:
        profile(infos, args.runs, args.top)
        return 0

    print(f"median of {args.runs} runs (best in parentheses):")
    totals = {}  # processes -> [code bytes, median, best]
    for path, info in zip(paths, infos):
        code = code_section_bytes(info)
        if args.workers is not None:
            worker_counts = [args.workers]
        else:
            worker_counts = sorted({1, worker_count(code)})
        for workers, samples in zip(worker_counts, time_runs(info, args.runs, worker_counts)):
            median, best = statistics.median(samples), min(samples)
            total = totals.setdefault(workers, [0, 0.0, 0.0])
            total[0] += code
            total[1] += median
            total[2] += best
            print_row(path.name, workers, code, median, best)
    if len(infos) > 1:
        for workers, (code, median, best) in sorted(totals.items()):
            print_row("total", workers, code, median, best)
    if args.ir:
        instructions = sum(instruction_count(info) for info in infos)
        ir = count_ir(paths, args.ir_runs)
        print(f"callgrind: {ir / 1e6:.2f} M Ir per compile, "
              f"{ir / instructions:.0f} Ir per Wasm instruction")
    return 0


if __name__ == "__main__":
    sys.exit(main())
