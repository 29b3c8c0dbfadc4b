"""`jitwasm bench`: phase accounting, outcomes per engine, missing engines, the JSON document.

Timings are never compared with fixed numbers (the machines are noisy): the tests check the
structure and the accounting, e.g. that the execution phase is the bench.start..bench.end
region and excludes work done outside it, using a module whose outside work is thousands of
times the inside work. The runs use wasmtime's engines (and jitwasm where it executes), each
in fresh worker processes as the command does.
"""

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from jitwasm.bench import BenchError, report, runner
from jitwasm.bench.command import choose_baseline, engine_list
from jitwasm.bench.task import make_task
from jitwasm.bench.worker import PHASES, run as run_worker
from jitwasm.cli import main

wasmtime = pytest.importorskip("wasmtime")

WASMTIME = "wasmtime-winch,wasmtime-cranelift"

SPIN = """
  (func $spin (param $n i32) (result i32) (local $acc i32)
    (block $done (loop $top
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 31)) (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $top)))
    (local.get $acc))
"""

# run(outside, inside): spin(outside), then spin(inside) between the markers, then spin(outside).
MARKED = """(module
  (import "bench" "start" (func $start))
  (import "bench" "end" (func $end))
""" + SPIN + """
  (func (export "run") (param $outside i32) (param $inside i32) (result i32) (local $r i32)
    (local.set $r (call $spin (local.get $outside)))
    (call $start)
    (local.set $r (i32.add (local.get $r) (call $spin (local.get $inside))))
    (call $end)
    (i32.add (local.get $r) (call $spin (local.get $outside)))))
"""

UNMARKED = "(module " + SPIN + """
  (func (export "run") (param $n i32) (result i32) (call $spin (local.get $n))))
"""

TRAPPING = """(module
  (func (export "run") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0))))
"""

LOOPING = """(module (func (export "run") (loop $l (br $l))))"""

# Writes "hello\\n" and exits with argc - 1 (0 without arguments).
WASI_HELLO = """(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $argc (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $argc (i32.const 32) (i32.const 36)))
    (call $exit (i32.sub (i32.load (i32.const 32)) (i32.const 1)))))
"""


def spin(n: int) -> int:
    acc = 0
    while n:
        acc = (acc * 31 + n) & 0xFFFFFFFF
        n -= 1
    return acc


def as_i32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >> 31 else value


@pytest.fixture
def module(tmp_path):
    def write(wat: str, name: str = "m.wasm") -> Path:
        path = tmp_path / name
        path.write_bytes(wasmtime.wat2wasm(wat))
        return path
    return write


