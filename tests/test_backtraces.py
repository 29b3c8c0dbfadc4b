"""Trap backtraces list every Wasm frame of the activation, innermost first, as wasmtime's do:
the frame walk (runtime/backtrace.py) over the stack copy the trap landing makes, for traps by
signal, by explicit check, by the stack limit, and raised by builtins and host functions; in
eagerly and lazily compiled code and in code loaded from a cache entry."""

import pytest
import wasmtime

from jitwasm import Config, Engine, Func, FuncType, Instance, Module, Store, Trap, ValType
from jitwasm.runtime.backtrace import MAX_FRAMES

WAT = """(module $demo
  (import "host" "fail" (func $fail (param i32) (result i32)))
  (memory 1)
  (table 3 funcref)
  (elem (i32.const 0) $leaf $grow $via_host)
  (func $leaf (param i32) (result i32)
    (i32.load (i32.add (local.get 0) (i32.const 70000))))
  (func $grow (param i32) (result i32)
    (table.copy (i32.const 0) (i32.const 1) (i32.const 5)) (i32.const 0))
  (func $via_host (param i32) (result i32) (call $fail (local.get 0)))
  (func $middle (param i32) (result i32)
    (i32.add (i32.const 1) (call_indirect (param i32) (result i32) (local.get 0) (local.get 0))))
  (func $recurse (param i32 i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (call $middle (local.get 1)))
      (else (i32.add (i32.const 1)
              (call $recurse (i32.sub (local.get 0) (i32.const 1)) (local.get 1))))))
  (func $inf (param i32) (result i32) (i32.add (i32.const 1) (call $inf (local.get 0))))
  (func $div (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
  (func (export "signal") (result i32) (call $recurse (i32.const 3) (i32.const 0)))
  (func (export "builtin") (result i32) (call $recurse (i32.const 1) (i32.const 1)))
  (func (export "host") (result i32) (call $recurse (i32.const 2) (i32.const 2)))
  (func (export "explicit") (result i32) (call $div (i32.const 0)))
  (func (export "unreachable") (result i32) (call $middle (i32.const 7)))
  (func (export "exhausted") (result i32) (call $inf (i32.const 0))))"""

ENTRIES = ("signal", "builtin", "explicit", "unreachable")
VIA_HOST, MIDDLE, RECURSE, HOST_EXPORT = 3, 4, 5, 10     # function indices (import first)


def wasmtime_frames(name: str) -> list:
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    module = wasmtime.Module(engine, wasmtime.wat2wasm(WAT))
    i32 = wasmtime.ValType.i32()

    def fail(x):
        raise wasmtime.Trap("host says no")

    host = wasmtime.Func(store, wasmtime.FuncType([i32], [i32]), fail)
    instance = wasmtime.Instance(store, module, [host])
    with pytest.raises(wasmtime.Trap) as info:
        instance.exports(store)[name](store)
    return [(f.func_index, f.module_offset, f.func_name, f.module_name, f.func_offset)
            for f in info.value.frames]


def jitwasm_instance(mode: str):
    config = Config()
    config.lazy_compilation = mode == "lazy"
    engine = Engine(config)
    module = Module(engine, wasmtime.wat2wasm(WAT))
    if mode == "cached":
        module = Module.deserialize(engine, module.serialize())
    store = Store(engine)

    def fail(x):
        raise Trap("host says no")

    i32 = ValType.i32()
    host = Func(store, FuncType([i32], [i32]), fail)
    return store, Instance(store, module, [host]).exports(store)


@pytest.mark.parametrize("mode", ["eager", "lazy", "cached"])
@pytest.mark.parametrize("name", ENTRIES)
def test_frames_match_wasmtime(name, mode):
    store, exports = jitwasm_instance(mode)
    with pytest.raises(Trap) as info:
        exports[name](store)
    frames = [(f.func_index, f.module_offset, f.func_name, f.module_name, f.func_offset)
              for f in info.value.frames]
    expected = wasmtime_frames(name)
    assert len(expected) >= 2
    assert frames == expected


@pytest.mark.parametrize("mode", ["eager", "lazy"])
def test_stack_exhaustion_lists_the_innermost_frames(mode):
    store, exports = jitwasm_instance(mode)
    with pytest.raises(Trap, match="call stack exhausted") as info:
        exports["exhausted"](store)
    frames = info.value.backtrace
    inf = frames[0][0]
    assert 100 < len(frames) <= MAX_FRAMES          # capped by the copy, not the whole stack
    assert all(func == inf for func, _ in frames)
    assert len({offset for _, offset in frames[1:]}) == 1   # every caller at its call site


@pytest.mark.parametrize("mode", ["eager", "lazy", "cached"])
def test_a_trap_raised_by_a_host_function_gets_the_wasm_frames(mode):
    """wasmtime-py passes the host's exception through without frames; jitwasm adds them."""
    store, exports = jitwasm_instance(mode)
    with pytest.raises(Trap, match="host says no") as info:
        exports["host"](store)
    frames = info.value.backtrace
    assert [func for func, _ in frames] == [VIA_HOST, MIDDLE, RECURSE, RECURSE, RECURSE,
                                           HOST_EXPORT]
    signal = wasmtime_frames("signal")              # the same call sites on another path
    assert frames[1:3] == [frame[:2] for frame in signal[1:3]]
    assert [f.func_name for f in info.value.frames][:2] == ["via_host", "middle"]


def test_frames_continue_through_host_calls_into_outer_activations():
    """Wasm -> host -> Wasm that traps: the inner frames, then the outer Wasm frames below the
    host call, as wasmtime lists them."""
    inner_wat = """(module (func $div (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
        (func (export "explicit") (result i32) (call $div (i32.const 0))))"""
    outer_wat = """(module (import "h" "f" (func $f (param i32) (result i32)))
        (func $mid (param i32) (result i32) (call $f (local.get 0)))
        (func (export "go") (result i32) (call $mid (i32.const 0))))"""

    def run(api, make_store, mode=None):
        engine = api.Engine()
        if mode is not None:
            config = Config()
            config.lazy_compilation = mode == "lazy"
            engine = Engine(config)
        store = make_store(engine)
        inner = api.Instance(store, api.Module(engine, wasmtime.wat2wasm(inner_wat)), [])
        seen = []

        def reenter(x):
            try:
                inner.exports(store)["explicit"](store)
            except api.Trap as trap:
                seen.append([(f.func_index, f.module_offset, f.func_name) for f in trap.frames])
                raise

        i32 = api.ValType.i32()
        host = api.Func(store, api.FuncType([i32], [i32]), reenter)
        outer = api.Instance(store, api.Module(engine, wasmtime.wat2wasm(outer_wat)), [host])
        with pytest.raises(api.Trap) as info:
            outer.exports(store)["go"](store)
        return seen[0], [(f.func_index, f.module_offset, f.func_name) for f in info.value.frames]

    import jitwasm
    expected = run(wasmtime, wasmtime.Store)
    assert len(expected[0]) == 4
    for mode in ("eager", "lazy"):
        assert run(jitwasm, Store, mode) == expected
