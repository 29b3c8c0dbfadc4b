"""Calls across the Python/machine-code boundary: entry trampolines for every kind of signature,
host-call stubs, host exceptions, nesting with traps at every depth, and GIL release."""

import struct
import threading
import time
import traceback

import pytest

from jitwasm import Trap
from jitwasm.backend_x64.abi import (LOC_STACK, emit_funcref_call, emit_trap_exit,
                                     signature_layout)
from jitwasm.backend_x64.assembler import ALU_ADD, ALU_CMP, ALU_SUB, Assembler, Mem
from jitwasm.backend_x64.regs import CC_E, CC_NE, R11, R12, R14, R15, RAX, RBX, RDI, RSP, XMM15
from jitwasm.backend_x64.trampolines import (HostFunction, load_value, make_entry_caller,
                                             store_value, thread_state)
from jitwasm.binary.types import EXTERNREF, F32, F64, FUNCREF, I32, I64, V128
from jitwasm.runtime.code_memory import CodeMemory
from jitwasm.runtime.memory import MemoryReservation
from jitwasm.runtime.traps import TRAP_UNREACHABLE
from jitwasm.runtime.vmctx import VMCTX_FUNC_REFS, FuncRef, VMContext


class Instance:
    """vmctx + memory + FuncRef table of imports, enough to run hand-assembled functions."""

    def __init__(self, imports=()):
        self.memory = MemoryReservation(1)
        self.vmctx = VMContext()
        self.vmctx.memory_base = self.memory.base
        self.imports = imports
        self.refs = (FuncRef * max(len(imports), 1))()
        for ref, host in zip(self.refs, imports):
            ref.code = host.stub_address
            ref.vmctx = host.vmctx.address
        self.vmctx.func_refs = ctypes_address(self.refs)

    def function(self, code: CodeMemory, params, results):
        call = make_entry_caller(params, results, self.vmctx.address, code.address)
        call.keepalive = (self, code)
        return call


def ctypes_address(obj) -> int:
    import ctypes

    return ctypes.addressof(obj)


def scratch_of(t):
    return XMM15 if t in (F32, F64, V128) else R11


def assemble_reverse(params: tuple) -> CodeMemory:
    """params -> reversed(params): exercises every parameter and result location."""
    results = params[::-1]
    layout = signature_layout(params, results)
    n = len(params)
    frame = 16 * n + 8  # entered at rsp = 8 mod 16; keep the stack aligned
    a = Assembler()
    a.alu_ri(ALU_SUB, 64, RSP, frame)
    incoming = frame + 8  # [rsp + incoming + offset] = the caller's stack area
    for i, (t, (kind, where)) in enumerate(zip(params, layout.params)):
        if kind == LOC_STACK:
            load_value(a, t, scratch_of(t), Mem(RSP, None, 1, incoming + where))
            where = scratch_of(t)
        store_value(a, t, Mem(RSP, None, 1, 16 * i), where)
    for j, (t, (kind, where)) in enumerate(zip(results, layout.results)):
        src = Mem(RSP, None, 1, 16 * (n - 1 - j))
        if kind == LOC_STACK:
            load_value(a, t, scratch_of(t), src)
            store_value(a, t, Mem(RSP, None, 1, incoming + where), scratch_of(t))
        else:
            load_value(a, t, where, src)
    a.alu_ri(ALU_ADD, 64, RSP, frame)
    a.ret()
    return CodeMemory(a.finish())


SAMPLE = {
    I32: [0, 1, -1, -(2**31), 2**31 - 1, 123456],
    I64: [0, -1, -(2**63), 2**63 - 1, 0x123456789ABCDEF],
    F32: [0.0, -1.5, 3.25, float("inf"), 1e-30 and struct.unpack("f", struct.pack("f", 1e-30))[0]],
    F64: [0.0, -0.1, 1e300, float("-inf"), 2.5],
    V128: [0, (1 << 128) - 1, 0x0123456789ABCDEF_FEDCBA9876543210, 1 << 127],
    FUNCREF: [0, 0x7F00DEADBEEF],
    EXTERNREF: [0, 0xFFFFFFFFFFFFFFFF],
}

SIGNATURES = [
    (),
    (I32,),
    (I64, I64),
    (F32, F64),
    (V128,),
    (FUNCREF, EXTERNREF),
    (I32,) * 9,  # three on the stack
    (F64,) * 11,  # three on the stack
    (V128, I32, V128) * 4,  # v128 on the stack
    (I32, F32, I64, F64, V128, I32, I64, F32, F64, I32, I64, I32, I64, F64, F32, F64, F32, F64,
     F32, V128, FUNCREF),
]


