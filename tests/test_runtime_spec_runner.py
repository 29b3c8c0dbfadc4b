"""The spec runner's execution commands, on small scripts (end to end through wasm-tools)."""

import pytest

from jitwasm.wast import WastRunner
from jitwasm.wast.conversion import WASM_TOOLS_HINT, find_wasm_tools
from jitwasm.wast.runner import EXECUTION_PENDING

pytestmark = pytest.mark.skipif(find_wasm_tools() is None, reason=WASM_TOOLS_HINT)


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JITWASM_CACHE_DIR", str(tmp_path / "cache"))


def run(tmp_path, text, name="script.wast", timeout=None):
    path = tmp_path / name
    path.write_text(text)
    return WastRunner(timeout=timeout).run_file(path)


def outcome(result):
    return (result.passed, [f.headline() for f in result.failures], dict(result.skips))


SPECTEST_AND_REGISTER = """\
(module $a
  (global $i32 (import "spectest" "global_i32") i32) (global (export "g32") i32 (global.get $i32)))
"""


def test_spectest_globals_get_and_register(tmp_path):
    script = """\
(module $A
  (import "spectest" "global_i32" (global $gi i32))
  (import "spectest" "global_f32" (global $gf f32))
  (import "spectest" "global_f64" (global $gd f64))
  (import "spectest" "table" (table 10 20 funcref))
  (import "spectest" "memory" (memory 1 2))
  (import "spectest" "print_i32" (func (param i32)))
  (global (export "i") i32 (global.get $gi))
  (global (export "f") f32 (global.get $gf))
  (global (export "d") f64 (global.get $gd))
  (global (export "m") (mut i64) (i64.const -1)))
(assert_return (get "i") (i32.const 666))
(assert_return (get "f") (f32.const 666.6))
(assert_return (get $A "d") (f64.const 666.6))
(assert_return (get "m") (i64.const -1))
(register "A" $A)
(module $B (import "A" "m" (global (mut i64))) (global (export "b") i32 (i32.const 2)))
(assert_return (get $B "b") (i32.const 2))
(assert_return (get $A "i") (i32.const 666))
(assert_unlinkable (module (import "A" "i" (global (mut i32)))) "incompatible import type")
(assert_unlinkable (module (import "A" "nope" (func))) "unknown import")
(assert_unlinkable (module (import "spectest" "memory" (memory 3))) "incompatible import type")
"""
    assert outcome(run(tmp_path, script)) == (12, [], {})


def test_failed_assertions_are_reported(tmp_path):
    script = """\
(module (global (export "x") f32 (f32.const nan:0x200000)) (global (export "y") i32 (i32.const 1)))
(assert_return (get "x") (f32.const nan:canonical))
(assert_return (get "x") (f32.const nan:arithmetic))
(assert_return (get "y") (i32.const 2))
(assert_unlinkable (module (global i32 (i32.const 0))) "unknown import")
"""
    passed, failures, skips = outcome(run(tmp_path, script))
    assert passed == 1 and skips == {} and len(failures) == 4
    assert failures[0].endswith("expected [f32:nan:canonical]; got [f32:0x7fa00000]")
    assert failures[1].endswith("expected [f32:nan:arithmetic]; got [f32:0x7fa00000]")
    assert failures[2].endswith("expected [i32:2]; got [i32:0x1]")
    assert failures[3].endswith("expected unknown import; got the module was instantiated")


def test_uninstantiable_modules_keep_earlier_segment_writes(tmp_path):
    script = """\
(module $M (memory (export "mem") 1) (table (export "tab") 2 externref)
  (global (export "g") (mut i32) (i32.const 0)))
(register "M" $M)
(assert_trap
  (module (import "M" "mem" (memory 1)) (import "M" "tab" (table 2 externref))
    (elem (table 0) (i32.const 1) externref (ref.null extern))
    (data (i32.const 0) "a") (data (i32.const 65536) "b"))
  "out of bounds memory access")
(assert_trap (module (table 1 externref) (elem (i32.const 2) externref))
  "out of bounds table access")
(assert_trap (module (memory 0) (data (i32.const 1) "")) "out of bounds memory access")
(assert_trap (module (memory 0) (data (i32.const 0) "")) "out of bounds memory access")
"""
    passed, failures, skips = outcome(run(tmp_path, script))
    assert (passed, skips) == (5, {})
    # The last module instantiates (an empty segment at the end is in bounds): one failure.
    assert failures == [f"{tmp_path / 'script.wast'}:12: assert_uninstantiable: expected "
                        "out of bounds memory access; got the module was instantiated"]


