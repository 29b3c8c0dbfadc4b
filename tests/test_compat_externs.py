"""Compatibility suite (same bodies on wasmtime-py and jitwasm): Memory, Table and Global, made
by the host and exported by Wasm."""

import ctypes
import math

import pytest

from test_compat_engines import api, engine, instantiate, store  # noqa: F401 (fixtures)


# ---- Memory -----------------------------------------------------------------------------------

def test_memory_read_write_grow(api, store):
    mem = api.Memory(store, api.MemoryType(api.Limits(1, 3)))
    assert (mem.size(store), mem.data_len(store)) == (1, 65536)
    assert mem.type(store).limits.max == 3
    assert mem.page_size(store) == 65536 and mem.page_size_log2(store) == 16
    assert mem.write(store, b"hello", 10) == 5
    assert mem.write(store, bytearray(b"!"), -1) == 1
    assert mem.read(store, 10, 15) == bytearray(b"hello")
    assert mem.read(store, -3) == bytearray(b"\0\0!")
    assert mem.read(store, 20, 10) == bytearray()
    base = ctypes.addressof(mem.data_ptr(store).contents)
    assert ctypes.string_at(base + 10, 5) == b"hello"
    assert bytes(mem.get_buffer_ptr(store, 5, 10)) == b"hello"
    assert len(mem.get_buffer_ptr(store)) == 65536
    assert mem.grow(store, 2) == 1 and mem.size(store) == 3 and mem.data_len(store) == 3 << 16
    with pytest.raises(api.WasmtimeError):
        mem.grow(store, 1)
    with pytest.raises(api.WasmtimeError):
        mem.grow(store, -1)
    with pytest.raises(IndexError):
        mem.write(store, b"xy", 3 * 65536 - 1)
    with pytest.raises(IndexError):
        mem.write(store, b"x", 3 * 65536)


def test_memory_shared_with_wasm(api, store):
    ex = instantiate(api, store, """(module (memory (export "mem") 1 5)
        (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
        (func (export "size") (result i32) (memory.size))
        (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
        (func (export "store8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1))))""")
    mem = ex["mem"]
    mem.write(store, b"\x2a", 100)
    assert ex["load8"](store, 100) == 42
    assert ex["grow"](store, 2) == 1 and mem.size(store) == 3 and mem.data_len(store) == 3 << 16
    ex["store8"](store, 3 * 65536 - 1, 0x5A)
    assert mem.read(store, 3 * 65536 - 1) == bytearray(b"\x5a")
    assert mem.grow(store, 1) == 3 and ex["size"](store) == 4
    assert ex["grow"](store, 2) == -1


def test_memory_import_matches_current_size(api, store):
    module = api.Module(store.engine, '(module (import "env" "m" (memory 2 4)))')
    mem = api.Memory(store, api.MemoryType(api.Limits(1, 4)))
    with pytest.raises(api.WasmtimeError):
        api.Instance(store, module, [mem])
    mem.grow(store, 1)
    api.Instance(store, module, [mem])
    unbounded = api.Memory(store, api.MemoryType(api.Limits(2, None)))
    with pytest.raises(api.WasmtimeError):
        api.Instance(store, module, [unbounded])


# ---- Table ------------------------------------------------------------------------------------

def test_table_of_externrefs(api, store):
    table = api.Table(store, api.TableType(api.ValType.externref(), api.Limits(2, 4)), "init")
    assert table.size(store) == 2 and table.get(store, 1) == "init"
    assert table.type(store).element == api.ValType.externref()
    assert table.type(store).limits.max == 4
    obj = object()
    table.set(store, 0, obj)
    assert table.get(store, 0) is obj
    assert table.grow(store, 2, None) == 2 and table.size(store) == 4
    assert table.get(store, 3) == None  # noqa: E711 (wasmtime-py returns a Val equal to None)
    assert table.get(store, 4) is None
    with pytest.raises(api.WasmtimeError):
        table.grow(store, 1, None)
    with pytest.raises(api.WasmtimeError):
        table.set(store, 4, obj)


