"""`jitwasm run`: options, exit statuses, trap reports, --invoke, --preload, light startup.

End to end in a subprocess (run_cli_support); the value parsing and printing helpers also
directly. The WASI programs themselves are covered by test_wasi_programs.py.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jitwasm.cli_run import (TRAP_EXIT_STATUS, RunError, build_env, format_float, format_value,
                             parse_dir, parse_value)
from jitwasm.wast import find_wasm_tools
from jitwasm.wast.conversion import WASM_TOOLS_HINT
from run_cli_support import run_jitwasm

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
PROGRAMS = ROOT / "tests" / "wasi_programs"

needs_wasm_tools = pytest.mark.skipif(find_wasm_tools() is None, reason=WASM_TOOLS_HINT)

TRAPPING_WAT = """(module $m
  (func $inner (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
  (func $outer (export "_start") (drop (call $inner (i32.const 0)))))"""

VALUES_WAT = """(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "triple") (param i64 f32 f64) (result i64 f32 f64)
    (local.get 0) (local.get 1) (local.get 2))
  (func (export "nothing"))
  (global $g (mut i32) (i32.const 0))
  (func (export "_initialize") (global.set $g (i32.const 41)))
  (func (export "initialized") (result i32) (i32.add (global.get $g) (i32.const 1))))"""

PROC_EXIT_WAT = """(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const {code}))))"""


def wat(tmp_path: Path, text: str, name: str = "module.wat") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def wasm_from_wat(tmp_path: Path, text: str, name: str) -> Path:
    path = tmp_path / name
    subprocess.run([find_wasm_tools(), "parse", "-", "-o", str(path)], input=text.encode(),
                   check=True)
    return path


# -- running commands ----------------------------------------------------------------------------

def test_runs_the_bundled_hello_example():
    proc = run_jitwasm("run", EXAMPLES / "hello.wasm")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"Hello, world!\n", b"")


def test_wc_example_counts_stdin():
    proc = run_jitwasm("run", EXAMPLES / "wc.wasm", stdin=b"one two\nthree\n\n  four  \n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [b"4", b"4", b"24"]


def test_dir_maps_a_host_directory_to_a_guest_path(tmp_path):
    (tmp_path / "a.txt").write_text("x y\nz\n")
    proc = run_jitwasm("run", "--dir", f"{tmp_path}::/work", EXAMPLES / "wc.wasm", "/work/a.txt")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [b"2", b"3", b"6", b"/work/a.txt"]


def test_dir_without_guest_path_uses_the_host_path(tmp_path):
    (tmp_path / "a.txt").write_text("word\n")
    proc = run_jitwasm("run", "--dir", tmp_path, EXAMPLES / "wc.wasm", tmp_path / "a.txt")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[:3] == [b"1", b"1", b"5"]


def test_files_outside_the_preopens_are_invisible(tmp_path):
    (tmp_path / "a.txt").write_text("word\n")
    proc = run_jitwasm("run", EXAMPLES / "wc.wasm", tmp_path / "a.txt")
    assert proc.returncode == 1
    assert b"No such file or directory" in proc.stderr or b"not capable" in proc.stderr.lower()


def test_a_missing_dir_is_an_error(tmp_path):
    proc = run_jitwasm("run", "--dir", tmp_path / "missing", EXAMPLES / "hello.wasm")
    assert proc.returncode == 1
    assert b"is not a directory" in proc.stderr


def test_arguments_after_the_file_go_to_the_program_verbatim():
    proc = run_jitwasm("run", "--argv0", "prog", PROGRAMS / "args_env.wasm", "--dir", "-x",
                       "--", "--env=A")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.decode().splitlines()
    assert lines[:6] == ["argc 5", "argv[0] = [prog]", "argv[1] = [--dir]", "argv[2] = [-x]",
                         "argv[3] = [--]", "argv[4] = [--env=A]"]


def test_argv0_defaults_to_the_file_as_given():
    proc = run_jitwasm("run", PROGRAMS / "args_env.wasm")
    assert f"argv[0] = [{PROGRAMS / 'args_env.wasm'}]" in proc.stdout.decode()


def _guest_env(*options, host_env=None) -> list:
    env = dict(os.environ, **(host_env or {}))
    proc = run_jitwasm("run", *options, PROGRAMS / "args_env.wasm", env=env)
    assert proc.returncode == 0, proc.stderr
    return [line[5:-1] for line in proc.stdout.decode().splitlines() if line.startswith("env [")]


def test_guest_environment_is_empty_by_default():
    assert _guest_env(host_env={"JITWASM_T": "host"}) == []


def test_env_sets_variables_and_bare_names_copy_the_hosts():
    assert _guest_env("--env", "A=1", "--env", "B=x=y", "--env", "JITWASM_T",
                      "--env", "JITWASM_UNSET_T", host_env={"JITWASM_T": "host"}) == [
        "A=1", "B=x=y", "JITWASM_T=host"]


def test_inherit_env_passes_the_host_environment_and_env_overrides_it():
    env = _guest_env("--inherit-env", "--env", "JITWASM_T2=guest",
                     host_env={"JITWASM_T": "host", "JITWASM_T2": "host"})
    assert "JITWASM_T=host" in env and "JITWASM_T2=guest" in env
    assert f"PATH={os.environ['PATH']}" in env


# -- exit statuses --------------------------------------------------------------------------------

@pytest.mark.parametrize("code", [0, 1, 7, 125])
def test_exit_status_is_the_proc_exit_code(code):
    proc = run_jitwasm("run", PROGRAMS / "exit_code.wasm", "exit", code)
    assert proc.returncode == code
    assert proc.stdout == f"before exit {code}".encode()


@needs_wasm_tools
@pytest.mark.parametrize("code", [126, 255, 4096])
def test_proc_exit_codes_from_126_are_an_error_as_in_wasmtime(tmp_path, code):
    proc = run_jitwasm("run", wat(tmp_path, PROC_EXIT_WAT.format(code=code)))
    assert proc.returncode == 1
    assert f"exit with invalid exit status outside of [0..126): {code}".encode() in proc.stderr


@needs_wasm_tools
def test_a_trap_exits_134_with_message_and_named_backtrace(tmp_path):
    wasmtime = pytest.importorskip("wasmtime")
    path = wat(tmp_path, TRAPPING_WAT)
    proc = run_jitwasm("run", path)
    assert proc.returncode == TRAP_EXIT_STATUS == 134
    assert proc.stdout == b""
    lines = proc.stderr.decode().splitlines()
    assert lines[0] == f"error: failed to run `{path}`: wasm trap: integer divide by zero"
    assert lines[1] == "wasm backtrace:"
    # The innermost frame, at the offset wasmtime reports for the same module.
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    instance = wasmtime.Instance(store, wasmtime.Module(engine, TRAPPING_WAT), [])
    with pytest.raises(wasmtime.Trap) as trap:
        instance.exports(store)["_start"](store)
    offset = trap.value.frames[0].module_offset
    assert lines[2] == f"    0: {offset:#8x} - m!inner"


def test_a_missing_file_is_an_error(tmp_path):
    proc = run_jitwasm("run", tmp_path / "missing.wasm")
    assert proc.returncode == 1
    assert proc.stderr.startswith(b"error: ") and b"cannot read" in proc.stderr


def test_an_invalid_module_is_an_error_with_its_offset(tmp_path):
    path = tmp_path / "bad.wasm"
    path.write_bytes(b"\0asm\x01\0\0\0\x01\x05\x01\x60")
    proc = run_jitwasm("run", path)
    assert proc.returncode == 1
    assert b"at byte offset 0x" in proc.stderr


@needs_wasm_tools
def test_an_unknown_import_is_an_error(tmp_path):
    path = wat(tmp_path, '(module (import "env" "missing" (func)))')
    proc = run_jitwasm("run", path)
    assert proc.returncode == 1
    assert b"unknown import" in proc.stderr


@needs_wasm_tools
def test_a_module_without_start_runs_nothing(tmp_path):
    proc = run_jitwasm("run", wat(tmp_path, "(module (func (export \"f\")))"))
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b"")


# -- --invoke -------------------------------------------------------------------------------------

@needs_wasm_tools
@pytest.mark.parametrize("args, stdout", [
    (["add", "2", "3"], "5\n"),
    (["add", "0x7fffffff", "1"], "-2147483648\n"),
    (["add", "4294967295", "0"], "-1\n"),
    (["add", "--", "-5", "-6"], None),        # "--" is an argument like any other: 3 given
    (["add", "-5", "-6"], "-11\n"),
    (["triple", "-1", "0.1", "1e20"], "-1\n0.1\n100000000000000000000\n"),
    (["triple", "0xffffffffffffffff", "-0", "nan"], "-1\n-0\nNaN\n"),
    (["triple", "0", "inf", "2.5"], "0\ninf\n2.5\n"),
    (["nothing"], ""),
    (["initialized"], "42\n"),                 # _initialize ran first
])
def test_invoke_parses_arguments_by_type_and_prints_results(tmp_path, args, stdout):
    name, *values = args
    proc = run_jitwasm("run", "--invoke", name, wat(tmp_path, VALUES_WAT), *values)
    if stdout is None:
        assert proc.returncode == 1 and b"3 given" in proc.stderr
    else:
        assert (proc.returncode, proc.stdout.decode()) == (0, stdout), proc.stderr


@needs_wasm_tools
@pytest.mark.parametrize("args, message", [
    (["add", "1"], "add takes 2 argument(s) (i32, i32), 1 given"),
    (["add", "1", "x"], "invalid i32 argument 'x'"),
    (["add", "1", "4294967296"], "invalid i32 argument '4294967296'"),
    (["missing"], "no exported function named 'missing'"),
])
def test_invoke_errors(tmp_path, args, message):
    name, *values = args
    proc = run_jitwasm("run", "--invoke", name, wat(tmp_path, VALUES_WAT), *values)
    assert proc.returncode == 1
    assert proc.stderr.decode() == f"error: {message}\n"


# -- --preload ------------------------------------------------------------------------------------

@needs_wasm_tools
def test_preload_links_another_module_under_a_name(tmp_path):
    lib = wasm_from_wat(tmp_path, """(module
      (global $base (mut i32) (i32.const 0))
      (func (export "_initialize") (global.set $base (i32.const 100)))
      (func (export "offset") (param i32) (result i32)
        (i32.add (global.get $base) (local.get 0))))""", "lib.wasm")
    main = wat(tmp_path, """(module
      (import "lib" "offset" (func $offset (param i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (func (export "_start") (call $exit (i32.sub (call $offset (i32.const 5)) (i32.const 50))))
      (func (export "twice") (param i32) (result i32) (call $offset (call $offset (local.get 0)))))
    """)
    proc = run_jitwasm("run", "--preload", f"lib={lib}", main)
    assert proc.returncode == 55, proc.stderr
    proc = run_jitwasm("run", "--preload", f"lib={lib}", "--invoke", "twice", main, "1")
    assert (proc.returncode, proc.stdout) == (0, b"201\n"), proc.stderr


@needs_wasm_tools
def test_a_trap_names_each_frame_from_its_own_module(tmp_path):
    lib = wasm_from_wat(tmp_path, """(module $lib
      (func $deep (export "deep") (param i32) (result i32)
        (i32.div_u (i32.const 1) (local.get 0))))""", "lib.wasm")
    main = wat(tmp_path, """(module $app
      (import "lib" "deep" (func $deep (param i32) (result i32)))
      (func $run (export "run") (param i32) (result i32) (call $deep (local.get 0))))""")
    proc = run_jitwasm("run", "--preload", f"lib={lib}", "--invoke", "run", main, "0")
    assert proc.returncode == TRAP_EXIT_STATUS
    lines = proc.stderr.decode().splitlines()
    assert lines[0].endswith("wasm trap: integer divide by zero")
    assert lines[1] == "wasm backtrace:"
    assert lines[2].endswith(" - lib!deep") and lines[3].endswith(" - app!run")
    assert len(lines) == 4


@needs_wasm_tools
def test_fuel_and_timeout_stop_a_runaway_program(tmp_path):
    loop = wat(tmp_path, """(module (memory (export "memory") 1)
      (func (export "_start") (loop $l (br $l))))""")
    proc = run_jitwasm("run", "--fuel", "1000", loop)
    assert proc.returncode == TRAP_EXIT_STATUS
    assert b"wasm trap: all fuel consumed by WebAssembly" in proc.stderr
    proc = run_jitwasm("run", "--timeout", "0.2", loop, timeout=60)
    assert proc.returncode == TRAP_EXIT_STATUS and b"wasm trap: interrupt" in proc.stderr
    hello = EXAMPLES / "hello.wasm"          # enough of both: the program runs as usual
    proc = run_jitwasm("run", "--fuel", "100000", "--timeout", "60", hello)
    assert (proc.returncode, proc.stdout) == (0, b"Hello, world!\n"), proc.stderr


@pytest.mark.parametrize("option,value", [("--fuel", "x"), ("--fuel", "-1"), ("--fuel", "1.5"),
                                          ("--timeout", "-2"), ("--timeout", "nan")])
def test_bad_limits_are_errors(option, value):
    proc = run_jitwasm("run", option, value, EXAMPLES / "hello.wasm")
    assert proc.returncode == 1 and proc.stdout == b""
    assert proc.stderr.decode().startswith(f"error: {option} '{value}': expected a non-negative")


@needs_wasm_tools
def test_a_deep_backtrace_prints_the_innermost_frames_and_a_count(tmp_path):
    main = wat(tmp_path, """(module $app
      (func $down (param i32) (result i32)
        (if (result i32) (local.get 0)
          (then (call $down (i32.sub (local.get 0) (i32.const 1))))
          (else (unreachable))))
      (func (export "run") (result i32) (call $down (i32.const 50))))""")
    proc = run_jitwasm("run", "--invoke", "run", main)
    assert proc.returncode == TRAP_EXIT_STATUS
    lines = proc.stderr.decode().splitlines()
    assert lines[1] == "wasm backtrace:" and len(lines) == 2 + 20 + 1
    assert all(line.endswith(" - app!down") for line in lines[2:22])
    assert lines[-1] == "  ... 32 more frames"        # 51 frames of $down and the export


def test_preload_needs_name_and_path():
    proc = run_jitwasm("run", "--preload", "lib", EXAMPLES / "hello.wasm")
    assert proc.returncode == 1 and b"expected NAME=PATH" in proc.stderr


# -- text modules, help, startup -------------------------------------------------------------------

@needs_wasm_tools
def test_runs_a_text_module():
    proc = run_jitwasm("run", EXAMPLES / "hello.wat")
    assert (proc.returncode, proc.stdout) == (0, b"Hello, world!\n"), proc.stderr


def test_help_lists_the_options():
    proc = run_jitwasm("run", "--help")
    assert proc.returncode == 0
    for option in ("--dir", "--env", "--inherit-env", "--invoke", "--preload", "--argv0"):
        assert option.encode() in proc.stdout


# -- value parsing and printing ----------------------------------------------------------------

@pytest.mark.parametrize("kind, text, value", [
    ("i32", "0", 0), ("i32", "-2147483648", -2147483648), ("i32", "2147483648", -2147483648),
    ("i32", "0xFFFFFFFF", -1), ("i32", "-0x10", -16), ("i64", "18446744073709551615", -1),
    ("i64", "-9223372036854775808", -(1 << 63)), ("f32", "1.5", 1.5), ("f64", "-inf", -1e999),
])
def test_parse_value(kind, text, value):
    assert parse_value(kind, text) == value


@pytest.mark.parametrize("kind, text", [
    ("i32", "-2147483649"), ("i32", "4294967296"), ("i64", "1.0"), ("f32", "one"),
    ("externref", "0"), ("i32", ""),
])
def test_parse_value_rejects(kind, text):
    with pytest.raises(RunError):
        parse_value(kind, text)


@pytest.mark.parametrize("value, single, text", [
    (1.0, False, "1"), (-0.0, False, "-0"), (0.5, False, "0.5"), (1e20, False,
                                                                   "100000000000000000000"),
    (1e-7, False, "0.0000001"), (float("nan"), False, "NaN"), (float("-inf"), True, "-inf"),
    (0.10000000149011612, True, "0.1"), (0.1, False, "0.1"), (16777216.0, True, "16777216"),
    (3.4028234663852886e38, True, "340282350000000000000000000000000000000"),
])
def test_format_float_prints_like_rust(value, single, text):
    assert format_float(value, single) == text


def test_format_value_of_references_and_v128():
    assert format_value("funcref", None) == "<null funcref>"
    assert format_value("externref", object()) == "<externref>"
    assert format_value("v128", -1) == str((1 << 128) - 1)


def test_parse_dir_and_build_env(tmp_path, monkeypatch):
    assert parse_dir(f"{tmp_path}::/data") == (str(tmp_path), "/data")
    assert parse_dir(str(tmp_path)) == (str(tmp_path), str(tmp_path))
    for bad in (f"{tmp_path}::", "::/x", str(tmp_path / "none")):
        with pytest.raises(RunError):
            parse_dir(bad)
    monkeypatch.setenv("JITWASM_T", "host")
    assert build_env(["A=", "JITWASM_T"], inherit=False) == {"A": "", "JITWASM_T": "host"}
    with pytest.raises(RunError):
        build_env(["=x"], inherit=False)


def test_an_unknown_option_before_the_file_is_a_usage_error():
    proc = run_jitwasm("run", "--bogus", EXAMPLES / "hello.wasm")
    assert proc.returncode == 2
    assert b"No such option" in proc.stderr


@needs_wasm_tools
def test_ctrl_c_ends_a_program_stuck_in_a_wasm_loop(tmp_path):
    """SIGINT has its default action: Python's handler would wait for a bytecode that never
    comes while machine code loops."""
    import signal
    import time

    from run_cli_support import JITWASM

    path = wat(tmp_path, """(module (import "wasi_snapshot_preview1" "fd_write"
      (func $w (param i32 i32 i32 i32) (result i32))) (memory (export "memory") 1)
      (data (i32.const 0) "\\08\\00\\00\\00\\01\\00\\00\\00.")
      (func (export "_start") (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1)
        (i32.const 16))) (loop $l (br $l))))""")
    proc = subprocess.Popen([*JITWASM, "run", str(path)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.read(1) == b"."        # the guest is running: now in its loop
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == -signal.SIGINT
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@needs_wasm_tools
def test_growth_limits(tmp_path):
    grower = wat(tmp_path, """(module (memory 1) (table 1 funcref)
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
      (func (export "tgrow") (param i32) (result i32)
        (table.grow (ref.null func) (local.get 0))))""")
    proc = run_jitwasm("run", "--invoke", "grow", grower, "3")
    assert (proc.returncode, proc.stdout) == (0, b"1\n"), proc.stderr
    proc = run_jitwasm("run", "--max-memory-size", str(3 * 65536), "--invoke", "grow", grower, "3")
    assert (proc.returncode, proc.stdout) == (0, b"-1\n"), proc.stderr
    proc = run_jitwasm("run", "--max-memory-size", str(4 * 65536), "--invoke", "grow", grower, "3")
    assert (proc.returncode, proc.stdout) == (0, b"1\n"), proc.stderr
    proc = run_jitwasm("run", "--max-table-elements", "10", "--invoke", "tgrow", grower, "10")
    assert (proc.returncode, proc.stdout) == (0, b"-1\n"), proc.stderr
    proc = run_jitwasm("run", "--max-memory-size", "x", grower)
    assert proc.returncode == 1
    assert proc.stderr.decode().startswith(
        "error: --max-memory-size 'x': expected a non-negative number of bytes")


def test_precompiled_modules_run_only_when_allowed(tmp_path):
    compiled = tmp_path / "hello.cwasm"
    proc = run_jitwasm("compile", EXAMPLES / "hello.wasm", "-o", compiled)
    assert proc.returncode == 0, proc.stderr
    proc = run_jitwasm("run", "--allow-precompiled", compiled)
    assert (proc.returncode, proc.stdout) == (0, b"Hello, world!\n"), proc.stderr
    proc = run_jitwasm("run", compiled)
    assert proc.returncode == 1 and proc.stdout == b""
    assert "requires --allow-precompiled" in proc.stderr.decode()
    # Compiled without fuel checks: refused rather than run unmetered.
    proc = run_jitwasm("run", "--allow-precompiled", "--fuel", "1000", compiled)
    assert proc.returncode == 1 and "other compile options" in proc.stderr.decode()
    damaged = bytearray(compiled.read_bytes())
    damaged[-40] ^= 1
    compiled.write_bytes(bytes(damaged))
    proc = run_jitwasm("run", "--allow-precompiled", compiled)
    assert proc.returncode == 1 and "cannot deserialize" in proc.stderr.decode()
