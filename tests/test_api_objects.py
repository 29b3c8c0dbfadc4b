"""The wasmtime-py-compatible API on modules without compiled code: types, values, globals,
memories, tables, host functions, linking and its errors."""

import ctypes
import math

import pytest

import jitwasm
from jitwasm import (Engine, Func, FuncType, Global, GlobalType, Instance, Limits, Linker,
                     Memory, MemoryType, Module, Store, Table, TableType, Val, ValType,
                     WasmtimeError)
from jitwasm.errors import LinkError, Trap, ValidationError
from jitwasm.wast.conversion import WASM_TOOLS_HINT, find_wasm_tools

needs_wasm_tools = pytest.mark.skipif(find_wasm_tools() is None, reason=WASM_TOOLS_HINT)

i32, i64, f32, f64 = ValType.i32(), ValType.i64(), ValType.f32(), ValType.f64()
externref, funcref = ValType.externref(), ValType.funcref()


@pytest.fixture
def store():
    return Store(Engine())


def test_import_jitwasm_does_not_load_the_api():
    import subprocess
    import sys

    code = "import sys, jitwasm; print('jitwasm.api' in sys.modules, jitwasm.Store.__module__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "jitwasm.api"]


def test_valtypes_compare_and_print():
    assert ValType.i32() == i32 and i32 != i64
    assert [str(t) for t in (i32, i64, f32, f64, funcref, externref)] == \
        ["i32", "i64", "f32", "f64", "funcref", "externref"]
    ft = FuncType([i32, f64], [externref])
    assert ft.params == [i32, f64] and ft.results == [externref]
    assert ft == FuncType([i32, f64], [externref])
    with pytest.raises(TypeError):
        FuncType([int], [])


def test_val_constructors_normalise_like_wasmtime():
    assert Val.i32(0xFFFFFFFF).value == -1
    assert Val.i64(1 << 63).value == -(1 << 63)
    assert Val.f32(0.1).value == pytest.approx(0.1, rel=1e-7) and Val.f32(0.1).value != 0.1
    assert Val.i32(5) == 5 and Val.i32(5) != Val.i64(5)
    assert Val.ref_null(externref).value is None and Val.ref_null(funcref).type == funcref
    with pytest.raises(TypeError):
        Val.f64(1)
    with pytest.raises(WasmtimeError):
        Val.ref_null(i32)


@pytest.mark.parametrize("valtype, value, expected", [
    (i32, 0xFFFFFFFF, -1), (i64, -5, -5), (f32, 1.5, 1.5), (f64, -0.0, -0.0),
    (f64, math.inf, math.inf), (externref, "some object", "some object"), (externref, None, None),
])
def test_global_values_round_trip(store, valtype, value, expected):
    g = Global(store, GlobalType(valtype, True), value)
    got = g.value(store)
    assert got == expected
    if isinstance(expected, float):
        assert math.copysign(1, got) == math.copysign(1, expected)
    assert g.type(store).content == valtype and g.type(store).mutable


def test_immutable_globals_refuse_set_value(store):
    g = Global(store, GlobalType(i32, False), 3)
    with pytest.raises(WasmtimeError):
        g.set_value(store, 4)
    m = Global(store, GlobalType(f64, True), 1.0)
    m.set_value(store, Val.f64(2.5))
    assert m.value(store) == 2.5
    with pytest.raises(TypeError):
        m.set_value(store, Val.i32(1))


def test_memory_size_grow_read_write(store):
    mem = Memory(store, MemoryType(Limits(1, 3)))
    assert (mem.size(store), mem.data_len(store)) == (1, 65536)
    assert mem.write(store, b"hello", 10) == 5
    assert mem.read(store, 10, 15) == bytearray(b"hello")
    assert mem.read(store, -3) == bytearray(3)
    assert ctypes.string_at(ctypes.addressof(mem.data_ptr(store).contents) + 10, 5) == b"hello"
    assert mem.grow(store, 2) == 1 and mem.size(store) == 3
    assert mem.type(store).limits == Limits(3, 3)
    with pytest.raises(WasmtimeError):
        mem.grow(store, 1)
    with pytest.raises(IndexError):
        mem.write(store, b"xy", 3 * 65536 - 1)
    assert bytes(mem.get_buffer_ptr(store, 5, 10)) == b"hello"


def test_table_of_externrefs(store):
    table = Table(store, TableType(externref, Limits(2, 4)), "init")
    assert table.size(store) == 2 and table.get(store, 1) == "init"
    obj = object()
    table.set(store, 0, obj)
    assert table.get(store, 0) is obj
    assert table.grow(store, 2, None) == 2 and table.get(store, 3) is None
    assert table.get(store, 4) is None  # out of bounds: None, as wasmtime-py
    with pytest.raises(WasmtimeError):
        table.grow(store, 1, None)
    with pytest.raises(WasmtimeError):
        table.set(store, 4, obj)


