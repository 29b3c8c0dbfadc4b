"""One benchmark run in a fresh process: `python -m jitwasm.bench.worker TASK.json OUT.json`.

The parent (runner.py) writes the task and reads the record; the program's own stdout/stderr
stay the process's, so the parent can capture and compare them. A fresh process per run keeps
engines from disturbing each other (signal handlers, executable memory, caches) and contains
crashes and hangs.

Phases, each timed with perf_counter around one step (the record holds seconds):

- setup: importing the engine's library, creating its Engine and validating an empty module
  (one-time initialisation that would otherwise land in the first module's phases);
- decode_validate: the validation-only entry point;
- compile: creating the module object, minus decode_validate (module creation validates again);
- instantiate: imports bound, instance created (start function included);
- first_call: the whole first call of the export (or `_start`), lazy compilation included;
- execution: the time between `bench.start` and `bench.end` (summed over regions) when the
  module calls them, else first_call.
"""

from __future__ import annotations

import json
import resource
import sys
import time

from . import engines

EMPTY_MODULE = b"\0asm\x01\0\0\0"
PHASES = ("setup", "decode_validate", "compile", "instantiate", "first_call", "execution")


class RegionTimer:
    """`bench.start` / `bench.end`: the sum of the regions between them, in perf_counter_ns."""

    __slots__ = ("total_ns", "count", "misuse", "_opened")

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.total_ns = 0
        self.count = 0
        self.misuse = None
        self._opened = None

    def start(self) -> None:
        if self._opened is not None:
            self.misuse = "bench.start called twice without bench.end"
        self._opened = time.perf_counter_ns()

    def end(self) -> None:
        now = time.perf_counter_ns()
        if self._opened is None:
            self.misuse = "bench.end called without bench.start"
            return
        self.total_ns += now - self._opened
        self.count += 1
        self._opened = None


def peak_rss_kib() -> int:
    """Peak resident set size of this process so far, in KiB: VmHWM, which starts afresh at
    exec (getrusage's ru_maxrss may still hold the parent's peak from before the exec)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


_INT_BITS = {"i32": 32, "i64": 64}


def format_value(value, valtype: str) -> str:
    """A result as text that compares equal across engines (ints signed, floats by repr)."""
    bits = _INT_BITS.get(valtype)
    if bits is not None:
        value = int(value) & ((1 << bits) - 1)
        return str(value - (1 << bits) if value >> (bits - 1) else value)
    if valtype in ("f32", "f64"):
        return repr(float(value))
    return repr(value)


def run(task: dict) -> dict:
    """Run `task` once on `task["engine"]`; never raises (failures become the outcome)."""
    record = {"engine": task["engine"], "outcome": "ok", "message": None, "exit_code": None,
              "notes": None, "phases": {}, "regions": 0, "result": None,
              "rss_at_start_kib": peak_rss_kib()}
    phases = record["phases"]
    with open(task["wasm_path"], "rb") as f:
        wasm = f.read()
    clock = time.perf_counter
    adapter = None
    executing = False
    try:
        t0 = clock()
        adapter = engines.create(task["engine"])
        adapter.validate(EMPTY_MODULE)
        phases["setup"] = clock() - t0
        record["notes"] = adapter.notes

        t0 = clock()
        adapter.validate(wasm)
        phases["decode_validate"] = clock() - t0
        t0 = clock()
        module = adapter.compile(wasm)
        phases["compile"] = max(0.0, clock() - t0 - phases["decode_validate"])

        regions = RegionTimer()
        host = engines.HostImports(regions.start, regions.end, tuple(task["wasi_argv"]))
        executing = True
        t0 = clock()
        instance = adapter.instantiate(module, host)
        phases["instantiate"] = clock() - t0
        regions.reset()  # a start function's regions are not part of the call
        t0 = clock()
        try:
            results = adapter.call(instance, task["function"], task["args"])
        except BaseException as exc:
            end = clock()
            outcome = adapter.outcome(exc, executing)
            if outcome.kind != "exit":
                raise
            results = None
            record["exit_code"] = outcome.exit_code
            if outcome.exit_code != 0:
                record["outcome"], record["message"] = "exit", outcome.message
        else:
            end = clock()
        phases["first_call"] = end - t0
        record["regions"] = regions.count
        if results is not None:
            record["result"] = [format_value(v, t) for v, t in zip(results, task["result_types"])]
        if regions.misuse:
            record["outcome"], record["message"] = "error", regions.misuse
        elif regions.count:
            phases["execution"] = regions.total_ns / 1e9
        else:
            phases["execution"] = phases["first_call"]
    except engines.EngineUnavailable as exc:
        record["outcome"], record["message"] = "unavailable", str(exc)
    except Exception as exc:
        if adapter is None:
            record["outcome"], record["message"] = "unavailable", engines.describe_exception(exc)
        else:
            outcome = adapter.outcome(exc, executing)
            record["outcome"], record["message"] = outcome.kind, outcome.message
            record["exit_code"] = outcome.exit_code
    record["peak_rss_kib"] = peak_rss_kib()
    return record


def main(argv: list[str]) -> int:
    task_path, out_path = argv
    with open(task_path) as f:
        task = json.load(f)
    record = run(task)
    sys.stdout.flush()
    sys.stderr.flush()
    with open(out_path, "w") as f:
        json.dump(record, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
