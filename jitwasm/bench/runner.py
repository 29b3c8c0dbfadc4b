"""Orchestration: every engine, N runs after warm-ups, each run a fresh worker process.

Runs are interleaved (round r runs every engine once), so slow drifts in machine load spread
over all engines instead of favouring the first. An engine stops being run once it turns out
unavailable, or after a run hit the time limit (a hang, or pywasm reaching its time cap): later
runs would only repeat that. The program's stdout is captured per run and fingerprinted, so
WASI programs can be compared across engines.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterable

STOPPING_OUTCOMES = ("unavailable", "timeout", "capped")
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


def run_benchmark(task: dict, wasm: bytes, engines: Iterable[str], runs: int, warmup: int,
                  timeout: float, pywasm_cap: float,
                  progress: Callable[[dict], None] | None = None) -> dict:
    """{engine: {"warmup": [record], "runs": [record]}} for `task` on each engine."""
    engines = list(engines)
    results = {e: {"warmup": [], "runs": []} for e in engines}
    active = list(engines)
    with tempfile.TemporaryDirectory(prefix="jitwasm-bench-") as tmp:
        wasm_path = Path(tmp, "module.wasm")
        wasm_path.write_bytes(wasm)
        for round_ in range(warmup + runs):
            for engine in list(active):
                limit = min(timeout, pywasm_cap) if engine == "pywasm" else timeout
                record = spawn(engine, {**task, "engine": engine, "wasm_path": str(wasm_path)},
                               Path(tmp), limit)
                record["warmup"] = round_ < warmup
                results[engine]["warmup" if record["warmup"] else "runs"].append(record)
                if progress is not None:
                    progress(record)
                if record["outcome"] in STOPPING_OUTCOMES:
                    active.remove(engine)
    return results


def _worker_env() -> dict:
    """The environment of a worker: ours, with this jitwasm importable even when not installed
    (appended, so an existing PYTHONPATH still takes precedence)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (env.get("PYTHONPATH"), _PACKAGE_ROOT)))
    return env


def spawn(engine: str, task: dict, tmp: Path, limit: float) -> dict:
    """One worker process; a record even when it times out or dies."""
    task_path, out_path, stdout_path = tmp / "task.json", tmp / "out.json", tmp / "stdout"
    task_path.write_text(json.dumps(task))
    out_path.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "jitwasm.bench.worker", str(task_path), str(out_path)]
    start = time.perf_counter()
    with open(stdout_path, "wb") as stdout:
        try:
            proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=stdout,
                                  stderr=subprocess.PIPE, timeout=limit, env=_worker_env())
        except subprocess.TimeoutExpired:
            proc = None
    wall = time.perf_counter() - start
    if proc is None:
        capped = engine == "pywasm"
        what = "pywasm time cap" if capped else "time limit"
        record = _failed(engine, "capped" if capped else "timeout",
                         f"stopped at the {what} of {limit:g} s")
    elif out_path.exists():
        record = json.loads(out_path.read_text())
    else:
        record = _failed(engine, "crash", _death(proc))
    output = stdout_path.read_bytes()
    record["process_wall_s"] = wall
    record["stdout_bytes"] = len(output)
    record["stdout_sha256"] = hashlib.sha256(output).hexdigest()
    return record


def _failed(engine: str, outcome: str, message: str) -> dict:
    return {"engine": engine, "outcome": outcome, "message": message, "exit_code": None,
            "notes": None, "phases": {}, "regions": 0, "result": None}


def _death(proc: subprocess.CompletedProcess) -> str:
    """How a worker that wrote no record ended, with the last line it printed to stderr."""
    code = proc.returncode
    if code < 0:
        try:
            how = f"killed by {signal.Signals(-code).name}"
        except ValueError:
            how = f"killed by signal {-code}"
    else:
        how = f"exited with status {code}"
    lines = proc.stderr.decode(errors="replace").strip().splitlines()
    return f"worker {how}" + (f": {lines[-1]}" if lines else "")
