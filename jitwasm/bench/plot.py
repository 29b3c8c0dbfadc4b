"""Startup vs throughput chart of a `jitwasm bench` document (needs matplotlib: the `plot`
extra, `pip install 'jitwasm[plot]'`; imported only when a chart is asked for).

Left: one stacked bar per engine, the median of each phase, so the share of startup in the
time to result is visible. Right: time to result as a function of the amount of work, k times
the measured execution (outside_execution + k * execution per engine), with the measured point
k = 1 and the crossovers against the baseline marked: where the lines cross, the engine that
starts faster stops being the faster one.

Redraw from a saved document: `python -m jitwasm.bench.plot RESULTS.json OUT.png`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from . import BenchError

SEGMENTS = (("setup", "setup"), ("decode_validate", "decode + validate"),
            ("compile", "compile"), ("instantiate", "instantiate"),
            ("call_outside", "first call outside execution"), ("execution", "execution"))


def require_matplotlib():
    """The pyplot module, using a non-interactive backend; BenchError if not installed."""
    try:
        import matplotlib
    except ImportError:
        raise BenchError("--plot needs matplotlib: pip install 'jitwasm[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def segment_ms(summary: dict) -> dict:
    """Median of each stacked segment in ms; the first call is split at the execution."""
    median = {m: s["median"] * 1e3 for m, s in summary.items()}
    out = {m: median.get(m, 0.0) for m, _ in SEGMENTS if m not in ("call_outside",)}
    out["call_outside"] = max(0.0, median.get("first_call", 0.0) - median.get("execution", 0.0))
    return out


def draw(doc: dict, path) -> None:
    plt = require_matplotlib()
    engines = {n: e for n, e in doc["engines"].items() if "time_to_result" in e["summary"]}
    fig, (bars, lines) = plt.subplots(1, 2, figsize=(13, 0.6 * len(engines) + 3.5))
    fig.suptitle(f"{Path(doc['module']['name']).name}: startup vs throughput "
                 f"(medians of {doc['config']['runs']} runs)")
    _draw_bars(bars, engines)
    _draw_lines(lines, engines, doc)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _draw_bars(ax, engines: dict) -> None:
    names = list(engines)
    left = [0.0] * len(names)
    for metric, label in SEGMENTS:
        widths = [segment_ms(engines[n]["summary"])[metric] for n in names]
        ax.barh(names, widths, left=left, label=label)
        left = [a + b for a, b in zip(left, widths)]
    ax.invert_yaxis()
    ax.set_xlabel("ms (fresh process: setup to result)")
    ax.legend(fontsize="small", loc="lower right")


def _draw_lines(ax, engines: dict, doc: dict) -> None:
    crossings = [c["crossover_multiple"] for c in doc["crossovers"].values()
                 if c["crossover_multiple"] is not None]
    k_max = min(max([4.0] + [1.5 * k for k in crossings]), 1e4)
    for name, entry in engines.items():
        summary = entry["summary"]
        fixed = summary["outside_execution"]["median"] * 1e3
        per_k = summary["execution"]["median"] * 1e3
        ax.plot([0, k_max], [fixed, fixed + k_max * per_k], label=name)
    baseline = doc["config"]["baseline"]
    if baseline in engines:
        base = engines[baseline]["summary"]
        for name, c in doc["crossovers"].items():
            k = c["crossover_multiple"]
            if k is not None and name in engines:
                y = (base["outside_execution"]["median"] + k * base["execution"]["median"]) * 1e3
                ax.plot([k], [y], "ko", markersize=4)
                ax.annotate(f"{name} = {baseline}\nk = {k:.3g}", (k, y), fontsize="x-small",
                            textcoords="offset points", xytext=(4, -12))
    ax.axvline(1.0, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("work, in multiples of the measured execution (k = 1: this run)")
    ax.set_ylabel("time to result, ms")
    ax.set_xlim(0, k_max)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize="small")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m jitwasm.bench.plot RESULTS.json OUT.png", file=sys.stderr)
        return 2
    try:
        draw(json.loads(Path(argv[0]).read_text()), argv[1])
    except BenchError as e:
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
