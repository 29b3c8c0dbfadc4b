"""Compatibility suite (same bodies on wasmtime-py and jitwasm): Config, Engine, Store, Module,
Instance, Func, Caller, types, values, traps and errors."""

import math

import pytest

from test_compat_engines import api, engine, instantiate, store  # noqa: F401 (fixtures)

ARITH = """(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "mul64") (param i64 i64) (result i64) (i64.mul (local.get 0) (local.get 1)))
  (func (export "half") (param f32) (result f32) (f32.mul (local.get 0) (f32.const 0.5)))
  (func (export "sqrt") (param f64) (result f64) (f64.sqrt (local.get 0)))
  (func (export "swap") (param i32 f64) (result f64 i32) (local.get 1) (local.get 0))
  (func (export "nothing")))"""

TRAPS = """(module (type $t (func)) (table 2 funcref) (elem (i32.const 0) $takes_i32) (memory 1)
  (func $takes_i32 (param i32))
  (func (export "unreachable") unreachable)
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "overflow") (drop (i32.div_s (i32.const 0x80000000) (i32.const -1))))
  (func (export "convert") (drop (i32.trunc_f32_s (f32.const nan))))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "fill") (memory.fill (i32.const 0) (i32.const 0) (i32.const 70000)))
  (func (export "undefined") (call_indirect (type $t) (i32.const 5)))
  (func (export "null") (call_indirect (type $t) (i32.const 1)))
  (func (export "signature") (call_indirect (type $t) (i32.const 0)))
  (func (export "table_get") (drop (table.get 0 (i32.const 9))))
  (func $r (export "recurse") (call $r)))"""

RECURSE = """(module (func $r (export "depth") (param i32) (result i32)
  (if (result i32) (local.get 0)
    (then (i32.add (call $r (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))
    (else (i32.const 0)))))"""


# Settings both engines accept as False (jitwasm refuses True: proposals it does not implement).
PROPOSALS_OFF = (
    "wasm_threads", "wasm_tail_call", "wasm_multi_memory", "wasm_memory64", "wasm_relaxed_simd",
    "wasm_exceptions", "wasm_function_references", "wasm_gc", "wasm_wide_arithmetic",
    "wasm_custom_page_sizes", "wasm_stack_switching", "shared_memory", "wasm_component_model",
    "wasm_component_model_map", "wasm_component_model_implements",
    "cranelift_nan_canonicalization")


# ---- Config and Engine ----------------------------------------------------------------------

def test_config_accepts_the_settings_both_honour(api):
    config = api.Config()
    for name in ("wasm_reference_types", "wasm_simd", "wasm_bulk_memory", "wasm_multi_value"):
        setattr(config, name, True)
    config.max_wasm_stack = 1 << 20
    config.epoch_interruption = False
    config.consume_fuel = False
    for name in PROPOSALS_OFF:
        setattr(config, name, False)
    config.strategy = "auto"
    config.cranelift_opt_level = "speed"
    config.profiler = "none"
    config.parallel_compilation = True
    engine = api.Engine(config)
    store = api.Store(engine)
    assert instantiate(api, store, ARITH)["add"](store, 2, 3) == 5


def test_config_type_checks_and_bad_choices(api):
    config = api.Config()
    with pytest.raises(TypeError):
        config.wasm_simd = 1
    with pytest.raises(TypeError):
        config.max_wasm_stack = "big"
    with pytest.raises(api.WasmtimeError, match="unknown strategy"):
        config.strategy = "interpreter"
    with pytest.raises(api.WasmtimeError, match="unknown opt level"):
        config.cranelift_opt_level = "fastest"
    with pytest.raises(api.WasmtimeError, match="unknown profiler"):
        config.profiler = "gprof"
    with pytest.raises(api.WasmtimeError, match="caching cannot be explicitly disabled"):
        config.cache = False
    with pytest.raises(TypeError):
        api.Engine("not a config")