def test_quoted_modules_run_from_the_binary_wasm_tools_made(tmp_path):
    script = """\
(module quote "(global (export \\"x\\") i32 (i32.const 1))")
(assert_return (get "x") (i32.const 1))
(assert_malformed (module quote "(global i32)") "unexpected token")
"""
    passed, failures, skips = outcome(run(tmp_path, script))
    assert (passed, failures, skips) == (2, [], {"text format": 1})


def test_a_script_runs_in_a_child_process_by_default(tmp_path):
    result = run(tmp_path, SPECTEST_AND_REGISTER, timeout=60)
    assert outcome(result) == (1, [], {})


def test_pending_reason_names_execution():
    assert EXECUTION_PENDING == "execution not yet implemented"


def test_invoke_traps_exhaustion_and_cross_module_calls(tmp_path):
    script = """\
(module $M
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "pair") (param i64 f64) (result f64 i64) (local.get 1) (local.get 0))
  (func (export "nan") (result f32) (f32.const nan:0x200000))
  (func (export "div") (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
  (func $loop (export "deep") (call $loop))
  (func (export "ref") (param externref) (result externref) (local.get 0))
  (global $g (export "count") (mut i32) (i32.const 0))
  (func (export "bump") (global.set $g (i32.add (global.get $g) (i32.const 1)))))
(assert_return (invoke "add" (i32.const -1) (i32.const 2)) (i32.const 1))
(assert_return (invoke "pair" (i64.const -5) (f64.const -0)) (f64.const -0) (i64.const -5))
(assert_return (invoke "nan") (f32.const nan:0x200000))
(assert_return (invoke "ref" (ref.extern 0)) (ref.extern 0))
(assert_return (invoke "ref" (ref.null extern)) (ref.null extern))
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer divide by zero")
(assert_exhaustion (invoke "deep") "call stack exhausted")
(invoke "bump")
(assert_return (get "count") (i32.const 1))
(register "M" $M)
(module
  (import "M" "add" (func $add (param i32 i32) (result i32)))
  (func (export "inc") (param i32) (result i32) (call $add (local.get 0) (i32.const 1))))
(assert_return (invoke "inc" (i32.const 41)) (i32.const 42))
(assert_return (invoke $M "add" (i32.const 1) (i32.const 1)) (i32.const 2))
(assert_trap (invoke "inc" (i32.const 0)) "unreachable")
(assert_return (invoke "add" (i32.const 0) (i32.const 0)) (i32.const 0))
"""
    passed, failures, skips = outcome(run(tmp_path, script))
    assert skips == {} and passed == 14
    assert [f.split(": ", 1)[1] for f in failures] == [
        "assert_trap: expected unreachable; got returned [0x1]",
        "assert_return: expected [i32:0]; got LookupError: no exported function 'add'",
    ]


def test_start_traps_make_modules_uninstantiable(tmp_path):
    script = """\
(assert_trap (module (func $s unreachable) (start $s)) "unreachable")
(assert_trap (module (func $s (drop (i32.load (i32.const 0)))) (memory 0) (start $s))
  "out of bounds memory access")
"""
    assert outcome(run(tmp_path, script)) == (2, [], {})


def test_a_hanging_script_times_out_at_its_command(tmp_path):
    script = """\
(module (func (export "spin") (loop (br 0))) (func (export "ok") (result i32) (i32.const 1)))
(assert_return (invoke "ok") (i32.const 1))
(invoke "spin")
"""
    result = run(tmp_path, script, timeout=3)
    assert [f.headline() for f in result.failures] == [
        f"{tmp_path / 'script.wast'}:3: script: expected the script to finish; "
        "got timed out after 3 s"]


SIMD_MODULES = """\
(module (func (export "one") (result i32) (i32.const 1)))
(assert_return (invoke "one") (i32.const 1))
(module (func (export "lane") (result i32) (i32x4.extract_lane 0 (v128.const i32x4 7 0 0 0))))
(assert_return (invoke "lane") (i32.const 7))
"""


def test_simd_modules_are_pending_only_in_simd_scripts(tmp_path):
    simd = outcome(run(tmp_path, SIMD_MODULES, name="i32x4_simd.wast"))
    other = outcome(run(tmp_path, SIMD_MODULES, name="plain.wast"))
    if simd[2] == {}:  # the compiler does SIMD: both run
        assert simd == other == (4, [], {})
        return
    assert simd == (2, [], {EXECUTION_PENDING: 2})
    assert other[0] == 2 and len(other[1]) == 2 and "NotSupported" in other[1][0]
