"""Throughput benchmark: the C kernels in bench/kernels under jitwasm and wasmtime in one run.

Engines: wasmtime with Cranelift (optimising), wasmtime with Winch (baseline, the yardstick),
jitwasm (once it can execute; until then it is reported as not available) and, on request,
pywasm (a pure-Python interpreter) at the kernels' small sizes under a time cap.

Every (engine, kernel) pair is measured in a fresh worker process (this script with --worker):
engines then cannot disturb each other (signal handlers, executable memory, GC state), and a crash
or hang is contained and reported instead of ending the run.  A worker compiles the module
`--repeat` times (compile time = `Module(engine, wasm)`), then `--repeat` times instantiates it,
makes an untimed warm-up call `run(small n)` and times one call `run(n)`; medians are reported.
Every result is checked against bench/kernels/expected.json.

Usage: python bench/run_kernels.py [--engines a,b] [--kernels a,b] [--small] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, NamedTuple

from jitwasm.bench.report import cpu_model

BENCH_DIR = Path(__file__).resolve().parent
KERNEL_DIR = BENCH_DIR / "kernels"
EXPECTED_PATH = KERNEL_DIR / "expected.json"


class Kernel(NamedTuple):
    """Sizes for `run(n)`: `small` is quick everywhere (tests, warm-up, pywasm); `bench` takes
    roughly 0.2-1 s under wasmtime Cranelift."""
    small: int
    bench: int


KERNELS = {
    "fib": Kernel(small=15, bench=38),               # fib(n), recursive
    "sieve": Kernel(small=1000, bench=64_000_000),   # numbers sieved, in rounds of <= 2^20
    "matmul": Kernel(small=8, bench=768),            # n x n f64 matrices
    "sha256": Kernel(small=1, bench=40_000),         # KiB hashed
    "sort": Kernel(small=100, bench=2_000_000),      # i32 elements quicksorted
    "memmove": Kernel(small=100, bench=6_000_000),   # overlapping moves in a 64 KiB buffer
    "nbody": Kernel(small=10, bench=3_000_000),      # simulation steps
    "crc32": Kernel(small=1, bench=100_000),         # KiB checksummed
    "interp": Kernel(small=10, bench=2_000_000),     # interpreter loop iterations
    "bigint": Kernel(small=30, bench=45_000),        # n! in 32-bit limbs
}

ENGINES = ("wasmtime-cranelift", "wasmtime-winch", "jitwasm", "pywasm")
DEFAULT_ENGINES = ("wasmtime-cranelift", "wasmtime-winch", "jitwasm")
BASELINES = ("wasmtime-winch", "wasmtime-cranelift")  # ratios are taken against these
SHORT_NAMES = {"wasmtime-cranelift": "cranelift", "wasmtime-winch": "winch",
               "jitwasm": "jitwasm", "pywasm": "pywasm"}


# --- engine adapters (run inside a worker) -----------------------------------------------------

class Adapter(NamedTuple):
    """How one engine compiles a module and turns it into a callable `run(n) -> int`."""
    compile: Callable[[bytes], object]
    instantiate: Callable[[object], Callable[[int], int]]
    notes: str


def kernel_adapter(engine: str) -> Adapter:
    """The kernels' view of a `jitwasm bench` engine adapter (jitwasm/bench/engines.py): the
    modules import nothing, so an instance is just its `run` export."""
    from jitwasm.bench import engines

    adapter = engines.create(engine)

    def instantiate(module):
        instance = adapter.instantiate(module, engines.HostImports())
        return lambda n: adapter.call(instance, "run", [n])[0]
    return Adapter(adapter.compile, instantiate, adapter.notes)


def wasmtime_adapter(strategy: str) -> Adapter:
    return kernel_adapter(f"wasmtime-{strategy}")


def jitwasm_adapter() -> Adapter:
    """jitwasm through its wasmtime-py-compatible API, compiling eagerly where the API offers it
    (`Config.lazy_compilation`), so compile time covers code generation."""
    return kernel_adapter("jitwasm-eager")


def pywasm_adapter() -> Adapter:
    return kernel_adapter("pywasm")


ADAPTERS = {
    "wasmtime-cranelift": lambda: wasmtime_adapter("cranelift"),
    "wasmtime-winch": lambda: wasmtime_adapter("winch"),
    "jitwasm": jitwasm_adapter,
    "pywasm": pywasm_adapter,
}


def as_i32(value: int) -> int:
    """Engines differ in how they hand back an i32; compare as signed 32-bit."""
    return ((int(value) & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000


def kernel_wasm(kernel: str) -> bytes:
    return (KERNEL_DIR / f"{kernel}.wasm").read_bytes()


def run_once(adapter: Adapter, kernel: str, n: int) -> int:
    """Compile, instantiate and call `run(n)` once: the probe and the tests use this."""
    return as_i32(adapter.instantiate(adapter.compile(kernel_wasm(kernel)))(n))


def measure(adapter: Adapter, kernel: str, n: int, repeat: int, time_cap: float) -> dict:
    """Compile `repeat` times, then time `repeat` calls of run(n), each on a fresh instance.
    Stops repeating once `time_cap` seconds of execution have been spent (at least one call)."""
    wasm = kernel_wasm(kernel)
    compile_s = []
    for _ in range(repeat):
        start = time.perf_counter()
        module = adapter.compile(wasm)
        compile_s.append(time.perf_counter() - start)
    small = KERNELS[kernel].small
    exec_s, results, warmups = [], [], []
    for _ in range(repeat):
        run = adapter.instantiate(module)
        if n != small:
            warmups.append(as_i32(run(small)))
        start = time.perf_counter()
        result = run(n)
        exec_s.append(time.perf_counter() - start)
        results.append(as_i32(result))
        if sum(exec_s) > time_cap:
            break
    return {"compile_s": compile_s, "exec_s": exec_s, "results": results, "warmup_results": warmups}


def worker_main(engine: str, kernel: str | None, n: int, repeat: int, time_cap: float) -> None:
    """Entry point of a worker process: prints one JSON object on the last stdout line."""
    try:
        adapter = ADAPTERS[engine]()
        if kernel is None:  # probe: can this engine run the smallest fib at all?
            got = run_once(adapter, "fib", KERNELS["fib"].small)
            want = expected_checksums()["fib"][str(KERNELS["fib"].small)]
            out = {"notes": adapter.notes}
            if got != want:
                out["error"] = f"probe fib({KERNELS['fib'].small}) returned {got}, expected {want}"
        else:
            out = measure(adapter, kernel, n, repeat, time_cap)
            out["notes"] = adapter.notes
    except Exception as exc:  # report, never crash the parent's table
        out = {"error": f"{type(exc).__name__}: {exc}".strip()}
    print(json.dumps(out))


# --- parent: orchestration, verification, report ------------------------------------------------

def expected_checksums() -> dict:
    return json.loads(EXPECTED_PATH.read_text())


def code_section_size(wasm: bytes) -> int:
    """Size in bytes of the code section's contents: the unit of compile throughput."""
    from jitwasm.binary.leb128 import read_u32

    pos = 8
    while pos < len(wasm):
        section_id = wasm[pos]
        size, pos = read_u32(wasm, pos + 1)
        if section_id == 10:
            return size
        pos += size
    return 0