def test_max_wasm_stack_bounds_recursion(api):
    config = api.Config()
    config.max_wasm_stack = 64 << 10
    small = api.Store(api.Engine(config))
    depth = instantiate(api, small, RECURSE)["depth"]
    assert depth(small, 100) == 100
    with pytest.raises(api.Trap) as info:
        depth(small, 5000)
    assert info.value.trap_code == api.TrapCode.STACK_OVERFLOW
    default = api.Store(api.Engine())
    assert instantiate(api, default, RECURSE)["depth"](default, 5000) == 5000


def test_engine_epochs_without_epoch_interruption_do_nothing(api, store, engine):
    add = instantiate(api, store, ARITH)["add"]
    store.set_epoch_deadline(1)
    engine.increment_epoch()
    engine.increment_epoch()
    assert add(store, 1, 1) == 2
    assert engine.is_pulley() is False


# ---- Store ------------------------------------------------------------------------------------

def test_store_data_and_default_engine(api):
    payload = {"user": 1}
    store = api.Store(api.Engine(), payload)
    assert store.data() is payload
    assert api.Store().data() is None
    store.gc()
    with pytest.raises(TypeError):
        api.Store("not an engine")


def test_fuel_needs_consume_fuel(api, store):
    with pytest.raises(api.WasmtimeError, match="fuel is not configured in this store"):
        store.set_fuel(100)
    with pytest.raises(api.WasmtimeError, match="fuel is not configured in this store"):
        store.get_fuel()


def test_objects_are_context_managers_and_close(api):
    with api.Engine() as engine, api.Store(engine) as store:
        with api.Module(engine, '(module (import "m" "f" (func)) (export "f" (func 0)))') as module:
            imp, exp = module.imports[0], module.exports[0]
            assert (imp.module, imp.name, exp.name) == ("m", "f", "f")
            imp.close()
            exp.close()
            linker = api.Linker(engine)
            linker.define_func("m", "f", api.FuncType([], []), lambda: None)
            pre = linker.instantiate_pre(module)
            assert pre.instantiate(store).exports(store)["f"](store) is None
            pre.close()
        with api.Linker(engine) as linker:
            linker.allow_shadowing = True
    config = api.Config()
    config.close()
    i32 = api.ValType.i32()
    for obj in (api.FuncType([i32], []), api.GlobalType(i32, False), api.ValType.i64(),
                api.TableType(api.ValType.funcref(), api.Limits(0, None)),
                api.MemoryType(api.Limits(0, None)), api.WasiConfig()):
        obj.close()
        obj.close()  # repeated close is harmless


# ---- Module ---------------------------------------------------------------------------------

def test_module_from_text_bytes_and_file(api, engine, tmp_path):
    binary = api.wat2wasm("(module (func (export \"f\")))")
    assert bytes(binary[:4]) == b"\0asm"
    assert [e.name for e in api.Module(engine, binary).exports] == ["f"]
    assert [e.name for e in api.Module(engine, bytes(binary)).exports] == ["f"]
    path = tmp_path / "m.wasm"
    path.write_bytes(binary)
    assert [e.name for e in api.Module.from_file(engine, str(path)).exports] == ["f"]
    assert [e.name for e in api.Module.from_file(engine, path).exports] == ["f"]
    with pytest.raises(TypeError):
        api.Module(engine, 42)
    with pytest.raises(TypeError):
        api.Module("not an engine", binary)


def test_module_errors_are_wasmtime_errors(api, engine):
    with pytest.raises(api.WasmtimeError):
        api.Module(engine, b"\0asm\x02\0\0\0")
    with pytest.raises(api.WasmtimeError):
        api.Module(engine, "(module (func (result i32) i64.const 0))")
    with pytest.raises(api.WasmtimeError):
        api.Module(engine, "(module (func")
    with pytest.raises(api.WasmtimeError):
        api.wat2wasm("(module (func")
    invalid = bytes(api.wat2wasm("(module (func (result i32) i32.const 0))")).replace(
        b"\x41\x00", b"\x42\x00")  # i32.const 0 -> i64.const 0
    with pytest.raises(api.WasmtimeError):
        api.Module.validate(engine, invalid)
    assert api.Module.validate(engine, bytes(api.wat2wasm("(module)"))) is None


