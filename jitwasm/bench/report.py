"""The benchmark's results: per-engine summaries, ratios, crossovers, the table and the JSON.

Every figure is computed per run first and summarised after (median, min, max), so derived
figures such as time-to-result are medians of real runs rather than sums of medians. Times are
seconds in the JSON and milliseconds in the table.

Metrics: the worker's phases (worker.PHASES) plus
- startup = setup + decode_validate + compile + instantiate;
- time_to_result = startup + first_call (what a user waits for in a fresh process);
- outside_execution = time_to_result - execution (the fixed cost the crossover model uses);
- peak_rss_kib (the worker's whole process, Python included).

Crossover model: a run costs outside_execution + k * execution for k times the measured work,
so against the baseline two straight lines show up to which k the engine that starts faster
stays ahead.
"""

from __future__ import annotations

import hashlib
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from .worker import PHASES

SCHEMA = "jitwasm-bench/1"
STARTUP_PHASES = PHASES[:4]
METRICS = PHASES + ("startup", "time_to_result", "outside_execution", "peak_rss_kib")
TABLE_METRICS = tuple(m for m in METRICS if m != "outside_execution")  # that one: JSON only
LABELS = {
    "setup": "setup (import, Engine)", "decode_validate": "decode + validate",
    "compile": "compile", "instantiate": "instantiate", "first_call": "first call",
    "execution": "execution", "startup": "startup (4 above)",
    "time_to_result": "time to result", "outside_execution": "outside execution",
    "peak_rss_kib": "peak RSS MiB",
}
FAILURES = ("trap", "exit", "error", "crash", "timeout")  # outcomes that fail the command


# ---- machine ------------------------------------------------------------------------------

def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def machine_description() -> dict:
    """What the numbers depend on: CPU, cores, memory, load, OS and Python."""
    memory_kib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": cpu_model(), "cpus": os.cpu_count(), "memory_kib": memory_kib,
        "loadavg": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "platform": platform.platform(), "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


# ---- per-engine summaries --------------------------------------------------------------------

def run_metrics(record: dict) -> dict:
    """The metrics of one run (only those it measured)."""
    out = dict(record.get("phases", {}))
    if all(p in out for p in STARTUP_PHASES):
        out["startup"] = sum(out[p] for p in STARTUP_PHASES)
        if "first_call" in out:
            out["time_to_result"] = out["startup"] + out["first_call"]
            if "execution" in out:
                out["outside_execution"] = out["time_to_result"] - out["execution"]
    if record.get("peak_rss_kib") is not None:
        out["peak_rss_kib"] = record["peak_rss_kib"]
    return out


def summarize(records: list[dict]) -> dict:
    """{metric: {"median", "min", "max", "n"}} over the runs that measured it."""
    per_run = [run_metrics(r) for r in records]
    out = {}
    for metric in METRICS:
        values = [m[metric] for m in per_run if metric in m]
        if values:
            out[metric] = {"median": statistics.median(values), "min": min(values),
                           "max": max(values), "n": len(values)}
    return out


def engine_entry(results: dict) -> dict:
    """An engine's JSON entry: availability, outcome, summary and the raw runs."""
    runs, warmups = results["runs"], results["warmup"]
    records = warmups + runs
    notes = next((r["notes"] for r in records if r.get("notes")), None)
    first_bad = next((r for r in records if r["outcome"] != "ok"), None)
    outcomes = {}
    for r in runs:
        outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1
    return {
        "available": any(r["outcome"] != "unavailable" for r in records),
        "notes": notes,
        "status": first_bad["outcome"] if first_bad else "ok",
        "message": first_bad["message"] if first_bad else None,
        "outcomes": outcomes,
        "summary": summarize(runs),
        "ratios": {},
        "runs": runs,
        "warmup_runs": warmups,
    }


def answer(record: dict, mode: str):
    """What a run produced, comparable across engines: the results, or the WASI exit status
    and a fingerprint of stdout."""
    if mode == "invoke":
        return record.get("result")
    return {"exit_code": record.get("exit_code") or 0, "stdout_bytes": record["stdout_bytes"],
            "stdout_sha256": record["stdout_sha256"]}


def agreement(engines: dict, mode: str) -> dict:
    """Whether every run that returned produced the same answer, on every engine.
    `answers` maps each engine to the distinct answers of its runs (one when consistent)."""
    answers = {}
    for name, entry in engines.items():
        distinct = []
        for r in entry["runs"]:
            if r["outcome"] in ("ok", "exit") and answer(r, mode) not in distinct:
                distinct.append(answer(r, mode))
        if distinct:
            answers[name] = distinct
    firsts = [a[0] for a in answers.values()]
    agree = all(len(a) == 1 for a in answers.values()) and all(f == firsts[0] for f in firsts)
    return {"agree": agree, "answers": answers}


def crossover(entry: dict, base: dict) -> dict | None:
    """Where `entry` and `base` take equal time under the crossover model (None if unknown)."""
    need = ("outside_execution", "execution")
    if not all(m in entry["summary"] and m in base["summary"] for m in need):
        return None
    s_e, e_e = (entry["summary"][m]["median"] for m in need)
    s_b, e_b = (base["summary"][m]["median"] for m in need)
    d_s, d_e = s_e - s_b, e_e - e_b
    k = -d_s / d_e if d_e else None
    if k is not None and k > 0 and d_s < 0:
        verdict = "faster below the crossover, slower beyond"
    elif k is not None and k > 0:
        verdict = "slower below the crossover, faster beyond"
    else:
        k = None
        verdict = "faster at every amount of work" if d_s + d_e < 0 else \
            "slower at every amount of work" if d_s + d_e > 0 else "equal"
    return {"outside_execution_s": [s_e, s_b], "execution_s": [e_e, e_b],
            "crossover_multiple": k, "verdict": verdict}


