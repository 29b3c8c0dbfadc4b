"""The wasmtime-py-compatible API running compiled code: calls, values, traps, re-entrancy."""

import math

import pytest

from jitwasm import (Engine, Func, FuncType, Instance, Limits, Linker, Module, Store, Table,
                     TableType, Trap, ValType)
from jitwasm.wast.conversion import WASM_TOOLS_HINT, find_wasm_tools

pytestmark = pytest.mark.skipif(find_wasm_tools() is None, reason=WASM_TOOLS_HINT)

i32, i64, f32, f64 = ValType.i32(), ValType.i64(), ValType.f32(), ValType.f64()
externref, funcref = ValType.externref(), ValType.funcref()


def instantiate(wat, imports=(), store=None):
    store = store or Store(Engine())
    instance = Instance(store, Module(store.engine, wat), list(imports))
    return store, instance.exports(store)


def test_numeric_arguments_and_results():
    store, ex = instantiate("""(module
        (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
        (func (export "mul64") (param i64 i64) (result i64) (i64.mul (local.get 0) (local.get 1)))
        (func (export "half") (param f32) (result f32) (f32.mul (local.get 0) (f32.const 0.5)))
        (func (export "sqrt") (param f64) (result f64) (f64.sqrt (local.get 0)))
        (func (export "swap") (param i32 f64) (result f64 i32) (local.get 1) (local.get 0))
        (func (export "nothing")))""")
    assert ex["add"](store, 0x7FFFFFFF, 1) == -(1 << 31)  # i32 results are signed
    assert ex["add"](store, 0xFFFFFFFF, 0) == -1
    assert ex["mul64"](store, 1 << 62, 4) == 0
    assert ex["half"](store, 3.0) == 1.5
    assert ex["sqrt"](store, 2.0) == math.sqrt(2.0)
    assert ex["swap"](store, 7, 2.5) == [2.5, 7]
    assert ex["nothing"](store) is None


def test_v128_crosses_as_an_int():
    store, ex = instantiate("""(module
        (func (export "id") (param v128) (result v128) (local.get 0)))""")
    assert ex["id"](store, (1 << 128) - 2) == (1 << 128) - 2


def test_traps_carry_the_spec_message():
    store, ex = instantiate("""(module (memory 1)
        (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
        (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
        (func (export "boom") unreachable))""")
    with pytest.raises(Trap) as info:
        ex["div"](store, 1, 0)
    assert info.value.message == "integer divide by zero"
    with pytest.raises(Trap, match="out of bounds memory access"):
        ex["load"](store, 65535)
    with pytest.raises(Trap, match="unreachable"):
        ex["boom"](store)
    assert ex["div"](store, -7, 2) == -3  # still usable after traps


def test_host_functions_reenter_wasm_and_exceptions_pass_through():
    store = Store(Engine())
    linker = Linker(store.engine)
    holder = {}

    def host(x):
        if x == 0:
            raise ValueError("host says no")
        return holder["double"](store, x) + 1

    linker.define(store, "env", "host", Func(store, FuncType([i32], [i32]), host))
    module = Module(store.engine, """(module
        (import "env" "host" (func $h (param i32) (result i32)))
        (func (export "double") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
        (func (export "outer") (param i32) (result i32) (call $h (local.get 0))))""")
    ex = linker.instantiate(store, module).exports(store)
    holder["double"] = ex["double"]
    assert ex["outer"](store, 20) == 41
    with pytest.raises(ValueError, match="host says no"):
        ex["outer"](store, 0)
    assert ex["outer"](store, 1) == 3


def test_memory_grown_by_wasm_is_seen_by_python():
    store, ex = instantiate("""(module (memory (export "mem") 1 5)
        (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
        (func (export "size") (result i32) (memory.size))
        (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1))))""")
    mem = ex["mem"]
    assert ex["grow"](store, 2) == 1 and mem.size(store) == 3 and mem.data_len(store) == 3 << 16
    ex["store"](store, 3 * 65536 - 1, 0x5A)
    assert mem.read(store, 3 * 65536 - 1) == bytearray(b"\x5a")
    assert mem.grow(store, 1) == 3 and ex["size"](store) == 4
    assert ex["grow"](store, 2) == -1


def test_funcrefs_and_externrefs_through_tables():
    store = Store(Engine())
    square = Func(store, FuncType([i32], [i32]), lambda x: x * x)
    table = Table(store, TableType(funcref, Limits(2, None)), None)
    module = Module(store.engine, """(module
        (type $t (func (param i32) (result i32)))
        (import "env" "tab" (table 2 funcref))
        (func $inc (export "inc") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
        (elem (i32.const 1) $inc)
        (func (export "call") (param i32 i32) (result i32)
          (call_indirect (type $t) (local.get 1) (local.get 0)))
        (func (export "keep") (param externref) (result externref) (local.get 0)))""")
    ex = Instance(store, module, [table]).exports(store)
    assert ex["call"](store, 1, 41) == 42
    table.set(store, 0, square)
    assert ex["call"](store, 0, 9) == 81
    assert table.get(store, 1)(store, 1) == 2  # a Func read back from the table
    obj = object()
    assert ex["keep"](store, obj) is obj and ex["keep"](store, None) is None


def test_val_arguments_are_accepted_and_checked():
    from jitwasm import Val

    store, ex = instantiate("""(module
        (func (export "sub") (param i64 f64) (result f64)
          (f64.sub (f64.convert_i64_s (local.get 0)) (local.get 1))))""")
    assert ex["sub"](store, Val.i64(10), Val.f64(0.5)) == 9.5
    with pytest.raises(TypeError, match="wrong type of `Val`"):
        ex["sub"](store, Val.i32(10), 0.5)