def test_module_imports_and_exports(api, engine):
    module = api.Module(engine, """(module
        (import "env" "f" (func (param i32 f64) (result i64)))
        (import "env" "m" (memory 1 2))
        (import "env" "t" (table 3 funcref))
        (import "env" "g" (global (mut f32)))
        (global (export "g") i64 (i64.const 1))
        (table (export "t") 2 7 externref)
        (export "m" (memory 0))
        (export "f" (func 0)))""")
    imports = module.imports
    assert [(i.module, i.name) for i in imports] == [("env", "f"), ("env", "m"), ("env", "t"),
                                                    ("env", "g")]
    f, m, t, g = (i.type for i in imports)
    assert isinstance(f, api.FuncType)
    assert f.params == [api.ValType.i32(), api.ValType.f64()] and f.results == [api.ValType.i64()]
    assert isinstance(m, api.MemoryType) and m.limits == api.Limits(1, 2)
    assert not m.is_64 and not m.is_shared
    assert isinstance(t, api.TableType) and t.element == api.ValType.funcref()
    assert t.limits == api.Limits(3, None)
    assert isinstance(g, api.GlobalType) and g.content == api.ValType.f32() and g.mutable
    exports = {e.name: e.type for e in module.exports}
    assert list(exports) == ["g", "t", "m", "f"]
    assert exports["g"].content == api.ValType.i64() and not exports["g"].mutable
    assert exports["t"].element == api.ValType.externref()
    assert exports["t"].limits == api.Limits(2, 7)
    assert exports["m"].limits == api.Limits(1, 2)
    assert isinstance(exports["f"], api.FuncType)


# ---- Instance and calls ---------------------------------------------------------------------

def test_calls_convert_values_like_wasmtime(api, store):
    ex = instantiate(api, store, ARITH)
    assert ex["add"](store, 0x7FFFFFFF, 1) == -(1 << 31)
    assert ex["add"](store, 0xFFFFFFFF, 0) == -1
    assert ex["mul64"](store, 1 << 62, 4) == 0
    assert ex["mul64"](store, -3, 5) == -15
    assert ex["add"](store, 1 << 40, 0) == 0  # out-of-range ints wrap
    assert ex["add"](store, -(1 << 31) - 1, 0) == (1 << 31) - 1
    assert ex["mul64"](store, 1 << 63, 1) == -(1 << 63) and ex["mul64"](store, 1 << 64, 1) == 0
    assert ex["half"](store, 3.0) == 1.5
    assert ex["sqrt"](store, 2.0) == math.sqrt(2.0)
    assert ex["swap"](store, 7, 2.5) == [2.5, 7]
    assert ex["nothing"](store) is None
    assert ex["add"](store, api.Val.i32(40), api.Val.i32(2)) == 42


def test_call_argument_errors(api, store):
    ex = instantiate(api, store, ARITH)
    with pytest.raises(api.WasmtimeError, match="too few parameters provided: given 1, expected 2"):
        ex["add"](store, 1)
    with pytest.raises(api.WasmtimeError, match="too many parameters provided"):
        ex["add"](store, 1, 2, 3)
    with pytest.raises(TypeError):
        ex["add"](store, 1.5, 2)
    with pytest.raises(TypeError):
        ex["sqrt"](store, "2")
    with pytest.raises(TypeError, match="wrong type of `Val`"):
        ex["add"](store, api.Val.i64(1), 2)


def test_instance_exports_mapping(api, store):
    ex = instantiate(api, store, """(module (global (export "g") i32 (i32.const 7))
        (memory (export "m") 1) (func (export "f") (result i32) (i32.const 3)))""")
    assert list(ex) == ["g", "m", "f"] and len(ex) == 3
    assert isinstance(ex["g"], api.Global) and isinstance(ex["m"], api.Memory)
    assert isinstance(ex["f"], api.Func)
    assert ex.by_index[2](store) == 3 and ex.by_index[0].value(store) == 7
    assert ex.get("missing") is None
    with pytest.raises(KeyError):
        ex["missing"]