def test_table_of_funcrefs_used_by_wasm(api, store):
    i32 = api.ValType.i32()
    square = api.Func(store, api.FuncType([i32], [i32]), lambda x: x * x)
    table = api.Table(store, api.TableType(api.ValType.funcref(), api.Limits(2, None)), None)
    module = api.Module(store.engine, """(module
        (type $t (func (param i32) (result i32)))
        (import "env" "tab" (table 2 funcref))
        (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
        (elem (i32.const 1) $inc)
        (func (export "call") (param i32 i32) (result i32)
          (call_indirect (type $t) (local.get 1) (local.get 0))))""")
    call = api.Instance(store, module, [table]).exports(store)["call"]
    assert call(store, 1, 41) == 42
    assert table.get(store, 0) == None  # noqa: E711
    table.set(store, 0, square)
    assert call(store, 0, 9) == 81
    inc = table.get(store, 1)
    assert isinstance(inc, api.Func) and inc(store, 1) == 2
    assert table.grow(store, 1, square) == 2 and call(store, 2, 5) == 25
    with pytest.raises(api.Trap):
        call(store, 3, 0)
    with pytest.raises(TypeError):
        table.set(store, 0, "not a function")


# ---- Global -----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, value, expected", [
    ("i32", 0xFFFFFFFF, -1), ("i64", -5, -5), ("f32", 1.5, 1.5), ("f64", -0.0, -0.0),
    ("f64", math.inf, math.inf), ("externref", "some object", "some object"),
])
def test_global_values_round_trip(api, store, kind, value, expected):
    valtype = getattr(api.ValType, kind)()
    g = api.Global(store, api.GlobalType(valtype, True), value)
    got = g.value(store)
    assert got == expected
    if isinstance(expected, float):
        assert math.copysign(1, got) == math.copysign(1, expected)
    assert g.type(store).content == valtype and g.type(store).mutable


def test_global_null_reference(api, store):
    g = api.Global(store, api.GlobalType(api.ValType.externref(), True), None)
    assert g.value(store) == None  # noqa: E711 (wasmtime-py returns a Val equal to None)
    g.set_value(store, "now set")
    assert g.value(store) == "now set"


def test_global_mutability_and_types(api, store):
    i32, f64 = api.ValType.i32(), api.ValType.f64()
    const = api.Global(store, api.GlobalType(i32, False), 3)
    with pytest.raises(api.WasmtimeError):
        const.set_value(store, 4)
    assert const.value(store) == 3
    var = api.Global(store, api.GlobalType(f64, True), 1.0)
    var.set_value(store, api.Val.f64(2.5))
    assert var.value(store) == 2.5
    with pytest.raises(TypeError):
        var.set_value(store, api.Val.i32(1))
    with pytest.raises(TypeError):
        var.set_value(store, "x")
    with pytest.raises(TypeError):
        api.Global(store, i32, 1)


def test_globals_shared_with_wasm(api, store):
    i32 = api.ValType.i32()
    g = api.Global(store, api.GlobalType(i32, True), 10)
    module = api.Module(store.engine, """(module (import "env" "g" (global $g (mut i32)))
        (global (export "own") (mut i64) (i64.const 7))
        (func (export "bump") (global.set $g (i32.add (global.get $g) (i32.const 1))))
        (func (export "own_value") (result i64) (global.get 1)))""")
    ex = api.Instance(store, module, [g]).exports(store)
    ex["bump"](store)
    assert g.value(store) == 11
    ex["own"].set_value(store, -1)
    assert ex["own_value"](store) == -1
    immutable = api.Global(store, api.GlobalType(i32, False), 1)
    with pytest.raises(api.WasmtimeError):
        api.Instance(store, module, [immutable])
