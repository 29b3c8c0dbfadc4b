"""`jitwasm bench`: startup and throughput of one module on several engines, side by side.

    task.py     what each run does (export and arguments, or a WASI command), from the module
    engines.py  one adapter per engine (jitwasm, wasmtime Cranelift/Winch, pywasm), phase hooks
    worker.py   one run in a fresh process: times the phases, reports the outcome
    runner.py   warm-ups and runs, interleaved across engines, each in its own worker
    report.py   medians, ratios to a baseline, crossovers, the table and the JSON document
    plot.py     startup vs throughput chart (matplotlib, imported only for --plot)
    command.py  the command itself, as cli.py calls it
"""

ENGINES = ("jitwasm", "jitwasm-eager", "wasmtime-cranelift", "wasmtime-winch", "pywasm")


class BenchError(Exception):
    """The module or the invocation cannot be benchmarked; the message says why."""
