"""Stack exhaustion: deep recursion in machine code traps "call stack exhausted" instead of
crashing, on the main thread, in threads (also with small stacks) and under nested entries."""

import ctypes
import threading

import pytest

from jitwasm import Trap
from jitwasm.backend_x64.abi import emit_funcref_call, emit_stack_check, emit_trap_exit
from jitwasm.backend_x64.assembler import ALU_ADD, ALU_CMP, ALU_SUB, Assembler, Mem
from jitwasm.backend_x64.regs import CC_E, CC_NE, RAX, RDI, RSP, R14
from jitwasm.backend_x64.trampolines import (DEFAULT_STACK_BUDGET, HostFunction,
                                             make_entry_caller, thread_state)
from jitwasm.binary.types import I32
from jitwasm.runtime import native
from jitwasm.runtime.code_memory import CodeMemory
from jitwasm.runtime.traps import TRAP_CALL_STACK_EXHAUSTED
from jitwasm.runtime.vmctx import VMCTX_FUNC_REFS, FuncRef, VMContext

FRAME = 1016  # = 8 mod 16, so calls stay aligned


def assemble_recursive(frame: int = FRAME, via_import_at: int | None = None) -> CodeMemory:
    """rec(n: i32) -> i32: recurse n levels with a `frame`-byte frame it writes to; returns n.

    With `via_import_at`, the call at depth n == via_import_at goes to import 0 instead.
    """
    a = Assembler()
    entry, base, overflow, direct = (a.new_label() for _ in range(4))
    a.bind(entry)
    pos = emit_stack_check(a, overflow)
    a.patch_i32(pos, frame)
    a.alu_ri(ALU_SUB, 64, RSP, frame)
    a.mov_mr(64, Mem(RSP), RDI)  # touch the frame: a missing check would hit the guard page
    a.mov_mr(64, Mem(RSP, None, 1, frame - 8), R14)
    a.test_rr(32, RDI, RDI)
    a.jcc(CC_E, base)
    a.alu_ri(ALU_SUB, 32, RDI, 1)
    if via_import_at is not None:
        a.alu_ri(ALU_CMP, 32, RDI, via_import_at)
        a.jcc(CC_NE, direct)
        a.mov_rm(64, RAX, Mem(R14, None, 1, VMCTX_FUNC_REFS))
        emit_funcref_call(a, RAX, Mem(RSP, None, 1, frame - 8))
        done = a.new_label()
        a.jmp(done)
        a.bind(direct)
        a.call(entry)
        a.bind(done)
    else:
        a.call(entry)
    a.alu_ri(ALU_ADD, 32, RAX, 1)
    a.alu_ri(ALU_ADD, 64, RSP, frame)
    a.ret()
    a.bind(base)
    a.mov_ri(32, RAX, 0)
    a.alu_ri(ALU_ADD, 64, RSP, frame)
    a.ret()
    a.bind(overflow)
    emit_trap_exit(a, TRAP_CALL_STACK_EXHAUSTED)
    return CodeMemory(a.finish())


def make_rec(code=None, imports=()):
    vmctx = VMContext()
    refs = (FuncRef * max(1, len(imports)))()
    for ref, host in zip(refs, imports):
        ref.code = host.stub_address
        ref.vmctx = host.vmctx.address
    vmctx.func_refs = ctypes.addressof(refs)
    code = code or assemble_recursive()
    call = make_entry_caller((I32,), (I32,), vmctx.address, code.address)
    call.keepalive = (vmctx, refs, code, imports)
    return call


def check_recursion_traps(rec):
    assert rec(100) == 100
    with pytest.raises(Trap, match="^call stack exhausted$"):
        rec(-1)  # 4 billion levels
    assert rec(100) == 100  # healthy afterwards