def test_instance_imports_in_order_and_link_errors(api, store):
    module = api.Module(store.engine, """(module
        (import "env" "f" (func $f (param i32) (result i32)))
        (import "env" "g" (global i32))
        (func (export "call") (param i32) (result i32)
          (i32.add (call $f (local.get 0)) (global.get 0))))""")
    i32 = api.ValType.i32()
    triple = api.Func(store, api.FuncType([i32], [i32]), lambda x: 3 * x)
    g = api.Global(store, api.GlobalType(i32, False), 100)
    assert api.Instance(store, module, [triple, g]).exports(store)["call"](store, 5) == 115
    with pytest.raises(api.WasmtimeError):
        api.Instance(store, module, [triple])
    with pytest.raises(api.WasmtimeError):
        api.Instance(store, module, [g, triple])
    with pytest.raises(TypeError):
        api.Instance(store, module, [triple, 100])


# ---- host functions -------------------------------------------------------------------------

def test_host_function_values_and_results(api, store):
    i32, i64, f32, ext = (api.ValType.i32(), api.ValType.i64(), api.ValType.f32(),
                          api.ValType.externref())
    seen = []

    def host(a, b, c, r):
        seen.append((a, b, c, r))
        return [a + 1, r]

    f = api.Func(store, api.FuncType([i32, i64, f32, ext], [i64, ext]), host)
    obj = {"key": 1}
    assert f(store, 0xFFFFFFFF, -2, 0.5, obj) == [0, obj]
    assert seen == [(-1, -2, 0.5, obj)]
    assert f.type(store).params == [i32, i64, f32, ext]
    assert f.type(store).results == [i64, ext]
    no_result = api.Func(store, api.FuncType([], []), lambda: 5)
    with pytest.raises(api.WasmtimeError, match="callback produced results when it shouldn't"):
        no_result(store)
    wrong_count = api.Func(store, api.FuncType([], [i32, i32]), lambda: [1])
    with pytest.raises(api.WasmtimeError, match="callback produced wrong number of results"):
        wrong_count(store)
    wrong_type = api.Func(store, api.FuncType([], [i32]), lambda: "one")
    with pytest.raises(TypeError):
        wrong_type(store)


def test_wasm_calls_host_and_host_reenters_wasm(api, store):
    i32 = api.ValType.i32()
    holder = {}

    def host(x):
        if x == 0:
            raise ValueError("host says no")
        return holder["double"](store, x) + 1

    module = api.Module(store.engine, """(module
        (import "env" "host" (func $h (param i32) (result i32)))
        (func (export "double") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
        (func (export "outer") (param i32) (result i32) (call $h (local.get 0))))""")
    ex = api.Instance(store, module, [api.Func(store, api.FuncType([i32], [i32]), host)]) \
        .exports(store)
    holder["double"] = ex["double"]
    assert ex["outer"](store, 20) == 41
    with pytest.raises(ValueError, match="host says no"):
        ex["outer"](store, 0)
    assert ex["outer"](store, 1) == 3


def test_host_trap_propagates(api, store):
    def trap():
        raise api.Trap("custom trap")

    module = api.Module(store.engine, """(module (import "env" "t" (func $t))
        (func (export "run") (call $t)))""")
    run = api.Instance(store, module, [api.Func(store, api.FuncType([], []), trap)]) \
        .exports(store)["run"]
    with pytest.raises(api.Trap, match="custom trap") as info:
        run(store)
    assert info.value.trap_code is None


