"""Fuel and epoch interruption: checks in generated code stop runaway guests.

The compatibility tests run the same bodies on wasmtime-py and jitwasm (the `api` fixture) where
the semantics agree; the rest checks jitwasm's own accounting and that code compiled without the
options contains no check at all.
"""

import ctypes
import itertools
import threading

import pytest

from test_compat_engines import api, instantiate  # noqa: F401 (fixture)

from jitwasm.api.module import to_wasm
from jitwasm.binary import decode_module
from jitwasm.compiler import compile_module
from jitwasm.compiler.interrupts import fuel_costs
from jitwasm.compiler.options import CompileOptions
from jitwasm.runtime.vmctx import VMCTX_STORE_LIMITS
from jitwasm.validation import validate_module

GUEST = """(module
  (func (export "spin") (loop $l (br $l)))
  (func $r (export "recurse") (call $r))
  (func (export "nothing"))
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "count") (param i32) (result i32) (local i32)
    (loop $l
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
    (local.get 1))
  (func (export "nested") (param i32) (result i64) (local i32 i32 i64)
    (loop $outer
      (local.set 2 (i32.const 0))
      (local.get 3)
      (loop $inner (param i64) (result i64)
        (i64.add (i64.extend_i32_u (local.get 2)))
        (local.set 2 (i32.add (local.get 2) (i32.const 1)))
        (br_if $inner (i32.lt_u (local.get 2) (local.get 0))))
      (local.set 3)
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if $outer (i32.lt_u (local.get 1) (local.get 0))))
    (local.get 3)))"""


def fuel_store(api, fuel=None):
    config = api.Config()
    config.consume_fuel = True
    engine = api.Engine(config)
    store = api.Store(engine)
    if fuel is not None:
        store.set_fuel(fuel)
    return store


def epoch_store(api):
    config = api.Config()
    config.epoch_interruption = True
    engine = api.Engine(config)
    return engine, api.Store(engine)


def expect_trap(api, code, call, *args):
    with pytest.raises(api.Trap) as info:
        call(*args)
    assert info.value.trap_code == code
    return info.value


# ---- fuel: same bodies on both engines ------------------------------------------------------

def test_set_fuel_get_fuel_round_trip(api):
    store = fuel_store(api)
    assert store.get_fuel() == 0  # a store starts without fuel
    for amount in (0, 1, 12345, 1 << 40):
        store.set_fuel(amount)
        assert store.get_fuel() == amount


def test_fuel_runs_out_in_an_infinite_loop(api):
    store = fuel_store(api, 10_000)
    spin = instantiate(api, store, GUEST)["spin"]
    trap = expect_trap(api, api.TrapCode.OUT_OF_FUEL, spin, store)
    assert "all fuel consumed by WebAssembly" in str(trap)
    assert store.get_fuel() == 0


def test_fuel_runs_out_in_infinite_recursion_before_the_stack(api):
    store = fuel_store(api, 1000)
    recurse = instantiate(api, store, GUEST)["recurse"]
    expect_trap(api, api.TrapCode.OUT_OF_FUEL, recurse, store)
    assert store.get_fuel() == 0


def test_fuel_decreases_per_loop_iteration_as_in_wasmtime(api):
    store = fuel_store(api, 100_000)
    count = instantiate(api, store, GUEST)["count"]
    assert count(store, 100) == 100
    after_100 = store.get_fuel()
    assert count(store, 200) == 200
    after_200 = store.get_fuel()
    # 100 + 1 + 1 outside the loop (local.get, the call), 8 operators per iteration
    assert 100_000 - after_100 == 802
    assert after_100 - after_200 == 802 + 100 * 8


def test_an_empty_function_costs_one(api):
    store = fuel_store(api, 1)
    nothing = instantiate(api, store, GUEST)["nothing"]
    expect_trap(api, api.TrapCode.OUT_OF_FUEL, nothing, store)
    store.set_fuel(2)
    nothing(store)
    assert store.get_fuel() == 1


def test_set_fuel_between_calls_resumes_a_stopped_guest(api):
    store = fuel_store(api, 50)
    fib = instantiate(api, store, GUEST)["fib"]
    expect_trap(api, api.TrapCode.OUT_OF_FUEL, fib, store, 20)
    store.set_fuel(10_000_000)
    assert fib(store, 20) == 6765
    left = store.get_fuel()
    assert 0 < left < 10_000_000
    assert fib(store, 5) == 5
    assert store.get_fuel() < left


def test_fuel_is_per_store(api):
    config = api.Config()
    config.consume_fuel = True
    engine = api.Engine(config)
    module = api.Module(engine, GUEST)
    rich, poor = api.Store(engine), api.Store(engine)
    rich.set_fuel(1_000_000)
    poor.set_fuel(10)
    assert api.Instance(rich, module, []).exports(rich)["count"](rich, 1000) == 1000
    count = api.Instance(poor, module, []).exports(poor)["count"]
    expect_trap(api, api.TrapCode.OUT_OF_FUEL, count, poor, 1000)
    assert poor.get_fuel() == 0 and rich.get_fuel() > 900_000


