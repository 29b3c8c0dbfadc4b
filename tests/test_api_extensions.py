"""jitwasm's API where it goes beyond or deliberately differs from wasmtime-py (docs/api.md):
Config policies, v128 values, what is refused as not supported (yet), and error classes."""

import threading

import pytest

import jitwasm
from jitwasm import (Config, Engine, Func, FuncType, Global, GlobalType, Instance, Limits, Linker,
                     Memory, MemoryType, Module, Store, Table, TableType, Trap, TrapCode, Val,
                     ValType, WasiConfig, WasmtimeError, wat2wasm)
from jitwasm.api.config import BOOL_SETTINGS, COMPILED, IGNORED, PROPOSAL, WASM2
from jitwasm.errors import DecodeError, LinkError, ValidationError, WasiExit, WasmError
from jitwasm.wast.conversion import WASM_TOOLS_HINT, find_wasm_tools

needs_wasm_tools = pytest.mark.skipif(find_wasm_tools() is None, reason=WASM_TOOLS_HINT)
v128 = ValType.v128()


# ---- Config -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(BOOL_SETTINGS))
def test_every_boolean_setting_follows_its_policy(name):
    policy, default = BOOL_SETTINGS[name]
    config = Config()
    assert getattr(config, name) is default
    accepted = {WASM2: (True,), PROPOSAL: (False,), IGNORED: (True, False),
                COMPILED: (True, False)}
    for value in (True, False):
        if value in accepted[policy]:
            setattr(config, name, value)
            assert getattr(config, name) is value
        else:
            with pytest.raises(WasmtimeError, match=name):
                setattr(config, name, value)


def test_fuel_and_epochs_reach_the_compiler_as_options():
    config = Config()
    assert not config.consume_fuel and not config.epoch_interruption
    config.consume_fuel = True
    config.epoch_interruption = 1  # wasmtime-py takes any truthy value
    assert config.consume_fuel is True and config.epoch_interruption is True
    options = Engine(config).compile_options
    assert options.fuel and options.epoch and not options.lazy


def test_lazy_compilation_setting_compiles_functions_at_their_first_call():
    from jitwasm.compiler.lazy import LazyCompiledModule

    wasm = wat2wasm("""(module
        (func $twice (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
        (func (export "f") (param i32) (result i32) (call $twice (local.get 0)))
        (func (export "unused") (result i32) (i32.const 7)))""")
    config = Config()
    config.lazy_compilation = True
    engine = Engine(config)
    module = Module(engine, wasm)
    compiled = module._module.compiled
    assert isinstance(compiled, LazyCompiledModule) and compiled.compiled_count == 0
    store = Store(engine)
    f = Instance(store, module, []).exports(store)["f"]
    assert f(store, 21) == 42
    assert compiled.compiled_count == 2              # f and $twice, not "unused"
    again = Module.deserialize(engine, module.serialize())   # an entry holds every function
    store = Store(engine)
    assert Instance(store, again, []).exports(store)["unused"](store) == 7


def test_engine_copies_its_config():
    config = Config()
    config.max_wasm_stack = 1 << 16
    engine = Engine(config)
    config.max_wasm_stack = 1 << 20
    assert engine.stack_budget == 1 << 16 and engine.config.max_wasm_stack == 1 << 16
    assert Engine().stack_budget is None
    with pytest.raises(WasmtimeError):
        config.max_wasm_stack = 0


def test_target_is_the_host_only():
    config = Config()
    config.target = "x86_64-unknown-linux-gnu"
    with pytest.raises(WasmtimeError, match="unsupported target"):
        config.target = "aarch64-apple-darwin"
    with pytest.raises(TypeError):
        config.target = 64