def test_caller_reaches_the_calling_instances_exports(api, store):
    i32 = api.ValType.i32()
    seen = []

    def peek(caller, address):
        memory = caller.get("memory")
        seen.append((memory.read(caller, address, address + 2), caller.get("nope")))
        counter = caller["counter"]
        counter.set_value(caller, counter.value(caller) + 1)
        return memory.data_len(caller)

    module = api.Module(store.engine, """(module
        (import "env" "peek" (func $peek (param i32) (result i32)))
        (memory (export "memory") 1) (data (i32.const 8) "hi")
        (global (export "counter") (mut i32) (i32.const 0))
        (func (export "run") (result i32) (call $peek (i32.const 8))))""")
    peek_func = api.Func(store, api.FuncType([i32], [i32]), peek, access_caller=True)
    ex = api.Instance(store, module, [peek_func]).exports(store)
    assert ex["run"](store) == 65536
    assert seen == [(bytearray(b"hi"), None)]
    assert ex["counter"].value(store) == 1


def test_funcrefs_cross_both_ways(api, store):
    i32, funcref = api.ValType.i32(), api.ValType.funcref()
    ex = instantiate(api, store, """(module
        (type $t (func (param i32) (result i32)))
        (table $tab 1 funcref)
        (func $inc (export "inc") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
        (func (export "get") (result funcref) (ref.func $inc))
        (func (export "null") (result funcref) (ref.null func))
        (func (export "call") (param funcref i32) (result i32)
          (table.set $tab (i32.const 0) (local.get 0))
          (call_indirect (type $t) (local.get 1) (i32.const 0))))""")
    got = ex["get"](store)
    assert isinstance(got, api.Func) and got(store, 1) == 2
    assert ex["null"](store) is None
    square = api.Func(store, api.FuncType([i32], [i32]), lambda x: x * x)
    assert ex["call"](store, square, 9) == 81
    assert ex["call"](store, ex["inc"], 9) == 10
    assert ex["call"](store, api.Val.funcref(square), 3) == 9
    with pytest.raises(TypeError):
        ex["call"](store, "not a function", 1)
    assert ex["get"].type(store).results == [funcref]


def test_externrefs_keep_identity(api, store):
    ex = instantiate(api, store, """(module
        (func (export "id") (param externref) (result externref) (local.get 0))
        (func (export "is_null") (param externref) (result i32) (ref.is_null (local.get 0))))""")
    obj = object()
    assert ex["id"](store, obj) is obj
    assert ex["id"](store, None) is None
    assert ex["id"](store, api.Val.externref(obj)) is obj
    assert ex["is_null"](store, None) == 1 and ex["is_null"](store, 0) == 0


# ---- types and values -----------------------------------------------------------------------

def test_valtypes_and_functypes(api):
    i32, i64 = api.ValType.i32(), api.ValType.i64()
    assert i32 == api.ValType.i32() and i32 != i64
    assert [str(t) for t in (i32, i64, api.ValType.f32(), api.ValType.f64(),
                             api.ValType.funcref())] == ["i32", "i64", "f32", "f64", "funcref"]
    ft = api.FuncType([i32, api.ValType.f64()], [api.ValType.externref()])
    assert ft.params == [i32, api.ValType.f64()] and ft.results == [api.ValType.externref()]
    with pytest.raises(TypeError):
        api.FuncType([int], [])
    gt = api.GlobalType(i64, True)
    assert gt.content == i64 and gt.mutable
    tt = api.TableType(api.ValType.funcref(), api.Limits(1, None))
    assert tt.element == api.ValType.funcref() and tt.limits == api.Limits(1, None)
    mt = api.MemoryType(api.Limits(2, 3))
    assert mt.limits == api.Limits(2, 3) and mt.limits != api.Limits(2, None)
    assert (mt.page_size, mt.page_size_log2, mt.is_64, mt.is_shared) == (65536, 16, False, False)
    with pytest.raises(TypeError):
        api.MemoryType((1, 2))
    with pytest.raises(TypeError):
        api.TableType(api.ValType.funcref(), (1, 2))


