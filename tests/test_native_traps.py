"""Traps from machine code: guard-page faults, explicit trap exits, other signals, and crashes
outside jitwasm code that must still reach the previously installed handler."""

import subprocess
import sys
import textwrap
import threading

import pytest

from jitwasm import Trap
from jitwasm.backend_x64.abi import emit_trap_exit
from jitwasm.backend_x64.assembler import ALU_XOR, Assembler, Mem
from jitwasm.backend_x64.regs import RAX, RCX, RDI, RSI, R15
from jitwasm.backend_x64.traphandler import is_installed
from jitwasm.backend_x64.trampolines import make_entry_caller
from jitwasm.binary.types import I32
from jitwasm.runtime import traps
from jitwasm.runtime.code_memory import CodeMemory
from jitwasm.runtime.memory import MemoryReservation
from jitwasm.runtime.traps import TrapSite
from jitwasm.runtime.vmctx import VMContext


class Instance:
    """A memory, a vmctx pointing at it, and code run against them."""

    def __init__(self, pages: int = 1):
        self.memory = MemoryReservation(pages)
        self.vmctx = VMContext()
        self.vmctx.memory_base = self.memory.base
        self.vmctx.memory_length = self.memory.length

    def function(self, code: CodeMemory, params=(I32,), results=(I32,)):
        call = make_entry_caller(params, results, self.vmctx.address, code.address)
        call.keepalive = (self, code)
        return call


def assemble_load(trap_sites_at_load: bool = False) -> CodeMemory:
    """i32 load(i32 addr) = [r15 + zero-extended addr] (no bounds check)."""
    a = Assembler()
    a.mov_rr(32, RAX, RDI)
    load_at = a.offset
    a.mov_rm(32, RAX, Mem(R15, RAX, 1, 0))
    a.ret()
    sites = {load_at: TrapSite(traps.TRAP_MEMORY_OUT_OF_BOUNDS, 3, 0x42)} if trap_sites_at_load else None
    return CodeMemory(a.finish(), trap_sites=sites)


def test_handler_is_installed_once_trap_capable_code_exists():
    assemble_load()
    assert is_installed()


def test_guard_page_fault_raises_trap():
    inst = Instance(1)
    load = inst.function(assemble_load())
    inst.memory.view()[8:12] = b"\x01\x02\x03\x04"
    assert load(8) == 0x04030201
    assert load(65532) == 0
    for address in (65533, 65536, 1 << 20, (1 << 32) - 1, -1):
        with pytest.raises(Trap, match="^out of bounds memory access$"):
            load(address)
    assert load(8) == 0x04030201  # still healthy afterwards


def test_fault_trap_reports_recorded_site():
    inst = Instance(1)
    load = inst.function(assemble_load(trap_sites_at_load=True))
    with pytest.raises(Trap) as info:
        load(70000)
    assert info.value.message == "out of bounds memory access"
    assert info.value.backtrace == [(3, 0x42)]


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def test_ten_thousand_traps_leave_rss_flat():
    inst = Instance(1)
    load = inst.function(assemble_load())

    def trap_many(n):
        caught = 0
        for i in range(n):
            try:
                load(65536 + i)
            except Trap:
                caught += 1
        return caught

    trap_many(1000)  # warm up allocator and caches
    before = _rss_bytes()
    assert trap_many(10_000) == 10_000
    grown = _rss_bytes() - before
    assert grown < 2 << 20, f"RSS grew by {grown} bytes over 10,000 traps"
    assert load(0) == 0


def test_traps_in_two_threads_at_once():
    shared = Instance(1)
    shared_load = shared.function(assemble_load())
    errors = []
    barrier = threading.Barrier(2)

    def worker(index):
        own = Instance(1)
        own.memory.view()[0] = index + 1
        own_load = own.function(assemble_load())
        barrier.wait()
        try:
            for i in range(3000):
                for load, address in ((own_load, 1 << 17), (shared_load, 65536 + i)):
                    try:
                        load(address)
                        errors.append(f"no trap at {address:#x}")
                    except Trap as trap:
                        if trap.message != "out of bounds memory access":
                            errors.append(trap.message)
                if own_load(0) != index + 1:
                    errors.append("wrong value")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@pytest.mark.parametrize("code", sorted(traps.TRAP_MESSAGES))
