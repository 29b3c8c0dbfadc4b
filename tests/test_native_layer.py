"""The native layer's foundations: libc layouts, CodeMemory (W^X, lifetime), the code registry."""

import ctypes
import gc
import shutil
import subprocess
import threading

import pytest

from jitwasm.backend_x64.assembler import Assembler, Mem
from jitwasm.backend_x64.regs import RAX, RDI, RSP
from jitwasm.runtime import native
from jitwasm.runtime.code_memory import CodeMemory
from jitwasm.runtime.traps import CodeRegistry, TrapSite, registry, trap_site

C_LAYOUT_PROGRAM = r"""
#define _GNU_SOURCE
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <ucontext.h>
int main(void) {
    printf("%zu %zu %zu %zu\n", sizeof(struct sigaction), offsetof(struct sigaction, sa_handler),
           offsetof(struct sigaction, sa_flags), sizeof(stack_t));
    printf("%zu %d %d %d %d %d\n", offsetof(ucontext_t, uc_mcontext.gregs), REG_RIP, REG_RSP,
           REG_R13, REG_RAX, REG_RDX);
    printf("%zu %zu\n", offsetof(siginfo_t, si_code), offsetof(siginfo_t, si_addr));
    printf("%d %d %d %d\n", SA_SIGINFO, SA_ONSTACK, SA_NODEFER, SS_DISABLE);
    return 0;
}
"""


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc to read the C headers")
def test_struct_layouts_match_the_c_headers(tmp_path):
    src = tmp_path / "layout.c"
    src.write_text(C_LAYOUT_PROGRAM)
    exe = tmp_path / "layout"
    subprocess.run(["gcc", str(src), "-o", str(exe)], check=True)
    lines = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout.split("\n")
    assert [int(x) for x in lines[0].split()] == [
        ctypes.sizeof(native.SigAction), native.SIGACTION_HANDLER, native.SIGACTION_FLAGS,
        ctypes.sizeof(native.StackT)]
    assert [int(x) for x in lines[1].split()] == [
        native.UCONTEXT_GREGS, native.REG_RIP, native.REG_RSP, native.REG_R13, native.REG_RAX,
        native.REG_RDX]
    assert [int(x) for x in lines[2].split()] == [native.SIGINFO_CODE, native.SIGINFO_ADDR]
    assert [int(x) for x in lines[3].split()] == [
        native.SA_SIGINFO, native.SA_ONSTACK, native.SA_NODEFER, native.SS_DISABLE]


def _mapping_permissions(address: int) -> str | None:
    with open("/proc/self/maps") as maps:
        for line in maps:
            span, perms = line.split()[:2]
            start, end = (int(x, 16) for x in span.split("-"))
            if start <= address < end:
                return perms
    return None


def _add_one() -> bytes:
    a = Assembler()
    a.lea(32, RAX, Mem(RDI, None, 1, 1))
    a.ret()
    return a.finish()


def test_code_memory_is_executable_and_never_writable():
    code = CodeMemory(_add_one(), traps=False)
    assert code.read() == _add_one()
    perms = _mapping_permissions(code.address)
    assert perms is not None and perms.startswith("r-x")
    fn = code.function(ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int))
    assert fn(41) == 42


def test_code_memory_is_unmapped_when_unreferenced():
    code = CodeMemory(_add_one())
    address = code.address
    assert _mapping_permissions(address) is not None
    assert any(start == address for start, _ in registry.live_ranges())
    del code
    gc.collect()
    assert _mapping_permissions(address) is None
    assert not any(start == address for start, _ in registry.live_ranges())


def test_code_memory_free_is_idempotent():
    code = CodeMemory(_add_one())
    code.free()
    code.free()
    assert code.freed
    assert _mapping_permissions(code.address) is None


def test_trap_sites_are_found_by_pc():
    sites = {1: TrapSite(4, 7, 0x99)}
    code = CodeMemory(_add_one(), trap_sites=sites)
    assert trap_site(code.address + 1) == TrapSite(4, 7, 0x99)
    assert trap_site(code.address) is None
    assert trap_site(code.address + code.length) is None


def test_registry_grows_and_reuses_slots():
    reg = CodeRegistry(capacity=2)

    class Owner:
        pass

    owners = [Owner() for _ in range(5)]
    slots = [reg.register(0x1000 * (i + 1), 0x1000 * (i + 1) + 0x10, o)
             for i, o in enumerate(owners)]
    table = ctypes.cast(reg._cell[0], ctypes.POINTER(ctypes.c_uint64))
    assert table[0] == 5 and table[1] >= 5  # count, capacity after growing
    assert reg.find(0x3008) == (owners[2], 8)
    assert reg.find(0x3010) is None
    reg.unregister(slots[2])
    assert reg.find(0x3008) is None
    assert (0x3000, 0x3010) not in reg.live_ranges()
    slot = reg.register(0x9000, 0x9010, owners[2])
    assert slot == slots[2]  # a freed slot is reused
    assert reg.find(0x9004) == (owners[2], 4)


def test_registry_tolerates_unregister_from_inside_its_lock():
    # A CodeMemory finalizer may run from a garbage collection triggered inside register().
    reg = CodeRegistry(capacity=1)

    class Owner:
        pass

    owner = Owner()
    first = reg.register(0x1000, 0x1100, owner)
    with reg._lock:
        reg.unregister(first)
        second = reg.register(0x2000, 0x2100, owner)  # grows the table while locked
    assert reg.find(0x1010) is None
    assert reg.find(0x2010) == (owner, 0x10)
    assert (0x1000, 0x1100) not in reg.live_ranges()


def _stack_pointer_reader():
    a = Assembler()
    a.mov_rr(64, RAX, RSP)
    a.ret()
    code = CodeMemory(a.finish(), traps=False)
    return code, code.function(ctypes.CFUNCTYPE(ctypes.c_uint64))


def test_thread_stack_bounds_contain_the_stack_pointer():
    code, read_rsp = _stack_pointer_reader()
    low, size = native.current_thread_stack()
    assert low < read_rsp() < low + size
    found = {}

    def in_thread():
        found["bounds"] = native.current_thread_stack()
        found["rsp"] = read_rsp()

    old = threading.stack_size(1 << 20)
    try:
        thread = threading.Thread(target=in_thread)
        thread.start()
        thread.join()
    finally:
        threading.stack_size(old)
    low, size = found["bounds"]
    # At least what was asked: glibc may hand a new thread a larger cached stack of an
    # exited thread, so the size is not bounded above by the request.
    assert size >= 1 << 20
    assert low < found["rsp"] < low + size