def test_vals(api):
    assert api.Val.i32(0xFFFFFFFF).value == -1
    assert api.Val.i64(1 << 63).value == -(1 << 63)
    assert api.Val.f32(0.1).value == pytest.approx(0.1, rel=1e-7) and api.Val.f32(0.1).value != 0.1
    assert api.Val.f64(0.1).value == 0.1
    assert api.Val.i32(5) == 5 and api.Val.i32(5) == api.Val.i32(5)
    assert api.Val.i32(5) != api.Val.i64(5)
    assert api.Val.i32(5).type == api.ValType.i32()
    assert api.Val.i32(5).as_i32() == 5 and api.Val.i32(5).as_i64() is None
    assert api.Val.i64(5).as_i64() == 5 and api.Val.f32(1.5).as_f32() == 1.5
    assert api.Val.f64(1.5).as_f64() == 1.5
    obj = object()
    assert api.Val.externref(obj).as_externref() is obj
    assert api.Val.ref_null(api.ValType.externref()).value is None
    assert api.Val.ref_null(api.ValType.funcref()).type == api.ValType.funcref()
    func = api.Func(api.Store(), api.FuncType([], []), lambda: None)
    assert api.Val.funcref(func).as_funcref() is func and api.Val.i32(1).as_funcref() is None
    assert api.Val.externref(obj).as_i32() is None
    with pytest.raises(TypeError):
        api.Val.i32(1.0)
    with pytest.raises(TypeError):
        api.Val.f64(1)
    with pytest.raises(api.WasmtimeError):
        api.Val.ref_null(api.ValType.i32())


# ---- traps and errors -------------------------------------------------------------------------

@pytest.mark.parametrize("export, args, code", [
    ("unreachable", (), "UNREACHABLE"),
    ("div", (1, 0), "INTEGER_DIVISION_BY_ZERO"),
    ("overflow", (), "INTEGER_OVERFLOW"),
    ("convert", (), "BAD_CONVERSION_TO_INTEGER"),
    ("load", (65535,), "MEMORY_OUT_OF_BOUNDS"),
    ("fill", (), "MEMORY_OUT_OF_BOUNDS"),
    ("undefined", (), "TABLE_OUT_OF_BOUNDS"),
    ("null", (), "INDIRECT_CALL_TO_NULL"),
    ("signature", (), "BAD_SIGNATURE"),
    ("table_get", (), "TABLE_OUT_OF_BOUNDS"),
    ("recurse", (), "STACK_OVERFLOW"),
])
def test_traps_have_the_same_codes(api, store, export, args, code):
    ex = instantiate(api, store, TRAPS)
    with pytest.raises(api.Trap) as info:
        ex[export](store, *args)
    trap = info.value
    assert trap.trap_code == getattr(api.TrapCode, code)
    assert isinstance(trap.message, str) and str(trap)
    assert not isinstance(trap, api.WasmtimeError)
    assert ex["div"](store, -7, 2) == -3  # the instance is still usable


def test_trap_messages_and_frames(api, store):
    ex = instantiate(api, store, TRAPS)
    with pytest.raises(api.Trap) as info:
        ex["div"](store, 1, 0)
    assert "integer divide by zero" in info.value.message
    frame = info.value.frames[0]
    assert frame.func_index == 2 and frame.module_offset > 0
    made = api.Trap("made up")
    assert made.message == "made up" and str(made) == "made up" and made.trap_code is None


def test_start_function_trap_fails_instantiation(api, store):
    module = api.Module(store.engine, "(module (func $s unreachable) (start $s))")
    with pytest.raises(api.Trap) as info:
        api.Instance(store, module, [])
    assert info.value.trap_code == api.TrapCode.UNREACHABLE


def test_error_hierarchy(api):
    assert issubclass(api.ExitTrap, api.WasmtimeError)
    assert issubclass(api.WasmtimeError, Exception) and issubclass(api.Trap, Exception)
    assert not issubclass(api.Trap, api.WasmtimeError)
    assert str(api.WasmtimeError("some message")) == "some message"
