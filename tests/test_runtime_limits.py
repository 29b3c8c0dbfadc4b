"""StoreLimits: the store side of fuel and epoch interruption, and the check sequences
documented in runtime/vmctx.py run as hand-assembled machine code (what code generation will
emit at function entries and loop headers)."""

import ctypes
import threading
import time

import pytest

from jitwasm.backend_x64.abi import emit_trap_exit
from jitwasm.backend_x64.assembler import ALU_ADD, ALU_CMP, ALU_SUB, Assembler, Mem
from jitwasm.backend_x64.regs import CC_AE, CC_NE, CC_NS, R10, R11, R14, RAX, RDI
from jitwasm.backend_x64.trampolines import make_entry_caller
from jitwasm.binary.types import I32
from jitwasm.errors import Trap, TrapCode
from jitwasm.runtime.code_memory import CodeMemory
from jitwasm.runtime.store import Store
from jitwasm.runtime.traps import TRAP_INTERRUPT, TRAP_OUT_OF_FUEL
from jitwasm.runtime.vmctx import (LIMITS_EPOCH_COUNTER, LIMITS_EPOCH_DEADLINE,
                                   LIMITS_FUEL_CONSUMED, VMCTX_STORE_LIMITS, VMContext)
from jitwasm.runtime.instance import Instance
from test_runtime_instance import hand_module


def emit_fuel_check(a: Assembler, cost: int, out_of_fuel) -> None:
    a.mov_rm(64, R11, Mem(R14, None, 1, VMCTX_STORE_LIMITS))
    a.alu_mi(ALU_ADD, 64, Mem(R11, None, 1, LIMITS_FUEL_CONSUMED), cost)
    a.jcc(CC_NS, out_of_fuel)


def emit_epoch_check(a: Assembler, interrupt) -> None:
    a.mov_rm(64, R11, Mem(R14, None, 1, VMCTX_STORE_LIMITS))
    a.mov_rm(64, R10, Mem(R11, None, 1, LIMITS_EPOCH_COUNTER))
    a.mov_rm(64, R10, Mem(R10, None, 1, 0))
    a.alu_rm(ALU_CMP, 64, R10, Mem(R11, None, 1, LIMITS_EPOCH_DEADLINE))
    a.jcc(CC_AE, interrupt)


def loop_with_checks(check) -> bytes:
    """f(n) = n iterations of a loop whose header runs `check(a, trap_label)`; returns 7."""
    a = Assembler()
    top, done, trap = a.new_label(), a.new_label(), a.new_label()
    a.bind(top)
    check(a, trap)
    a.alu_ri(ALU_SUB, 32, RDI, 1)
    a.jcc(CC_NE, top)
    a.bind(done)
    a.mov_ri(32, RAX, 7)
    a.ret()
    a.bind(trap)
    emit_trap_exit(a, TRAP_OUT_OF_FUEL if check is fuel_check else TRAP_INTERRUPT)
    return a.finish()


def fuel_check(a, trap):
    emit_fuel_check(a, 10, trap)


def epoch_check(a, trap):
    emit_epoch_check(a, trap)


class Harness:
    """Machine code run with a vmctx whose store_limits are `store`'s (keep the harness alive
    while calling: it owns the code and the vmctx)."""

    def __init__(self, store: Store, code: bytes):
        self.vmctx = VMContext()
        self.vmctx.store_limits = store.limits_address
        self.code = CodeMemory(code)
        self.call = make_entry_caller((I32,), (I32,), self.vmctx.address, self.code.address)


def test_instances_point_at_their_stores_limits():
    store = Store()
    inst = Instance(store, hand_module("(module)"))
    assert inst.vmctx.store_limits == store.limits_address
    assert store.limits.epoch_counter == ctypes.addressof(store.epoch_counter)


def test_fuel_is_the_negated_counter():
    store = Store()
    assert store.fuel == 0
    store.fuel = 25
    assert store.limits.fuel_consumed == -25 and store.fuel == 25
    store.fuel = 1 << 70
    assert store.fuel == (1 << 63) - 1
    store.limits.fuel_consumed = 5  # overspent: nothing left
    assert store.fuel == 0


def test_epoch_deadline_is_relative_to_the_shared_counter():
    counter = ctypes.c_uint64(40)
    a, b = Store(epoch_counter=counter), Store(epoch_counter=counter)
    a.set_epoch_deadline(2)
    assert a.limits.epoch_deadline == 42
    counter.value += 5
    b.set_epoch_deadline(1)
    assert b.limits.epoch_deadline == 46
    assert a.limits.epoch_counter == b.limits.epoch_counter == ctypes.addressof(counter)


def test_fuel_check_sequence_counts_down_and_traps():
    store = Store()
    harness = Harness(store, loop_with_checks(fuel_check))
    run = harness.call
    store.fuel = 101  # ten checks of cost 10 leave 1
    assert run(10) == 7 and store.fuel == 1
    store.fuel = 100  # the tenth check would reach 0: wasmtime's condition traps
    with pytest.raises(Trap) as info:
        run(10)
    assert info.value.message == "all fuel consumed by WebAssembly"
    assert info.value.trap_code == TrapCode.OUT_OF_FUEL
    assert store.fuel == 0


def test_epoch_check_sequence_stops_a_spinning_loop():
    store = Store()
    harness = Harness(store, loop_with_checks(epoch_check))
    run = harness.call
    with pytest.raises(Trap) as info:
        run(1)  # deadline 0 has already been reached
    assert info.value.trap_code == TrapCode.INTERRUPT and info.value.message == "interrupt"
    store.set_epoch_deadline(1)
    assert run(1000) == 7

    def bump():
        time.sleep(0.05)
        store.epoch_counter.value += 1

    ticker = threading.Thread(target=bump)
    ticker.start()
    start = time.perf_counter()
    with pytest.raises(Trap) as info:
        run(0)  # 2^32 iterations: only the epoch can end it in time
    ticker.join()
    assert info.value.trap_code == TrapCode.INTERRUPT
    assert time.perf_counter() - start < 30