def test_explicit_trap_exit_carries_code_and_pc(code):
    a = Assembler()
    a.alu_rr(ALU_XOR, 32, RAX, RAX)
    site = emit_trap_exit(a, code)
    mem = CodeMemory(a.finish(), trap_sites={site: TrapSite(code, 1, 2)})
    fn = Instance().function(mem, (), ())
    with pytest.raises(Trap) as info:
        fn()
    assert info.value.message == traps.TRAP_MESSAGES[code]
    assert info.value.backtrace == [(1, 2)]


def test_ud2_is_unreachable():
    a = Assembler()
    a.ud2()
    fn = Instance().function(CodeMemory(a.finish()), (), ())
    with pytest.raises(Trap, match="^unreachable$"):
        fn()


def test_hardware_divide_error_is_divide_by_zero():
    a = Assembler()
    a.mov_rr(32, RAX, RDI)
    a.mov_rr(32, RCX, RSI)
    a.cdq()
    a.idiv_r(32, RCX)
    a.ret()
    fn = Instance().function(CodeMemory(a.finish()), (I32, I32), (I32,))
    assert fn(-7, 2) == -3
    with pytest.raises(Trap, match="^integer divide by zero$"):
        fn(1, 0)


def test_fault_in_unregistered_code_is_not_a_trap():
    # A fault outside registered ranges must go to the previous handler: here SIG_DFL kills.
    script = textwrap.dedent("""
        import ctypes
        from jitwasm.backend_x64.assembler import Assembler, Mem
        from jitwasm.backend_x64.regs import RAX, RDI
        from jitwasm.runtime.code_memory import CodeMemory
        CodeMemory(b"\\xc3")  # installs the handler
        a = Assembler()
        a.mov_rm(64, RAX, Mem(RDI))
        a.ret()
        code = CodeMemory(a.finish(), traps=False)
        code.function(ctypes.CFUNCTYPE(ctypes.c_long, ctypes.c_void_p))(16)
        print("survived")
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == -11, (out.returncode, out.stderr)
    assert "survived" not in out.stdout


FAULTHANDLER_SCRIPT = """
import ctypes, faulthandler, sys
from jitwasm import Trap
from jitwasm.backend_x64.assembler import Assembler, Mem
from jitwasm.backend_x64.regs import RAX, RDI, R15
from jitwasm.backend_x64.trampolines import make_entry_caller
from jitwasm.binary.types import I32
from jitwasm.runtime.code_memory import CodeMemory
from jitwasm.runtime.memory import MemoryReservation
from jitwasm.runtime.vmctx import VMContext

def wasm_trap():
    mem = MemoryReservation(1)
    vm = VMContext()
    vm.memory_base = mem.base
    a = Assembler()
    a.mov_rr(32, RAX, RDI)
    a.mov_rm(32, RAX, Mem(R15, RAX, 1, 0))
    a.ret()
    code = CodeMemory(a.finish())
    try:
        make_entry_caller((I32,), (I32,), vm.address, code.address)(1 << 20)
    except Trap as trap:
        print("trapped:", trap, flush=True)

if sys.argv[1] == "before":
    faulthandler.enable()
wasm_trap()
if sys.argv[1] == "after":
    faulthandler.enable()
    wasm_trap()  # loading code puts jitwasm's handler back in front
ctypes.string_at(0)  # a real NULL read in C
print("survived")
"""


@pytest.mark.parametrize("when", ["before", "after"])
def test_real_segfault_still_reaches_faulthandler(when):
    out = subprocess.run([sys.executable, "-c", FAULTHANDLER_SCRIPT, when], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == -11, (out.returncode, out.stderr)
    assert out.stdout.count("trapped: out of bounds memory access") == (2 if when == "after" else 1)
    assert "survived" not in out.stdout
    assert "Fatal Python error: Segmentation fault" in out.stderr
    assert out.stderr.count("Fatal Python error") == 1
    assert "string_at" in out.stderr  # the report shows where Python was


WASMTIME_MIX_SCRIPT = """
import ctypes, faulthandler, sys
import wasmtime
from jitwasm import Trap
from jitwasm.backend_x64.assembler import Assembler, Mem
from jitwasm.backend_x64.regs import RAX, RDI, R15
from jitwasm.backend_x64.trampolines import make_entry_caller
from jitwasm.binary.types import I32
from jitwasm.runtime.code_memory import CodeMemory
from jitwasm.runtime.memory import MemoryReservation
from jitwasm.runtime.vmctx import VMContext

faulthandler.enable()
mem = MemoryReservation(1)
vm = VMContext()
vm.memory_base = mem.base

def jit_load():
    a = Assembler()
    a.mov_rr(32, RAX, RDI)
    a.mov_rm(32, RAX, Mem(R15, RAX, 1, 0))
    a.ret()
    code = CodeMemory(a.finish())  # (re)installs jitwasm's handler in front
    call = make_entry_caller((I32,), (I32,), vm.address, code.address)
    call.code = code
    return call

def jit_trap(load):
    try:
        load(1 << 20)
    except Trap as trap:
        print("jitwasm:", trap, flush=True)

def wasmtime_trap():
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    module = wasmtime.Module(engine, '(module (memory 1) (func (export "f") (param i32) '
                             '(result i32) local.get 0 i32.load))')
    f = wasmtime.Instance(store, module, []).exports(store)["f"]
    try:
        f(store, 1 << 20)
    except wasmtime.Trap as trap:
        print("wasmtime:", "out of bounds memory access" in str(trap), flush=True)

if sys.argv[1] == "wasmtime-first":
    wasmtime_trap()
first = jit_load()
jit_trap(first)
wasmtime_trap()
jit_trap(first)
second = jit_load()
jit_trap(second)
wasmtime_trap()
jit_trap(first)
ctypes.string_at(0)
print("survived")
"""


@pytest.mark.parametrize("order", ["wasmtime-first", "jitwasm-first"])
def test_coexists_with_wasmtime_handlers(order):
    # Both runtimes' traps keep working whichever installed first and after re-installs, and a
    # real crash still reaches faulthandler exactly once (no handler cycle).
    out = subprocess.run([sys.executable, "-c", WASMTIME_MIX_SCRIPT, order], capture_output=True,
                         text=True, timeout=120)
    lines = out.stdout.split("\n")
    assert lines.count("jitwasm: out of bounds memory access") == 4, out.stdout
    assert lines.count("wasmtime: True") == (3 if order == "wasmtime-first" else 2), out.stdout
    assert "survived" not in out.stdout
    assert out.returncode == -11, (out.returncode, out.stderr)
    assert out.stderr.count("Fatal Python error: Segmentation fault") == 1, out.stderr


def test_registry_unregister_inside_find_does_not_break_the_lookup():
    """A CodeMemory finalizer may run `unregister` in the middle of `find` on the same thread
    (any allocation can trigger a collection); the lookup must neither crash nor return a dead
    range, and the slot must come back for reuse."""
    from jitwasm.runtime.traps import CodeRegistry

    class Owner:
        pass

    registry = CodeRegistry(capacity=4)
    owners = [Owner() for _ in range(3)]
    slots = [registry.register(0x1000 * (i + 1), 0x1000 * (i + 1) + 0x100, o)
             for i, o in enumerate(owners)]

    class Reentrant(dict):
        def items(self):
            registry.unregister(slots[1])  # what a finalizer would do mid-iteration
            return super().items()

    registry._entries = Reentrant(registry._entries)
    registry._sorted = None
    found = registry.find(0x1000 + 0x10)
    assert found is not None and found[0] is owners[0] and found[1] == 0x10
    assert registry.find(0x2000 + 0x10) is None  # the dead range is gone
    assert (0x2000, 0x2100) not in registry.live_ranges()
    assert registry.register(0x9000, 0x9100, owners[1]) == slots[1]