def test_engine_epoch_counts_across_threads():
    engine = Engine()
    threads = [threading.Thread(target=lambda: [engine.increment_epoch() for _ in range(500)])
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert engine.epoch == 2000
    store = Store(engine)
    store.set_epoch_deadline(3)
    assert store._store.limits.epoch_deadline == 2003


# ---- v128 -------------------------------------------------------------------------------------

def test_v128_values_cross_host_functions_and_globals():
    store = Store()
    seen = []

    def swap_halves(x):
        seen.append(x)
        return ((x & ((1 << 64) - 1)) << 64) | (x >> 64)

    f = Func(store, FuncType([v128], [v128]), swap_halves)
    value = (0x0123456789ABCDEF << 64) | 0xFEDCBA9876543210
    assert f(store, value) == (0xFEDCBA9876543210 << 64) | 0x0123456789ABCDEF
    assert f(store, Val.v128(-1)) == (1 << 128) - 1
    assert seen == [value, (1 << 128) - 1]
    g = Global(store, GlobalType(v128, True), value)
    assert g.value(store) == value and g.type(store).content == v128
    g.set_value(store, Val.v128(5))
    assert g.value(store) == 5
    assert Val.v128(3).as_v128() == 3 and Val.v128(3).type == v128 and str(v128) == "v128"


# ---- not supported (yet) ------------------------------------------------------------------------

def test_unsupported_proposals_are_refused_clearly():
    for cls in (jitwasm.SharedMemory, jitwasm.Tag, jitwasm.TagType):
        with pytest.raises(WasmtimeError, match="not supported by jitwasm"):
            cls(Engine(), None)
    with pytest.raises(WasmtimeError, match="memory64"):
        MemoryType(Limits(1, None), is_64=True)
    with pytest.raises(WasmtimeError, match="shared"):
        MemoryType(Limits(1, 2), shared=True)
    with pytest.raises(WasmtimeError, match="page size"):
        MemoryType(Limits(1, 2), page_size_log2=0)
    store = Store()
    with pytest.raises(TypeError):
        store.set_limits(memory_size="1M")  # set_limits itself: tests/test_compat_limits.py
    with pytest.raises(WasmtimeError, match="WASI HTTP"):
        store.set_wasi_http()


@needs_wasm_tools
def test_wasi_without_set_wasi_is_an_error_not_a_crash():
    engine = Engine()
    store = Store(engine)
    linker = Linker(engine)
    linker.define_wasi()
    module = Module(engine, """(module
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1) (func (export "run") (call $exit (i32.const 2))))""")
    run = linker.instantiate(store, module).exports(store)["run"]
    with pytest.raises(WasmtimeError, match="WASI is not configured in this store"):
        run(store)
    store.set_wasi(WasiConfig())
    with pytest.raises(jitwasm.ExitTrap) as info:
        run(store)
    assert info.value.code == 2


# ---- deliberate differences ---------------------------------------------------------------------

def test_memory_and_table_types_report_the_current_size():
    store = Store()
    memory = Memory(store, MemoryType(Limits(1, 3)))
    memory.grow(store, 2)
    assert memory.type(store).limits == Limits(3, 3)
    table = Table(store, TableType(ValType.funcref(), Limits(1, None)), None)
    table.grow(store, 4, None)
    assert table.type(store).limits == Limits(5, None)
    assert table.get(store, 0) is None  # null: None, as wasmtime-py's docstring says


def test_floats_accept_ints_and_readable_settings():
    store = Store()
    f = Func(store, FuncType([ValType.f64()], [ValType.f64()]), lambda x: x * 2)
    assert f(store, 3) == 6.0
    config = Config()
    config.debug_info = True
    assert config.debug_info and config.strategy == "auto" and config.cache is False


# ---- errors -------------------------------------------------------------------------------------

def test_one_hierarchy_split_like_wasmtime():
    for cls in (DecodeError, ValidationError, LinkError, WasiExit):
        assert issubclass(cls, WasmtimeError) and issubclass(cls, WasmError)
    assert issubclass(Trap, WasmError) and not issubclass(Trap, WasmtimeError)
    assert jitwasm.ExitTrap is WasiExit and jitwasm.WasmtimeError is WasmtimeError


@needs_wasm_tools
def test_traps_raised_by_runtime_code_are_classified_too():
    store = Store()
    ex = Instance(store, Module(store.engine, """(module (memory 1) (table 1 funcref)
        (func (export "fill") (memory.fill (i32.const 0) (i32.const 0) (i32.const 70000)))
        (func (export "tfill") (table.fill 0 (i32.const 0) (ref.null func) (i32.const 5))))"""),
        []).exports(store)
    with pytest.raises(Trap) as info:
        ex["fill"](store)
    assert info.value.trap_code == TrapCode.MEMORY_OUT_OF_BOUNDS
    with pytest.raises(Trap) as info:
        ex["tfill"](store)
    assert info.value.trap_code == TrapCode.TABLE_OUT_OF_BOUNDS
    assert Trap("unreachable").trap_code == TrapCode.UNREACHABLE  # the spec's message


def test_caller_memory_view_is_the_callers_memory_cached_until_it_grows():
    wasm = wat2wasm("""(module
        (import "host" "peek" (func $peek (param i32) (result i32)))
        (memory (export "memory") 1 3)
        (data (i32.const 8) "\\2a")
        (func (export "run") (param i32) (result i32) (call $peek (local.get 0)))
        (func (export "grow") (drop (memory.grow (i32.const 1)))))""")
    store = Store()
    views = []

    def peek(caller, address):
        view = caller.memory_view()
        views.append(view)
        assert caller.memory_view("no such export") is None
        return view[address] + len(view) // 65536 * 1000

    i32 = ValType.i32()
    func = Func(store, FuncType([i32], [i32]), peek, access_caller=True)
    exports = Instance(store, Module(store.engine, wasm), [func]).exports(store)
    assert exports["run"](store, 8) == 1042
    assert exports["run"](store, 8) == 1042
    assert views[0] is views[1]                       # one view while the length holds
    exports["grow"](store)
    assert exports["run"](store, 8) == 2042 and views[2] is not views[1]
    views[2].release()                                 # a user released it: a fresh one
    assert exports["run"](store, 8) == 2042


def test_host_calls_from_changing_stack_depths_read_their_own_arguments():
    """The host callback reuses its argument views for calls from the same stack address;
    calls from other depths (recursion) must not see stale ones."""
    wasm = wat2wasm("""(module
        (import "host" "f" (func $f (param i32 i64) (result i64)))
        (func $down (export "down") (param i32) (result i64)
          (local i64)
          (local.set 1 (call $f (local.get 0) (i64.extend_i32_u (local.get 0))))
          (if (result i64) (i32.eqz (local.get 0))
            (then (local.get 1))
            (else (i64.add (local.get 1)
                           (call $down (i32.sub (local.get 0) (i32.const 1))))))))""")
    store = Store()
    seen = []

    def f(depth, wide):
        seen.append((depth, wide))
        return wide * 3 + depth

    i32, i64 = ValType.i32(), ValType.i64()
    func = Func(store, FuncType([i32, i64], [i64]), f)
    down = Instance(store, Module(store.engine, wasm), [func]).exports(store)["down"]
    assert down(store, 20) == sum(4 * d for d in range(21))
    assert seen == [(d, d) for d in range(20, -1, -1)]