def bench(*args, json_out: Path | None = None):
    """Run `jitwasm bench` in-process (its workers are real processes); (result, document)."""
    extra = ["--json", str(json_out)] if json_out else []
    result = CliRunner().invoke(main, ["bench", *extra, *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    doc = json.loads(json_out.read_text()) if json_out and json_out.exists() else None
    return result, doc


# -- phase accounting ------------------------------------------------------------------------

def test_execution_is_the_marked_region_and_excludes_outside_work(module, tmp_path):
    outside, inside = 3_000_000, 1_000
    result, doc = bench("-e", WASMTIME + ",jitwasm", "-n", "2", "--warmup", "0",
                        "--invoke", "run", module(MARKED), outside, inside,
                        json_out=tmp_path / "out.json")
    assert result.exit_code == 0, result.output
    assert doc["module"]["has_markers"] is True
    assert "execution = bench.start..bench.end" in result.stdout
    expected = str(as_i32(2 * spin(outside) + spin(inside)))
    assert doc["agreement"] == {"agree": True, "answers": {
        e: [[expected]] for e in ("wasmtime-winch", "wasmtime-cranelift", "jitwasm")}}
    for name, entry in doc["engines"].items():
        assert entry["status"] == "ok" and entry["outcomes"] == {"ok": 2}, name
        for run in entry["runs"]:
            phases = run["phases"]
            assert set(phases) == set(PHASES)
            assert run["regions"] == 1 and run["result"] == [expected]
            # 6M loop iterations outside the region, 1000 inside.
            assert 0 < phases["execution"] * 10 < phases["first_call"], (name, phases)


def test_without_markers_execution_is_the_whole_call(module, tmp_path):
    result, doc = bench("-e", WASMTIME, "-n", "2", "--warmup", "1", "--invoke", "run",
                        module(UNMARKED), 1000, json_out=tmp_path / "out.json")
    assert result.exit_code == 0, result.output
    assert doc["module"]["has_markers"] is False
    assert "execution = the whole call" in result.stdout
    for entry in doc["engines"].values():
        assert len(entry["warmup_runs"]) == 1 and len(entry["runs"]) == 2
        assert all(not r["warmup"] for r in entry["runs"])
        for run in entry["runs"]:
            assert run["regions"] == 0 and run["result"] == [str(as_i32(spin(1000)))]
            assert run["phases"]["execution"] == run["phases"]["first_call"]


def test_derived_metrics_add_up_per_run():
    phases = {"setup": 0.1, "decode_validate": 0.02, "compile": 0.03, "instantiate": 0.004,
              "first_call": 0.5, "execution": 0.4}
    metrics = report.run_metrics({"phases": phases, "peak_rss_kib": 2048})
    assert metrics["startup"] == pytest.approx(0.154)
    assert metrics["time_to_result"] == pytest.approx(0.654)
    assert metrics["outside_execution"] == pytest.approx(0.254)
    assert metrics["peak_rss_kib"] == 2048
    # A run that trapped in its call has startup but no time to result.
    trapped = report.run_metrics({"phases": {k: phases[k] for k in PHASES[:4]}})
    assert "startup" in trapped and "time_to_result" not in trapped


def test_summary_is_median_min_max_over_runs_that_measured_it():
    runs = [{"phases": {"compile": c}} for c in (0.3, 0.1, 0.2)] + [{"phases": {}}]
    assert report.summarize(runs)["compile"] == {"median": 0.2, "min": 0.1, "max": 0.3, "n": 3}


def test_crossover_of_fast_start_against_fast_execution():
    def entry(outside, execution):
        return {"summary": {"outside_execution": {"median": outside},
                            "execution": {"median": execution}}}
    # 10 s less startup but 2 s more per unit of work: equal at k = 5.
    found = report.crossover(entry(1.0, 3.0), entry(11.0, 1.0))
    assert found["crossover_multiple"] == pytest.approx(5.0)
    assert found["verdict"].startswith("faster below")
    found = report.crossover(entry(11.0, 1.0), entry(1.0, 3.0))
    assert found["crossover_multiple"] == pytest.approx(5.0)
    assert found["verdict"].startswith("slower below")
    assert report.crossover(entry(1.0, 1.0), entry(2.0, 2.0))["crossover_multiple"] is None
    assert report.crossover(entry(1.0, 1.0), {"summary": {}}) is None


def test_region_misuse_is_an_error_not_a_measurement(tmp_path):
    wasm = wasmtime.wat2wasm("""(module (import "bench" "start" (func $s))
        (import "bench" "end" (func $e)) (func (export "run") (call $e)))""")
    path = tmp_path / "m.wasm"
    path.write_bytes(wasm)
    task = make_task("m.wasm", wasm, "run", [])
    record = run_worker({**task, "engine": "wasmtime-cranelift", "wasm_path": str(path)})
    assert record["outcome"] == "error"
    assert record["message"] == "bench.end called without bench.start"
    assert "execution" not in record["phases"]


# -- outcomes ----------------------------------------------------------------------------------

def test_trapping_module_is_reported_as_a_trap_per_engine(module, tmp_path):
    result, doc = bench("-e", WASMTIME + ",jitwasm,pywasm", "-n", "1", "--warmup", "0",
                        "--invoke", "run", module(TRAPPING), 0, json_out=tmp_path / "out.json")
    assert result.exit_code == 1
    for name, entry in doc["engines"].items():
        if not entry["available"]:
            assert name == "pywasm"
            continue
        assert entry["status"] == "trap" and entry["outcomes"] == {"trap": 1}, name
        run, = entry["runs"]
        assert "first_call" not in run["phases"] and "instantiate" in run["phases"]
        if name != "pywasm":  # pywasm traps as Python exceptions with its own wording
            assert entry["message"] == "integer divide by zero"
            assert f"{name}" in result.stdout
    assert result.stdout.count("trap: integer divide by zero") >= 3
    assert doc["agreement"]["answers"] == {}


def test_missing_engine_is_reported_not_skipped(module, tmp_path, monkeypatch):
    """pywasm made unimportable in the workers (as if not installed)."""
    shadow = tmp_path / "shadow" / "pywasm"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'pywasm'\", name='pywasm')\n")
    monkeypatch.setenv("PYTHONPATH", str(shadow.parent))
    result, doc = bench("-e", "wasmtime-winch,pywasm", "-n", "2", "--invoke", "run",
                        module(UNMARKED), 10, json_out=tmp_path / "out.json")
    assert result.exit_code == 0, result.output
    missing = doc["engines"]["pywasm"]
    assert missing["available"] is False and missing["status"] == "unavailable"
    assert "not installed" in missing["message"]
    assert len(missing["warmup_runs"]) + len(missing["runs"]) == 1  # not retried
    assert missing["summary"] == {}
    assert re.search(r"^pywasm +not available: not installed", result.stdout, re.M)
    assert doc["engines"]["wasmtime-winch"]["status"] == "ok"


def test_hang_stops_at_the_time_limit_and_pywasm_at_its_cap(module, tmp_path):
    result, doc = bench("-e", "wasmtime-winch,pywasm", "-n", "3", "--warmup", "0",
                        "--timeout", "2", "--pywasm-cap", "1", "--invoke", "run",
                        module(LOOPING), json_out=tmp_path / "out.json")
    winch, py = doc["engines"]["wasmtime-winch"], doc["engines"]["pywasm"]
    assert winch["status"] == "timeout" and len(winch["runs"]) == 1
    assert "time limit of 2 s" in winch["message"]
    if py["available"]:
        assert py["status"] == "capped" and len(py["runs"]) == 1
        assert "pywasm time cap of 1 s" in py["message"]
    assert result.exit_code == 1  # the timeout fails the command; pywasm's cap alone would not
    assert not report.failed({"agreement": {"agree": True},
                              "engines": {"pywasm": {"status": "capped"}}})


def test_wasi_program_runs_on_every_engine_and_output_is_compared(module, tmp_path):
    path = module(WASI_HELLO)
    result, doc = bench("-e", WASMTIME + ",jitwasm", "-n", "1", "--warmup", "0", path,
                        json_out=tmp_path / "out.json")
    assert result.exit_code == 0, result.output
    assert doc["task"]["mode"] == "wasi" and doc["task"]["wasi_argv"] == [str(path)]
    want = {"exit_code": 0, "stdout_bytes": 6,
            "stdout_sha256": hashlib.sha256(b"hello\n").hexdigest()}
    assert doc["agreement"] == {"agree": True, "answers": {
        e: [want] for e in ("wasmtime-winch", "wasmtime-cranelift", "jitwasm")}}
    # Arguments after FILE are the program's: two of them make it exit with status 2.
    result, doc = bench("-e", "wasmtime-winch", "-n", "1", "--warmup", "0", path, "a", "b",
                        json_out=tmp_path / "out2.json")
    assert result.exit_code == 1
    entry = doc["engines"]["wasmtime-winch"]
    assert entry["status"] == "exit" and entry["message"] == "exit status 2"
    assert entry["runs"][0]["phases"]["first_call"] > 0


def test_engines_disagreeing_fail_the_command():
    doc = {"engines": {"a": {"status": "ok"}, "b": {"status": "ok"}},
           "agreement": report.agreement({
               "a": {"runs": [{"outcome": "ok", "result": ["1"]}]},
               "b": {"runs": [{"outcome": "ok", "result": ["2"]}]}}, "invoke")}
    assert doc["agreement"]["agree"] is False and report.failed(doc)


def test_dead_worker_is_reported_as_a_crash():
    proc = subprocess.CompletedProcess([], -11, b"", b"x\nFatal Python error: Segmentation fault\n")
    assert runner._death(proc) == ("worker killed by SIGSEGV: "
                                   "Fatal Python error: Segmentation fault")
    assert runner._death(subprocess.CompletedProcess([], 3, b"", b"")) == \
        "worker exited with status 3"


# -- the JSON document ---------------------------------------------------------------------------

def test_json_document_schema(module, tmp_path):
    result, doc = bench("-e", "wasmtime-cranelift", "-e", "wasmtime-winch,jitwasm-eager",
                        "--baseline", "wasmtime-cranelift", "-n", "2", "--warmup", "0",
                        "--invoke", "run", module(MARKED), "1000", "0x10",
                        json_out=tmp_path / "out.json")
    assert result.exit_code == 0, result.output
    assert set(doc) == {"schema", "module", "task", "config", "machine", "metrics", "engines",
                        "crossovers", "agreement"}
    assert doc["schema"] == "jitwasm-bench/1"
    assert set(doc["module"]) == {"name", "bytes", "sha256", "code_bytes", "has_markers",
                                  "imports_wasi"}
    assert doc["task"] == {"mode": "invoke", "function": "run", "args": [1000, 16],
                           "wasi_argv": [doc["module"]["name"]], "result_types": ["i32"]}
    assert doc["config"] == {"engines": ["wasmtime-cranelift", "wasmtime-winch",
                                         "jitwasm-eager"],
                             "baseline": "wasmtime-cranelift", "runs": 2, "warmup": 0,
                             "timeout_s": 600.0, "pywasm_cap_s": 60.0}
    assert {"cpu", "cpus", "memory_kib", "loadavg", "platform", "python", "time"} <= \
        set(doc["machine"])
    assert doc["metrics"] == list(PHASES) + ["startup", "time_to_result",
                                             "outside_execution", "peak_rss_kib"]
    assert list(doc["engines"]) == doc["config"]["engines"]
    assert set(doc["crossovers"]) == {"wasmtime-winch", "jitwasm-eager"}
    for name, entry in doc["engines"].items():
        assert set(entry) == {"available", "notes", "status", "message", "outcomes", "summary",
                              "ratios", "runs", "warmup_runs"}
        assert set(entry["summary"]) == set(doc["metrics"])
        for stat in entry["summary"].values():
            assert set(stat) == {"median", "min", "max", "n"} and stat["n"] == 2
            assert stat["min"] <= stat["median"] <= stat["max"]
        if name == "wasmtime-cranelift":
            assert entry["ratios"] == {}
        else:
            assert set(entry["ratios"]) == set(doc["metrics"])
        for run in entry["runs"]:
            assert {"engine", "outcome", "message", "exit_code", "notes", "phases", "regions",
                    "result", "peak_rss_kib", "process_wall_s", "stdout_bytes",
                    "stdout_sha256", "warmup"} <= set(run)
            assert run["engine"] == name and run["peak_rss_kib"] > 0
    assert "lazy_compilation=False" in doc["engines"]["jitwasm-eager"]["notes"]
    assert "ratio to wasmtime-cranelift" in result.stdout


# -- the invocation ------------------------------------------------------------------------------

def test_task_checks_the_module_and_the_arguments(module):
    wasm = module(UNMARKED).read_bytes()
    assert make_task("m", wasm, "run", ["-5"])["args"] == [-5]
    assert make_task("m", wasm, "run", ["0xffffffff"])["args"] == [-1]
    with pytest.raises(BenchError, match="no exported function '_start'.*--invoke"):
        make_task("m", wasm, None, [])
    with pytest.raises(BenchError, match="takes 1 argument"):
        make_task("m", wasm, "run", [])
    with pytest.raises(BenchError, match="invalid i32"):
        make_task("m", wasm, "run", ["x"])
    foreign = wasmtime.wat2wasm('(module (import "env" "f" (func)))')
    with pytest.raises(BenchError, match="imports env.f"):
        make_task("m", foreign, "run", [])
    half = wasmtime.wat2wasm('(module (import "bench" "start" (func)))')
    with pytest.raises(BenchError, match="without its pair"):
        make_task("m", half, "run", [])


def test_engine_options_and_baseline():
    assert engine_list(["pywasm,wasmtime-winch", "pywasm"]) == ["pywasm", "wasmtime-winch"]
    assert engine_list([]) == ["jitwasm", "wasmtime-winch", "wasmtime-cranelift"]
    with pytest.raises(BenchError, match="unknown engine v8"):
        engine_list(["v8"])
    assert choose_baseline(["jitwasm", "wasmtime-winch"], None) == "wasmtime-winch"
    assert choose_baseline(["jitwasm", "pywasm"], None) == "jitwasm"
    with pytest.raises(BenchError, match="not among"):
        choose_baseline(["jitwasm"], "pywasm")


def test_cli_reports_invocation_errors(module):
    result = CliRunner().invoke(main, ["bench", "-e", "nope", str(module(UNMARKED))])
    assert result.exit_code == 1 and "unknown engine nope" in result.output


# -- the plot ------------------------------------------------------------------------------------

def synthetic_document() -> dict:
    def entry(setup, execution):
        phases = {"setup": setup, "decode_validate": 0.01, "compile": 0.05, "instantiate": 0.001,
                  "first_call": execution + 0.002, "execution": execution}
        return report.engine_entry({"warmup": [], "runs": [
            {"outcome": "ok", "message": None, "notes": "n", "phases": phases,
             "peak_rss_kib": 1000, "result": ["1"]}]})
    engines = {"fast-start": entry(0.05, 0.5), "fast-run": entry(0.3, 0.1)}
    base = engines["fast-run"]
    return {"module": {"name": "m.wasm"}, "config": {"runs": 1, "baseline": "fast-run"},
            "engines": engines,
            "crossovers": {"fast-start": report.crossover(engines["fast-start"], base)}}


def test_plot_draws_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    from jitwasm.bench.plot import draw
    doc = synthetic_document()
    assert doc["crossovers"]["fast-start"]["crossover_multiple"] == pytest.approx(0.25 / 0.4)
    draw(doc, tmp_path / "chart.png")
    assert (tmp_path / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_names_the_extra(monkeypatch, module):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = CliRunner().invoke(main, ["bench", "--plot", "x.png", "--invoke", "run",
                                       str(module(UNMARKED)), "1"])
    assert result.exit_code == 1
    assert "pip install 'jitwasm[plot]'" in result.output
