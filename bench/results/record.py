"""Run `jitwasm bench` over the kernel suite and append the results to history.jsonl.

Each kernel (bench/kernels, `run(n)` at its bench size) is benchmarked on each engine in fresh
processes; one JSON line per suite run records the machine, the git commit, the engines'
versions and, per kernel and engine, the status and the median of every metric. Checksums are
verified against bench/kernels/expected.json. Appending (never rewriting) keeps the history, so
a change in performance shows up as a difference between lines of the same machine.

Usage: python bench/results/record.py [--engines a,b] [--kernels a,b] [--runs N] [--small]
                                       [--note TEXT] [--no-save]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent
BENCH_DIR = RESULTS_DIR.parent
HISTORY = RESULTS_DIR / "history.jsonl"
sys.path.insert(0, str(BENCH_DIR))
import run_kernels  # noqa: E402  (kernel sizes and expected checksums)

from jitwasm.bench.command import DEFAULT_ENGINES, bench_command  # noqa: E402
from jitwasm.bench.report import format_number, machine_description  # noqa: E402

SHOWN = ("startup", "execution", "time_to_result")  # the printed summary; the file has all


def git_state() -> dict:
    """The commit measured and whether the tree had uncommitted changes (read-only git)."""
    def git(*args):
        proc = subprocess.run(["git", *args], cwd=BENCH_DIR, capture_output=True, text=True)
        return proc.stdout.strip() if proc.returncode == 0 else None
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": git("rev-parse", "HEAD"), "dirty": None if status is None else bool(status)}


def kernel_entry(doc: dict, expected: str | None) -> dict:
    """A kernel's line item: per engine, status and medians (s; peak RSS in KiB)."""
    out = {}
    for name, entry in doc["engines"].items():
        status = entry["status"]
        answers = doc["agreement"]["answers"].get(name)
        if status == "ok" and expected is not None and answers != [[expected]]:
            status = "wrong result"
        out[name] = {"status": status, "notes": entry["notes"],
                     "median": {m: s["median"] for m, s in entry["summary"].items()}}
        if status != "ok":
            out[name]["message"] = entry["message"] if status != "wrong result" else \
                f"{answers} != {expected}"
    return out


def quiet(text: str, err: bool = False) -> None:
    """The per-kernel report and progress are not printed; print_kernel sums each kernel up."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default=",".join(DEFAULT_ENGINES))
    parser.add_argument("--kernels", default=",".join(run_kernels.KERNELS))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--small", action="store_true", help="small sizes (a smoke test)")
    parser.add_argument("--note", default="", help="free text stored with the line")
    parser.add_argument("--no-save", action="store_true", help="print only")
    args = parser.parse_args(argv)

    engines = [e for e in args.engines.split(",") if e]
    expected = run_kernels.expected_checksums()
    line = {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "note": args.note,
            "git": git_state(), "machine": machine_description(),
            "config": {"engines": engines, "runs": args.runs, "warmup": args.warmup,
                       "small": args.small},
            "kernels": {}}
    for kernel in [k for k in args.kernels.split(",") if k]:
        sizes = run_kernels.KERNELS[kernel]
        n = sizes.small if args.small else sizes.bench
        path = run_kernels.KERNEL_DIR / f"{kernel}.wasm"
        doc = bench_command(f"{kernel}.wasm", path.read_bytes(), [str(n)], engines=engines,
                            invoke="run", runs=args.runs, warmup=args.warmup, echo=quiet)
        want = expected.get(kernel, {}).get(str(n))
        line["kernels"][kernel] = {"n": n, "engines": kernel_entry(
            doc, None if want is None else str(want))}
        print_kernel(kernel, n, line["kernels"][kernel]["engines"])
    if not args.no_save:
        with HISTORY.open("a") as f:
            f.write(json.dumps(line) + "\n")
        print(f"appended to {HISTORY}")
    return 1 if any(e["status"] != "ok" for k in line["kernels"].values()
                    for e in k["engines"].values()) else 0


def print_kernel(kernel: str, n: int, engines: dict) -> None:
    cells = []
    for name, e in engines.items():
        if e["status"] != "ok":
            cells.append(f"{name} {e['status']}")
        else:
            cells.append(name + " " + "/".join(format_number(e["median"][m] * 1e3) for m in SHOWN))
    print(f"{kernel}({n}) ms {'/'.join(SHOWN)}: " + "; ".join(cells), flush=True)


if __name__ == "__main__":
    sys.exit(main())