def sample_args(params, k):
    return tuple(SAMPLE[t][(i + k) % len(SAMPLE[t])] for i, t in enumerate(params))


@pytest.mark.parametrize("params", SIGNATURES, ids=lambda p: str(len(p)))
def test_entry_passes_every_value_kind_both_ways(params):
    fn = Instance().function(assemble_reverse(params), params, params[::-1])
    for k in range(3):
        args = sample_args(params, k)
        expected = args[::-1]
        result = fn(*args)
        if len(expected) == 0:
            assert result is None
        elif len(expected) == 1:
            assert result == expected[0]
        else:
            assert result == expected


def test_i32_arguments_wrap_like_wasm():
    fn = Instance().function(assemble_reverse((I32, I64)), (I32, I64), (I64, I32))
    assert fn(0xFFFFFFFF, 2**64 - 1) == (-1, -1)


@pytest.mark.parametrize("params", SIGNATURES, ids=lambda p: str(len(p)))
def test_host_stub_passes_every_value_kind_both_ways(params):
    seen = []

    def host(*args):
        seen.append(args)
        return args[::-1] if len(args) != 1 else args[0]

    host_fn = HostFunction(params, params[::-1], host)
    # The entry trampoline can call the stub directly: it is a function of the Wasm convention.
    call = make_entry_caller(params, params[::-1], host_fn.vmctx.address, host_fn.stub_address)
    args = sample_args(params, 1)
    result = call(*args)
    assert seen == [args]
    expected = args[::-1]
    assert result == (expected[0] if len(expected) == 1 else (expected or None))


def assemble_call_import(params, results) -> CodeMemory:
    """A Wasm-convention function that forwards its register arguments to import 0."""
    a = Assembler()
    a.push_r(R14)  # rsp is now 16-byte aligned for the call; [rsp] keeps our vmctx
    a.mov_rm(64, RAX, Mem(R14, None, 1, VMCTX_FUNC_REFS))
    emit_funcref_call(a, RAX, Mem(RSP))
    a.pop_r(R11)
    a.ret()
    return CodeMemory(a.finish())


def test_host_exception_is_reraised_with_its_traceback():
    def host(x):
        raise ValueError(f"boom {x}")

    host_fn = HostFunction((I32,), (I32,), host)
    inst = Instance([host_fn])
    fn = inst.function(assemble_call_import((I32,), (I32,)), (I32,), (I32,))
    with pytest.raises(ValueError, match="boom 5") as info:
        fn(5)
    frames = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
    assert "host" in frames  # the original traceback survives the trip through machine code
    assert thread_state().pending is None
    with pytest.raises(ValueError, match="boom 6"):  # and again: nothing was left behind
        fn(6)


def test_host_result_count_mismatch_raises_type_error():
    host_fn = HostFunction((I32,), (I32, I32), lambda x: (x,))
    call = make_entry_caller((I32,), (I32, I32), host_fn.vmctx.address, host_fn.stub_address)
    with pytest.raises(TypeError, match="returned 1 values, expected 2"):
        call(1)


def assemble_nested_caller() -> CodeMemory:
    """w(n: i32) -> i32 = import0(n) + 1, or trap "unreachable" when n == -1."""
    a = Assembler()
    trap = a.new_label()
    a.alu_ri(ALU_CMP, 32, RDI, -1)
    a.jcc(CC_E, trap)
    a.push_r(R14)
    a.mov_rm(64, RAX, Mem(R14, None, 1, VMCTX_FUNC_REFS))
    emit_funcref_call(a, RAX, Mem(RSP))
    a.pop_r(R11)
    a.alu_ri(ALU_ADD, 32, RAX, 1)
    a.ret()
    a.bind(trap)
    emit_trap_exit(a, TRAP_UNREACHABLE)
    return CodeMemory(a.finish())


