"""The value stack and register allocator of the baseline compiler: register pressure and
spilling, lazy local reads invalidated by writes, local.tee forms, pending comparisons
(materialised or consumed), select, globals, and the reference/table instructions."""

import pytest

from compiler_harness import run, signed, trap_message
from jitwasm.binary.types import FUNCREF, Limits, TableType
from jitwasm.runtime.store import Store
from jitwasm.runtime.table import Table


@pytest.mark.parametrize("t", ["i32", "i64", "f32", "f64"])
def test_more_live_values_than_registers(t):
    """40 live values: the bottom-most register entries are spilled as the pool runs dry."""
    n = 40
    pushes = " ".join(f"({t}.add (local.get 0) ({t}.const {i}))" for i in range(n))
    e = run(f"""(module (func (export "f") (param {t}) (result {t})
      {pushes} {f"({t}.sub) " * (n - 1)}))""")
    # v0 - (v1 - (v2 - ...)): alternating sum
    x = 3
    values = [x + i for i in range(n)]
    acc = values[-1]
    for v in reversed(values[:-1]):
        acc = v - acc
    assert e.f(x) == acc


def test_local_write_materialises_pending_reads():
    e = run("""(module
      (func (export "set") (param i32) (result i32)
        (local.get 0) (local.get 0)
        (local.set 0 (i32.const 5))
        (i32.sub) (local.get 0) (i32.add))
      (func (export "tee_local") (param i32 i32) (result i32)
        (local.get 0)
        (local.tee 0 (local.get 1))   ;; the tee'd value is a read of local 1
        (local.set 1 (i32.const 100))  ;; ... which must not follow local 1 now
        (i32.sub) (local.get 0) (i32.add))
      (func (export "tee_kinds") (param i32) (result i32) (local i32 i32 i32)
        (local.tee 1 (i32.const 7))
        (local.tee 2 (i32.add (local.get 0) (i32.const 1)))
        (local.get 0) (block (param i32) (result i32) (local.tee 3))
        (i32.add) (i32.add)
        (i32.add (i32.add (local.get 1) (local.get 2)) (local.get 3))
        (i32.add))
      (func (export "set_same") (param i32) (result i32)
        (local.set 0 (local.get 0)) (local.tee 0 (local.get 0))))""")
    assert e.set(10) == 10 - 10 + 5
    assert e.tee_local(3, 9) == 3 - 9 + 9
    assert e.tee_kinds(5) == (7 + 6 + 5) * 2
    assert e.set_same(4) == 4


def test_comparison_results_as_values():
    e = run("""(module
      (func $id (param i32) (result i32) (local.get 0))
      (func (export "f") (param i32 i32) (result i32) (local i32)
        (local.set 2 (i32.lt_s (local.get 0) (local.get 1)))
        (i32.add (local.get 2) (i32.mul (i32.gt_u (local.get 0) (local.get 1)) (i32.const 10)))
        (call $id (i64.eq (i64.extend_i32_s (local.get 0)) (i64.const -1)))
        (i32.add)
        (drop (i32.ne (local.get 0) (local.get 1)))
        (i32.add (i32.eqz (i32.eqz (i32.le_u (local.get 0) (local.get 1)))) (i32.const 100))
        (i32.add)))""")
    assert e.f(1, 2) == 1 + 0 + 0 + 101
    assert e.f(-1, 2) == 1 + 10 + 1 + 100
    assert e.f(5, 5) == 0 + 0 + 0 + 101