def spawn_worker(engine: str, kernel: str | None, n: int, args) -> dict:
    time_cap = args.pywasm_cap if engine == "pywasm" else 1e9
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", engine,
           "--repeat", str(args.repeat), "--time-cap", str(time_cap)]
    if kernel is not None:
        cmd += ["--kernel", kernel, "--n", str(n)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {args.timeout:g} s"}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"worker exited with status {proc.returncode}: {tail}"}
    return json.loads(lines[-1])


def verify(record: dict, expected: dict) -> None:
    """Mark a record ok/failed against the expected checksums (all timed and warm-up calls)."""
    if "error" in record:
        record["ok"] = False
        return
    kernel_expected = expected.get(record["kernel"], {})
    want = kernel_expected.get(str(record["n"]))
    want_small = kernel_expected.get(str(KERNELS[record["kernel"]].small))
    record["expected"] = want
    bad = [(r, want) for r in record["results"] if want is not None and r != want]
    bad += [(r, want_small) for r in record["warmup_results"]
            if want_small is not None and r != want_small]
    record["ok"] = not bad
    if bad:
        record["error"] = "wrong checksum {} (expected {})".format(*bad[0])
    elif want is None:
        record["note"] = "no expected checksum for this n: unverified"


def median_ms(record: dict | None, key: str) -> float | None:
    if not record or not record.get("ok"):
        return None
    return statistics.median(record[key]) * 1e3


def geomean(values: list[float]) -> float | None:
    return math.exp(sum(map(math.log, values)) / len(values)) if values else None


def fmt(value: float | None, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    for row in [header] + rows:
        first, *rest = zip(row, widths)
        print("  ".join([first[0].ljust(first[1])] + [cell.rjust(w) for cell, w in rest]))
    print()


def ratio_pairs(engines: list[str]) -> list[tuple[str, str]]:
    """(engine, baseline) pairs to report: every engine against every other baseline."""
    return [(e, b) for e in engines for b in BASELINES if e != b and b in engines and e != "pywasm"
            and not (e == "wasmtime-cranelift" and b == "wasmtime-winch")]


def report(records: dict, engines: list[str], sizes: dict[str, int], code_sizes: dict) -> None:
    """Print the tables.  `records` maps (engine, kernel, n) to a verified worker record;
    `sizes` maps each kernel to the n of this run."""
    timed = [e for e in engines if e != "pywasm"]
    if timed:
        print_timed_tables(records, timed, sizes, code_sizes)
    if "pywasm" in engines:
        print_pywasm_table(records, sizes)


def print_timed_tables(records: dict, timed: list[str], sizes: dict[str, int],
                       code_sizes: dict) -> None:
    """Execution time with ratios against the baselines and their geomean; compile time and
    throughput (a kernel that failed on an engine is left out of that engine's numbers)."""
    pairs = ratio_pairs(timed)
    header = ["kernel", "n"] + [f"{SHORT_NAMES[e]} ms" for e in timed]
    header += [f"{SHORT_NAMES[e]}/{SHORT_NAMES[b]}" for e, b in pairs]
    rows, ratios = [], {pair: [] for pair in pairs}
    for k, n in sizes.items():
        times = {e: median_ms(records.get((e, k, n)), "exec_s") for e in timed}
        row = [k, str(n)] + [fmt(times[e]) for e in timed]
        for e, b in pairs:
            r = times[e] / times[b] if times[e] and times[b] else None
            if r is not None:
                ratios[(e, b)].append(r)
            row.append(fmt(r, ".2f"))
        rows.append(row)
    rows.append(["geomean", ""] + [""] * len(timed)
                + [fmt(geomean(ratios[p]), ".2f") for p in pairs])
    print("Execution time of run(n), median ms (ratio > 1: slower than the baseline)")
    print_table(header, rows)

    header = (["kernel", "code KB"] + [f"{SHORT_NAMES[e]} ms" for e in timed]
              + [f"{SHORT_NAMES[e]} KB/s" for e in timed])
    rows = []
    totals = {e: [0.0, 0.0] for e in timed}  # KB and seconds over the kernels that compiled
    for k, n in sizes.items():
        kb = code_sizes[k] / 1024
        times = {e: median_ms(records.get((e, k, n)), "compile_s") for e in timed}
        for e in timed:
            if times[e]:
                totals[e][0] += kb
                totals[e][1] += times[e] / 1e3
        rows.append([k, f"{kb:.1f}"] + [fmt(times[e], ".2f") for e in timed]
                    + [fmt(kb / times[e] * 1e3 if times[e] else None, ".0f") for e in timed])
    rows.append(["total", f"{sum(code_sizes[k] for k in sizes) / 1024:.1f}"]
                + [fmt(totals[e][1] * 1e3 if totals[e][1] else None, ".2f") for e in timed]
                + [fmt(totals[e][0] / totals[e][1] if totals[e][1] else None, ".0f")
                   for e in timed])
    print("Compile time (Module creation), median ms, and throughput in KB of code section/s")
    print_table(header, rows)


def print_pywasm_table(records: dict, sizes: dict[str, int]) -> None:
    """pywasm only runs the small sizes, so it is compared with Cranelift at those."""
    rows = []
    for k in sizes:
        n = KERNELS[k].small
        py = median_ms(records.get(("pywasm", k, n)), "exec_s")
        cl = median_ms(records.get(("wasmtime-cranelift", k, n)), "exec_s")
        ratio = py / cl if py and cl else None
        rows.append([k, str(n), fmt(py), fmt(cl, ".3f"), fmt(ratio, ".0f")])
    print("pywasm at the small sizes (time-capped), against Cranelift at the same n")
    print_table(["kernel", "n", "pywasm ms", "cranelift ms", "pywasm/cranelift"], rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default=",".join(DEFAULT_ENGINES),
                        help=f"comma-separated subset of {', '.join(ENGINES)}")
    parser.add_argument("--kernels", default=",".join(KERNELS), help="comma-separated kernel names")
    parser.add_argument("--repeat", type=int, default=5, help="samples per measurement (median)")
    parser.add_argument("--small", action="store_true", help="use the small sizes (smoke test)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per worker process")
    parser.add_argument("--pywasm-cap", type=float, default=30,
                        help="stop repeating pywasm runs after this many seconds")
    parser.add_argument("--json", metavar="OUT", help="write the raw numbers to OUT")
    parser.add_argument("--worker", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--kernel", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--time-cap", type=float, default=1e9, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        worker_main(args.worker, args.kernel, args.n or 0, args.repeat, args.time_cap)
        return 0

    engines = [e for e in args.engines.split(",") if e]
    kernels = [k for k in args.kernels.split(",") if k]
    unknown = [e for e in engines if e not in ENGINES] + [k for k in kernels if k not in KERNELS]
    if unknown:
        parser.error("unknown engine or kernel: " + ", ".join(unknown))
    sizes = {k: KERNELS[k].small if args.small else KERNELS[k].bench for k in kernels}
    expected = expected_checksums()
    code_sizes = {k: code_section_size(kernel_wasm(k)) for k in kernels}

    status = {}
    for engine in engines:
        probe = spawn_worker(engine, None, 0, args)
        status[engine] = {"available": "error" not in probe, **probe}
        if "error" in probe:
            print(f"{engine}: not available yet ({probe['error']})", flush=True)
        else:
            print(f"{engine}: {probe['notes']}", flush=True)
    print()

    jobs = [(e, k, n) for k, n in sizes.items() for e in engines
            if status[e]["available"] and e != "pywasm"]
    if status.get("pywasm", {}).get("available"):  # pywasm runs the small sizes, next to Cranelift
        jobs += [(e, k, KERNELS[k].small) for k in kernels
                 for e in ("pywasm", "wasmtime-cranelift")]
    records = {}
    for engine, kernel, n in dict.fromkeys(jobs):
        record = {"engine": engine, "kernel": kernel, "n": n,
                  **spawn_worker(engine, kernel, n, args)}
        verify(record, expected)
        records[(engine, kernel, n)] = record
        if not record["ok"]:
            print(f"  {engine} {kernel}({n}): {record['error']}", flush=True)

    report(records, [e for e in engines if status[e]["available"]], sizes, code_sizes)
    failed = [r for r in records.values() if not r["ok"]]
    if args.json:
        Path(args.json).write_text(json.dumps({
            "meta": {"python": sys.version.split()[0], "platform": platform.platform(),
                     "cpu": cpu_model(), "cpus": os.cpu_count(), "repeat": args.repeat,
                     "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")},
            "engines": status,
            "code_bytes": code_sizes,
            "records": list(records.values()),
        }, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
