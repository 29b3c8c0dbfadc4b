"""The `jitwasm bench` command (registered in jitwasm/cli.py).

At start-up only click, the standard library and the package's engine names load; the decoder,
the workers and the report load when the command runs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Sequence

import click

from . import ENGINES, BenchError

DEFAULT_ENGINES = ("jitwasm", "wasmtime-winch", "wasmtime-cranelift")
PREFERRED_BASELINE = "wasmtime-winch"  # the baseline compiler jitwasm is measured against


def engine_list(options: Sequence[str]) -> list[str]:
    """Engines from repeated and/or comma-separated --engine options, in order, no repeats."""
    names = [n.strip() for option in options for n in option.split(",") if n.strip()]
    unknown = [n for n in names if n not in ENGINES]
    if unknown:
        raise BenchError(f"unknown engine {', '.join(unknown)}: choose from {', '.join(ENGINES)}")
    return list(dict.fromkeys(names)) or list(DEFAULT_ENGINES)


def choose_baseline(engines: list[str], baseline: str | None) -> str:
    if baseline is None:
        return PREFERRED_BASELINE if PREFERRED_BASELINE in engines else engines[0]
    if baseline not in engines:
        raise BenchError(f"the baseline {baseline} is not among the engines run "
                         f"({', '.join(engines)})")
    return baseline


def _echo(text: str, err: bool = False) -> None:
    print(text, file=sys.stderr if err else sys.stdout, flush=True)


def bench_command(name: str, wasm: bytes, args: Sequence[str] = (), *,
                  engines: Sequence[str] = (), invoke: str | None = None, runs: int = 5,
                  warmup: int = 1, baseline: str | None = None, json_path: Path | None = None,
                  plot_path: Path | None = None, timeout: float = 600.0,
                  pywasm_cap: float = 60.0, echo: Callable[..., None] = _echo) -> dict:
    """Run the benchmark, print the report, write --json/--plot; return the document.
    Raises BenchError for a module or invocation that cannot be benchmarked."""
    from .report import build_document, format_report
    from .runner import run_benchmark
    from .task import make_task

    names = engine_list(engines)
    config = {"engines": names, "baseline": choose_baseline(names, baseline), "runs": runs,
              "warmup": warmup, "timeout_s": timeout, "pywasm_cap_s": pywasm_cap}
    if plot_path is not None:
        from .plot import require_matplotlib
        require_matplotlib()
    task = make_task(name, wasm, invoke, args)
    total = len(names) * (runs + warmup)
    done = [0]

    def progress(record: dict) -> None:
        done[0] += 1
        kind = "warm-up" if record["warmup"] else "run"
        echo(f"[{done[0]}/{total}] {record['engine']} {kind}: {record['outcome']} "
             f"({record['process_wall_s']:.2f} s)", err=True)

    results = run_benchmark(task, wasm, names, runs, warmup, timeout, pywasm_cap, progress)
    doc = build_document(name, wasm, task, results, config)
    echo(format_report(doc))
    if json_path is not None:
        import json
        Path(json_path).write_text(json.dumps(doc, indent=1) + "\n")
    if plot_path is not None:
        from .plot import draw
        draw(doc, plot_path)
    return doc


@click.command(context_settings={"allow_interspersed_args": False,
                                 "ignore_unknown_options": True})
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.option("-e", "--engine", "engines", multiple=True, metavar="NAME[,NAME...]",
              help=f"Engines to compare (repeatable): {', '.join(ENGINES)}. "
                   f"Default: {','.join(DEFAULT_ENGINES)}.")
@click.option("--invoke", metavar="NAME",
              help="Call export NAME with ARGS (parsed by its parameter types) instead of "
                   "running _start with ARGS as the program's arguments.")
@click.option("-n", "--runs", type=click.IntRange(min=1), default=5, show_default=True,
              help="Measured runs per engine, each in a fresh process.")
@click.option("--warmup", type=click.IntRange(min=0), default=1, show_default=True,
              help="Unmeasured runs per engine before the measured ones.")
@click.option("--baseline", metavar="NAME",
              help=f"Engine the ratios refer to (default: {PREFERRED_BASELINE} if run, else "
                   "the first engine).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write every run, the summaries and the machine description to this file.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Draw startup vs throughput to this image (needs matplotlib: the plot extra).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=600.0,
              show_default=True, help="Seconds a run may take before it is stopped.")
@click.option("--pywasm-cap", type=click.FloatRange(min=0, min_open=True), default=60.0,
              show_default=True, help="Seconds a pywasm run may take (it interprets in Python).")
def bench(file, args, engines, invoke, runs, warmup, baseline, json_path, plot_path, timeout,
          pywasm_cap):
    """Startup and throughput of FILE on several engines, side by side.

    Each engine runs FILE in fresh processes (WARMUP, then RUNS) and reports, per phase, the
    median with min-max: setup, decode + validate, compile, instantiate, first call and
    execution (between calls to the imports bench.start and bench.end when FILE has them, else
    the whole call), plus peak RSS, ratios to the baseline and where startup cost and speed
    cross over. Options go before FILE. Exit status 1 if an engine traps or fails, or the
    engines disagree on the result; engines that are not installed are reported, not failed.
    """
    from ..cli_run import InvalidModuleFile, read_module
    from .report import failed

    try:
        wasm = read_module(file)
        doc = bench_command(str(file), wasm, args, engines=engines, invoke=invoke, runs=runs,
                            warmup=warmup, baseline=baseline, json_path=json_path,
                            plot_path=plot_path, timeout=timeout, pywasm_cap=pywasm_cap,
                            echo=click.echo)
    except (InvalidModuleFile, BenchError) as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    sys.exit(1 if failed(doc) else 0)