# ---- the document --------------------------------------------------------------------------

def build_document(name: str, wasm: bytes, task: dict, results: dict, config: dict) -> dict:
    engines = {e: engine_entry(r) for e, r in results.items()}
    baseline = config["baseline"]
    base = engines.get(baseline)
    crossovers = {}
    for name_, entry in engines.items():
        if base is None or name_ == baseline:
            continue
        for metric, stat in entry["summary"].items():
            ref = base["summary"].get(metric)
            if ref and ref["median"] > 0:
                entry["ratios"][metric] = stat["median"] / ref["median"]
        found = crossover(entry, base)
        if found is not None:
            crossovers[name_] = found
    return {
        "schema": SCHEMA,
        "module": {"name": name, "bytes": len(wasm),
                   "sha256": hashlib.sha256(wasm).hexdigest(),
                   "code_bytes": task["code_bytes"], "has_markers": task["has_markers"],
                   "imports_wasi": task["imports_wasi"]},
        "task": {k: task[k] for k in ("mode", "function", "args", "wasi_argv", "result_types")},
        "config": config,
        "machine": machine_description(),
        "metrics": list(METRICS),
        "engines": engines,
        "crossovers": crossovers,
        "agreement": agreement(engines, task["mode"]),
    }


def failed(doc: dict) -> bool:
    """True when the command should exit 1: an engine failed, or engines disagree."""
    return (not doc["agreement"]["agree"]
            or any(e["status"] in FAILURES for e in doc["engines"].values()))


# ---- the table -----------------------------------------------------------------------------

def format_number(value: float) -> str:
    """Three significant digits or so, never scientific notation."""
    magnitude = abs(value)
    digits = 0 if magnitude >= 100 else 1 if magnitude >= 10 else 2 if magnitude >= 1 else 3
    return f"{value:.{digits}f}"


def _cell(stat: dict | None, scale: float) -> str:
    if stat is None:
        return "-"
    return (f"{format_number(stat['median'] * scale)} ({format_number(stat['min'] * scale)}-"
            f"{format_number(stat['max'] * scale)})")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header))]
    return ["  ".join([row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])])
            .rstrip() for row in [header] + rows]


def _status_line(entry: dict) -> str:
    if not entry["available"]:
        return f"not available: {entry['message']}"
    counts = ", ".join(f"{n} {kind}" for kind, n in entry["outcomes"].items())
    text = "; ".join(filter(None, (counts or "no measured runs", entry["notes"])))
    if entry["status"] != "ok":
        text += f"\n    {entry['status']}: {entry['message']}"
    return text


def format_report(doc: dict) -> str:
    task, config, module = doc["task"], doc["config"], doc["module"]
    if task["mode"] == "invoke":
        what = f"{task['function']}({', '.join(map(str, task['args']))})"
    else:
        what = "WASI _start, argv " + " ".join(task["wasi_argv"])
    region = ("bench.start..bench.end" if module["has_markers"] else "the whole call")
    lines = [f"{module['name']}: {what}; {config['runs']} run(s) per engine after "
             f"{config['warmup']} warm-up, each in a fresh process; execution = {region}",
             ""]
    engines = doc["engines"]
    width = max(map(len, engines))
    lines += [f"{name.ljust(width)}  {_status_line(entry)}" for name, entry in engines.items()]
    shown = [name for name, entry in engines.items() if entry["summary"]]
    if shown:
        rows = [[LABELS[m]] + [_cell(engines[e]["summary"].get(m),
                                     1 / 1024 if m == "peak_rss_kib" else 1e3) for e in shown]
                for m in TABLE_METRICS if any(m in engines[e]["summary"] for e in shown)]
        lines += ["", *_table(["median ms (min-max)"] + shown, rows)]
        lines += _ratio_lines(doc, shown)
    lines += _crossover_lines(doc)
    agree = doc["agreement"]
    if agree["answers"]:
        lines.append("")
        if agree["agree"]:
            first = next(iter(agree["answers"].values()))[0]
            lines.append(f"all engines agree: {_answer_text(first)}")
        else:
            lines.append("ENGINES DISAGREE:")
            lines += [f"  {e}: " + "; ".join(map(_answer_text, a))
                      for e, a in agree["answers"].items()]
    return "\n".join(lines)


def _answer_text(answer) -> str:
    if isinstance(answer, dict):
        return (f"exit status {answer['exit_code']}, stdout {answer['stdout_bytes']} bytes "
                f"(sha256 {answer['stdout_sha256'][:12]})")
    return "result " + (", ".join(answer) if answer else "(none)")


def _ratio_lines(doc: dict, shown: list[str]) -> list[str]:
    baseline = doc["config"]["baseline"]
    others = [e for e in shown if doc["engines"][e]["ratios"]]
    if not others:
        return []
    rows = [[LABELS[m]] + [_ratio(doc["engines"][e]["ratios"].get(m)) for e in others]
            for m in TABLE_METRICS if any(m in doc["engines"][e]["ratios"] for e in others)]
    return ["", *_table([f"ratio to {baseline} (>1: slower)"] + others, rows)]


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _crossover_lines(doc: dict) -> list[str]:
    if not doc["crossovers"]:
        return []
    baseline = doc["config"]["baseline"]
    lines = ["", f"crossover against {baseline} (cost = outside execution + k x execution):"]
    for engine, c in doc["crossovers"].items():
        k = c["crossover_multiple"]
        where = "" if k is None else f" (k = {format_number(k)})"
        lines.append(f"  {engine}: {c['verdict']}{where}")
    return lines