def test_host_func_called_from_python_crosses_the_native_stub(store):
    seen = []

    def host(a, b, c, r):
        seen.append((a, b, c, r))
        return [a + 1, r]

    f = Func(store, FuncType([i32, i64, f32, externref], [i64, externref]), host)
    obj = {"key": 1}
    assert f(store, 0xFFFFFFFF, -2, 0.5, obj) == [0, obj]
    assert seen == [(-1, -2, 0.5, obj)]
    assert f.type(store).results == [i64, externref]
    with pytest.raises(WasmtimeError, match="too few parameters"):
        f(store, 1)


def test_host_exceptions_and_traps_propagate(store):
    def fails():
        raise KeyError("from host")

    with pytest.raises(KeyError, match="from host"):
        Func(store, FuncType([], []), fails)(store)

    def traps():
        raise Trap("custom trap")

    with pytest.raises(Trap, match="custom trap"):
        Func(store, FuncType([], [i32]), traps)(store)


@needs_wasm_tools
def test_module_reports_imports_and_exports():
    module = Module(Engine(), """(module
        (import "env" "f" (func (param i32) (result i64)))
        (import "env" "m" (memory 1 2))
        (global (export "g") (mut f32) (f32.const 1))
        (table (export "t") 2 externref)
        (export "f" (func 0)))""")
    imports = [(i.module, i.name, type(i.type).__name__) for i in module.imports]
    assert imports == [("env", "f", "FuncType"), ("env", "m", "MemoryType")]
    assert module.imports[1].type.limits == Limits(1, 2)
    exports = {e.name: e.type for e in module.exports}
    assert exports["g"].content == f32 and exports["g"].mutable
    assert exports["t"].element == externref and exports["f"].params == [i32]


def test_module_rejects_invalid_binaries():
    with pytest.raises(WasmtimeError):
        Module(Engine(), b"\0asm\x02\0\0\0")
    with pytest.raises(ValidationError):
        # () -> i32 whose body is `i64.const 0`
        Module.validate(Engine(), b"\0asm\x01\0\0\0\x01\x05\x01\x60\x00\x01\x7f"
                        b"\x03\x02\x01\x00\x0a\x06\x01\x04\x00\x42\x00\x0b")


@needs_wasm_tools
def test_instance_exports_by_name_index_and_get(store):
    module = Module(store.engine, """(module (import "h" "f" (func $f (param i32) (result i32)))
        (global (export "g") i32 (i32.const 7)) (memory (export "m") 1)
        (export "f" (func $f)))""")
    f = Func(store, FuncType([i32], [i32]), lambda x: x * 3)
    exports = Instance(store, module, [f]).exports(store)
    assert list(exports) == ["g", "m", "f"] and len(exports) == 3
    assert exports["g"].value(store) == 7 and exports[0].value(store) == 7
    assert exports.by_index[2](store, 5) == 15
    assert exports.get("missing") is None
    assert isinstance(exports["m"], Memory)


@needs_wasm_tools
def test_linker_define_func_instantiate_and_caller(store):
    module = Module(store.engine, """(module
        (import "env" "probe" (func $p (param externref) (result externref)))
        (memory (export "memory") 1) (data (i32.const 0) "hi")
        (export "probe" (func $p)))""")
    linker = Linker(store.engine)
    seen = []

    def probe(caller, ref):
        seen.append(caller["memory"].read(caller, 0, 2))
        return [ref]

    linker.define_func("env", "probe", FuncType([externref], [externref]), probe,
                       access_caller=True)
    instance = linker.instantiate(store, module)
    obj = object()
    assert instance.exports(store)["probe"](store, obj) == [obj]
    assert seen == [bytearray(b"hi")]
    with pytest.raises(LinkError, match="already defined"):
        linker.define_func("env", "probe", FuncType([], []), lambda: None)
    linker.allow_shadowing = True
    linker.define_instance(store, "inst", instance)
    assert isinstance(linker.get(store, "inst", "memory"), Memory)


@needs_wasm_tools
def test_link_errors_name_the_import(store):
    module = Module(store.engine, '(module (import "env" "g" (global (mut i32))))')
    linker = Linker(store.engine)
    with pytest.raises(LinkError, match="^unknown import 'env' 'g'"):
        linker.instantiate(store, module)
    linker.define(store, "env", "g", Global(store, GlobalType(i32, False), 1))
    with pytest.raises(LinkError, match="^incompatible import type for 'env' 'g'"):
        linker.instantiate(store, module)
    with pytest.raises(LinkError):
        Instance(store, module, [])
    assert issubclass(LinkError, WasmtimeError) and jitwasm.ExitTrap is jitwasm.WasiExit


@needs_wasm_tools
def test_import_limits_use_the_current_size(store):
    module = Module(store.engine, '(module (import "env" "m" (memory 2 4)))')
    mem = Memory(store, MemoryType(Limits(1, 4)))
    with pytest.raises(LinkError, match="incompatible import type"):
        Instance(store, module, [mem])
    mem.grow(store, 1)
    Instance(store, module, [mem])  # now 2 pages: matches
    unbounded = Memory(store, MemoryType(Limits(2, None)))
    with pytest.raises(LinkError, match="incompatible import type"):
        Instance(store, module, [unbounded])