@pytest.mark.parametrize("t", ["i32", "i64", "f32", "f64"])
def test_select_operand_placements(t):
    e = run(f"""(module
      (func (export "locals") (param {t} {t} i32) (result {t})
        (select (local.get 0) (local.get 1) (local.get 2)))
      (func (export "regs") (param {t} {t} i32) (result {t})
        (select ({t}.add (local.get 0) ({t}.const 0)) ({t}.add (local.get 1) ({t}.const 0))
                (i32.add (local.get 2) (i32.const 0))))
      (func (export "consts") (param i32) (result {t})
        (select ({t}.const 11) ({t}.const 22) (local.get 0)))
      (func (export "stack") (param {t} {t} i32) (result {t})
        (local.get 0) (local.get 1) (local.get 2)
        (block (param {t} {t} i32) (result {t}) (select))))""")
    for c in (0, 1, -1, 2**31 - 1):
        for variant in ("locals", "regs", "stack"):
            assert getattr(e, variant)(3, 4, c) == (3 if c else 4), (variant, c)
        assert e.consts(c) == (11 if c else 22)


def test_globals_mutable_immutable_and_imported():
    store = Store()
    a = run("""(module
      (global (export "g") (mut i64) (i64.const -5))
      (func (export "get") (result i64) (global.get 0)))""", store=store)
    e = run("""(module
      (import "a" "g" (global $imp (mut i64)))
      (global $c i32 (i32.const 42))
      (global $m (mut i32) (i32.const 1))
      (global $f (mut f32) (f32.const 1.5))
      (func (export "f") (param i32) (result i32)
        (global.set $m (i32.add (global.get $m) (local.get 0)))
        (global.set $imp (i64.mul (global.get $imp) (i64.const 2)))
        (global.set $f (f32.add (global.get $f) (f32.const 1)))
        (i32.add (global.get $c) (global.get $m)))
      (func (export "fl") (result f32) (global.get $f))
      (func (export "setc") (global.set $m (i32.const 1000)) (global.set $imp (i64.const 0x123456789))))""",
            imports=[a.instance.exports["g"]], store=store)
    assert e.f(1) == 44
    assert e.f(2) == 46
    assert a.get() == -20
    assert e.fl() == 3.5
    e.setc()
    assert a.get() == 0x123456789
    assert e.f(0) == 1042


def test_reference_and_table_instructions():
    e = run("""(module
      (type $v (func (result i32)))
      (table $t 2 10 funcref)
      (table $x 3 externref)
      (elem $seg func $one $two)
      (elem declare func $two)
      (func $one (result i32) (i32.const 1))
      (func $two (result i32) (i32.const 2))
      (func (export "init") (table.init $t $seg (i32.const 0) (i32.const 0) (i32.const 2)))
      (func (export "drop") (elem.drop $seg))
      (func (export "call") (param i32) (result i32) (call_indirect $t (type $v) (local.get 0)))
      (func (export "size") (result i32) (table.size $t))
      (func (export "grow") (param i32) (result i32) (table.grow $t (ref.func $two) (local.get 0)))
      (func (export "is_null") (param i32) (result i32) (ref.is_null (table.get $t (local.get 0))))
      (func (export "set_null") (param i32) (table.set $t (local.get 0) (ref.null func)))
      (func (export "set_two") (param i32) (table.set $t (local.get 0) (ref.func $two)))
      (func (export "copy") (param i32 i32 i32) (table.copy $t $t (local.get 0) (local.get 1) (local.get 2)))
      (func (export "fill") (param i32 i32) (table.fill $t (local.get 0) (ref.func $one) (local.get 1)))
      (func (export "ext_set") (param i32 externref) (table.set $x (local.get 0) (local.get 1)))
      (func (export "ext_get") (param i32) (result externref) (table.get $x (local.get 0)))
      (func (export "ext_null") (param externref) (result i32) (ref.is_null (local.get 0))))""")
    assert e.is_null(0) == 1
    assert trap_message(e.call, 0) == "uninitialized element"
    e.init()
    assert (e.call(0), e.call(1)) == (1, 2)
    assert e.size() == 2
    assert e.grow(3) == 2
    assert e.size() == 5
    assert e.call(4) == 2
    assert e.grow(100) == -1
    e.set_null(1)
    assert e.is_null(1) == 1
    assert trap_message(e.call, 1) == "uninitialized element"
    e.set_two(0)
    e.copy(1, 0, 2)  # [two, null, ...] -> [two, two, null, ...]
    assert (e.call(1), e.is_null(2)) == (2, 1)
    e.fill(3, 2)
    assert (e.call(3), e.call(4)) == (1, 1)
    assert trap_message(e.is_null, 5) == "out of bounds table access"
    assert trap_message(e.set_null, 5) == "out of bounds table access"
    assert trap_message(e.fill, 4, 2) == "out of bounds table access"
    e.drop()
    assert trap_message(e.init) == "out of bounds table access"
    e.ext_set(1, 1234)
    assert e.ext_get(1) == 1234
    assert e.ext_get(0) == 0
    assert e.ext_null(0) == 1
    assert e.ext_null(77) == 0
    assert trap_message(e.ext_get, 3) == "out of bounds table access"


