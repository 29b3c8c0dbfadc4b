"""Compatibility suite (same bodies on wasmtime-py and jitwasm): Linker and InstancePre."""

import pytest

from test_compat_engines import api, engine, store  # noqa: F401 (fixtures)

USES_ENV = """(module
  (import "env" "add" (func $add (param i32 i32) (result i32)))
  (import "env" "base" (global $base i32))
  (func (export "run") (param i32) (result i32) (call $add (local.get 0) (global.get $base))))"""

PROVIDER = """(module
  (global (export "counter") (mut i32) (i32.const 0))
  (func (export "next") (result i32)
    (global.set 0 (i32.add (global.get 0) (i32.const 1))) (global.get 0)))"""


def test_define_and_define_func(api, store):
    i32 = api.ValType.i32()
    linker = api.Linker(store.engine)
    linker.define_func("env", "add", api.FuncType([i32, i32], [i32]), lambda a, b: a + b)
    linker.define(store, "env", "base", api.Global(store, api.GlobalType(i32, False), 100))
    instance = linker.instantiate(store, api.Module(store.engine, USES_ENV))
    assert isinstance(instance, api.Instance)
    assert instance.exports(store)["run"](store, 5) == 105
    assert isinstance(linker.get(store, "env", "base"), api.Global)
    assert isinstance(linker.get(store, "env", "add"), api.Func)
    with pytest.raises(api.WasmtimeError, match="item not defined in linker"):
        linker.get(store, "env", "missing")


def test_define_func_serves_several_stores(api, engine):
    i32 = api.ValType.i32()
    linker = api.Linker(engine)
    seen = []

    def add(caller, a, b):
        seen.append(caller.get("memory") is not None)
        return a + b

    linker.define_func("env", "add", api.FuncType([i32, i32], [i32]), add, access_caller=True)
    module = api.Module(engine, USES_ENV)
    for base in (1, 2):
        store = api.Store(engine)
        linker.allow_shadowing = True
        linker.define(store, "env", "base", api.Global(store, api.GlobalType(i32, False), base))
        assert linker.instantiate(store, module).exports(store)["run"](store, 10) == 10 + base
    assert seen == [False, False]


def test_unknown_and_mismatched_imports(api, store):
    i32 = api.ValType.i32()
    linker = api.Linker(store.engine)
    module = api.Module(store.engine, USES_ENV)
    with pytest.raises(api.WasmtimeError, match="unknown import"):
        linker.instantiate(store, module)
    linker.define_func("env", "add", api.FuncType([i32], [i32]), lambda a: a)
    linker.define(store, "env", "base", api.Global(store, api.GlobalType(i32, False), 0))
    with pytest.raises(api.WasmtimeError, match="incompatible import type"):
        linker.instantiate(store, module)


def test_shadowing(api, store):
    i32 = api.ValType.i32()
    linker = api.Linker(store.engine)
    unit = api.FuncType([], [i32])
    linker.define_func("m", "f", unit, lambda: 1)
    with pytest.raises(api.WasmtimeError):
        linker.define_func("m", "f", unit, lambda: 2)
    with pytest.raises(api.WasmtimeError):
        linker.define(store, "m", "f", api.Func(store, unit, lambda: 2))
    linker.allow_shadowing = True
    linker.define_func("m", "f", unit, lambda: 3)
    assert linker.get(store, "m", "f")(store) == 3


def test_define_instance(api, store):
    linker = api.Linker(store.engine)
    provider = linker.instantiate(store, api.Module(store.engine, PROVIDER))
    linker.define_instance(store, "provider", provider)
    user = api.Module(store.engine, """(module (import "provider" "next" (func $n (result i32)))
        (import "provider" "counter" (global (mut i32)))
        (func (export "twice") (result i32) (drop (call $n)) (call $n)))""")
    assert linker.instantiate(store, user).exports(store)["twice"](store) == 2
    assert linker.get(store, "provider", "counter").value(store) == 2
    with pytest.raises(TypeError):
        linker.define_instance(store, "x", "not an instance")


