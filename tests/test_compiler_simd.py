"""v128 values in compiled code: locals, parameters and results (registers and stack), blocks,
calls, globals, select, memory (guard region and explicit bounds), spills under register
pressure, fused any_true/all_true, and traps of v128 memory accesses.

v128 values cross the runtime as Python ints (lane 0 in the low bits).
"""

import pytest
from compiler_harness import compile_with_explicit_bounds, host, run, trap_message

from jitwasm.binary.types import I32, V128

OOB = "out of bounds memory access"
MASK128 = (1 << 128) - 1


def v(*lanes, bits=32) -> int:
    """The v128 int with the given lanes (lane 0 first)."""
    out = 0
    for i, lane in enumerate(lanes):
        out |= (lane & ((1 << bits) - 1)) << (bits * i)
    return out


def lanes_of(value: int, bits=32) -> list:
    return [(value >> (bits * i)) & ((1 << bits) - 1) for i in range(128 // bits)]


A = v(1, 2, 3, 4)
B = v(0x10, 0x20, 0x30, 0x40)
BIG = 0xFEDCBA9876543210_0123456789ABCDEF


def test_locals_params_results_and_constants():
    e = run("""(module
      (func (export "id") (param v128) (result v128) (local.get 0))
      (func (export "add") (param v128 v128) (result v128) (i32x4.add (local.get 0) (local.get 1)))
      (func (export "zero_local") (result v128) (local v128) (local.get 0))
      (func (export "copy") (param v128) (result v128) (local v128 v128)
        (local.set 1 (local.get 0)) (local.set 2 (local.get 1)) (local.get 2))
      (func (export "tee") (param v128) (result v128) (local v128)
        (i64x2.add (local.tee 1 (local.get 0)) (local.get 1)))
      (func (export "consts") (result v128 v128 v128)
        (v128.const i32x4 0 0 0 0) (v128.const i32x4 -1 -1 -1 -1)
        (v128.const i64x2 0x0123456789ABCDEF 0xFEDCBA9876543210)))""")
    assert e.id(BIG) == BIG
    assert e.id(MASK128) == MASK128
    assert e.add(A, B) == v(0x11, 0x22, 0x33, 0x44)
    assert e.add(v(-1, 0, 0, 0), v(1, 0, 0, 0)) == 0  # lanes do not carry
    assert e.zero_local() == 0
    assert e.copy(BIG) == BIG
    assert e.tee(v(1, 2, bits=64)) == v(2, 4, bits=64)
    assert e.consts() == (0, MASK128, BIG)


def test_many_parameters_and_results_go_through_the_stack():
    """9+ float-class parameters: the rest (16 bytes each) on the stack, mixed with scalars;
    several v128 results: all but the first on the stack."""
    params = " ".join(["v128"] * 10)
    e = run(f"""(module
      (func $sum (param {params} i64 f64 v128) (result v128)
        (local $i i32) (local $acc v128)
        {"".join(f"(local.set $acc (i32x4.add (local.get $acc) (local.get {i})))" for i in range(10))}
        (i32x4.add (local.get $acc) (local.get 12))
        (i64x2.splat (local.get 10)) (i64x2.add)
        (f64x2.splat (local.get 11)) (i64x2.add))
      (func (export "sum") (param {params} i64 f64 v128) (result v128)
        {"".join(f"(local.get {i})" for i in range(13))} (call $sum))
      (func $three (param v128) (result v128 i32 v128 v128)
        (local.get 0) (i32.const 7) (i8x16.neg (local.get 0)) (v128.not (local.get 0)))
      (func (export "three") (param v128) (result v128 i32 v128 v128) (call $three (local.get 0))))""")
    vectors = [v(i, 10 * i, 100 * i, 1000 * i) for i in range(1, 11)]
    total = [sum(lanes_of(x)[k] for x in vectors) + k for k in range(4)]
    got = e.sum(*vectors, 5, 0.0, v(0, 1, 2, 3))
    assert got == v(*[(t + 5) & 0xFFFFFFFF for t in total[:1]], total[1], total[2] + 5,
                    total[3])
    x = v(1, 2, 3, 4, bits=8)
    neg = v(*[-b for b in lanes_of(x, 8)], bits=8)
    assert e.three(x) == (x, 7, neg, x ^ MASK128)


def test_blocks_loops_ifs_and_branches_carry_v128():
    e = run("""(module
      (type $vv (func (param v128) (result v128)))
      (func (export "block") (param v128 i32) (result v128)
        (local.get 0)
        (block $b (param v128) (result v128)
          (br_if $b (local.get 1))
          (i32x4.add (v128.const i32x4 1 1 1 1)))
        (block (type $vv) (br_if 0 (local.get 1)) (br 0)))
      (func (export "if") (param v128 i32) (result v128)
        (local.get 0)
        (if (type $vv) (local.get 1)
          (then (i32x4.mul (v128.const i32x4 2 2 2 2)))
          (else (i32x4.sub (v128.const i32x4 1 1 1 1)))))
      (func (export "loop") (param v128 i32) (result v128)
        (local.get 0)
        (loop $l (param v128) (result v128)
          (i32x4.add (v128.const i32x4 1 2 3 4))
          (local.tee 1 (i32.sub (local.get 1) (i32.const 1)))
          (br_if $l)))
      (func (export "table") (param v128 i32) (result v128)
        (block $a (result v128) (block $b (result v128)
          (local.get 0) (local.get 1) (br_table $a $b $a))
          (i8x16.abs))))""")
    for b in (0, 1):
        assert e.block(A, b) == (A if b else v(2, 3, 4, 5))
    if_ = getattr(e, "if")
    assert if_(A, 1) == v(2, 4, 6, 8)
    assert if_(A, 0) == v(0, 1, 2, 3)
    assert e.loop(0, 3) == v(3, 6, 9, 12)
    neg = v(-1, -2, -3, -4, bits=8)
    assert e.table(neg, 0) == neg
    assert e.table(neg, 1) == v(1, 2, 3, 4, bits=8)
    assert e.table(neg, 7) == neg


def test_calls_indirect_calls_and_host_functions():
    seen = []

    def double(x):
        seen.append(x)
        return (x << 1) & MASK128

    e = run("""(module
      (import "env" "double" (func $double (param v128) (result v128)))
      (type $vv (func (param v128) (result v128)))
      (table 2 funcref) (elem (i32.const 0) $inc $double)
      (func $inc (type $vv) (i64x2.add (local.get 0) (v128.const i64x2 1 1)))
      (func (export "direct") (param v128) (result v128) (call $inc (call $inc (local.get 0))))
      (func (export "indirect") (param v128 i32) (result v128)
        (call_indirect (type $vv) (local.get 0) (local.get 1)))
      (func (export "live_across_call") (param v128) (result v128)
        (i64x2.sub (i64x2.add (local.get 0) (v128.const i64x2 5 6)) (call $inc (local.get 0)))))""",
            [host((V128,), (V128,), double)])
    x = v(10, 20, bits=64)
    assert e.direct(x) == v(12, 22, bits=64)
    assert e.indirect(x, 0) == v(11, 21, bits=64)
    assert e.indirect(BIG, 1) == (BIG << 1) & MASK128
    assert seen == [BIG]
    assert e.live_across_call(x) == v(4, 5, bits=64)


def test_globals_and_select():
    e = run("""(module
      (global $g (mut v128) (v128.const i32x4 1 2 3 4))
      (global $k v128 (v128.const i64x2 -1 7))
      (func (export "get") (result v128) (global.get $g))
      (func (export "set") (param v128) (global.set $g (local.get 0)))
      (func (export "set_const") (global.set $g (v128.const i32x4 9 8 7 6)))
      (func (export "k") (result v128) (global.get $k))
      (func (export "select") (param v128 v128 i32) (result v128)
        (select (local.get 0) (local.get 1) (local.get 2)))
      (func (export "select_t") (param v128 i32) (result v128)
        (select (result v128) (local.get 0) (v128.const i32x4 5 5 5 5) (local.get 1)))
      (func (export "select_const") (param v128 v128) (result v128 v128)
        (select (local.get 0) (local.get 1) (i32.const 1))
        (select (local.get 0) (local.get 1) (i32.const 0))))""")
    assert e.get() == A
    e.set(BIG)
    assert e.get() == BIG
    e.set_const()
    assert e.get() == v(9, 8, 7, 6)
    assert e.k() == v(-1, 7, bits=64)
    assert e.select(A, B, 1) == A and e.select(A, B, 0) == B
    assert e.select_t(A, 3) == A and e.select_t(A, 0) == v(5, 5, 5, 5)
    assert e.select_const(A, B) == (A, B)


def test_any_true_and_all_true_fused_and_as_values():
    e = run("""(module
      (func (export "br_if") (param v128) (result i32)
        (block (br_if 0 (v128.any_true (local.get 0))) (return (i32.const 0))) (i32.const 1))
      (func (export "if") (param v128) (result i32)
        (if (result i32) (i32x4.all_true (local.get 0)) (then (i32.const 1)) (else (i32.const 0))))
      (func (export "select") (param v128) (result i32)
        (select (i32.const 10) (i32.const 20) (i8x16.all_true (local.get 0))))
      (func (export "eqz") (param v128) (result i32) (i32.eqz (v128.any_true (local.get 0))))
      (func (export "value") (param v128) (result i32 i32)
        (i16x8.all_true (local.get 0)) (v128.any_true (local.get 0))))""")
    assert e.br_if(0) == 0 and e.br_if(1 << 127) == 1
    if_ = getattr(e, "if")
    assert if_(v(1, 1, 1, 1)) == 1 and if_(v(1, 0, 1, 1)) == 0
    assert e.select(MASK128) == 10 and e.select(v(1, 2, 3, 4)) == 20
    assert e.eqz(0) == 1 and e.eqz(1) == 0
    assert e.value(v(1, 2, 3, 4, 5, 6, 7, 8, bits=16)) == (1, 1)
    assert e.value(0) == (0, 0)


def test_shifts_by_constants_and_variables():
    e = run("""(module
      (func (export "shl8") (param v128 i32) (result v128) (i8x16.shl (local.get 0) (local.get 1)))
      (func (export "shl8c") (param v128) (result v128) (i8x16.shl (local.get 0) (i32.const 9)))
      (func (export "shr_s64") (param v128 i32) (result v128)
        (i64x2.shr_s (local.get 0) (local.get 1)))
      (func (export "shr_u32c") (param v128) (result v128) (i32x4.shr_u (local.get 0) (i32.const 33))))""")
    x = v(0x81, 0x01, 0xFF, 0x40, bits=8)
    assert lanes_of(e.shl8(x, 1), 8)[:4] == [0x02, 0x02, 0xFE, 0x80]
    assert e.shl8c(x) == e.shl8(x, 1)
    assert e.shr_s64(v(-256, 256, bits=64), 68) == v(-16, 16, bits=64)
    assert e.shr_u32c(v(8, -1, 2, 3)) == v(4, 0x7FFFFFFF, 1, 1)


def test_register_pressure_spills_v128_values():
    """More live v128 values than XMM registers: the bottom ones are spilled to 16-byte slots
    and reloaded; an f64 and an i64 in between keep their own slots intact."""
    n = 24
    pushes = "".join(f"(i32x4.add (local.get 0) (v128.const i32x4 {i} {2 * i} {3 * i} {4 * i}))"
                     for i in range(n))
    adds = "(i32x4.add)" * (n - 1)
    e = run(f"""(module
      (func (export "pressure") (param v128 f64 i64) (result v128 f64 i64)
        (local.get 1) (local.get 2) {pushes} {adds}
        (f64.add (local.get 1) (f64.const 0.5))
        (i64.add (local.get 2) (i64.const 1))
        (return)))""")
    got = e.pressure(A, 1.25, 1 << 40)
    total = sum(range(n))
    expect = v(*[n * a + total * k for a, k in zip((1, 2, 3, 4), (1, 2, 3, 4))])
    assert got[0] == expect
    assert got[1] == 1.75 and got[2] == (1 << 40) + 1


def test_many_locals_are_zeroed_and_keep_16_bytes():
    decls = " ".join(["v128"] * 12) + " i64 i64 f32"
    sets = "".join(f"(local.set {i} (i64x2.splat (i64.const {i + 1})))" for i in range(1, 13))
    e = run(f"""(module
      (func $dirty (param i64) (result i64) (local {decls})
        {sets} (local.set 13 (local.get 0)) (local.get 13))
      (func (export "fresh") (param i64) (result v128 i64)
        (local {decls}) (drop (call $dirty (local.get 0)))
        (v128.or (local.get 5) (local.get 12)) (i64.or (local.get 13) (local.get 14)))
      (func (export "wide") (param i64) (result v128) (local {decls})
        {sets} (local.set 13 (local.get 0))
        (i64x2.add (local.get 12) (i64x2.splat (local.get 13)))))""")
    assert e.fresh(-1) == (0, 0)
    assert e.wide(100) == v(113, 113, bits=64)


def test_memory_loads_stores_lanes_and_splats():
    e = run("""(module (memory 1)
      (func (export "load") (param i32) (result v128) (v128.load offset=3 (local.get 0)))
      (func (export "store") (param i32 v128) (v128.store offset=1 (local.get 0) (local.get 1)))
      (func (export "store_lane") (param i32 v128) (v128.store16_lane 3 (local.get 0) (local.get 1)))
      (func (export "load_lane") (param i32 v128) (result v128)
        (v128.load32_lane 2 (local.get 0) (local.get 1)))
      (func (export "splat") (param i32) (result v128) (v128.load16_splat (local.get 0)))
      (func (export "extend") (param i32) (result v128) (v128.load8x8_s (local.get 0)))
      (func (export "const_addr") (result v128) (v128.load (i32.const 16))))""")
    data = bytes(range(1, 65))
    e.memory.write(0, data)
    assert e.load(0) == int.from_bytes(data[3:19], "little")
    assert e.const_addr() == int.from_bytes(data[16:32], "little")
    e.store(100, BIG)
    assert e.memory.read(101, 16) == BIG.to_bytes(16, "little")
    e.store_lane(200, v(0, 0, 0, 0xBEEF, bits=16))
    assert e.memory.read(199, 4) == b"\x00\xef\xbe\x00"
    assert e.load_lane(4, 0) == v(0, 0, int.from_bytes(data[4:8], "little"), 0)
    assert e.splat(0) == v(*[0x0201] * 8, bits=16)
    e.memory.write(300, b"\x80\x7f")
    assert lanes_of(e.extend(300), 16)[:2] == [0xFF80, 0x7F]


def _oob_checks(e):
    assert e.load(65536 - 19) == 0
    assert trap_message(e.load, 65536 - 18) == OOB
    assert trap_message(e.load, 0xFFFFFFFF) == OOB
    e.store(65536 - 17, BIG)
    assert trap_message(e.store, 65536 - 16, BIG) == OOB
    assert e.memory.read(65536 - 16, 16) == BIG.to_bytes(16, "little")  # the store left it
    assert trap_message(e.lane, 65536 - 2) == OOB
    assert e.lane(65536 - 4) == int.from_bytes(BIG.to_bytes(16, "little")[12:], "little")
    assert trap_message(e.splat, 65536 - 7) == OOB


OOB_MODULE = """(module (memory 1)
  (func (export "load") (param i32) (result v128) (v128.load offset=3 (local.get 0)))
  (func (export "store") (param i32 v128) (v128.store offset=1 (local.get 0) (local.get 1)))
  (func (export "lane") (param i32) (result v128)
    (v128.load32_lane 0 (local.get 0) (v128.const i64x2 0 0)))
  (func (export "splat") (param i32) (result v128) (v128.load64_splat (local.get 0))))"""


def test_out_of_bounds_v128_accesses_trap():
    _oob_checks(run(OOB_MODULE))


@pytest.fixture
def explicit_bounds(monkeypatch):
    compile_with_explicit_bounds(monkeypatch)


@pytest.mark.usefixtures("explicit_bounds")
def test_out_of_bounds_v128_accesses_trap_with_explicit_bounds():
    e = run(OOB_MODULE)
    assert e.instance.module.compiled.explicit_bounds
    _oob_checks(e)


def test_functions_without_v128_keep_8_byte_slots():
    from jitwasm.binary.decoder import decode_module
    from jitwasm.compiler.simd import slot_size

    wasm_plain = __import__("compiler_harness").wat(
        "(module (func (param i32) (result i32) (local.get 0)))")
    info = decode_module(wasm_plain)
    assert info.types[0].params == (I32,)

    class Compiler:
        v128_in_module = False
        data = info.data  # the module bytes (FunctionCompiler.data)

    assert slot_size(Compiler, (I32,), info.codes[0]) == 8
    Compiler.v128_in_module = True
    assert slot_size(Compiler, (I32,), info.codes[0]) == 16


def test_simd_code_generator_loads_on_first_use():
    """The compiler imports the SIMD handlers and emitters only when it meets a 0xFD
    instruction (import time of every run); the first one installs them and compiles."""
    import subprocess
    import sys

    script = """
import sys
from compiler_harness import run, wat
from jitwasm.binary.decoder import decode_module
from jitwasm.compiler import compile_module
from jitwasm.validation import validate_module
simd = ("jitwasm.compiler.simd_handlers", "jitwasm.backend_x64.masm_simd")
info = decode_module(wat('(module (func (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))'))
validate_module(info)
compile_module(info)
print([m in sys.modules for m in simd])
e = run('(module (func (export "f") (param v128 v128) (result v128) (i32x4.add (local.get 0) (local.get 1))))')
print([m in sys.modules for m in simd], e.f(1 | 2 << 32, 3 | 4 << 32) == 4 | 6 << 32)
"""
    tests_dir = __import__("os").path.dirname(__file__)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, cwd=tests_dir).stdout.split("\n")
    assert out[0] == "[False, False]"
    assert out[1] == "[True, True] True"
