"""Startup: what `jitwasm run` of a small module imports, and the eager-compile progress bar."""

import ast
import subprocess
import sys
from pathlib import Path


from jitwasm import progress
from jitwasm.progress import CompileProgress, compile_progress

HELLO = Path(__file__).resolve().parent.parent / "examples" / "hello.wasm"

# Runs `jitwasm run` in this process as the console script does and, at its exit (which skips
# atexit handlers), prints the loaded module names as the last stderr line.
_RUN_AND_LIST_MODULES = """import sys
from jitwasm import launcher
def exit_now(status, _exit=launcher.exit_now):
    sys.stderr.write("\\n" + repr(sorted(sys.modules)) + "\\n")
    _exit(status)
launcher.exit_now = exit_now
launcher.main()
"""

# Never needed to run a module: other commands, the spec-test runner, and stdlib modules only
# those use (a run that needs them pays tens of milliseconds for nothing).
NOT_FOR_RUN = {"jitwasm.bench", "jitwasm.bench.command", "jitwasm.wast", "jitwasm.progress",
               "subprocess", "json", "decimal", "tempfile", "argparse", "multiprocessing",
               "concurrent.futures", "click", "socket", "inspect", "dataclasses", "typing",
               "threading", "hashlib", "select",
               # the SIMD code generator loads for modules with SIMD instructions only
               "jitwasm.compiler.simd_handlers", "jitwasm.backend_x64.masm_simd_int",
               "jitwasm.backend_x64.masm_simd_forms"}


def _modules_of_run(tmp_path, *options) -> set:
    env = {"JITWASM_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-c", _RUN_AND_LIST_MODULES, "run", *options,
                           str(HELLO)], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "Hello, world!\n"
    return set(ast.literal_eval(proc.stderr.strip().splitlines()[-1]))


def test_run_without_cache_imports_only_what_it_needs(tmp_path):
    modules = _modules_of_run(tmp_path, "--no-cache")
    assert "jitwasm.api" in modules            # the listing is real
    assert not NOT_FOR_RUN & modules


def test_cache_hit_neither_validates_nor_imports_other_commands(tmp_path):
    _modules_of_run(tmp_path)                  # fills the cache
    modules = _modules_of_run(tmp_path)
    assert "jitwasm.cache.store" in modules
    assert not (NOT_FOR_RUN | {"jitwasm.validation", "jitwasm.validation.function"}) & modules
    # nor compiles: the code generator (and the rest of the compiler) stays unloaded
    assert "jitwasm.runtime.compiled" in modules
    assert not {"jitwasm.compiler.codegen", "jitwasm.compiler.module", "jitwasm.compiler.lazy",
                "jitwasm.compiler.values"} & modules


def test_bench_command_still_listed_and_runs_its_help():
    from click.testing import CliRunner

    from jitwasm.cli import main

    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0 and "bench" in result.output
    result = CliRunner().invoke(main, ["bench", "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


# ---- the progress bar ----------------------------------------------------------------------

class FakeStream:
    def __init__(self, tty: bool):
        self.tty = tty
        self.text = ""

    def isatty(self) -> bool:
        return self.tty

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_no_bar_when_stderr_is_not_a_terminal():
    assert compile_progress(500, FakeStream(tty=False), FakeClock()) is None
    assert compile_progress(500, object(), FakeClock()) is None   # no isatty at all


def test_bar_appears_only_after_the_delay():
    stream, clock = FakeStream(tty=True), FakeClock()
    bar = compile_progress(400, stream, clock)
    assert isinstance(bar, CompileProgress)
    for done in range(1, 100):
        clock.now += 0.9 * progress.DELAY / 100
        bar(done)
    assert stream.text == ""                   # 0.9 s in: nothing drawn
    clock.now += 0.2 * progress.DELAY
    bar(100)
    assert stream.text.startswith("\rcompiling [")
    assert "100/400 functions" in stream.text
    assert "#" * (progress.WIDTH // 4) + "." in stream.text


def test_redraws_are_rate_limited_and_close_erases_the_bar():
    stream, clock = FakeStream(tty=True), FakeClock()
    bar = compile_progress(10, stream, clock)
    clock.now += progress.DELAY
    bar(1)
    bar(2)                                     # same instant: not redrawn
    assert stream.text.count("\r") == 1
    clock.now += progress.REDRAW_INTERVAL
    bar(10)
    assert stream.text.count("\r") == 2 and "10/10 functions" in stream.text
    assert "[" + "#" * progress.WIDTH + "]" in stream.text
    bar.close()
    assert stream.text.endswith("\r\x1b[K")
    bar.close()                                # erased once only
    assert stream.text.count("\x1b[K") == 1


def test_a_short_compile_prints_nothing_even_on_close():
    stream, clock = FakeStream(tty=True), FakeClock()
    bar = compile_progress(3, stream, clock)
    for done in (1, 2, 3):
        bar(done)
    bar.close()
    assert stream.text == ""


def test_nothing_to_compile_no_bar():
    assert compile_progress(0, FakeStream(tty=True), FakeClock()) is None


def test_eager_compilation_reports_each_function_to_the_progress_hook():
    import wasmtime

    from jitwasm.binary import decode_module
    from jitwasm.compiler import compile_module
    from jitwasm.validation import validate_module

    wasm = wasmtime.wat2wasm("(module (func) (func) (func (result i32) (i32.const 1)))")
    info = decode_module(wasm)
    validate_module(info)
    seen = []
    compile_module(info, progress=seen.append)
    assert seen == [1, 2, 3]