def test_define_module_reactor_is_instantiated_once(api, store):
    linker = api.Linker(store.engine)
    reactor = api.Module(store.engine, """(module (global $g (mut i32) (i32.const 0))
        (func (export "_initialize") (global.set $g (i32.const 10)))
        (func (export "next") (result i32)
          (global.set $g (i32.add (global.get $g) (i32.const 1))) (global.get $g)))""")
    linker.define_module(store, "reactor", reactor)
    next_ = linker.get(store, "reactor", "next")
    assert (next_(store), next_(store)) == (11, 12)


def test_define_module_command_gets_a_fresh_instance_per_call(api, store):
    linker = api.Linker(store.engine)
    command = api.Module(store.engine, """(module (global $g (mut i32) (i32.const 0))
        (memory (export "memory") 1)
        (func (export "_start") (global.set $g (i32.const 100)))
        (func (export "next") (param i32) (result i32)
          (global.set $g (i32.add (global.get $g) (local.get 0))) (global.get $g)))""")
    linker.define_module(store, "cmd", command)
    next_ = linker.get(store, "cmd", "next")
    assert (next_(store, 5), next_(store, 5)) == (5, 5)
    assert linker.get_default(store, "cmd")(store) is None
    with pytest.raises(api.WasmtimeError):
        linker.get(store, "cmd", "memory")  # a command's memory is not linkable
    bad = api.Module(store.engine, """(module (global (export "g") i32 (i32.const 0))
        (func (export "_start")))""")
    with pytest.raises(api.WasmtimeError):
        linker.define_module(store, "bad", bad)


def test_get_default(api, store):
    linker = api.Linker(store.engine)
    module = api.Module(store.engine, """(module
        (func (export "") (result i32) (i32.const 5))
        (func (export "f") (result i32) (i32.const 7)))""")
    linker.define_instance(store, "mod", linker.instantiate(store, module))
    assert linker.get_default(store, "mod")(store) == 5
    nothing = linker.get_default(store, "undefined module")
    assert nothing(store) is None and nothing.type(store).params == []


def test_instantiate_pre(api, engine):
    i32 = api.ValType.i32()
    linker = api.Linker(engine)
    linker.define_func("provider", "next", api.FuncType([], [i32]), lambda: 41)
    linker.define_func("provider", "counter", api.FuncType([], []), lambda: None)
    module = api.Module(engine, """(module (import "provider" "next" (func $n (result i32)))
        (func (export "run") (result i32) (i32.add (call $n) (i32.const 1))))""")
    pre = linker.instantiate_pre(module)
    assert isinstance(pre.module, api.Module)
    for _ in range(2):
        store = api.Store(engine)
        assert pre.instantiate(store).exports(store)["run"](store) == 42
    with pytest.raises(api.WasmtimeError):
        api.Linker(engine).instantiate_pre(module)


def test_unknown_imports_as_traps(api, store):
    linker = api.Linker(store.engine)
    module = api.Module(store.engine, """(module
        (import "a" "f" (func $f (param i32) (result i32)))
        (func (export "call") (param i32) (result i32) (call $f (local.get 0)))
        (func (export "ok") (result i32) (i32.const 1)))""")
    linker.define_unknown_imports_as_traps(module)
    ex = linker.instantiate(store, module).exports(store)
    assert ex["ok"](store) == 1
    with pytest.raises(api.WasmtimeError, match="unknown import: `a::f` has not been defined"):
        ex["call"](store, 1)


def test_unknown_imports_as_default_values(api, store):
    linker = api.Linker(store.engine)
    module = api.Module(store.engine, """(module
        (import "a" "f" (func $f (param i32) (result i32 f64 externref)))
        (import "a" "g" (global $g i64)) (import "a" "m" (memory 1))
        (import "a" "t" (table 2 funcref))
        (func (export "call") (param i32) (result i32 f64 externref) (call $f (local.get 0)))
        (func (export "g") (result i64) (global.get $g))
        (func (export "size") (result i32) (memory.size)))""")
    linker.define_unknown_imports_as_default_values(store, module)
    assert isinstance(linker.get(store, "a", "m"), api.Memory)
    assert isinstance(linker.get(store, "a", "t"), api.Table)
    ex = linker.instantiate(store, module).exports(store)
    assert ex["call"](store, 3) == [0, 0.0, None]
    assert ex["g"](store) == 0 and ex["size"](store) == 1