def test_deep_recursion_traps_on_the_main_thread():
    rec = make_rec()
    check_recursion_traps(rec)
    budget = thread_state().header.stack_budget
    assert budget == DEFAULT_STACK_BUDGET
    # Frames of FRAME+8 bytes: the budget allows roughly budget / (FRAME + 8) levels.
    assert rec(budget // (FRAME + 8) - 16) > 0
    with pytest.raises(Trap):
        rec(budget // (FRAME + 8) + 16)


def test_stack_budget_is_a_parameter():
    rec = make_rec()
    state = thread_state()
    try:
        state.set_stack_budget(64 << 10)
        with pytest.raises(Trap, match="call stack exhausted"):
            rec(80)  # 80 KiB
        assert rec(50) == 50
    finally:
        state.set_stack_budget(DEFAULT_STACK_BUDGET)
    assert rec(80) == 80


def run_in_thread(fn, stack_size: int = 0):
    result = {}

    def target():
        try:
            result["value"] = fn()
        except BaseException as exc:  # reported by the caller
            result["error"] = exc

    old = threading.stack_size(stack_size) if stack_size else None
    try:
        thread = threading.Thread(target=target)
        thread.start()
        thread.join()
    finally:
        if stack_size:
            threading.stack_size(old)
    if "error" in result:
        raise result["error"]
    return result.get("value")


def test_deep_recursion_traps_in_a_thread():
    rec = make_rec()
    run_in_thread(lambda: check_recursion_traps(rec))


@pytest.mark.parametrize("stack_size", [192 << 10, 1 << 20])
def test_thread_with_a_stack_smaller_than_the_budget(stack_size):
    rec = make_rec(assemble_recursive(frame=248))

    def body():
        low, size = native.current_thread_stack()
        check_recursion_traps(rec)
        return thread_state().header.stack_floor - low, size

    reserve, size = run_in_thread(body, stack_size)
    # glibc may reuse a larger cached stack of an exited thread: judge by the actual size.
    assert size >= stack_size
    assert 0 < reserve <= size // 2


def test_recursion_through_host_calls_traps_at_every_entry():
    # rec recurses in machine code; at depth 0 of each entry it calls the host, which enters
    # rec again: each nested entry gets a budget, and the floor bounds them all.
    entries = []

    def host(n):
        entries.append(n)
        return rec(200)

    host_fn = HostFunction((I32,), (I32,), host)
    rec = make_rec(assemble_recursive(via_import_at=0), [host_fn])
    with pytest.raises(Trap, match="^call stack exhausted$"):
        rec(200)
    assert len(entries) > 1  # several nested entries before the floor stopped it
    entries.clear()
    run_in_thread(lambda: pytest.raises(Trap, rec, 200))
    assert len(entries) > 1


def _mapped(address: int) -> bool:
    with open("/proc/self/maps") as maps:
        for line in maps:
            start, end = (int(x, 16) for x in line.split()[0].split("-"))
            if start <= address < end:
                return True
    return False


def test_each_wasm_thread_gets_an_altstack_removed_at_exit():
    rec = make_rec()

    def body():
        assert native.sigaltstack(None).ss_flags & native.SS_DISABLE  # a fresh thread has none
        assert rec(3) == 3
        current = native.sigaltstack(None)
        altstack = thread_state().altstack
        assert not current.ss_flags & native.SS_DISABLE
        assert current.ss_sp == altstack.mapping + native.PAGE_SIZE
        return altstack.mapping

    mapping = run_in_thread(body)
    import gc

    gc.collect()
    assert not _mapped(mapping)


def test_a_small_altstack_is_replaced_by_a_large_one():
    """Python's faulthandler installs a ~12 KB altstack from the heap (pytest enables it): a
    signal frame plus a handler chain could overrun it, so Wasm threads get a large one."""
    import ctypes

    from jitwasm.backend_x64.traphandler import ALTSTACK_SIZE, MIN_ALTSTACK_SIZE

    rec = make_rec()
    small = ctypes.create_string_buffer(16 << 10)

    def body():
        stack = native.StackT()
        stack.ss_sp = ctypes.addressof(small)
        stack.ss_size = len(small)
        native.sigaltstack(stack)
        assert native.sigaltstack(None).ss_size < MIN_ALTSTACK_SIZE
        assert rec(3) == 3
        current = native.sigaltstack(None)
        altstack = thread_state().altstack
        assert current.ss_size == ALTSTACK_SIZE
        assert current.ss_sp == altstack.mapping + native.PAGE_SIZE
        return current.ss_size

    assert run_in_thread(body) == ALTSTACK_SIZE