# ---- epochs: same bodies on both engines ----------------------------------------------------

def test_epoch_deadline_zero_traps_at_once(api):
    engine, store = epoch_store(api)  # the default deadline is the current epoch
    nothing = instantiate(api, store, GUEST)["nothing"]
    trap = expect_trap(api, api.TrapCode.INTERRUPT, nothing, store)
    assert "interrupt" in str(trap)


def test_epoch_deadline_counts_increments(api):
    engine, store = epoch_store(api)
    exports = instantiate(api, store, GUEST)
    store.set_epoch_deadline(2)
    engine.increment_epoch()
    assert exports["count"](store, 1000) == 1000
    engine.increment_epoch()
    expect_trap(api, api.TrapCode.INTERRUPT, exports["count"], store, 1000)
    store.set_epoch_deadline(1)
    assert exports["fib"](store, 10) == 55


def test_increment_epoch_from_another_thread_stops_an_infinite_loop(api):
    engine, store = epoch_store(api)
    spin = instantiate(api, store, GUEST)["spin"]
    store.set_epoch_deadline(1)
    timer = threading.Timer(0.2, engine.increment_epoch)
    timer.start()
    try:
        expect_trap(api, api.TrapCode.INTERRUPT, spin, store)
    finally:
        timer.join()


def test_a_guest_on_a_worker_thread_is_stopped_from_the_main_thread(api):
    engine, store = epoch_store(api)
    spin = instantiate(api, store, GUEST)["spin"]
    store.set_epoch_deadline(1)
    started, outcome = threading.Event(), []

    def run():
        started.set()
        try:
            spin(store)
        except api.Trap as trap:
            outcome.append(trap.trap_code)

    worker = threading.Thread(target=run)
    worker.start()
    started.wait()
    while worker.is_alive():  # whenever the guest is really spinning, one tick stops it
        engine.increment_epoch()
        worker.join(0.05)
    assert outcome == [api.TrapCode.INTERRUPT]


# ---- jitwasm only ---------------------------------------------------------------------------

def compiled(wat_text: str, options: CompileOptions):
    info = decode_module(to_wasm(wat_text))
    validate_module(info)
    return compile_module(info, options=options)


def code_bytes(module) -> bytes:
    return ctypes.string_at(module.code.address, module.code.length)


def store_limits_loads(module) -> int:
    """How many instructions read vmctx.store_limits (one per check site)."""
    iced = pytest.importorskip("iced_x86")
    decoder = iced.Decoder(64, code_bytes(module), ip=0)
    return sum(1 for ins in decoder
               if ins.memory_base == iced.Register.R14
               and ins.memory_displacement == VMCTX_STORE_LIMITS)


@pytest.mark.parametrize("options", [CompileOptions(fuel=True), CompileOptions(epoch=True),
                                     CompileOptions(fuel=True, epoch=True)])
def test_checks_are_emitted_only_when_enabled(options):
    plain = compiled(GUEST, CompileOptions())
    checked = compiled(GUEST, options)
    assert code_bytes(plain) == code_bytes(compiled(GUEST, CompileOptions(lazy=False)))
    assert store_limits_loads(plain) == 0
    # one check per function entry (6) and per loop header (spin, count, outer, inner)
    assert store_limits_loads(checked) == 6 + 4
    assert checked.code.length > plain.code.length


def test_fuel_costs_belong_to_the_innermost_loop():
    wat = """(module (func (local i32)
      (local.set 0 (i32.const 1))
      (block (loop (br_if 1 (local.get 0)) (loop nop (br 0)) (drop (i32.const 0))))
      (drop (i32.const 0))))"""
    info = decode_module(to_wasm(wat))
    body = info.codes[0]
    costs = fuel_costs(info.data, body.code_start, body.end)
    outer, inner = sorted(k for k in costs if k is not None)
    # entry: i32.const, local.set, i32.const (drop is free), + 1 per call
    assert costs[None] == 4
    # outer loop: local.get, br_if, i32.const (drop free); the inner: br (nop free)
    assert costs[outer] == 3 and costs[inner] == 1


def test_nested_loops_with_parameters_compute_the_same_results_with_checks(api):
    config = api.Config()
    config.consume_fuel = True
    config.epoch_interruption = True
    engine = api.Engine(config)
    store = api.Store(engine)
    store.set_fuel(1 << 40)
    store.set_epoch_deadline(1)
    exports = instantiate(api, store, GUEST)
    assert exports["nested"](store, 50) == 50 * sum(range(50))
    assert exports["fib"](store, 15) == 610
    assert exports["count"](store, 7) == 7


def test_compile_options_cache_tag():
    assert CompileOptions().cache_tag() == ""
    assert CompileOptions(fuel=True, epoch=True).cache_tag() == "fuel,epoch"
    assert CompileOptions(explicit_bounds=True).cache_tag() == "explicit_bounds"
    assert len({CompileOptions(*bits).cache_tag()
                for bits in itertools.product((False, True), repeat=4)}) == 16
