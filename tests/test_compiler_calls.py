"""Calls in the baseline compiler: the Wasm calling convention (register and stack parameters
and results, multi-value), argument placement by parallel moves (cycles included), spilling
across calls, call_indirect and its traps, calls into other instances and host functions."""

import pytest

from compiler_harness import host, run, trap_message
from jitwasm.backend_x64 import masm
from jitwasm.binary.types import F64, I64
from jitwasm.runtime.store import Store


def test_many_parameters_and_results_of_both_classes():
    """20 parameters (10 i64, 10 f64: beyond the 6 + 8 argument registers) and 6 results."""
    params = " ".join(["i64 f64"] * 10)
    e = run(f"""(module
      (func $f (param {params}) (result i64 f64 i64 f64 i64 i32)
        (i64.add (local.get 0) (local.get 18))
        (f64.add (local.get 1) (local.get 19))
        (local.get 16) (local.get 17)
        (i64.mul (local.get 2) (local.get 4))
        (i32.wrap_i64 (local.get 14)))
      (func (export "call") (param i64 f64) (result i64 f64 i64 f64 i64 i32)
        {" ".join(f"(i64.add (local.get 0) (i64.const {i})) (f64.add (local.get 1) (f64.const {i}))"
                  for i in range(10))}
        (call $f))
      (func (export "direct") (param {params}) (result i64 f64 i64 f64 i64 i32)
        {" ".join(f"(local.get {i})" for i in range(20))} (call $f)))""")
    got = e.call(100, 0.5)
    assert got == (100 + 109, 0.5 + 9.5, 108, 8.5, 101 * 102, 107)
    args = []
    for i in range(10):
        args += [1000 + i, i / 4]
    assert e.direct(*args) == (1000 + 1009, 0 + 9 / 4, 1008, 8 / 4, 1001 * 1002, 1007)


def test_register_arguments_in_a_cycle_are_swapped():
    e = run("""(module
      (func $sub (param i32 i32) (result i32) (i32.sub (local.get 0) (local.get 1)))
      (func (export "f") (param i32 i32) (result i32)
        (i32.add (local.get 0) (i32.const 1000))          ;; rbx: spilled at the call
        (i32.add (local.get 0) (i32.const 0))             ;; rsi, the first argument (-> rdi)
        (i32.add (local.get 1) (i32.const 0))             ;; rdi, the second (-> rsi)
        (call $sub)
        (i32.add)))""")
    assert e.f(50, 8) == 1050 + 42


def test_values_live_across_calls_are_spilled_and_reloaded():
    """More live values than registers, of both classes, around calls."""
    ints = " ".join(f"(i64.add (local.get 0) (i64.const {i}))" for i in range(14))
    floats = " ".join(f"(f64.add (local.get 1) (f64.const {i}))" for i in range(17))
    e = run(f"""(module
      (func $clobber (param i64) (result i64) (i64.mul (local.get 0) (i64.const 3)))
      (func (export "f") (param i64 f64) (result i64 f64)
        {ints}
        (call $clobber (local.get 0))
        {"(i64.add) " * 14}
        {floats}
        (f64.convert_i64_s (call $clobber (local.get 0)))
        {"(f64.add) " * 17}))""")
    expected_int = sum(7 + i for i in range(14)) + 21
    expected_float = sum(0.25 + i for i in range(17)) + 21.0
    assert e.f(7, 0.25) == (expected_int, expected_float)


def test_call_indirect_and_its_traps():
    e = run("""(module
      (type $ii (func (param i32) (result i32)))
      (type $v (func))
      (table 4 funcref)
      (elem (i32.const 0) $double $triple $nothing)
      (func $double (type $ii) (i32.mul (local.get 0) (i32.const 2)))
      (func $triple (type $ii) (i32.mul (local.get 0) (i32.const 3)))
      (func $nothing (type $v))
      (func (export "call") (param i32 i32) (result i32)
        (call_indirect (type $ii) (local.get 1) (local.get 0)))
      (func (export "call_reg") (param i32 i32) (result i32)
        (call_indirect (type $ii) (local.get 1) (i32.add (local.get 0) (i32.const 0))))
      (func (export "call_const") (param i32) (result i32)
        (call_indirect (type $ii) (local.get 0) (i32.const 1))))""")
    assert e.call(0, 21) == 42
    assert e.call(1, 21) == 63
    assert e.call_reg(1, 5) == 15
    assert e.call_const(5) == 15
    assert trap_message(e.call, 2, 0) == "indirect call type mismatch"
    assert trap_message(e.call, 3, 0) == "uninitialized element"
    assert trap_message(e.call, 4, 0) == "undefined element"
    assert trap_message(e.call_reg, -1, 0) == "undefined element"


def test_calls_into_another_instance_switch_memory_and_back():
    store = Store()
    a = run("""(module (memory 1) (data (i32.const 0) "\\2a")
      (func (export "read") (param i32) (result i32) (i32.add (i32.load8_u (i32.const 0)) (local.get 0))))""",
            store=store)
    b = run("""(module (import "a" "read" (func $read (param i32) (result i32)))
      (memory 1) (data (i32.const 0) "\\07")
      (table 1 funcref) (elem (i32.const 0) $read)
      (func (export "f") (result i32)
        (i32.add (call $read (i32.const 100)) (i32.load8_u (i32.const 0))))
      (func (export "g") (result i32)
        (i32.add (call_indirect (param i32) (result i32) (i32.const 1000) (i32.const 0))
                 (i32.load8_u (i32.const 0)))))""",
            imports=[a.instance.exports["read"]], store=store)
    assert b.f() == 42 + 100 + 7
    assert b.g() == 42 + 1000 + 7


def test_host_function_imports():
    seen = []

    def log(x, y):
        seen.append((x, y))
        return x * 2, y + 0.5

    def boom():
        raise KeyError("from host")

    e = run("""(module
      (import "env" "log" (func $log (param i64 f64) (result i64 f64)))
      (import "env" "boom" (func $boom))
      (func (export "f") (param i64) (result i64 f64)
        (call $log (local.get 0) (f64.const 1.5)))
      (func (export "g") (call $boom)))""",
            imports=[host((I64, F64), (I64, F64), log), host((), (), boom)])
    assert e.f(21) == (42, 2.0)
    assert seen == [(21, 1.5)]
    with pytest.raises(KeyError):
        e.g()


class _MoveRecorder:
    """Stands in for the Assembler: records register moves."""

    def __init__(self):
        self.moves = []

    def mov_rr(self, size, dst, src):
        self.moves.append((dst, src))

    def movaps_xx(self, dst, src):
        self.moves.append((dst, src))


@pytest.mark.parametrize("xmm", [False, True])
def test_parallel_move_resolves_chains_and_cycles(xmm):
    import itertools
    import random

    rng = random.Random(1)
    regs = list(range(11))
    scratch = masm.XSCRATCH if xmm else masm.SCRATCH
    for _ in range(300):
        n = rng.randint(1, 8)
        dsts = rng.sample(regs, n)
        moves = {d: rng.choice(regs) for d in dsts}
        if rng.random() < 0.5:  # a permutation: every destination is also a source
            moves = dict(zip(dsts, rng.sample(dsts, n)))
        rec = _MoveRecorder()
        masm.parallel_move(rec, moves, xmm)
        state = {r: ("v", r) for r in itertools.chain(regs, [scratch])}
        for dst, src in rec.moves:
            state[dst] = state[src]
        for dst, src in moves.items():
            assert state[dst] == ("v", src), (moves, rec.moves)
        for r in regs:
            if r not in moves:
                assert state[r] == ("v", r)