def test_imported_table_grown_by_another_instance_is_reloaded():
    store = Store()
    table = Table(TableType(FUNCREF, Limits(1, None)))
    e = run("""(module (import "x" "t" (table 1 funcref))
      (func (export "size") (result i32) (table.size 0))
      (func (export "null") (param i32) (result i32) (ref.is_null (table.get 0 (local.get 0)))))""",
            imports=[table], store=store)
    assert e.size() == 1
    table.grow(1000, 0)
    assert e.size() == 1001
    assert e.null(1000) == 1


def test_local_cache_survives_only_where_it_is_valid():
    """Locals cached in registers (parameters arrive cached in their argument registers;
    local.set/tee and reads cache values): instructions that claim fixed registers, calls,
    and control-flow merges must not read stale registers."""
    e = run("""(module (memory 1)
      (func $id (param i32) (result i32) (local.get 0))
      ;; params cached in rdi, rsi, rdx, rcx: division claims rax/rdx, the shift rcx,
      ;; memory.copy rdi/rsi/rcx/rax; each parameter is read again afterwards
      (func (export "fixed") (param i32 i32 i32 i32) (result i32)
        (i32.div_u (local.get 0) (i32.const 3))
        (i32.shl (local.get 1) (local.get 3))
        (memory.copy (local.get 0) (local.get 1) (local.get 2))
        (i32.add)
        (i32.add (local.get 0))
        (i32.add (local.get 1))
        (i32.add (local.get 2))
        (i32.add (local.get 3)))
      (func (export "call") (param i32) (result i32) (local i32)
        (local.set 1 (i32.mul (local.get 0) (i32.const 3)))
        (drop (call $id (i32.const 99)))
        (i32.add (local.get 1) (local.get 0)))
      (func (export "branches") (param i32) (result i32) (local i32)
        (local.set 1 (i32.const 5))
        (if (local.get 0)
          (then (local.set 1 (i32.add (local.get 1) (i32.const 10))))
          (else (local.set 1 (i32.add (local.get 1) (i32.const 20)))))
        (local.get 1))
      (func (export "loop") (param i32) (result i32) (local i32 i32)
        (loop
          (local.set 1 (i32.add (local.get 1) (local.get 0)))
          (local.set 2 (i32.add (local.get 2) (i32.const 1)))
          (br_if 0 (i32.lt_u (local.get 2) (i32.const 10))))
        (local.get 1))
      (func (export "br_if") (param i32) (result i32) (local i32)
        (block (result i32)
          (local.set 1 (i32.add (local.get 0) (i32.const 1)))
          (drop (br_if 0 (local.get 1) (local.get 0)))
          (local.set 1 (i32.const 100))
          (local.get 1)))
      (func (export "retyped") (param i64) (result i32) (local f32)
        (local.set 0 (i64.add (local.get 0) (i64.const 0x100000000)))
        (i32.wrap_i64 (local.get 0))
        (i32.reinterpret_f32 (local.tee 1 (f32.convert_i32_s (i32.const 3))))
        (i32.add)
        (i32.reinterpret_f32 (local.get 1))
        (i32.add)
        (i32.wrap_i64 (i64.shr_u (local.get 0) (i64.const 32)))
        (i32.add))
      (func (export "pressure") (param i32) (result i32) (local i32 i32 i32 i32 i32 i32 i32 i32)
        (local.set 1 (i32.add (local.get 0) (i32.const 1)))
        (local.set 2 (i32.add (local.get 0) (i32.const 2)))
        (local.set 3 (i32.add (local.get 0) (i32.const 3)))
        (local.set 4 (i32.add (local.get 0) (i32.const 4)))
        (local.set 5 (i32.add (local.get 0) (i32.const 5)))
        (local.set 6 (i32.add (local.get 0) (i32.const 6)))
        (local.set 7 (i32.add (local.get 0) (i32.const 7)))
        (local.set 8 (i32.add (local.get 0) (i32.const 8)))
        (i32.add (local.get 1) (i32.const 0)) (i32.add (local.get 2) (i32.const 0))
        (i32.add (local.get 3) (i32.const 0)) (i32.add (local.get 4) (i32.const 0))
        (i32.add (local.get 5) (i32.const 0)) (i32.add (local.get 6) (i32.const 0))
        (i32.add (local.get 7) (i32.const 0)) (i32.add (local.get 8) (i32.const 0))
        (i32.add) (i32.add) (i32.add) (i32.add) (i32.add) (i32.add) (i32.add)
        (i32.add (local.get 1)) (i32.add (local.get 8))))""")
    e.instance.memories[0].write(0, bytes(range(64)))
    assert e.fixed(10, 20, 4, 2) == 10 // 3 + (20 << 2) + 10 + 20 + 4 + 2
    assert e.instance.memories[0].read(10, 4) == bytes([20, 21, 22, 23])
    assert e.call(7) == 28
    assert (e.branches(1), e.branches(0)) == (15, 25)
    assert e.loop(3) == 30
    assert (e.br_if(1), e.br_if(0)) == (2, 100)
    assert e.retyped(7) == signed(7 + 2 * 0x40400000 + 1, 32)
    assert e.pressure(10) == sum(10 + i for i in range(1, 9)) + 11 + 18