class Nest:
    """Python -> w -> host -> w -> host ... with a trap at a chosen depth."""

    def __init__(self, trap_depth: int, catch_depth: int | None):
        self.trap_depth = trap_depth
        self.catch_depth = catch_depth
        self.host = HostFunction((I32,), (I32,), self.host_fn)
        self.inst = Instance([self.host])
        self.w = self.inst.function(assemble_nested_caller(), (I32,), (I32,))
        self.depth = 0

    def host_fn(self, n):
        self.depth += 1
        try:
            if n == 0:
                return 0
            arg = -1 if self.depth == self.trap_depth else n - 1
            if self.depth == self.catch_depth:
                try:
                    return self.w(arg)
                except Trap as trap:
                    assert trap.message == "unreachable"
                    return 1000
            return self.w(arg)
        finally:
            self.depth -= 1


@pytest.mark.parametrize("depth", [1, 2, 3, 5])
def test_nested_calls_without_trap(depth):
    nest = Nest(trap_depth=-1, catch_depth=None)
    assert nest.w(depth) == depth + 1


@pytest.mark.parametrize("trap_depth", [1, 2, 3, 4])
def test_trap_propagates_through_every_nesting_level(trap_depth):
    nest = Nest(trap_depth, catch_depth=None)
    with pytest.raises(Trap, match="^unreachable$"):
        nest.w(5)
    assert nest.depth == 0
    nest.trap_depth = -1
    assert nest.w(2) == 3  # everything still works afterwards


@pytest.mark.parametrize("trap_depth,catch_depth", [(1, 1), (3, 1), (3, 2), (3, 3), (4, 2)])
def test_trap_caught_at_an_inner_level_lets_outer_levels_continue(trap_depth, catch_depth):
    nest = Nest(trap_depth, catch_depth)
    # The catching host returns 1000; each of the catch_depth Wasm levels above it adds 1.
    assert nest.w(5) == 1000 + catch_depth
    nest.trap_depth = -1
    assert nest.w(3) == 4


def assemble_host_loop() -> CodeMemory:
    """loop(n: i32) -> i32: acc = 0; repeat n times: acc = import0(acc); return acc."""
    a = Assembler()
    top, done = a.new_label(), a.new_label()
    a.push_r(R14)
    a.push_r(RBX)
    a.push_r(R12)  # three pushes: rsp = 0 mod 16
    a.mov_rr(32, RBX, RDI)
    a.mov_ri(32, R12, 0)
    a.test_rr(32, RBX, RBX)
    a.jcc(CC_E, done)
    a.bind(top)
    a.mov_rr(32, RDI, R12)
    a.mov_rm(64, RAX, Mem(R14, None, 1, VMCTX_FUNC_REFS))
    emit_funcref_call(a, RAX, Mem(RSP, None, 1, 16))
    a.mov_rr(32, R12, RAX)
    a.alu_ri(ALU_SUB, 32, RBX, 1)
    a.jcc(CC_NE, top)
    a.bind(done)
    a.mov_rr(32, RAX, R12)
    a.pop_r(R12)
    a.pop_r(RBX)
    a.pop_r(R14)
    a.ret()
    return CodeMemory(a.finish())


def test_machine_code_calls_host_in_a_loop():
    calls = []

    def inc(x):
        calls.append(x)
        return x + 1

    inst = Instance([HostFunction((I32,), (I32,), inc)])
    loop = inst.function(assemble_host_loop(), (I32,), (I32,))
    assert loop(0) == 0
    assert loop(100) == 100
    assert calls == list(range(100))


def assemble_spin() -> CodeMemory:
    """spin(iterations: i64) -> i32: 1 as soon as memory[0] != 0, 0 if it never changes."""
    a = Assembler()
    top, seen = a.new_label(), a.new_label()
    a.bind(top)
    a.alu_mi(ALU_CMP, 8, Mem(R15), 0)
    a.jcc(CC_NE, seen)
    a.alu_ri(ALU_SUB, 64, RDI, 1)
    a.jcc(CC_NE, top)
    a.mov_ri(32, RAX, 0)
    a.ret()
    a.bind(seen)
    a.mov_ri(32, RAX, 1)
    a.ret()
    return CodeMemory(a.finish())


def test_machine_code_runs_without_the_gil():
    inst = Instance()
    spin = inst.function(assemble_spin(), (I64,), (I32,))
    view = inst.memory.view()
    progress = []

    def python_thread():
        for i in range(5):  # needs the GIL between steps
            progress.append(i)
            time.sleep(0.001)
        view[0] = 1

    thread = threading.Thread(target=python_thread)
    thread.start()
    try:
        assert spin(1 << 36) == 1  # would spin for minutes (and fail) if the GIL were held
    finally:
        view[0] = 1
        thread.join()
    assert progress == [0, 1, 2, 3, 4]