def test_deep_value_stacks_with_calls_blocks_and_register_pressure():
    """Thousands of live values (constants, registers, spilled slots, pending local reads)
    under calls, blocks and a local write: results stay right and compile time stays linear
    (the scans of the stack are bounded)."""
    n = 3000
    e = run(f"""(module
      (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
      (func (export "f") (param i32) (result i32)
        {"(i32.add (local.get 0) (i32.const 1)) (i32.const 1) " * n}
        {"(drop (call $inc (local.get 0))) (block) " * 50}
        {"(local.get 0) " * 1000} (local.set 0 (i32.const 5))
        {"(i32.add) " * (2 * n + 999)} (local.get 0) (i32.add)))""")
    assert e.f(2) == 3 * n + n + 1000 * 2 + 5



def test_used_mask_tables_follow_the_allocation_order():
    """alloc_gpr's tables, indexed by the mask of used GPRs: the lowest unused register in
    GPR_ORDER, the mask with it taken, and GCLEAR's release of any register."""
    from jitwasm.compiler.values import (ALL_GPRS, FREE_COUNT, GBIT, GCLEAR, GPR_ORDER,
                                         LOWEST_FREE, WITH_LOWEST_FREE)
    for used in range(ALL_GPRS):
        first = next(i for i in range(len(GPR_ORDER)) if not used >> i & 1)
        assert LOWEST_FREE[used] == GPR_ORDER[first]
        assert WITH_LOWEST_FREE[used] == used | 1 << first
        assert FREE_COUNT[used] == len(GPR_ORDER) - bin(used).count("1")
    assert LOWEST_FREE[ALL_GPRS] == -1 and FREE_COUNT[ALL_GPRS] == 0
    for reg in range(16):
        assert ALL_GPRS & GCLEAR[reg] == ALL_GPRS ^ GBIT[reg]
